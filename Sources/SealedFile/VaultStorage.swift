import Sodium

#if canImport(Glibc)
    import Glibc
#endif

/// Where a vault lives and how it changes without loss: a file (`VaultStore`) or a database (the PostgreSQL
/// store). Both hold the same version 2 bytes; both check the Argon2id allowance before any derivation and keep
/// the same client-side rollback memory (`OpenChecks`).
public protocol VaultStorage: Sendable {
    /// Where the vault is, for messages: a path, or a URL without its password.
    var location: String { get }
    /// The previous generation kept beside the vault, when the store keeps one.
    var backupLocation: String? { get }
    /// A local folder for this vault's flow locks.
    var flowLockFolder: String { get }
    /// True when the vault exists.
    func exists() throws -> Bool
    /// Creates generation 1 with a fresh key and id; refuses an existing vault.
    func create(
        _ contents: VaultChange.Contents, random: some RandomSource,
        makeSlots: (SymmetricKey, [UInt8]) throws -> [any KeySlot]
    ) throws -> OpenedVault
    /// Reads, authenticates and decrypts with a passphrase or identity.
    func open(with unlocker: Unlocker, acceptRollback: Bool) throws -> OpenedVault
    /// As `open(with:acceptRollback:)` with the vault key known (sessions).
    func open(with key: SymmetricKey, acceptRollback: Bool) throws -> OpenedVault
    /// Applies `change` to the vault as it is now, atomically, and saves generation + 1.
    func update(
        _ opened: OpenedVault, acceptRollback: Bool, random: some RandomSource,
        change: (OpenedVault) throws -> VaultChange
    ) throws -> OpenedVault
    /// The current header, parsed but not authenticated (to match a session to its vault).
    func currentHeader() throws -> VaultHeader
    /// A version 2 vault's header alone, unlocked and checked as `open` checks it, with a way to read one record
    /// (`show`, `exec` and `history` through a lookup file); nil where the store cannot, before any key is derived.
    func openHeader(_ access: VaultAccess, acceptRollback: Bool) throws -> HeaderOpen?
    /// Takes the lock of one portal flow (`name`: a hash of the vault id and the credential) that every machine
    /// using this store sees, for a store that several machines share; a file store has none (its flow locks
    /// are files beside the vault, in `flowLockFolder`).
    func sharedFlowLock(_ name: [UInt8]) throws -> SharedFlowLock
    /// The vault's bytes exactly as stored (the bytes of its file), without opening it: `store copy`.
    func rawBytes() throws -> [UInt8]
    /// Stores a vault's bytes as they are (same vault id, generation, records and log) where no vault is yet.
    func importRaw(_ bytes: [UInt8]) throws
}

/// The answer of `VaultStorage.sharedFlowLock`.
public enum SharedFlowLock {
    /// The store is not shared between machines: the local flow lock is the whole story.
    case notShared
    /// Held until `release()` (or until the process or its connection ends).
    case held(any FlowLockHolder)
    /// Another process, on this machine or another, holds it.
    case busy
}

/// A held shared flow lock.
public protocol FlowLockHolder: AnyObject {
    func release()
}

extension VaultStorage {
    @discardableResult
    public func create(
        _ contents: VaultChange.Contents, makeSlots: (SymmetricKey, [UInt8]) throws -> [any KeySlot]
    ) throws -> OpenedVault {
        try create(contents, random: SystemRandom(), makeSlots: makeSlots)
    }

    public func open(with unlocker: Unlocker) throws -> OpenedVault { try open(with: unlocker, acceptRollback: false) }

    public func open(with key: SymmetricKey) throws -> OpenedVault { try open(with: key, acceptRollback: false) }

    @discardableResult
    public func update(
        _ opened: OpenedVault, acceptRollback: Bool = false, change: (OpenedVault) throws -> VaultChange
    ) throws -> OpenedVault {
        try update(opened, acceptRollback: acceptRollback, random: SystemRandom(), change: change)
    }
}

/// What every store checks around an open, whatever holds the bytes: the Argon2id allowance before any key
/// derivation, and the rollback memory (a generation lower than one seen, or the same generation with other
/// contents, is refused until accepted on purpose).
public struct OpenChecks: Sendable {
    /// Where generations already seen are remembered; nil turns rollback detection off (tests only).
    public let rollbackMemory: RollbackMemory?
    /// The Argon2id memory a passphrase open may spend; nil for libsodium's SENSITIVE.
    public let kdfMemoryAllowance: UInt64?
    /// Told what a read had to do without; the caller shows it.
    public let warn: @Sendable (String) -> Void

