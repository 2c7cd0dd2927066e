import Sodium

/// One sealed record of a version 2 vault as it stands in the file:
/// `id (16) || version (u64) || nonce (24) || length (u32) || ciphertext (length)`.
public struct SealedRecord: Sendable {
    /// Random 16 bytes naming the record for as long as it lives.
    public let id: [UInt8]
    /// The generation of the save that sealed it.
    public let version: UInt64
    /// BLAKE2b-256 of `framed`, as the manifest names it.
    public let hash: [UInt8]
    /// The record's bytes in the file.
    public let framed: ArraySlice<UInt8>
}

/// What a version 2 save puts at one position: a record kept as it stands (sealed under the same vault key),
/// or new plaintext to seal at the generation being written.
public enum RecordWrite: Sendable {
    case keep(SealedRecord)
    /// `range` of `plaintext` (all of it when nil): many records may share one locked buffer.
    case seal(id: [UInt8], plaintext: SecureBytes, range: Range<Int>? = nil)
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

    /// The caller's description of the records (nicvault: which credential or client each one is).
    public let index: SecureBytes
    /// The records in file order.
    public let records: [SealedRecord]
    let vaultID: [UInt8]
    let recordKey: SymmetricKey

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

    /// Reads the manifest's table and walks the records section against it (steps 10 and 11 of docs/format.md).
    init(parsed: ParsedVaultFile, manifest: SecureBytes, vaultKey: SymmetricKey) throws {
        let count = Int(parsed.header.recordCount)
        var table: [(id: [UInt8], version: UInt64, hash: [UInt8])] = []
        let indexStart = 4 + count * Self.entryByteCount
        try manifest.withUnsafeBytes { raw in
            guard raw.count >= 4 else { throw SealedFileError.manifestDamaged }
            var reader = ByteReader(Array(raw.prefix(min(raw.count, indexStart))))
            guard try reader.u32() == parsed.header.recordCount, raw.count >= indexStart else {
                throw SealedFileError.manifestDamaged
            }
            table.reserveCapacity(count)
            for _ in 0..<count {
                table.append((try reader.raw(16), try reader.u64(), try reader.raw(32)))
            }
        }
        guard Set(table.map(\.id)).count == count else { throw SealedFileError.manifestDamaged }
        index = try manifest.slice(indexStart..<manifest.count)

        var records: [SealedRecord] = []
        records.reserveCapacity(count)
        let section = parsed.records
        var offset = section.startIndex
        for (position, entry) in table.enumerated() {
            guard section.endIndex - offset >= Self.framingByteCount else {
                throw SealedFileError.recordDamaged("record \(position + 1) of \(count) is cut short")
            }
            var reader = ByteReader(Array(section[offset..<(offset + Self.framingByteCount)]))
            let id = try reader.raw(16)
            let version = try reader.u64()
            _ = try reader.raw(24)
            let length = Int(try reader.u32())
            let end = offset + Self.framingByteCount + length
            guard length >= Self.minimumBucket + 16, end <= section.endIndex else {
                throw SealedFileError.recordDamaged("record \(position + 1) of \(count) is cut short")
            }
            guard id == entry.id, version == entry.version else {
                throw SealedFileError.recordDamaged(
                    "record \(position + 1) is not the one the manifest names (dropped, swapped or rolled back)")
            }
            records.append(SealedRecord(id: id, version: version, hash: entry.hash, framed: section[offset..<end]))
            offset = end
        }
        guard offset == section.endIndex else {
            throw SealedFileError.recordDamaged("\(section.endIndex - offset) bytes after the last record")
        }
        self.records = records
        vaultID = parsed.header.vaultID
        recordKey = try Self.recordKey(from: vaultKey)
    }

    /// The plaintext of record `position`, without padding, after checking its hash and tag.
    public func open(_ position: Int) throws -> SecureBytes {
        let (arena, ranges) = try open([position])
        return try arena.slice(ranges[0])
    }

