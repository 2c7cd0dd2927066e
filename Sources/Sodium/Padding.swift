import CSodium

/// Length-hiding padding (ISO/IEC 7816-4, as `sodium_pad`: a 0x80 byte, then zeros).
///
/// The padded length is the content length plus at least one byte, rounded up to a multiple of a
/// bucket: 512 bytes for small contents, otherwise 1/16 of the largest power of two not above the
/// content length. The overhead stays under about 6.25 %, and a file's size only tells its content
/// length to within one bucket.
public enum Padding {
    /// The smallest bucket.
    public static let minimumBucket = 512

    /// The padded length for a content of `length` bytes.
    public static func paddedLength(for length: Int, minimumBucket: Int = Padding.minimumBucket) -> Int {
        precondition(length >= 0)
        let needed = length + 1
        let bucket = bucket(for: needed, minimumBucket: minimumBucket)
        return (needed + bucket - 1) / bucket * bucket
    }

    /// The bucket of a padded content of `needed` bytes (its length plus the 0x80 marker).
    static func bucket(for needed: Int, minimumBucket: Int) -> Int {
        guard needed >= minimumBucket * 16 else { return minimumBucket }
        // 1/16 of the largest power of two <= needed.
        let highBit = Int.bitWidth - 1 - needed.leadingZeroBitCount
        return 1 << (highBit - 4)
    }

    /// Pads secret content into a new secure buffer of `paddedLength(for:)` bytes.
    public static func pad(_ content: SecureBytes, minimumBucket: Int = Padding.minimumBucket) throws -> SecureBytes {
        let total = paddedLength(for: content.count, minimumBucket: minimumBucket)
        return try SecureBytes(count: total) { out in
            content.withUnsafeBytes { bytes in
                if bytes.count > 0 {
                    UnsafeMutableRawBufferPointer(rebasing: out[0..<bytes.count]).copyMemory(from: bytes)
                }
            }
            fill(out, after: content.count)
        }
    }

    /// The padding after `length` bytes of content in `out`, whose count is the padded length: 0x80, then zeros.
    public static func fill(_ out: UnsafeMutableRawBufferPointer, after length: Int) {
        out[length] = 0x80
        if length + 1 < out.count {
            UnsafeMutableRawBufferPointer(rebasing: out[(length + 1)...]).initializeMemory(as: UInt8.self, repeating: 0)
        }
    }

    /// The content length of padded bytes, checked in constant time with `sodium_unpad`.
    /// Throws `invalidPadding` when the padding marker is missing or the length is not the canonical one.
    ///
    /// Only the last bucket is scanned: canonical padding (0x80, then zeros) never spans more than one bucket,
    /// and the largest bucket a content that pads to this length can have is the bucket of this length itself.
    /// A marker further back would give a length whose canonical padding is shorter, which the check after
    /// refuses, so scanning the whole buffer would give the same answer, only slower (100,000 records of a
    /// version 2 vault are 40 MB to scan).
    public static func unpaddedLength(
        of padded: UnsafeRawBufferPointer, minimumBucket: Int = Padding.minimumBucket
    ) throws -> Int {
        try ensureSodium()
        guard padded.count > 0 else { throw SodiumError.invalidPadding }
        var length = 0
        let window = min(padded.count, bucket(for: padded.count, minimumBucket: minimumBucket))
        let result = sodium_unpad(
            &length, padded.baseAddress!.assumingMemoryBound(to: UInt8.self),
            padded.count, window)
        guard result == 0, paddedLength(for: length, minimumBucket: minimumBucket) == padded.count else {
            throw SodiumError.invalidPadding
        }
        return length
    }
}
