/// Appends big-endian integers and raw bytes; the only way the format writes.
struct ByteWriter {
    private(set) var bytes: [UInt8] = []

    mutating func u8(_ value: UInt8) { bytes.append(value) }
    mutating func u16(_ value: UInt16) { bytes += [UInt8(value >> 8), UInt8(value & 0xff)] }
    mutating func u32(_ value: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift)))
        }
    }
    mutating func u64(_ value: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
        }
    }
    mutating func reserve(_ count: Int) { bytes.reserveCapacity(count) }
    /// A record as a manifest (and a lookup file) names it: id, version, hash.
    mutating func record(_ id: RecordID, version: UInt64, digest: Digest256) {
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: RecordSet.entryByteCount))
        bytes.withUnsafeMutableBytes { Self.storeRecord(id, version: version, digest: digest, into: $0, at: start) }
    }
    /// The 56 bytes of `record(_:version:digest:)` stored at `offset` of `out` (a manifest written in place).
    static func storeRecord(
        _ id: RecordID, version: UInt64, digest: Digest256, into out: UnsafeMutableRawBufferPointer, at offset: Int
    ) {
        func put(_ word: UInt64, _ number: Int) {
            out.storeBytes(of: word.bigEndian, toByteOffset: offset + number * 8, as: UInt64.self)
        }
        put(id.high, 0)
        put(id.low, 1)
        put(version, 2)
        put(digest.words.0, 3)
        put(digest.words.1, 4)
        put(digest.words.2, 5)
        put(digest.words.3, 6)
    }
    mutating func raw(_ value: [UInt8]) { bytes += value }
    mutating func raw(_ value: ArraySlice<UInt8>) { bytes += value }
}

/// Reads big-endian integers and exact-length byte runs; running off the end is `truncated`.
struct ByteReader {
    let bytes: [UInt8]
    private(set) var offset: Int

    init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    var remaining: Int { bytes.count - offset }

    mutating func take(_ count: Int) throws(SealedFileError) -> ArraySlice<UInt8> {
        guard count >= 0, remaining >= count else {
            throw .truncated(needed: offset + count, actual: bytes.count)
        }
        defer { offset += count }
        return bytes[offset..<(offset + count)]
    }

    mutating func raw(_ count: Int) throws(SealedFileError) -> [UInt8] { Array(try take(count)) }
    mutating func u8() throws(SealedFileError) -> UInt8 { try take(1).first! }
    mutating func u16() throws(SealedFileError) -> UInt16 { try take(2).reduce(0) { $0 << 8 | UInt16($1) } }
    mutating func u32() throws(SealedFileError) -> UInt32 { try take(4).reduce(0) { $0 << 8 | UInt32($1) } }
    mutating func u64() throws(SealedFileError) -> UInt64 { try take(8).reduce(0) { $0 << 8 | UInt64($1) } }
}