    /// The plaintexts of several records in one locked buffer (one allocation, however many records: Linux
    /// limits how many locked buffers a process may hold), with the range of each record's content in it.
    public func open(_ positions: [Int]) throws -> (SecureBytes, [Range<Int>]) {
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(positions.count)
        let sizes = positions.map { records[$0].framed.count - Self.framingByteCount - 16 }
        let arena = try SecureBytes(count: sizes.reduce(0, +)) { out in
            var start = 0
            for (position, size) in zip(positions, sizes) {
                let target = UnsafeMutableRawBufferPointer(rebasing: out[start..<(start + size)])
                try decrypt(records[position], into: target)
                let content: Int
                do {
                    content = try Padding.unpaddedLength(
                        of: UnsafeRawBufferPointer(target), minimumBucket: Self.minimumBucket)
                } catch {
                    throw SealedFileError.paddingDamaged
                }
                ranges.append(start..<(start + content))
                start += size
            }
        }
        return (arena, ranges)
    }

    private func decrypt(_ record: SealedRecord, into target: UnsafeMutableRawBufferPointer) throws {
        let damaged = SealedFileError.recordDamaged("a record failed authentication (damaged or tampered with)")
        try record.framed.withUnsafeBytes { framed in
            guard ConstantTime.equals(BLAKE2b.hash(framed), record.hash) else { throw damaged }
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

    static func associatedData(vaultID: [UInt8], id: [UInt8], version: UInt64) -> [UInt8] {
        var writer = ByteWriter()
        writer.raw(vaultID)
        writer.raw(id)
        writer.u64(version)
        return writer.bytes
    }

    /// Seals the new records at `version` (kept ones pass through) in the order given. The padded plaintexts
    /// share one locked buffer.
    static func seal(
        _ writes: [RecordWrite], key: SymmetricKey, vaultID: [UInt8], version: UInt64, random: some RandomSource
    ) throws -> [SealedRecord] {
        let recordKey = try recordKey(from: key)
        var seen = Set<[UInt8]>()
        var layout: [(content: Int, padded: Int)] = []
        for write in writes {
            let id: [UInt8]
            switch write {
            case .keep(let record): id = record.id
            case .seal(let newID, let plaintext, let range):
                id = newID
                let content = (range ?? 0..<plaintext.count).count
                layout.append((content, Padding.paddedLength(for: content, minimumBucket: minimumBucket)))
            }
            guard id.count == idByteCount, seen.insert(id).inserted else {
                throw SealedFileError.invalidArgument("record ids are 16 bytes, each used once")
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
                out[start + content] = 0x80
                for index in (start + content + 1)..<(start + padded) { out[index] = 0 }
                start += padded
                next += 1
            }
        }
        next = 0
        var start = 0
        return try arena.withUnsafeBytes { padded in
            try writes.map { write in
                switch write {
                case .keep(let record): return record
                case .seal(let id, _, _):
                    let size = layout[next].padded
                    defer {
                        start += size
                        next += 1
                    }
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
                    return SealedRecord(id: id, version: version, hash: BLAKE2b.hash(framed), framed: framed[...])
                }
            }
        }
    }

    /// Every record opened and ready to be sealed again (under a new vault key), in one locked buffer.
    public func resealed() throws -> [RecordWrite] {
        let (arena, ranges) = try open(Array(records.indices))
        return zip(records, ranges).map { .seal(id: $0.id, plaintext: arena, range: $1) }
    }

    /// The manifest's plaintext: the count, each record's id, version and hash, then the index.
    static func manifest(of records: [SealedRecord], index: SecureBytes) throws -> SecureBytes {
        var writer = ByteWriter()
        writer.u32(UInt32(records.count))
        for record in records {
            writer.raw(record.id)
            writer.u64(record.version)
            writer.raw(record.hash)
        }
        let table = writer.bytes
        return try SecureBytes(count: table.count + index.count) { out in
            table.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: out[0..<table.count]).copyMemory(from: $0) }
            index.withUnsafeBytes { bytes in
                if bytes.count > 0 { UnsafeMutableRawBufferPointer(rebasing: out[table.count...]).copyMemory(from: bytes) }
            }
        }
    }
}
