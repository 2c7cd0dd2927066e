import Sodium

#if canImport(Glibc)
    import Glibc
#endif

/// One sealed record of a version 2 vault as it stands in the file:
/// `id (16) || version (u64) || nonce (24) || length (u32) || ciphertext (length)`.
/// Its id and hash are held as integers (a vault of 100,000 records makes 100,000 of these at every open: no
/// array slices to retain); `id` and `hash` give them as bytes.
public struct SealedRecord: Sendable {
    /// Random 16 bytes naming the record for as long as it lives.
    public let recordID: RecordID
    /// The generation of the save that sealed it.
    public let version: UInt64
    /// BLAKE2b-256 of `framed`, as the manifest names it.
    let digest: Digest256
    /// The record's bytes in the file; empty until read from a store that reads records when they are asked
    /// for (`source`).
    public let framed: ArraySlice<UInt8>
    /// The length of `framed`, known before it is read.
    public let length: Int
    /// Where `framed` is read from when it is empty, and the record's position in that store's listing.
    let source: (any RecordSource)?
    let listed: Int?

    public init(id: ArraySlice<UInt8>, version: UInt64, hash: ArraySlice<UInt8>, framed: ArraySlice<UInt8>) {
        self.init(
            recordID: RecordID(id), version: version, digest: Digest256(hash), framed: framed, length: framed.count,
            source: nil, listed: nil)
    }

    init(
        recordID: RecordID, version: UInt64, digest: Digest256, framed: ArraySlice<UInt8>, length: Int,
        source: (any RecordSource)?, listed: Int?
    ) {
        self.recordID = recordID
        self.version = version
        self.digest = digest
        self.framed = framed
        self.length = length
        self.source = source
        self.listed = listed
    }

    /// The id's 16 bytes.
    public var id: ArraySlice<UInt8> { recordID.bytes[...] }
    /// The hash's 32 bytes.
    public var hash: ArraySlice<UInt8> { digest.bytes[...] }

    /// True when its bytes are still in the store.
    var isUnread: Bool { framed.isEmpty && length > 0 }

    /// The same record with its bytes.
    func with(framed: ArraySlice<UInt8>) -> SealedRecord {
        SealedRecord(
            recordID: recordID, version: version, digest: digest, framed: framed, length: framed.count, source: source,
            listed: listed)
    }
}

/// A 32-byte hash as four big-endian words.
struct Digest256: Sendable, Equatable {
    let words: (UInt64, UInt64, UInt64, UInt64)

    init(_ bytes: some Collection<UInt8>) {
        let all = Array(bytes)
        precondition(all.count == 32)
        func word(_ at: Int) -> UInt64 { (at..<(at + 8)).reduce(0) { $0 << 8 | UInt64(all[$1]) } }
        words = (word(0), word(8), word(16), word(24))
    }

    /// The 32 bytes at `offset` of `bytes`.
    init(_ bytes: UnsafeBufferPointer<UInt8>, at offset: Int) {
        func word(_ at: Int) -> UInt64 { RecordSet.bigEndian(bytes, offset + at) }
        words = (word(0), word(8), word(16), word(24))
    }

    var bytes: [UInt8] {
        [UInt8](unsafeUninitializedCapacity: 32) { buffer, count in
            for (at, word) in [words.0, words.1, words.2, words.3].enumerated() {
                for index in 0..<8 { buffer[8 * at + index] = UInt8(truncatingIfNeeded: word >> (56 - 8 * index)) }
            }
            count = 32
        }
    }

    static func == (a: Digest256, b: Digest256) -> Bool { a.words == b.words }
}

/// A store that reads a record's bytes when it is asked for (PostgreSQL, a file): `read` returns the bytes of each
/// record named (id, version, and its position in the listing the store gave when the caller knows it), in that
/// order, or throws when one is no longer at that version.
public protocol RecordSource: AnyObject, Sendable {
    func read(_ records: [(id: RecordID, version: UInt64, position: Int?)]) throws -> [ArraySlice<UInt8>]
    /// Where the record at `position` of the listing starts in the store, for one that reads at offsets (a file).
    func offset(at position: Int) -> Int?
}

extension RecordSource {
    public func offset(at position: Int) -> Int? { nil }
}

/// What a store that reads records when they are asked for knows of them at open: each record's id, version
/// and length, in the manifest's order, and where to read them.
public struct RecordListing: Sendable {
    /// The records' ids, 16 bytes each, one after another.
    public let ids: [UInt8]
    public let versions: [UInt64]
    public let lengths: [Int]
    public let source: any RecordSource
    /// Where a file's walk found damage (a record cut short, bytes after the last one): the listing holds the
    /// records before `position`, and the open reports `reason` when it gets there (step 10).
    public let damage: Damage?

