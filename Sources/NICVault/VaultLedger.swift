import GST

/// Keeps pending registrations in the vault, each step saved (check-and-set on the credential version)
/// before the flow moves on.
public final class VaultLedger: RegistrationLedger {
    public private(set) var vault: Vault

    public init(vault: Vault) { self.vault = vault }

    /// Re-reads the vault to see what other processes saved.
    public func reload() throws { try vault.reload() }

    public func stage(_ credential: Credential) throws -> Credential {
        var pending = credential
        pending.pendingSince = vault.now
        return try vault.add(pending)
    }

    public func changePendingUserID(_ key: CredentialKey, to userID: String) throws -> Credential {
        let current = try pending(key)
        return try vault.update(key, expectedVersion: current.version) { $0.userID = userID }
    }

    public func commitPending(_ key: CredentialKey) throws -> Credential {
        let current = try pending(key)
        return try vault.update(key, expectedVersion: current.version) { $0.pendingSince = nil }
    }

    public func dropPending(_ key: CredentialKey) throws {
        let current = try pending(key)
        try vault.remove(key, expectedVersion: current.version)
    }

    /// The pending credential as stored now (re-read, so a change by another process is seen).
    private func pending(_ key: CredentialKey) throws -> Credential {
        try vault.reload()
        guard let credential = vault.payload.credentials.first(where: { $0.key == key }) else {
            throw VaultError.notFound(key.description)
        }
        guard credential.pendingSince != nil else { throw VaultError.notPending(key.description) }
        return credential
    }
}
