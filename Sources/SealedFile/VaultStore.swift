import Sodium

#if canImport(Glibc)
    import Glibc
#endif

/// What a change to a vault writes: the new contents, new key slots when they change, and a new vault key
/// when the vault is re-keyed.
public struct VaultChange: Sendable {
    /// A version 1 payload (kept for tests and vectors), or version 2's index and records (what nicvault writes).
    public enum Contents: Sendable {
        case payload(SecureBytes)
        case records(index: SavedIndex, records: [RecordWrite])
    }

    public var contents: Contents
    /// New key slots, or nil to keep the current ones. With `newKey`, they must wrap `newKey`.
    public var slots: [any KeySlot]?
    /// A new vault key (re-keying): the new generation and the backup left beside it are sealed under it, so
    /// that a key unwrapped from an older copy opens neither. Kept records are opened and sealed again.
    public var newKey: SymmetricKey?

    public init(payload: SecureBytes, slots: [any KeySlot]? = nil, newKey: SymmetricKey? = nil) {
        self.init(contents: .payload(payload), slots: slots, newKey: newKey)
    }

    public init(
        index: SecureBytes, records: [RecordWrite], slots: [any KeySlot]? = nil, newKey: SymmetricKey? = nil
    ) {
        self.init(contents: .records(index: .new(index), records: records), slots: slots, newKey: newKey)
    }

    public init(
        index: SavedIndex, records: [RecordWrite], slots: [any KeySlot]? = nil, newKey: SymmetricKey? = nil
    ) {
        self.init(contents: .records(index: index, records: records), slots: slots, newKey: newKey)
    }

    public init(contents: Contents, slots: [any KeySlot]? = nil, newKey: SymmetricKey? = nil) {
        self.contents = contents
        self.slots = slots
        self.newKey = newKey
    }

    /// Seals these contents under `key` with `header` (whose generation is the one written).
    func seal(key: SymmetricKey, header: VaultHeader, random: some RandomSource) throws -> [UInt8] {
        try sealOpening(key: key, header: header, random: random).bytes
    }

    /// The sealed bytes and the vault as opened from them (without decrypting what was just sealed).
    public func sealOpening(key: SymmetricKey, header: VaultHeader, random: some RandomSource) throws -> (
        bytes: [UInt8], opened: OpenedVault
    ) {
        switch contents {
        case .payload(let payload):
            let bytes = try VaultFormat.seal(payload, key: key, header: header, random: random)
            return (
                bytes, OpenedVault(header: try VaultFormat.parse(bytes).header, key: key, contents: .payload(payload))
            )
        case .records(let index, let records):
            return try VaultFormat.sealOpening(index: index, records: records, key: key, header: header, random: random)
        }
    }

    /// `current`'s header with this change's slots (the generation not yet raised).
    public func header(after current: VaultHeader) -> VaultHeader {
        var header = current
        if let slots { header.slots = slots }
        return header
    }

    /// Generation + 1 of `current` with this change: its bytes, and the vault as opened from them. A re-keying
    /// change seals the records it keeps again under its new key.
    public func nextGeneration(of current: OpenedVault, random: some RandomSource) throws -> (
        bytes: [UInt8], opened: OpenedVault
    ) {
        var header = header(after: current.header)
        header.generation += 1
        let change = newKey == nil ? self : try resealing(current.records)
        return try change.sealOpening(key: newKey ?? current.key, header: header, random: random)
    }

    /// The same change with the bytes of every record it keeps read from their store (a file's save writes every
    /// record; a database's writes only new ones and needs none of this).
    public func readingKeptRecords() throws -> VaultChange {
        guard case .records(let index, let writes) = contents,
            writes.contains(where: { $0.keptRecords.contains { $0.isUnread } })
        else { return self }
        let read = try RecordSet.readingUnread(Array(writes.lazy.flatMap { $0.keptRecords }))
        var next = read.startIndex
        let complete = writes.map { write -> RecordWrite in
            guard case .kept(let run) = write else { return write }
            defer { next += run.count }
            return .kept(read[next..<(next + run.count)])
        }
        return VaultChange(index: index, records: complete, slots: slots, newKey: newKey)
    }