    public struct Damage: Sendable {
        public let position: Int
        public let reason: String
    }

    public init(ids: [UInt8], versions: [UInt64], lengths: [Int], source: any RecordSource, damage: Damage? = nil) {
        precondition(ids.count == versions.count * RecordSet.idByteCount && versions.count == lengths.count)
        self.ids = ids
        self.versions = versions
        self.lengths = lengths
        self.source = source
        self.damage = damage
    }

    public var count: Int { versions.count }

    /// The id of the record at `position`.
    public func id(_ position: Int) -> ArraySlice<UInt8> {
        ids[(position * RecordSet.idByteCount)..<((position + 1) * RecordSet.idByteCount)]
    }

    /// Each record's version by id.
    public var versionsByID: [RecordID: UInt64] {
        var out = [RecordID: UInt64](minimumCapacity: count)
        for position in 0..<count { out[RecordID(id(position))] = versions[position] }
        return out
    }

    /// The length of the records section these records make.
    public var totalLength: Int { lengths.reduce(0, +) }
}

/// Tells whether a record id was met before, without hashing: ids are 16 random bytes, so their own low bits
/// spread them (the ids of a manifest are authenticated: nobody without the key picks them to collide).
struct RecordIDSet {
    private var highs: [UInt64]
    private var lows: [UInt64]
    private var used: [Bool]
    private let mask: Int

    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        highs = [UInt64](repeating: 0, count: size)
        lows = [UInt64](repeating: 0, count: size)
        used = [Bool](repeating: false, count: size)
        mask = size - 1
    }

    /// False when `id` was inserted before.
    mutating func insert(_ id: RecordID) -> Bool {
        var slot = Int(truncatingIfNeeded: id.low ^ (id.high >> 7)) & mask
        while used[slot] {
            if lows[slot] == id.low && highs[slot] == id.high { return false }
            slot = (slot + 1) & mask
        }
        used[slot] = true
        highs[slot] = id.high
        lows[slot] = id.low
        return true
    }
}

/// A record id as two integers: a dictionary key that hashes two words, not sixteen bytes one by one.
public struct RecordID: Hashable, Sendable {
    let high: UInt64
    let low: UInt64

    init(_ high: UInt64, _ low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The first 16 bytes of `id`.
    public init(_ id: ArraySlice<UInt8>) {
        let start = id.startIndex
        high = (0..<8).reduce(0) { $0 << 8 | UInt64(id[start + $1]) }
        low = (8..<16).reduce(0) { $0 << 8 | UInt64(id[start + $1]) }
    }

    public init(_ id: [UInt8]) { self.init(id[...]) }

    public var bytes: [UInt8] {
        [UInt8](unsafeUninitializedCapacity: 16) { buffer, count in
            for index in 0..<8 {
                buffer[index] = UInt8(truncatingIfNeeded: high >> (56 - 8 * index))
                buffer[8 + index] = UInt8(truncatingIfNeeded: low >> (56 - 8 * index))
            }
            count = 16
        }
    }
}

/// What a version 2 save puts at one position: a record kept as it stands (sealed under the same vault key),
/// or new plaintext to seal at the generation being written.
public enum RecordWrite: Sendable {
    /// Records kept as they stand, in this order: a run of an opened set's own records (a save of one change keeps
    /// the other 100,000 as two or three runs, not one write each).
    case kept(ArraySlice<SealedRecord>)
    /// `range` of `plaintext` (all of it when nil): many records may share one locked buffer.
    case seal(id: [UInt8], plaintext: SecureBytes, range: Range<Int>? = nil)

    /// One record kept as it stands.
    public static func keep(_ record: SealedRecord) -> RecordWrite { .kept([record][...]) }

    /// `records` kept in runs, except each position of `replacing`, whose record gives way to the writes given for
    /// it there (none: it is removed).
    public static func keeping(_ records: [SealedRecord], replacing: [Int: [RecordWrite]]) -> [RecordWrite] {
        var writes: [RecordWrite] = []
        var start = records.startIndex
        for position in replacing.keys.sorted() where records.indices.contains(position) {
            if start < position { writes.append(.kept(records[start..<position])) }
            writes += replacing[position]!
            start = position + 1
        }
        if start < records.endIndex { writes.append(.kept(records[start...])) }
        return writes
    }

