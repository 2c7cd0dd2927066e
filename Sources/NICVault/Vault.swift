import GST
import SealedFile
import Sodium

#if canImport(Glibc)
    import Glibc
#endif

/// A summary of a vault that needs no secret to print.
public struct VaultInfo: Sendable, Codable, Equatable {
    public struct Slot: Sendable, Codable, Equatable {
        public let type: String
        public let opsLimit: UInt64?
        public let memLimit: UInt64?
        /// An X25519 slot's public key as hex.
        public let recipient: String?
        /// An X25519 slot's label and key as it was added (`age1...` or `ssh-ed25519 AAAA...`), from the sealed
        /// payload; nil for a slot the payload has no label for.
        public var label: String? = nil
        public var added: String? = nil
    }

    public let path: String
    public let vaultID: String
    public let formatVersion: Int
    public let payloadSchema: Int
    public let generation: UInt64
    public let slots: [Slot]
    public let credentials: Int
    public let clients: Int
    public let stagedPasswords: Int
    public let fileSize: Int
}

/// The credential vault: credentials and API clients kept in one sealed file.
///
/// Every change runs `VaultStore.update`: under the vault lock it re-reads the file, decodes the payload as it
/// is now, applies the change there (with check-and-set on credential versions), and saves the next
/// generation. A `Vault` value is a snapshot; changes return the new snapshot.
public struct Vault: Sendable {
    /// Passphrases shorter than this are refused when a passphrase is set.
    public static let minimumPassphraseLength = 8

    public let store: any VaultStorage
    public private(set) var opened: OpenedVault
    /// Which record is which; decrypts records when they are read.
    private(set) var index: RecordIndex {
        didSet { index.reportsDamage(in: store) }
    }
    public let clock: any Clock
    /// Through which slot this process opened the vault, for the log: "passphrase", a recipient's label,
    /// "identity" (a recipient without a label), or "session".
    public private(set) var openedBy: String

    init(
        store: any VaultStorage, opened: OpenedVault, index: RecordIndex, clock: any Clock,
        openedBy: String = "passphrase"
    ) {
        self.store = store
        self.opened = opened
        self.index = index
        index.reportsDamage(in: store)
        self.openedBy = openedBy
        self.clock = clock
    }

    /// Everything the vault holds, decoded (every record is decrypted the first time; see `credential(_:)` and
    /// `credentials(gstin:kind:environment:)` for reads that decrypt only what they return).
    public var payload: VaultPayload {
        get throws { try index.payload() }
    }

    /// The vault's log, oldest first, decrypting only its record.
    public func logEntries() throws -> [VaultLogEntry] { try index.log() ?? [] }

    /// Creates a new vault at the store's path with a passphrase slot and optional recipients.
    public static func create(
        store: any VaultStorage, passphrase: SecureBytes?, parameters: Argon2idParameters = .moderate,
        recipients: [X25519PublicKey] = [], clock: any Clock = SystemClock(),
        random: some RandomSource = SystemRandom()
    ) throws -> Vault {
        guard passphrase != nil || !recipients.isEmpty else { throw VaultError.lastSlot }
        if let passphrase { try checkNewPassphrase(passphrase) }
        try KDFLimits.check(parameters)
        var payload = VaultPayload()
        if !recipients.isEmpty {
            payload.recipients = recipients.enumerated().map {
                RecipientLabel(
                    recipient: AgeKeys.recipient($0.element), label: "recipient-\($0.offset + 1)", addedAt: clock.now())
            }
        }
        let contents = try RecordIndex().contents(of: payload, random: random).contents
        let opened = try store.create(contents, random: random) { key, vaultID in
            var slots: [any KeySlot] = []
            if let passphrase {
                slots.append(
                    try PassphraseSlot(
                        wrapping: key, passphrase: passphrase, parameters: parameters, vaultID: vaultID, random: random)
                )
            }
            for recipient in recipients { slots.append(try RecipientSlot(wrapping: key, for: recipient)) }
            return slots
        }
        return Vault(store: store, opened: opened, index: try RecordIndex(opened, known: payload), clock: clock)
    }