    /// The same contents with every kept record of `current` opened, ready to be sealed under another key.
    public func resealing(_ current: RecordSet?) throws -> VaultChange {
        guard case .records(let index, let records) = contents, records.contains(where: { !$0.keptRecords.isEmpty })
        else { return self }
        guard let current else { throw SealedFileError.invalidArgument("kept records need a version 2 vault") }
        var opened: [ArraySlice<UInt8>: RecordWrite] = [:]
        for case .seal(let id, let plaintext, let range) in try current.resealed() {
            opened[id[...]] = .seal(id: id, plaintext: plaintext, range: range)
        }
        let writes = try records.flatMap { write -> [RecordWrite] in
            guard case .kept(let run) = write else { return [write] }
            return try run.map { record in
                guard let again = opened[record.id] else {
                    throw SealedFileError.invalidArgument("unknown kept record")
                }
                return again
            }
        }
        return VaultChange(index: index, records: writes, slots: slots, newKey: newKey)
    }
}

/// The contents of an opened vault as a change that writes them again unchanged (records kept as they are).
extension OpenedVault {
    var unchanged: VaultChange {
        get throws {
            switch contents {
            case .payload(let payload): VaultChange(payload: payload)
            case .records(let set): VaultChange(index: .unchanged(of: set), records: [.kept(set.records[...])])
            }
        }
    }
}

/// A vault file on disk and the rules for changing it without loss: an exclusive lock on a separate lock
/// file, a re-read inside the lock, an atomic replace with the previous generation kept as `<path>.bak`,
/// generations that go up by one, permission checks and rollback memory.
public struct VaultStore: VaultStorage {
    /// The vault file.
    public let path: String
    /// Seam for tests that fail single steps of a save.
    public let fileSystem: any FileSystem
    /// Where generations already seen are remembered; nil turns rollback detection off (tests only).
    public let rollbackMemory: RollbackMemory?
    /// Seconds to wait for another process's lock before giving up.
    public let lockTimeout: Double

    /// Told what a read had to do without (a lock file it could not create, a rollback memory it could not
    /// update): the caller shows it, the read goes on.
    public let warn: @Sendable (String) -> Void
    /// The Argon2id memory a passphrase open may spend; nil for libsodium's SENSITIVE (see `KDFLimits.isAllowed`).
    public let kdfMemoryAllowance: UInt64?

    public init(
        path: String, fileSystem: any FileSystem = POSIXFileSystem(), rollbackMemory: RollbackMemory?,
        lockTimeout: Double = 30, warn: @escaping @Sendable (String) -> Void = { _ in },
        kdfMemoryAllowance: UInt64? = nil
    ) {
        self.kdfMemoryAllowance = kdfMemoryAllowance
        self.path = path
        self.fileSystem = fileSystem
        self.rollbackMemory = rollbackMemory
        self.lockTimeout = lockTimeout
        self.warn = warn
    }

    /// The checks every open makes (rollback memory, the Argon2id allowance).
    public var checks: OpenChecks {
        OpenChecks(rollbackMemory: rollbackMemory, kdfMemoryAllowance: kdfMemoryAllowance, warn: warn)
    }

    public var location: String { path }
    public var backupLocation: String? { backupPath }
    /// Files are used by one machine: its flow locks are files beside the vault.
    public func sharedFlowLock(_ name: [UInt8]) throws -> SharedFlowLock { .notShared }

    public var flowLockFolder: String { Path.join(Path.directory(of: path), "." + Path.fileName(of: path) + ".flows") }

    /// The header alone (the file's first bytes: a header is at most about 2 KiB), not the whole vault.
    public func currentHeader() throws -> VaultHeader {
        guard try exists() else { throw StoreError.vaultMissing(path: path) }
        return try VaultFormat.parseHeader(Self.readPrefix(path, upTo: Self.headerReadLength))
    }

    /// Enough bytes for the largest header: 16 recipient slots of 115 bytes and the fixed fields.
    static let headerReadLength = 4096

    /// The lock file beside the vault.
    public var lockPath: String { path + ".lock" }
    /// The previous generation.
    public var backupPath: String { path + ".bak" }

    /// True when a file exists at the vault path.
    public func exists() throws -> Bool { try fileSystem.mode(of: path) != nil }