    public init(
        rollbackMemory: RollbackMemory?, kdfMemoryAllowance: UInt64? = nil,
        warn: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.rollbackMemory = rollbackMemory
        self.kdfMemoryAllowance = kdfMemoryAllowance
        self.warn = warn
    }

    /// Opens a parsed file, refusing a passphrase slot above the allowance before deriving anything.
    public func open(_ parsed: ParsedVaultFile, with unlocker: Unlocker) throws -> OpenedVault {
        try checkAllowance(parsed.header, unlocker)
        return try VaultFormat.open(parsed, with: unlocker)
    }

    /// The vault key of a version 2 `header` by `access` (unwrapped, or given), checked against the header's
    /// commitment: what a header-only open (`openHeader`) of any store trusts.
    public func key(_ access: VaultAccess, for header: VaultHeader) throws -> SymmetricKey {
        let key: SymmetricKey
        switch access {
        case .key(let known): key = known
        case .unlocker(let unlocker):
            // A passphrase slot above the allowance is refused before anything is derived.
            try checkAllowance(header, unlocker)
            key = try VaultFormat.unwrapKey(of: header, with: unlocker)
        }
        try VaultFormat.checkCommitment(of: header, to: key)
        return key
    }

    private func checkAllowance(_ header: VaultHeader, _ unlocker: Unlocker) throws {
        if case .passphrase = unlocker, let slot = header.passphraseSlot,
            !KDFLimits.isAllowed(slot.parameters, allowedMemory: kdfMemoryAllowance)
        {
            throw StoreError.kdfAboveAllowance(
                memLimit: slot.parameters.memLimit, opsLimit: slot.parameters.opsLimit, allowance: kdfMemoryAllowance)
        }
    }

    /// `opened` itself, for a save whose store still holds the very header and sealed manifest it was opened
    /// from (nothing to read or decrypt again), after the rollback memory has been checked and updated.
    public func stillOpened(_ opened: OpenedVault, acceptRollback: Bool) throws -> OpenedVault {
        try checkAndRemember(
            opened.header, bytes: [], seen: rollbackMemory?.entry(for: opened.header.vaultIDHex),
            acceptRollback: acceptRollback)
        return opened
    }

    /// Refuses a rollback (unless accepted) and remembers this generation.
    public func checkAndRemember(
        _ header: VaultHeader, bytes: [UInt8], seen: RollbackMemory.Entry?, acceptRollback: Bool
    ) throws {
        guard let memory = rollbackMemory else { return }
        let hash = RollbackMemory.fingerprint(of: header, bytes: bytes)
        if !acceptRollback {
            try RollbackMemory.check(
                vaultID: header.vaultIDHex, generation: header.generation, fileHash: hash, against: seen)
        }
        do {
            try memory.record(
                vaultID: header.vaultIDHex, generation: header.generation, fileHash: hash, force: acceptRollback)
        } catch let error as StoreError {
            // A read-only state folder: the check above still ran; only the memory of this read is lost.
            guard case .io(let failure) = error, [EACCES, EPERM, EROFS].contains(failure.code) else { throw error }
            warn("note: cannot remember this vault's generation (\(failure)); rollback detection is weaker")
        }
    }

    /// The vault `parsed`, read again inside a store's lock or transaction, opened with the key `opened` holds
    /// (no key derivation) and checked against the rollback memory (`seen`: what was remembered before the read;
    /// `bytes`: what was read of it, for the rollback memory of a version 1 file). Another vault at the same
    /// place, or one the key no longer opens (re-keyed, or damaged since), is `vaultReplaced`: both need a fresh
    /// open.
    public func reopen(
        _ parsed: ParsedVaultFile, bytes: [UInt8], as opened: OpenedVault, location: String,
        seen: RollbackMemory.Entry?, acceptRollback: Bool
    ) throws -> OpenedVault {
        guard parsed.header.vaultID == opened.header.vaultID else { throw StoreError.vaultReplaced(path: location) }
        let current: OpenedVault
        do {
            // Unchanged since it was opened (the usual case): nothing to decrypt again.
            if let records = opened.records, records.isSealed(as: parsed) {
                current = opened
            } else {
                current = try VaultFormat.open(parsed, with: opened.key)
            }
        } catch SealedFileError.payloadDamaged, SealedFileError.keyCommitmentMismatch {
            throw StoreError.vaultReplaced(path: location)
        }
        try checkAndRemember(current.header, bytes: bytes, seen: seen, acceptRollback: acceptRollback)
        return current
    }

    /// Remembers a generation this process has just written.
    public func remember(_ header: VaultHeader, bytes: [UInt8], force: Bool) throws {
        try rollbackMemory?.record(
            vaultID: header.vaultIDHex, generation: header.generation,
            fileHash: RollbackMemory.fingerprint(of: header, bytes: bytes), force: force)
    }
}
