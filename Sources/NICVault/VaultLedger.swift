import GST

/// Keeps pending registrations in the vault, each step saved (check-and-set on the credential version)
/// before the flow moves on.
public final class VaultLedger: RegistrationLedger, RotationLedger {
    public private(set) var vault: Vault

    public init(vault: Vault) { self.vault = vault }

    public var defaultRotationDays: Int { vault.settings.defaultRotationDays }

    public func mainUser(of gstin: GSTIN, environment: Environment) throws -> Credential? {
        try vault.mainUser(of: gstin, environment: environment)
    }

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

    public func restage(_ key: CredentialKey, userID: String, password: Secret) throws -> Credential {
        let current = try pending(key)
        let time = vault.now
        return try vault.update(
            key, expectedVersion: current.version,
            note: "registration started again as \(userID); the earlier attempt (\(current.userID)) is kept unconfirmed"
        ) { credential in
            credential.retire(
                RetiredPassword(
                    password: credential.password, retiredAt: time, unconfirmed: true, userID: credential.userID))
            credential.userID = userID
            credential.password = password
            credential.pendingSince = time
        }
    }

    public func dropPending(_ key: CredentialKey) throws {
        let current = try pending(key)
        // An earlier attempt kept unconfirmed may be what the portal holds: go back to it, never remove it.
        if let index = current.retired.firstIndex(where: { $0.unconfirmed && $0.userID != nil }) {
            let earlier = current.retired[index]
            try vault.update(
                key, expectedVersion: current.version,
                note: "the portal refused \(current.userID); back to the earlier attempt \(earlier.userID!)"
            ) { credential in
                credential.retired.remove(at: index)
                credential.userID = earlier.userID!
                credential.password = earlier.password
            }
            return
        }
        try vault.remove(key, expectedVersion: current.version)
    }

    public func notePendingUnknown(_ key: CredentialKey) throws -> Credential {
        let current = try pending(key)
        return try vault.update(
            key, expectedVersion: current.version,
            note: "the portal did not know \(current.userID) when asked; kept pending (a late answer may create it)"
        ) { _ in }
    }

    public func adoptPending(_ key: CredentialKey, userID: String, password: Secret) throws -> Credential {
        let current = try pending(key)
        let time = vault.now
        return try vault.update(
            key, expectedVersion: current.version, note: "registered on the portal as \(userID) (an earlier attempt)"
        ) { credential in
            guard
                let index = credential.retired.firstIndex(where: {
                    $0.unconfirmed && ($0.userID ?? credential.userID) == userID && $0.password == password
                })
            else { throw VaultError.noLongerPending(key.description) }
            credential.retired.remove(at: index)
            credential.retire(
                RetiredPassword(
                    password: credential.password, retiredAt: time, unconfirmed: true, userID: credential.userID))
            credential.userID = userID
            credential.password = password
            credential.pendingSince = nil
        }
    }

    public func stageRotation(_ key: CredentialKey, expectedVersion: Int, password: Secret) throws -> Credential {
        let time = vault.now
        return try vault.update(key, expectedVersion: expectedVersion, note: "rotation staged") { credential in
            guard credential.pendingSince == nil else {
                throw VaultError.rotationBlocked(
                    key.description,
                    "its registration is pending; settle it first with: nicvault register \(key.gstin.value) --resume")
            }
            guard credential.staged == nil else {
                throw VaultError.rotationBlocked(
                    key.description,
                    "a rotation is already pending since \(credential.staged!.stagedAt); settle it first with: "
                        + "nicvault rotate \(key.gstin.value) --resume")
            }
            credential.staged = StagedPassword(password: password, stagedAt: time)
        }
    }

    public func commitRotation(_ key: CredentialKey) throws -> Credential {
        let current = try pendingRotation(key)
        let time = vault.now
        return try vault.update(key, expectedVersion: current.version, note: "password rotated") { credential in
            credential.replacePassword(with: current.staged!.password, at: time)
        }
    }

    public func dropRotation(_ key: CredentialKey) throws -> Credential {
        let current = try pendingRotation(key)
        let time = vault.now
        return try vault.update(
            key, expectedVersion: current.version, note: "staged password dropped (kept in history, never confirmed)"
        ) {
            $0.retireStaged(at: time)
        }
    }

    public func adoptUnconfirmed(_ key: CredentialKey, password: Secret) throws -> Credential {
        let current = try stored(key)
        let time = vault.now
        return try vault.update(
            key, expectedVersion: current.version,
            note: "the portal has a password that was never confirmed (a late answer); it is current again"
        ) { credential in
            guard let index = credential.retired.firstIndex(where: { $0.unconfirmed && $0.password == password })
            else { throw VaultError.notFound("that unconfirmed password of \(key)") }
            credential.retired.remove(at: index)
            credential.acceptLivePassword(password, at: time)
        }
    }

    public func current(_ key: CredentialKey) throws -> Credential { try stored(key) }

    public func pendingRotation(_ key: CredentialKey) throws -> Credential {
        let credential = try stored(key)
        guard credential.staged != nil else { throw VaultError.noPendingRotation(key.description) }
        return credential
    }

    /// What `register` works on for `key`, read as stored now: with `settling` (--resume, --restart) the
    /// pending registration, refused when there is none; else nil for a new registration, refused where a
    /// credential exists (a pending one is to be settled first).
    public func registration(of key: CredentialKey, settling: Bool) throws -> Credential? {
        try vault.reload()
        let existing = try vault.index.credential(key)
        if settling {
            guard let existing, existing.pendingSince != nil else {
                throw VaultError.noPendingRegistration(key.description)
            }
            return existing
        }
        guard let existing else { return nil }
        if let since = existing.pendingSince {
            throw VaultError.registrationPending(existing.key.description, since: "\(since)", gstin: key.gstin.value)
        }
        throw VaultError.alreadyExists("a credential for \(existing.key)")
    }

    /// Sets the rotation interval of a credential (after a rotation that asked for it).
    public func setRotationDays(_ key: CredentialKey, days: Int) throws {
        try vault.setRotationDays(key, days: days, expectedVersion: try stored(key).version)
    }

    /// The pending credential as stored now (re-read, so a change by another process is seen).
    private func pending(_ key: CredentialKey) throws -> Credential {
        let credential = try stored(key)
        guard credential.pendingSince != nil else { throw VaultError.noLongerPending(key.description) }
        return credential
    }

    /// The credential as stored now (re-read with the key already held, so a change by another process is seen).
    private func stored(_ key: CredentialKey) throws -> Credential {
        try vault.reload()
        return try vault.credential(key)
    }
}