    /// Opens the vault with a passphrase or identity.
    public static func open(
        store: any VaultStorage, unlocker: Unlocker, acceptRollback: Bool = false, clock: any Clock = SystemClock()
    ) throws -> Vault {
        let opened = try store.open(with: unlocker, acceptRollback: acceptRollback)
        let index = try RecordIndex(opened)
        var by = "passphrase"
        if case .identity(let key) = unlocker {
            by = Recipients.entry(for: key.publicKey, in: index.recipients ?? [])?.label ?? "identity"
        }
        return Vault(store: store, opened: opened, index: index, clock: clock, openedBy: by)
    }

    /// Opens the vault with its key already known (a session): no key derivation.
    public static func open(
        store: any VaultStorage, key: SymmetricKey, acceptRollback: Bool = false, clock: any Clock = SystemClock()
    ) throws -> Vault {
        let opened = try store.open(with: key, acceptRollback: acceptRollback)
        return Vault(store: store, opened: opened, index: try RecordIndex(opened), clock: clock, openedBy: "session")
    }

    /// The generation of the snapshot held.
    public var generation: UInt64 { opened.header.generation }
    /// The vault id, hex.
    public var vaultID: String { opened.header.vaultIDHex }
    /// The vault's settings (from the index: nothing is decrypted beyond it).
    public var settings: VaultSettings { index.settings }
    /// The vault's recipients with their labels.
    public var recipients: [RecipientLabel] { index.recipients ?? [] }

    /// Facts about the vault, without secrets.
    public var info: VaultInfo {
        get throws {
            let slots = opened.header.slots.map { slot -> VaultInfo.Slot in
                if let p = slot as? PassphraseSlot {
                    return .init(
                        type: "passphrase", opsLimit: p.parameters.opsLimit, memLimit: p.parameters.memLimit,
                        recipient: nil)
                }
                let r = slot as! RecipientSlot
                let labelled = Recipients.entry(for: r.recipient, in: recipients)
                return .init(
                    type: "x25519", opsLimit: nil, memLimit: nil, recipient: Hex.encode(r.recipient.rawRepresentation),
                    label: labelled?.label, added: labelled?.recipient)
            }
            let payload = try self.payload
            return VaultInfo(
                path: store.location, vaultID: opened.header.vaultIDHex,
                formatVersion: Int(opened.header.formatVersion),
                payloadSchema: payload.schema, generation: opened.header.generation, slots: slots,
                credentials: payload.credentials.count, clients: payload.clients.count,
                stagedPasswords: payload.credentials.filter { $0.staged != nil }.count,
                fileSize: opened.header.fileLength)
        }
    }

    /// Re-reads the vault with the key already held (no key derivation), to see changes of other processes.
    public mutating func reload() throws {
        let fresh: OpenedVault
        do {
            fresh = try store.open(with: opened.key)
        } catch SealedFileError.payloadDamaged, SealedFileError.keyCommitmentMismatch {
            // The key held no longer opens the file: re-keyed by another process (passwd), or replaced.
            throw StoreError.vaultReplaced(path: store.location)
        }
        opened = fresh
        index = try RecordIndex(fresh)
    }

    // MARK: Changes

    /// Applies `change` to the payload as it is inside the lock and saves the next generation.
    @discardableResult
    /// Every change appends `audit` (what, to what) to the vault's hash-chained log, with who opened the vault,
    /// the user and the host.
    public mutating func modify<R>(
        slots newSlots: ((VaultHeader, SymmetricKey) throws -> [any KeySlot])? = nil, rekey newKey: SymmetricKey? = nil,
        audit: (action: String, subject: String) = ("changed", "vault"),
        _ change: (inout VaultPayload) throws -> R
    ) throws -> R {
        let event = logEntry(audit)
        var result: R?
        var newPayload: VaultPayload?
        var written: RecordIndex.Written?
        let snapshot = (generation: opened.header.generation, index: index)
        let saved = try store.update(opened) { current in
            // The same vault id and generation means the same bytes (generations are unique per save, and a
            // fork is refused), so what was already read is reused instead of read again.
            let base = current.header.generation == snapshot.generation ? snapshot.index : try RecordIndex(current)
            var payload = try base.payload()
            result = try change(&payload)
            payload.appendLog(event)
            newPayload = payload
            written = try base.contents(of: payload)
            return VaultChange(
                contents: written!.contents, slots: try newSlots?(current.header, newKey ?? current.key),
                newKey: newKey)
        }
        opened = saved
        index = try RecordIndex.saved(saved, written: written!, known: newPayload!)
        return result!
    }