    /// Appends the record at `position` of `records` to `writes` as kept, joining the run before it when that run
    /// ends just before it in `records` (every run in `writes` is a slice of `records`).
    public static func append(keeping position: Int, of records: [SealedRecord], to writes: inout [RecordWrite]) {
        if case .kept(let run) = writes.last, run.endIndex == position, position > 0,
            run.last?.recordID == records[position - 1].recordID
        {
            writes[writes.count - 1] = .kept(records[run.startIndex...position])
        } else {
            writes.append(.kept(records[position...position]))
        }
    }

    /// The records this write keeps (none for a record it seals).
    public var keptRecords: ArraySlice<SealedRecord> {
        if case .kept(let run) = self { run } else { [] }
    }

    /// How many records this write puts in the file.
    var recordCount: Int {
        if case .kept(let run) = self { run.count } else { 1 }
    }
}

/// The index a version 2 save writes: new bytes, or the index of the record set it changes, as it is (read from
/// that set's manifest, not copied out of it first: 5.5 MB at 100,000 credentials).
public enum SavedIndex: Sendable {
    case new(SecureBytes)
    case unchanged(of: RecordSet)

    var count: Int {
        switch self {
        case .new(let bytes): bytes.count
        case .unchanged(let set): set.indexRange.count
        }
    }

    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        switch self {
        case .new(let bytes): try bytes.withUnsafeBytes(body)
        case .unchanged(let set): try set.withIndex(body)
        }
    }
}

/// The records of a version 2 vault, matched against its manifest: the manifest's index (the caller's own bytes)
/// and every record's id, version and hash. A record is decrypted only when asked for.
public struct RecordSet: Sendable {
    public static let idByteCount = 16
    /// id, version, nonce and length before a record's ciphertext.
    static let framingByteCount = 16 + 8 + 24 + 4
    /// Records pad to a multiple of 128 bytes (below 2 KiB), then as the payload does (docs/format.md).
    public static let minimumBucket = 128
    /// The shortest record a file can hold.
    static let minimumFramedLength = framingByteCount + minimumBucket + 16
    /// One manifest entry: id, version, hash.
    static let entryByteCount = 16 + 8 + 32

    /// The manifest's plaintext (padded); the index is `indexRange` of it.
    let manifest: SecureBytes
    let indexRange: Range<Int>
    /// The records in file order.
    public private(set) var records: [SealedRecord]
    let vaultID: [UInt8]
    let recordKey: SymmetricKey
    /// The header and sealed manifest these records were opened from (or sealed as).
    let source: (header: [UInt8], manifest: ArraySlice<UInt8>)

    /// The caller's description of the records (nicvault: which credential or client each one is), copied.
    public var index: SecureBytes {
        get throws { try manifest.slice(indexRange) }
    }