    /// Creates generation 1 of a new vault with a fresh random key and id. `makeSlots` wraps the key.
    /// Refuses to touch an existing file.
    @discardableResult
    public func create(
        _ contents: VaultChange.Contents, random: some RandomSource = SystemRandom(),
        makeSlots: (SymmetricKey, [UInt8]) throws -> [any KeySlot]
    ) throws -> OpenedVault {
        try fileSystem.makeDirectories(Path.directory(of: path), mode: 0o700)
        let lock = try FileLock(path: lockPath, timeout: lockTimeout)
        defer { lock.release() }
        guard try !exists() else { throw StoreError.vaultExists(path: path) }
        let key = try SymmetricKey.random(using: random)
        let vaultID = random.bytes(count: VaultHeader.vaultIDByteCount)
        let header = VaultHeader(vaultID: vaultID, generation: 1, slots: try makeSlots(key, vaultID))
        let bytes = try VaultChange(contents: contents).seal(key: key, header: header, random: random)
        try AtomicFile.replace(path, with: bytes, backup: nil, fileSystem: fileSystem)
        let opened = try VaultFormat.open(bytes, with: key)
        try checks.remember(opened.header, bytes: bytes, force: true)
        return opened
    }

    /// As `create(_:random:makeSlots:)` with a version 1 payload (tests).
    @discardableResult
    public func create(
        payload: SecureBytes, random: some RandomSource = SystemRandom(),
        makeSlots: (SymmetricKey, [UInt8]) throws -> [any KeySlot]
    ) throws -> OpenedVault {
        try create(.payload(payload), random: random, makeSlots: makeSlots)
    }

    /// Reads, authenticates and decrypts the vault, after checking permissions and rollback memory.
    public func open(with unlocker: Unlocker, acceptRollback: Bool = false) throws -> OpenedVault {
        try open(acceptRollback: acceptRollback) { try checks.open($0, with: unlocker) }
    }

    /// As `open(with:)`, with the vault key already known (sessions): no key derivation.
    public func open(with key: SymmetricKey, acceptRollback: Bool = false) throws -> OpenedVault {
        try open(acceptRollback: acceptRollback) { try VaultFormat.open($0, with: key) }
    }

    private func open(acceptRollback: Bool, decrypt: (ParsedVaultFile) throws -> OpenedVault) throws -> OpenedVault {
        let (parsed, bytes, seen, backup) = try readSnapshot()
        let opened = try decrypt(parsed)
        try checkBackup(opened.header, backup: backup, acceptRollback: acceptRollback)
        try checks.checkAndRemember(opened.header, bytes: bytes, seen: seen, acceptRollback: acceptRollback)
        return opened
    }

    /// A version 2 vault's header alone, unlocked (`access`) and checked as `open` checks it (permissions, the
    /// Argon2id allowance, the key commitment, the backup and the rollback memory), with the file held open, for a
    /// command that reads a record or two through the lookup file (`HeaderOpen.record`). Nil, before any key is
    /// derived, for a file that is not version 2 or not exactly as long as its header says: `open` tells those.
    public func openHeader(_ access: VaultAccess, acceptRollback: Bool = false) throws -> HeaderOpen? {
        let snapshot = try underSharedLock { file -> (VaultHeader, (file: DescriptorFile, recordsStart: Int))? in
            guard let file = file as? DescriptorFile, let layout = try Self.versionTwoLayout(of: file) else {
                return nil
            }
            return (layout.header.header, (file, layout.recordsStart))
        }
        guard let snapshot else { return nil }
        let header = snapshot.header
        let (file, recordsStart) = snapshot.read
        let key = try checks.key(access, for: header)
        try checkBackup(header, backup: snapshot.backup, acceptRollback: acceptRollback)
        try checks.checkAndRemember(header, bytes: [], seen: snapshot.seen, acceptRollback: acceptRollback)
        return try HeaderOpen(header: header, key: key) { entry in
            let offset = Int(entry.offset)
            let length = Int(entry.length)
            guard offset >= recordsStart, offset <= file.size, length <= file.size - offset else {
                throw SealedFileError.recordDamaged("a record is not where the manifest's listing put it")
            }
            return try file.read(at: offset, count: length)
        }
    }

    /// Refuses a vault whose own backup (its header, read in the same snapshot) is a later generation of it:
    /// the sign of an older copy swapped in, which the rollback memory cannot see when it is gone (a new
    /// machine, a deleted state folder).
    func checkBackup(
        _ header: VaultHeader, backup: (vaultID: [UInt8], generation: UInt64)?, acceptRollback: Bool
    ) throws {
        guard !acceptRollback, let backup, backup.vaultID == header.vaultID, backup.generation > header.generation
        else { return }
        throw StoreError.backupNewer(path: path, found: header.generation, backup: backup.generation)
    }

