import GST

/// A credential that already exists on the portal, as a person or a file brings it in.
public struct ExistingCredential: Sendable {
    public var gstin: GSTIN
    public var kind: CredentialKind
    public var environment: Environment
    public var userID: String
    public var password: Secret
    public var gsp: String?
    public var client: String?
    public var rotationDays: Int?
    public var legalName: String

    public init(
        gstin: GSTIN, kind: CredentialKind, environment: Environment, userID: String, password: Secret,
        gsp: String? = nil, client: String? = nil, rotationDays: Int? = nil, legalName: String = ""
    ) {
        self.gstin = gstin
        self.kind = kind
        self.environment = environment
        self.userID = userID
        self.password = password
        self.gsp = gsp
        self.client = client
        self.rotationDays = rotationDays
        self.legalName = legalName
    }

    public var key: CredentialKey { CredentialKey(environment: environment, gstin: gstin, kind: kind) }

    /// What NIC would refuse of it: warnings only, since the portal holds it already.
    public var warnings: [String] {
        Self.warnings(userID: userID, password: password)
            + (!kind.goesThroughGSP && gsp != nil ? [CredentialKind.gspForAPIUsersOnly + "; ignored"] : [])
    }

    /// The one check of a user id and a password the portal already holds (add, import, update): what breaks
    /// NIC's rules, as warnings, never the password itself.
    public static func warnings(userID: String?, password: Secret?) -> [String] {
        var warnings: [String] = []
        if let userID {
            let problems = UserIDRules.problems(with: userID)
            if !problems.isEmpty { warnings.append("user id \(userID): " + problems.joined(separator: "; ")) }
        }
        if let password {
            let problems = PasswordPolicy.standard.problems(with: password.unsafeStringValue())
            if !problems.isEmpty {
                warnings.append(
                    "the password breaks NIC's rules (" + problems.joined(separator: "; ")
                        + "); stored anyway, since the portal holds it")
            }
        }
        return warnings
    }

    /// The new record, history noted as `change`.
    func record(now: Timestamp, defaultRotationDays: Int, change: String) -> Credential {
        var credential = Credential(
            environment: environment, gstin: gstin, kind: kind, legalName: legalName,
            gsp: kind.goesThroughGSP ? gsp : nil, userID: userID, password: password, client: client, createdAt: now,
            rotationDays: rotationDays ?? defaultRotationDays)
        credential.version = 0
        credential.note(change, at: now)
        credential.version = 1
        return credential
    }
}

extension Vault {
    /// Adds a credential that already exists on the portal (`nicvault add`). History says "added (existing
    /// credential)", never "registered". Returns the record and what NIC would refuse of it (warnings).
    @discardableResult
    public mutating func addExisting(_ existing: ExistingCredential) throws -> (Credential, [String]) {
        let time = now
        let record = try modifyCredential(
            existing.key, audit: ("added (existing credential)", existing.key.description)
        ) {
            stored, index in
            guard stored == nil else { throw VaultError.alreadyExists("a credential for \(existing.key)") }
            if let client = existing.client {
                guard try index.client(named: client, environment: existing.environment) != nil else {
                    throw VaultError.clientNotFound(client)
                }
            }
            let record = existing.record(
                now: time, defaultRotationDays: index.settings.defaultRotationDays,
                change: "added (existing credential)")
            stored = record
            return record
        }
        return (record, existing.warnings)
    }

    /// Removes a credential and its history on purpose (a client who left); the vault's log keeps the event
    /// (the GSTIN and a count, never a secret).
    @discardableResult
    public mutating func removeCredential(_ key: CredentialKey, expectedVersion: Int) throws -> Credential {
        let current = try credential(key)
        let count = current.retired.count + (current.staged == nil ? 0 : 1) + 1
        let subject = "\(key) (user id \(current.userID), \(count) password(s) with its history)"
        return try modifyCredential(key, audit: ("removed", subject)) { stored, _ in
            guard let removed = stored else { throw VaultError.notFound(key.description) }
            guard removed.version == expectedVersion else {
                throw VaultError.conflict(key.description, expected: expectedVersion, actual: removed.version)
            }
            stored = nil
            return removed
        }
    }
}