    /// Changes one credential (nil: absent, or removed) under the lock, decrypting only its record and the log,
    /// and keeping every other record as sealed: what add, update and remove cost on a vault of any size.
    /// `change` sees the credential as it is inside the lock, and the index (clients, settings).
    @discardableResult
    mutating func modifyCredential<R>(
        _ key: CredentialKey, audit: (action: String, subject: String),
        _ change: (inout Credential?, RecordIndex) throws -> R
    ) throws -> R {
        let event = logEntry(audit)
        var result: R?
        var written: RecordIndex.Written?
        let snapshot = (generation: opened.header.generation, index: index)
        let saved = try store.update(opened) { current in
            let base = current.header.generation == snapshot.generation ? snapshot.index : try RecordIndex(current)
            guard base.set != nil else {
                // Version 1: the whole payload, which this save turns into version 2.
                var payload = try base.payload()
                let position = payload.credentials.firstIndex { $0.key == key }
                var credential = position.map { payload.credentials[$0] }
                result = try change(&credential, base)
                switch (position, credential) {
                case (let position?, let credential?): payload.credentials[position] = credential
                case (let position?, nil): payload.credentials.remove(at: position)
                case (nil, let credential?): payload.credentials.append(credential)
                case (nil, nil): break
                }
                payload.appendLog(event)
                written = try base.contents(of: payload)
                return VaultChange(contents: written!.contents)
            }
            var credential = try base.credential(key)
            result = try change(&credential, base)
            let log = VaultPayload.appending(event, to: try base.log())
            written = try base.contents(setting: key, to: credential, log: log)
            return VaultChange(contents: written!.contents)
        }
        opened = saved
        index = try RecordIndex.saved(saved, written: written!)
        return result!
    }

    /// Rewrites a version 1 vault as version 2 (what its first change would do anyway); the version 1 file
    /// stays beside it as the backup. Returns false, writing nothing, when the vault is version 2 already.
    @discardableResult
    public mutating func upgrade() throws -> Bool {
        guard opened.header.formatVersion < VaultHeader.version else { return false }
        try modify(audit: ("upgraded to format version \(VaultHeader.version)", "vault")) { _ in }
        return true
    }

    /// Changes the passphrase and re-keys the vault: a new random vault key seals the payload, the new
    /// passphrase and every recipient (from the public keys the header holds) wrap it, and the backup left
    /// beside the file is under the new key too. The old passphrase, and any key unwrapped from an old copy,
    /// open nothing written from now on. Sessions end (their wrapped key is the old one).
    public mutating func changePassphrase(
        to newPassphrase: SecureBytes, parameters: Argon2idParameters? = nil,
        random: some RandomSource = SystemRandom()
    ) throws {
        try Self.checkNewPassphrase(newPassphrase)
        let cost = parameters ?? opened.header.passphraseSlot?.parameters ?? .moderate
        try KDFLimits.check(cost)
        let newKey = try SymmetricKey.random(using: random)
        try modify(
            slots: { header, key in
                let slot = try PassphraseSlot(
                    wrapping: key, passphrase: newPassphrase, parameters: cost, vaultID: header.vaultID, random: random)
                return [slot] + (try header.recipientSlots.map { try RecipientSlot(wrapping: key, for: $0.recipient) })
            }, rekey: newKey, audit: ("passphrase changed (re-keyed)", "vault")
        ) { _ in }
    }