    /// Applies `change` to the current generation under the lock and saves generation + 1.
    /// The vault is re-read inside the lock and opened with the key of `opened`, so a change made by
    /// another process since `opened` was read is seen by `change`, never overwritten.
    @discardableResult
    public func update(
        _ opened: OpenedVault, acceptRollback: Bool = false, random: some RandomSource = SystemRandom(),
        change: (OpenedVault) throws -> VaultChange
    ) throws -> OpenedVault {
        let lock = try FileLock(path: lockPath, timeout: lockTimeout)
        defer { lock.release() }
        let current: OpenedVault
        if let records = opened.records,
            let prefix = Self.readPrefix(path, count: records.sealedPrefixLength), records.isSealed(prefix: prefix)
        {
            // The file still starts with the header and sealed manifest this command opened (the manifest nonce
            // is fresh on every save): the same save wrote it, and its records are those checked at the open.
            // Nothing is read or decrypted again.
            try checkPermissions()
            current = try checks.stillOpened(opened, acceptRollback: acceptRollback)
        } else {
            let bytes = try readChecked()
            let parsed = try VaultFormat.parse(bytes)
            current = try checks.reopen(
                parsed, bytes: bytes, as: opened, location: path,
                seen: rollbackMemory?.entry(for: parsed.header.vaultIDHex), acceptRollback: acceptRollback)
        }
        let result = try change(current)
        if let newKey = result.newKey {
            // Re-keying: the backup is the current generation sealed again under the new key and slots (written
            // first, so a crash leaves no copy under the old key that is newer than the old file itself).
            let backupBytes = try current.unchanged.resealing(current.records).seal(
                key: newKey, header: result.header(after: current.header), random: random)
            try AtomicFile.replace(backupPath, with: backupBytes, backup: nil, fileSystem: fileSystem)
        }
        // The records this command kept without reading them are copied from the file it opened (in the kernel,
        // not through this process): an update of one record of 100,000 writes the header, the manifest and that
        // record from memory. (Re-keying sealed every record again: all of them are in memory.)
        var (newBytes, saved) = try result.nextGeneration(of: current, random: random)
        let pieces: [FilePiece]
        if let copying = Self.pieces(of: newBytes, saved: saved) {
            pieces = copying
        } else {
            // A kept record from a store that is not a file: read it here and write every byte from memory.
            (newBytes, saved) = try result.readingKeptRecords().nextGeneration(of: current, random: random)
            pieces = [.bytes(newBytes[...])]
        }
        // Never a file shorter or longer than its header says (a record left out would be one lost).
        let header = saved.header
        let declared = header.serialized().count + Int(header.ciphertextLength) + Int(header.recordsLength)
        let total = pieces.reduce(0) { $0 + $1.count }
        guard total == declared else {
            throw SealedFileError.invalidArgument("a save of \(total) bytes whose header says \(declared)")
        }
        try AtomicFile.replace(
            path, with: pieces, backup: result.newKey == nil ? backupPath : nil, fileSystem: fileSystem)
        try checks.remember(saved.header, bytes: newBytes, force: false)
        return saved
    }

