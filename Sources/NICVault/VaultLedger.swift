import GST

/// Keeps pending registrations in the vault, each step saved (check-and-set on the credential version)
/// before the flow moves on.
public final class VaultLedger: RegistrationLedger, RotationLedger {
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
        return try vault.update(
            key, expectedVersion: current.version, note: "user id \(userID) proposed (previous one taken)"
        ) {
            $0.userID = userID
        }
    }

    public func commitPending(_ key: CredentialKey) throws -> Credential {
        let current = try pending(key)
        return try vault.update(
            key, expectedVersion: current.version, note: "registered on the portal as \(current.userID)"
        ) {
            $0.pendingSince = nil
        }
    }

    public func dropPending(_ key: CredentialKey) throws {
        let current = try pending(key)
        try vault.remove(key, expectedVersion: current.version)
    }

    public func stageRotation(_ key: CredentialKey, expectedVersion: Int, password: Secret) throws -> Credential {
        let time = vault.now
        return try vault.update(key, expectedVersion: expectedVersion, note: "rotation staged") { credential in
            guard credential.pendingSince == nil else {
                throw VaultError.rotationBlocked(key.description, "its registration is pending")
            }
            guard credential.staged == nil else {
                throw VaultError.rotationBlocked(
                    key.description, "a rotation is already pending since \(credential.staged!.stagedAt)")
            }
            credential.staged = StagedPassword(password: password, stagedAt: time)
        }
    }

    public func commitRotation(_ key: CredentialKey) throws -> Credential {
        let current = try stagedRotation(key)
        let time = vault.now
        return try vault.update(key, expectedVersion: current.version, note: "password rotated") { credential in
            credential.replacePassword(with: current.staged!.password, at: time)
        }
    }

    public func dropRotation(_ key: CredentialKey) throws -> Credential {
        let current = try stagedRotation(key)
        return try vault.update(key, expectedVersion: current.version, note: "staged password dropped") {
            $0.staged = nil
        }
    }

    private func stagedRotation(_ key: CredentialKey) throws -> Credential {
        let credential = try stored(key)
        guard credential.staged != nil else { throw VaultError.notPending(key.description) }
        return credential
    }

    /// Sets the rotation interval of a credential (after a rotation that asked for it).
    public func setRotationDays(_ key: CredentialKey, days: Int) throws {
        let credential = try stored(key)
        try vault.update(key, expectedVersion: credential.version, note: "rotation interval set to \(days) days") {
            $0.rotationDays = days
        }
    }

    /// The pending credential as stored now (re-read, so a change by another process is seen).
    private func pending(_ key: CredentialKey) throws -> Credential {
        let credential = try stored(key)
        guard credential.pendingSince != nil else { throw VaultError.notPending(key.description) }
        return credential
    }

    /// The credential as stored now (re-read with the key already held, so a change by another process is seen).
    private func stored(_ key: CredentialKey) throws -> Credential {
        try vault.reload()
        guard let credential = vault.payload.credentials.first(where: { $0.key == key }) else {
            throw VaultError.notFound(key.description)
        }
        return credential
    }
}
