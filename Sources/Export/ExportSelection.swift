import GST
import NICVault

/// What to export: the credentials of the GSTINs named (every one that matches the filters when none is
/// named), each with its API client, and the warnings a person should read before using them.
public struct ExportSelection: Sendable {
    public let items: [ExportItem]
    /// "rotation pending" and "registration pending" notes, one per credential concerned.
    public let warnings: [String]

    public init(
        from vault: Vault, gstins: [GSTIN], kind: CredentialKind? = nil, environment: Environment? = nil
    ) throws {
        var credentials: [Credential] = []
        if gstins.isEmpty {
            credentials = try vault.credentials(kind: kind, environment: environment)
        } else {
            for id in gstins {
                let found = try vault.credentials(gstin: id, kind: kind, environment: environment)
                if found.isEmpty { throw VaultError.notFound(id.value) }
                credentials += found
            }
        }
        var warnings: [String] = []
        // Each client is read once, however many credentials use it.
        var clients: [String: APIClient] = [:]
        items = try credentials.map { credential in
            warnings += Self.warnings(for: credential)
            let client = try credential.client.map { name in
                let key = credential.environment.rawValue + "/" + name
                if let known = clients[key] { return known }
                let found = try vault.client(named: name, environment: credential.environment)
                clients[key] = found
                return found
            }
            return ExportItem(credential: credential, client: client)
        }
        self.warnings = warnings
    }

    /// One credential read alone with its client (`Vault.readOne`).
    public init(_ credential: Credential, client: APIClient?) {
        items = [ExportItem(credential: credential, client: client)]
        warnings = Self.warnings(for: credential)
    }

    private static func warnings(for credential: Credential) -> [String] {
        var warnings: [String] = []
        if credential.staged != nil {
            warnings.append("warning: \(credential.key) has a rotation pending; exporting its current password")
        }
        if credential.pendingSince != nil {
            warnings.append("warning: \(credential.key) has a registration pending; the portal may not know it yet")
        }
        return warnings
    }
}