    /// The new file as pieces: `bytes` (the header, the manifest and each record in memory, in order) with each
    /// record kept unread copied from the file it was opened from, at the offset the open's walk found it. Nil
    /// when such a record is not in a file.
    static func pieces(of bytes: [UInt8], saved: OpenedVault) -> [FilePiece]? {
        guard case .records(let set) = saved.contents else { return [.bytes(bytes[...])] }
        var pieces: [FilePiece] = []
        // Runs of bytes in memory, and of records next to one another in the file they are copied from.
        var inMemory = 0..<(set.source.header.count + set.source.manifest.count)
        var copying: (file: any ReadableFile, offset: Int, count: Int)?
        func flushMemory() {
            if !inMemory.isEmpty { pieces.append(.bytes(bytes[inMemory])) }
            inMemory = inMemory.upperBound..<inMemory.upperBound
        }
        func flushCopy() {
            if let run = copying { pieces.append(.copy(from: run.file, offset: run.offset, count: run.count)) }
            copying = nil
        }
        // The file a record is copied from, found once per store (100,000 records share one).
        var lastSource: (any RecordSource)?
        var lastFile: FileRecordSource?
        // Through the array's buffer: each record is looked at in place, not copied out (100,000 of them).
        let complete = set.records.withUnsafeBufferPointer { records in
            for position in records.indices {
                guard records[position].isUnread else {
                    flushCopy()
                    inMemory = inMemory.lowerBound..<(inMemory.upperBound + records[position].framed.count)
                    continue
                }
                if lastSource == nil || records[position].source !== lastSource {
                    lastSource = records[position].source
                    lastFile = lastSource as? FileRecordSource
                }
                guard let source = lastFile, let listed = records[position].listed,
                    let offset = source.offset(at: listed)
                else { return false }
                flushMemory()
                let length = records[position].length
                if let run = copying, run.file === source.file, run.offset + run.count == offset {
                    copying!.count += length
                } else {
                    flushCopy()
                    copying = (source.file, offset, length)
                }
            }
            return true
        }
        guard complete else { return nil }
        flushCopy()
        flushMemory()
        return pieces
    }

    public func rawBytes() throws -> [UInt8] {
        guard let bytes = try fileSystem.read(path) else { throw StoreError.vaultMissing(path: path) }
        return bytes
    }

    /// Writes the bytes of a vault file (any version, parsed first) to a new 0600 file in an existing folder.
    public func importRaw(_ bytes: [UInt8]) throws {
        _ = try VaultFormat.parse(bytes)
        let lock = try FileLock(path: lockPath, timeout: lockTimeout)
        defer { lock.release() }
        guard try !exists() else { throw StoreError.vaultExists(path: path) }
        try AtomicFile.replace(path, with: bytes, backup: nil, fileSystem: fileSystem)
    }

    /// The vault bytes, after refusing a vault or backup that group or others can read.
    func readChecked() throws -> [UInt8] {
        try checkPermissions()
        guard let bytes = try fileSystem.read(path) else { throw StoreError.vaultMissing(path: path) }
        return bytes
    }

    /// Refuses a vault or backup that group or others can read.
    func checkPermissions() throws {
        for file in [path, backupPath] {
            if let mode = try fileSystem.mode(of: file), mode & 0o077 != 0 {
                throw StoreError.unsafePermissions(path: file, mode: mode)
            }
        }
    }

    /// The vault and what the rollback memory held for it, read together under a shared lock: writers record a
    /// new generation before they release the exclusive lock, so a save that lands while this reader derives its
    /// key is never mistaken for a rollback. The key derivation runs unlocked. Returns the parsed file, the bytes
    /// read (a version 2 file's header and sealed manifest; any other file whole), the memory's entry and the
    /// backup's id and generation.
    func readSnapshot() throws -> (
        ParsedVaultFile, [UInt8], RollbackMemory.Entry?, (vaultID: [UInt8], generation: UInt64)?
    ) {
        // By the parsed header's vault id (`bytes` may be the header and manifest alone: parsed again as a whole
        // file they would not parse, and a version 2 vault put back would open as if never seen).
        let snapshot = try underSharedLock { file -> (VaultHeader, (ParsedVaultFile, [UInt8]))? in
            let (parsed, bytes) = try Self.parse(file)
            return (parsed.header, (parsed, bytes))
        }
        guard let snapshot else { throw StoreError.vaultMissing(path: path) }
        return (snapshot.read.0, snapshot.read.1, snapshot.seen, snapshot.backup)
    }

    /// Under a shared lock (a read needs no new file: in a folder where the lock file cannot be made, nobody can
    /// save either): the permissions checked, the vault opened and `read` (which gives the header it found, or nil
    /// to give up), the rollback memory's entry for that header's vault id and the backup's id and generation.
    private func underSharedLock<R>(_ read: (any ReadableFile) throws -> (VaultHeader, R)?) throws -> (
        header: VaultHeader, read: R, seen: RollbackMemory.Entry?, backup: (vaultID: [UInt8], generation: UInt64)?
    )? {
        guard try exists() else { throw StoreError.vaultMissing(path: path) }
        let lock = try FileLock.sharedIfPossible(path: lockPath, timeout: lockTimeout) { reason in
            warn("note: reading without the lock file \(lockPath) (\(reason)); nobody can save in that folder")
        }
        defer { lock?.release() }
        try checkPermissions()
        guard let file = try fileSystem.openForReading(path) else { throw StoreError.vaultMissing(path: path) }
        guard let (header, found) = try read(file) else { return nil }
        let backup = Self.readPrefix(backupPath, count: VaultFormat.peekByteCount).flatMap(VaultFormat.peek)
        return (header, found, rollbackMemory?.entry(for: header.vaultIDHex), backup)
    }