    /// Adds an X25519 recipient (a job's machine, a colleague) under a label; the vault key is wrapped for it.
    public mutating func addRecipient(_ recipient: X25519PublicKey, label: String, as text: String? = nil) throws {
        let time = now
        try modify(
            slots: { header, key in
                guard !header.recipientSlots.contains(where: { $0.recipient == recipient }) else {
                    throw VaultError.alreadyExists("the recipient \(AgeKeys.recipient(recipient))")
                }
                return header.slots + [try RecipientSlot(wrapping: key, for: recipient)]
            }, audit: ("recipient added", label)
        ) { payload in
            guard !(payload.recipients ?? []).contains(where: { $0.label == label }) else {
                throw VaultError.alreadyExists("a recipient labelled \(label)")
            }
            payload.recipients =
                (payload.recipients ?? []) + [
                    RecipientLabel(recipient: text ?? AgeKeys.recipient(recipient), label: label, addedAt: time)
                ]
        }
    }

    /// Draws a new vault key and re-wraps it for every slot that stays: the passphrase (which must be given when
    /// the vault has one) and every recipient but `removing`. The backup is re-sealed under the new key too. A
    /// removed recipient opens nothing written from now on; copies it made before still open with its key.
    public mutating func rekey(passphrase: SecureBytes?, removing label: String? = nil) throws {
        let labels = index.recipients ?? []
        var removed: X25519PublicKey?
        if let label {
            guard let entry = labels.first(where: { $0.label == label }), let key = Recipients.parse(entry.recipient)
            else { throw VaultError.noSuchRecipientLabel(label) }
            removed = key
        }
        if let slot = opened.header.passphraseSlot {
            // The passphrase must be the vault's own: the new key is wrapped under it.
            guard let passphrase else {
                throw VaultError.needsPassphrase(label == nil ? "re-keying" : "removing a recipient")
            }
            guard let unwrapped = try slot.unwrap(with: .passphrase(passphrase), vaultID: opened.header.vaultID),
                unwrapped.constantTimeEquals(opened.key)
            else { throw SealedFileError.wrongPassphrase }
        }
        let newKey = try SymmetricKey.random()
        try modify(
            slots: { header, key in
                var slots: [any KeySlot] = []
                if let slot = header.passphraseSlot, let passphrase {
                    slots.append(
                        try PassphraseSlot(
                            wrapping: key, passphrase: passphrase, parameters: slot.parameters, vaultID: header.vaultID)
                    )
                }
                for slot in header.recipientSlots where slot.recipient != removed {
                    slots.append(try RecipientSlot(wrapping: key, for: slot.recipient))
                }
                guard !slots.isEmpty else { throw VaultError.lastSlot }
                return slots
            }, rekey: newKey,
            audit: (label == nil ? "re-keyed" : "recipient removed (re-keyed)", label ?? "vault")
        ) { payload in
            if let label {
                payload.recipients = (payload.recipients ?? []).filter { $0.label != label }
                if payload.recipients?.isEmpty == true { payload.recipients = nil }
            }
        }
    }

    /// Refuses a new passphrase of fewer than `minimumPassphraseLength` characters (UTF-8 sequences, not bytes).
    public static func checkNewPassphrase(_ passphrase: SecureBytes) throws {
        let characters = passphrase.withUnsafeBytes { bytes in bytes.filter { $0 & 0xC0 != 0x80 }.count }
        guard characters >= minimumPassphraseLength else {
            throw VaultError.passphraseTooShort(minimum: minimumPassphraseLength)
        }
    }

    /// What a change appends to the log: what, to what, through which slot, by which user on which host.
    func logEntry(_ audit: (action: String, subject: String)) -> VaultLogEntry {
        VaultLogEntry(
            at: clock.now(), action: audit.action, subject: audit.subject, by: openedBy, user: Self.userName,
            host: Self.hostName)
    }

    /// The user and host named in the log.
    static var userName: String {
        if let name = getpwuid(getuid())?.pointee.pw_name { return String(cString: name) }
        return "uid \(getuid())"
    }

    static var hostName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "unknown" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