    /// Read access to the index without a copy.
    public func withIndex<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try manifest.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[indexRange])) }
    }

    static func manifestKey(from vaultKey: SymmetricKey) throws -> SymmetricKey {
        try SubkeyDerivation.derive(from: vaultKey, id: 1, context: "nvmanife")
    }

    static func recordKey(from vaultKey: SymmetricKey) throws -> SymmetricKey {
        try SubkeyDerivation.derive(from: vaultKey, id: 2, context: "nvrecord")
    }

    /// A fresh record id.
    public static func newID(using random: some RandomSource = SystemRandom()) -> [UInt8] {
        random.bytes(count: idByteCount)
    }

    /// Reads the manifest's table and walks the records section against it (steps 9 and 10 of docs/format.md).
    /// `manifest` is the padded plaintext and `length` its content length.
    init(parsed: ParsedVaultFile, manifest: SecureBytes, length: Int, vaultKey: SymmetricKey) throws {
        let count = Int(parsed.header.recordCount)
        let indexStart = 4 + count * Self.entryByteCount
        // The table (ids, versions, hashes: nothing secret) in one array the records' ids and hashes point into.
        let table: [UInt8] = try manifest.withUnsafeBytes { raw in
            guard length >= 4 else { throw SealedFileError.manifestDamaged }
            let stated = (0..<4).reduce(0) { $0 << 8 | Int(raw[$1]) }
            guard stated == count, length >= indexStart else { throw SealedFileError.manifestDamaged }
            return Array(raw[4..<indexStart])
        }
        if let listing = parsed.listing {
            records = try Self.listed(listing, table: table, count: count)
        } else {
            records = try Self.walked(parsed.records, table: table, count: count)
        }
        self.manifest = manifest
        indexRange = indexStart..<length
        vaultID = parsed.header.vaultID
        recordKey = try Self.recordKey(from: vaultKey)
        source = (parsed.headerBytes, parsed.ciphertext)
    }

    /// The u64 at `at` of `bytes`, big-endian (one load: 100,000 manifest entries are read at every open).
    static func bigEndian(_ bytes: UnsafeBufferPointer<UInt8>, _ at: Int) -> UInt64 {
        precondition(at >= 0 && at + 8 <= bytes.count)
        return UInt64(bigEndian: UnsafeRawBufferPointer(bytes).loadUnaligned(fromByteOffset: at, as: UInt64.self))
    }

    /// The u32 at `at` of `bytes`, big-endian (a record's length in its framing).
    static func bigEndian32(_ bytes: UnsafeBufferPointer<UInt8>, _ at: Int) -> UInt32 {
        precondition(at >= 0 && at + 4 <= bytes.count)
        return UInt32(bigEndian: UnsafeRawBufferPointer(bytes).loadUnaligned(fromByteOffset: at, as: UInt32.self))
    }

    /// The offset of the manifest entry at `position` in the table and its id, refused when an earlier entry
    /// named the same id (step 9).
    static func entry(_ position: Int, of entries: UnsafeBufferPointer<UInt8>, unlike seen: inout RecordIDSet) throws
        -> (Int, RecordID)
    {
        let entry = position * entryByteCount
        let id = RecordID(bigEndian(entries, entry), bigEndian(entries, entry + 8))
        guard seen.insert(id) else { throw SealedFileError.manifestDamaged }
        return (entry, id)
    }

    /// Step 10 over a file's records section: each record's framing against the manifest entry at its position,
    /// nothing after the last.
    static func walked(_ section: ArraySlice<UInt8>, table: [UInt8], count: Int) throws -> [SealedRecord] {
        var seen = RecordIDSet(capacity: count)
        var records: [SealedRecord] = []
        records.reserveCapacity(count)
        let base = section.startIndex
        var offset = base
        let u64 = Self.bigEndian
        try table.withUnsafeBufferPointer { entries in
            try section.withUnsafeBufferPointer { file in
                for position in 0..<count {
                    let (entry, id) = try Self.entry(position, of: entries, unlike: &seen)
                    let at = offset - base
                    guard section.endIndex - offset >= Self.framingByteCount else {
                        throw SealedFileError.recordDamaged("record \(position + 1) of \(count) is cut short")
                    }
                    let version = u64(file, at + 16)
                    let length = Int(Self.bigEndian32(file, at + 48))
                    let end = offset + Self.framingByteCount + length
                    guard length >= Self.minimumBucket + 16, end <= section.endIndex else {
                        throw SealedFileError.recordDamaged("record \(position + 1) of \(count) is cut short")
                    }
                    guard version == u64(entries, entry + 16),
                        memcmp(file.baseAddress! + at, entries.baseAddress! + entry, 16) == 0
                    else {
                        throw SealedFileError.recordDamaged(
                            "record \(position + 1) is not the one the manifest names (dropped, swapped or rolled back)"
                        )
                    }
                    records.append(
                        SealedRecord(
                            recordID: id, version: version, digest: Digest256(entries, at: entry + 24),
                            framed: section[offset..<end], length: end - offset, source: nil, listed: nil))
                    offset = end
                }
            }
        }
        guard offset == section.endIndex else {
            throw SealedFileError.recordDamaged("\(section.endIndex - offset) bytes after the last record")
        }
        return records
    }

    /// Step 10 against a store's listing (ids, versions and lengths; the bytes are read when asked for).
    static func listed(_ listing: RecordListing, table: [UInt8], count: Int) throws -> [SealedRecord] {
        guard listing.count == count || listing.damage != nil else {
            throw SealedFileError.recordDamaged(
                "the store holds \(listing.count) of the \(count) records the manifest names")
        }
        var seen = RecordIDSet(capacity: count)
        var records: [SealedRecord] = []
        records.reserveCapacity(count)
        let u64 = Self.bigEndian
        try table.withUnsafeBufferPointer { entries in
            try listing.ids.withUnsafeBufferPointer { listed in
                for position in 0..<count {
                    let (entry, id) = try Self.entry(position, of: entries, unlike: &seen)
                    if let damage = listing.damage, damage.position == position {
                        throw SealedFileError.recordDamaged(damage.reason)
                    }
                    let version = u64(entries, entry + 16)
                    let at = position * Self.idByteCount
                    guard u64(listed, at) == id.high, u64(listed, at + 8) == id.low,
                        listing.versions[position] == version
                    else {
                        throw SealedFileError.recordDamaged(
                            "record \(position + 1) is not the one the manifest names (dropped, swapped or rolled back)"
                        )
                    }
                    guard listing.lengths[position] >= Self.minimumFramedLength else {
                        throw SealedFileError.recordDamaged("record \(position + 1) of \(count) is cut short")
                    }
                    records.append(
                        SealedRecord(
                            recordID: id, version: version, digest: Digest256(entries, at: entry + 24), framed: [],
                            length: listing.lengths[position], source: listing.source, listed: position))
                }
            }
        }
        if let damage = listing.damage { throw SealedFileError.recordDamaged(damage.reason) }
        return records
    }

    /// True when `parsed` has the very header and sealed manifest these records came from: then it holds
    /// this same generation (the manifest nonce is fresh on every save) and nothing needs opening again. Its
    /// records are not looked at: a save writes the records checked when this set was opened.
    public func isSealed(as parsed: ParsedVaultFile) -> Bool {
        isSealed(header: parsed.headerBytes, manifest: parsed.ciphertext)
    }

    /// How many bytes the header and the sealed manifest these records came from take at the start of a file.
    public var sealedPrefixLength: Int { source.header.count + source.manifest.count }

    /// As `isSealed(as:)`, from the first `sealedPrefixLength` bytes of a file.
    public func isSealed(prefix: [UInt8]) -> Bool {
        prefix.count == sealedPrefixLength
            && isSealed(header: prefix[..<source.header.count], manifest: prefix[source.header.count...])
    }

    /// True when `header` is the very header these records came from. Every save seals the manifest with a fresh
    /// nonce (which the header carries) and a higher generation, so an equal header means no save came in between,
    /// whoever made it: a store that locks its header's row tells this way, without reading the sealed manifest
    /// again, whether the set it opened is still the current one.
    public func isSealed(header: some Collection<UInt8>) -> Bool {
        header.elementsEqual(source.header)
    }

    /// As `isSealed(as:)`, from the header's and the sealed manifest's bytes.
    func isSealed(header: some Collection<UInt8>, manifest: some Collection<UInt8>) -> Bool {
        guard header.elementsEqual(source.header), manifest.count == source.manifest.count else { return false }
        let same = manifest.withContiguousStorageIfAvailable { new in
            source.manifest.withUnsafeBytes { old in
                memcmp(UnsafeRawPointer(new.baseAddress!), old.baseAddress!, old.count) == 0
            }
        }
        return same ?? manifest.elementsEqual(source.manifest)
    }

    /// The records of a parsed version 2 file as their framing says, without the key (nothing authenticated):
    /// for moving the bytes of a vault from one store to another unchanged.
    public static func framing(of parsed: ParsedVaultFile) throws -> [(
        id: RecordID, version: UInt64, framed: ArraySlice<UInt8>
    )] {
        var out: [(id: RecordID, version: UInt64, framed: ArraySlice<UInt8>)] = []
        var offset = parsed.records.startIndex
        let end = parsed.records.endIndex
        while offset < end {
            guard end - offset >= framingByteCount else { throw SealedFileError.recordDamaged("a record is cut short") }
            let id = RecordID(parsed.records[offset..<(offset + 16)])
            let version = parsed.records[(offset + 16)..<(offset + 24)].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let length = parsed.records[(offset + 48)..<(offset + 52)].reduce(0) { $0 << 8 | Int($1) }
            guard end - offset - framingByteCount >= length else {
                throw SealedFileError.recordDamaged("a record is cut short")
            }
            out.append((id, version, parsed.records[offset..<(offset + framingByteCount + length)]))
            offset += framingByteCount + length
        }
        return out
    }

    /// A record set just sealed: nothing to check.
    init(
        manifest: SecureBytes, indexRange: Range<Int>, records: [SealedRecord], vaultID: [UInt8],
        vaultKey: SymmetricKey,
        source: (header: [UInt8], manifest: ArraySlice<UInt8>)
    ) throws {
        self.manifest = manifest
        self.indexRange = indexRange
        self.records = records
        self.vaultID = vaultID
        recordKey = try Self.recordKey(from: vaultKey)
        self.source = source
    }

    /// The plaintext of record `position`, without padding, after checking its hash and tag.
    public func open(_ position: Int) throws -> SecureBytes {
        let (arena, ranges) = try open([position])
        return try arena.slice(ranges[0])
    }

    /// The plaintexts of several records in one locked buffer (one allocation, however many records: Linux
    /// limits how many locked buffers a process may hold), with the range of each record's content in it.
    public func open(_ positions: [Int]) throws -> (SecureBytes, [Range<Int>]) {
        let records = try read(positions)
        let sizes = records.map(Self.paddedSize)
        var ranges: [Range<Int>] = []
        let arena = try SecureBytes(count: sizes.reduce(0, +)) { out in
            ranges = try open(records[...], sizes: sizes[...], into: out)
        }
        return (arena, ranges)
    }

    /// The plaintexts of the records at `positions`, handed to `body` in order a chunk at a time, every chunk
    /// decrypted into the same locked buffer of about `chunkBytes` (freed, and so wiped, at the end): reading
    /// 100,000 records locks and faults in one megabyte instead of the 56 MB they hold. `body` gets the
    /// positions' indices the chunk holds and each record's content range in the buffer.
    public func forEachChunk(
        of positions: [Int], chunkBytes: Int = 1 << 20,
        _ body: (_ chunk: Range<Int>, _ plaintexts: UnsafeRawBufferPointer, _ ranges: [Range<Int>]) throws -> Void
    ) throws {
        let records = try read(positions)
        let sizes = records.map(Self.paddedSize)
        let arenaSize = max(chunkBytes, sizes.max() ?? 1)
        _ = try SecureBytes(count: arenaSize) { arena in
            var first = 0
            while first < records.count {
                var end = first
                var used = 0
                while end < records.count && (end == first || used + sizes[end] <= arenaSize) {
                    used += sizes[end]
                    end += 1
                }
                let ranges = try open(records[first..<end], sizes: sizes[first..<end], into: arena)
                try body(first..<end, UnsafeRawBufferPointer(arena), ranges)
                first = end
            }
        }
    }

    /// A sealed record's padded content length.
    private static func paddedSize(_ record: SealedRecord) -> Int { record.length - framingByteCount - 16 }

    /// Decrypts `records` one after the other from the start of `out`; the range of each content.
    private func open(
        _ records: ArraySlice<SealedRecord>, sizes: ArraySlice<Int>, into out: UnsafeMutableRawBufferPointer
    ) throws -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(records.count)
        var start = 0
        for (record, size) in zip(records, sizes) {
            let target = UnsafeMutableRawBufferPointer(rebasing: out[start..<(start + size)])
            try decrypt(record, into: target)
            ranges.append(start..<(start + (try Self.contentLength(of: UnsafeRawBufferPointer(target)))))
            start += size
        }
        return ranges
    }

    /// The records at `positions`, in that order, with their bytes, reading from the store those not read yet
    /// (in one request).
    private func read(_ positions: [Int]) throws -> [SealedRecord] {
        try Self.readingUnread(positions.map { records[$0] })
    }

    /// `records` with the bytes of those not read yet, read from their store (one request per store, each record
    /// at its position in the store's listing). The bytes read must be the record the manifest names (id, version,
    /// length).
    static func readingUnread(_ records: [SealedRecord]) throws -> [SealedRecord] {
        var found = records
        try readUnread(&found, at: Array(records.indices))
        return found
    }

    /// `readingUnread` in place, for the records at `positions` of `records` (100,000 records are not copied
    /// again for it).
    static func readUnread(_ records: inout [SealedRecord], at positions: [Int]) throws {
        let unread = positions.filter { records[$0].isUnread }
        // Grouped by store (one, nearly always: found by identity with the group of the record before).
        var bySource: [(source: any RecordSource, indices: [Int])] = []
        var group = 0
        for index in unread {
            guard let source = records[index].source else {
                throw SealedFileError.recordDamaged("a record's bytes are missing")
            }
            if bySource.isEmpty || bySource[group].source !== source {
                if let known = bySource.firstIndex(where: { $0.source === source }) {
                    group = known
                } else {
                    bySource.append((source, []))
                    group = bySource.count - 1
                }
            }
            bySource[group].indices.append(index)
        }
        for (source, indices) in bySource {
            let bytes = try source.read(
                indices.map { (records[$0].recordID, records[$0].version, records[$0].listed) })
            guard bytes.count == indices.count else {
                throw SealedFileError.recordDamaged("the store returned \(bytes.count) of \(indices.count) records")
            }
            for (index, framed) in zip(indices, bytes) {
                let record = records[index]
                guard Self.isFramed(framed, as: record.recordID, version: record.version, length: record.length) else {
                    let position = record.listed.map { "record \($0 + 1)" } ?? "a record"
                    throw SealedFileError.recordDamaged(
                        "\(position) is not the one the manifest names (dropped, swapped or rolled back)")
                }
                records[index] = record.with(framed: framed)
            }
        }
    }

    /// This set with the records at `positions` read from the store (before they are opened on several threads).
    public func reading(_ positions: [Int]) throws -> RecordSet {
        guard positions.contains(where: { records[$0].isUnread }) else { return self }
        var copy = self
        try Self.readUnread(&copy.records, at: positions)
        return copy
    }

    private func decrypt(_ record: SealedRecord, into target: UnsafeMutableRawBufferPointer) throws {
        try Self.decrypt(record, recordKey: recordKey, vaultID: vaultID, into: target)
    }

    private static func decrypt(
        _ record: SealedRecord, recordKey: SymmetricKey, vaultID: [UInt8], into target: UnsafeMutableRawBufferPointer
    ) throws {
        let damaged = SealedFileError.recordDamaged("a record failed authentication (damaged or tampered with)")
        try record.framed.withUnsafeBytes { framed in
            guard ConstantTime.equals(BLAKE2b.hash(framed), record.digest.bytes) else { throw damaged }
            let nonce = UnsafeRawBufferPointer(rebasing: framed[24..<48])
            let ciphertext = UnsafeRawBufferPointer(rebasing: framed[Self.framingByteCount...])
            do {
                try XChaCha20Poly1305.open(
                    ciphertext: ciphertext, using: recordKey, nonce: nonce,
                    authenticating: Self.associatedData(vaultID: vaultID, id: record.id, version: record.version),
                    into: target)
            } catch {
                throw damaged
            }
        }
    }

    /// The content's length in a record's padded plaintext; `paddingDamaged` when the padding is not canonical.
    private static func contentLength(of padded: UnsafeRawBufferPointer) throws -> Int {
        do {
            return try Padding.unpaddedLength(of: padded, minimumBucket: minimumBucket)
        } catch {
            throw SealedFileError.paddingDamaged
        }
    }

    /// True when `framed` is the record named by `id` and `version`, `length` bytes long (its framing's own
    /// length field agreeing): what a store read for a record must be before its hash is checked.
    static func isFramed(_ framed: ArraySlice<UInt8>, as id: RecordID, version: UInt64, length: Int) -> Bool {
        guard framed.count == length, length >= minimumFramedLength else { return false }
        return framed.withUnsafeBufferPointer { bytes in
            RecordID(bigEndian(bytes, 0), bigEndian(bytes, 8)) == id && bigEndian(bytes, 16) == version
                && Int(bigEndian32(bytes, 48)) == length - framingByteCount
        }
    }

    /// One record read by itself through the lookup file: its bytes must be the record the entry names (the id
    /// and version in its framing, its hash) and open under the record key (step 11 of docs/format.md). Returns
    /// its content.
    static func openAlone(
        _ framed: [UInt8], as entry: LookupTable.Entry, vaultID: [UInt8], recordKey: SymmetricKey
    ) throws -> SecureBytes {
        guard isFramed(framed[...], as: RecordID(entry.recordID), version: entry.version, length: Int(entry.length))
        else {
            throw SealedFileError.recordDamaged(
                "a record is not the one the manifest names (dropped, swapped or rolled back)")
        }
        let record = SealedRecord(
            id: entry.recordID[...], version: entry.version, hash: entry.hash[...], framed: framed[...])
        let padded = try SecureBytes(count: paddedSize(record)) { out in
            try decrypt(record, recordKey: recordKey, vaultID: vaultID, into: out)
        }
        return try padded.slice(0..<(try padded.withUnsafeBytes { try contentLength(of: $0) }))
    }

    /// Where each record is in the store it was listed from, in the manifest's order (a file's offsets; 0 for a
    /// store that finds records by id), or nil when one was not listed from a store (a set sealed by this process).
    public var locations: [RecordLocation]? {
        var out: [RecordLocation] = []
        out.reserveCapacity(records.count)
        for record in records {
            guard let source = record.source, let listed = record.listed else { return nil }
            out.append(
                RecordLocation(
                    id: record.recordID, version: record.version, digest: record.digest,
                    offset: source.offset(at: listed) ?? 0, length: record.length))
        }
        return out
    }

    static func associatedData(vaultID: [UInt8], id: some Collection<UInt8>, version: UInt64) -> [UInt8] {
        var writer = ByteWriter()
        writer.raw(vaultID)
        writer.raw(Array(id))
        writer.u64(version)
        return writer.bytes
    }

    /// Seals the new records at `version` (kept ones pass through) in the order given. The padded plaintexts
    /// share one locked buffer.
    static func seal(
        _ writes: [RecordWrite], key: SymmetricKey, vaultID: [UInt8], version: UInt64, random: some RandomSource
    ) throws -> [SealedRecord] {
        let recordKey = try recordKey(from: key)
        let count = writes.reduce(0) { $0 + $1.recordCount }
        var seen = RecordIDSet(capacity: count)
        var layout: [(content: Int, padded: Int)] = []
        let badIDs = SealedFileError.invalidArgument("record ids are 16 bytes, each used once")
        for write in writes {
            switch write {
            case .kept(let run):
                for position in run.indices {
                    guard seen.insert(run[position].recordID) else { throw badIDs }
                }
            case .seal(let newID, let plaintext, let range):
                guard newID.count == idByteCount, seen.insert(RecordID(newID)) else { throw badIDs }
                let content = (range ?? 0..<plaintext.count).count
                layout.append((content, Padding.paddedLength(for: content, minimumBucket: minimumBucket)))
            }
        }
        // Every new record padded into one arena: content, 0x80, zeros.
        var next = 0
        let arena = try SecureBytes(count: layout.reduce(0) { $0 + $1.padded }) { out in
            var start = 0
            for write in writes {
                guard case .seal(_, let plaintext, let range) = write else { continue }
                let (content, padded) = layout[next]
                plaintext.withUnsafeBytes { all in
                    let source = UnsafeRawBufferPointer(rebasing: all[(range ?? 0..<all.count)])
                    if content > 0 {
                        UnsafeMutableRawBufferPointer(rebasing: out[start..<(start + content)]).copyMemory(from: source)
                    }
                }
                Padding.fill(UnsafeMutableRawBufferPointer(rebasing: out[start..<(start + padded)]), after: content)
                start += padded
                next += 1
            }
        }
        next = 0
        var start = 0
        var sealed: [SealedRecord] = []
        sealed.reserveCapacity(count)
        try arena.withUnsafeBytes { padded in
            for write in writes {
                switch write {
                case .kept(let run): sealed += run
                case .seal(let id, _, _):
                    let size = layout[next].padded
                    let nonce = XChaCha20Poly1305.randomNonce(using: random)
                    let ciphertext = try XChaCha20Poly1305.seal(
                        message: UnsafeRawBufferPointer(rebasing: padded[start..<(start + size)]), using: recordKey,
                        nonce: nonce, authenticating: associatedData(vaultID: vaultID, id: id, version: version))
                    var writer = ByteWriter()
                    writer.raw(id)
                    writer.u64(version)
                    writer.raw(nonce)
                    writer.u32(UInt32(ciphertext.count))
                    let framed = writer.bytes + ciphertext
                    sealed.append(
                        SealedRecord(
                            id: id[...], version: version, hash: BLAKE2b.hash(framed)[...], framed: framed[...]))
                    start += size
                    next += 1
                }
            }
        }
        return sealed
    }

    /// Every record opened and ready to be sealed again (under a new vault key), in one locked buffer.
    public func resealed() throws -> [RecordWrite] {
        let (arena, ranges) = try open(Array(records.indices))
        return zip(records, ranges).map { .seal(id: Array($0.id), plaintext: arena, range: $1) }
    }

    /// The manifest's plaintext, padded: the count, each record's id, version and hash, then the index, then the
    /// padding; and where the index lies in it. Written once, into the locked buffer that is sealed.
    static func paddedManifest(of records: [SealedRecord], index: SavedIndex) throws -> (
        padded: SecureBytes, indexRange: Range<Int>
    ) {
        let tableLength = 4 + records.count * entryByteCount
        let length = tableLength + index.count
        let total = Padding.paddedLength(for: length)
        let padded = try SecureBytes(count: total) { out in
            out.storeBytes(of: UInt32(records.count).bigEndian, toByteOffset: 0, as: UInt32.self)
            records.withUnsafeBufferPointer { records in
                for position in records.indices {
                    ByteWriter.storeRecord(
                        records[position].recordID, version: records[position].version,
                        digest: records[position].digest, into: out, at: 4 + position * entryByteCount)
                }
            }
            index.withUnsafeBytes { bytes in
                if bytes.count > 0 {
                    UnsafeMutableRawBufferPointer(rebasing: out[tableLength..<length]).copyMemory(from: bytes)
                }
            }
            Padding.fill(out, after: length)
        }
        return (padded, tableLength..<length)
    }
}