    /// A version 2 file's header and where its records start, when the file is exactly as long as its header
    /// says (so nothing is ever sized by a count the file cannot hold); nil for anything else, which is read
    /// whole and told as `VaultFormat.parse` tells it.
    static func versionTwoLayout(of file: any ReadableFile) throws -> (header: ParsedVaultFile, recordsStart: Int)? {
        let head = try file.read(at: 0, count: min(file.size, headerReadLength))
        guard let parsed = try? VaultFormat.parse(head, headerOnly: true), parsed.header.formatVersion >= 2 else {
            return nil
        }
        let recordsStart = parsed.headerBytes.count + Int(parsed.header.ciphertextLength)
        guard recordsStart + Int(parsed.header.recordsLength) == file.size else { return nil }
        return (parsed, recordsStart)
    }

    /// A version 2 file as its header and sealed manifest, its records left in the file: their framing is walked
    /// (a window at a time), their bytes are read when a command asks for them (`show` reads one record of
    /// 100,000, not a 56 MB file). Any other file (version 1, damaged headers, not a vault) is read whole and
    /// parsed as before, so that its errors are the same.
    static func parse(_ file: any ReadableFile) throws -> (ParsedVaultFile, [UInt8]) {
        if let (header, prefixLength) = try versionTwoLayout(of: file) {
            let prefix = try file.read(at: 0, count: prefixLength)
            if prefix.count == prefixLength {
                let listing = try FileRecordSource.listing(
                    of: file, from: prefixLength, count: Int(header.header.recordCount))
                let parsed = try VaultFormat.parse(
                    prefix: prefix, listing: listing, recordsLength: file.size - prefixLength)
                return (parsed, prefix)
            }
        }
        let bytes = try file.read(at: 0, count: file.size)
        return (try VaultFormat.parse(bytes), bytes)
    }

    /// The first `count` bytes of a file, or nil when it is missing or shorter.
    static func readPrefix(_ path: String, count: Int) -> [UInt8]? {
        let bytes = readPrefix(path, upTo: count)
        return bytes.count == count ? bytes : nil
    }

    /// Up to `count` bytes from the start of a file (fewer when it is shorter; none when it is missing).
    static func readPrefix(_ path: String, upTo count: Int) -> [UInt8] {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { _ = Glibc.close(fd) }
        var bytes = [UInt8](repeating: 0, count: count)
        let n = bytes.withUnsafeMutableBytes { Glibc.pread(fd, $0.baseAddress!, count, 0) }
        return Array(bytes.prefix(max(n, 0)))
    }
}

/// How `openHeader` gets the vault key: a passphrase or identity to unwrap it with, or the key itself (a session).
public enum VaultAccess: Sendable {
    case unlocker(Unlocker)
    case key(SymmetricKey)
}

/// A version 2 vault opened as far as its header: the key, checked against the header's commitment, and a way
/// to read one record's bytes from the same generation (a file held open: a save replaces it by a rename; a
/// database row fetched by id and version).
public struct HeaderOpen: Sendable {
    public let header: VaultHeader
    public let key: SymmetricKey
    private let recordKey: SymmetricKey
    private let read: @Sendable (LookupTable.Entry) throws -> [UInt8]

    /// `read`: the framed bytes of the record an entry names, from the store the header came from.
    public init(
        header: VaultHeader, key: SymmetricKey, read: @escaping @Sendable (LookupTable.Entry) throws -> [UInt8]
    ) throws {
        self.header = header
        self.key = key
        recordKey = try RecordSet.recordKey(from: key)
        self.read = read
    }

    /// The content of the record `entry` names (an entry of the lookup file, verified for this header), read
    /// and opened; `recordDamaged` when the bytes read are not that record.
    public func record(_ entry: LookupTable.Entry) throws -> SecureBytes {
        try RecordSet.openAlone(try read(entry), as: entry, vaultID: header.vaultID, recordKey: recordKey)
    }
}
