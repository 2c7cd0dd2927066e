import CSodium

/// BLAKE2b (`crypto_generichash`). Unkeyed for checksums and derived identifiers; keyed with a secret key for a
/// commitment to that key (version 2 vault headers).
public enum BLAKE2b {
    /// Hashes `bytes` to `outputByteCount` bytes (16 to 64).
    public static func hash(_ bytes: [UInt8], outputByteCount: Int = 32) -> [UInt8] {
        bytes.withUnsafeBytes { hash($0, outputByteCount: outputByteCount) }
    }

    /// Hashes a buffer to `outputByteCount` bytes (16 to 64).
    public static func hash(_ bytes: UnsafeRawBufferPointer, outputByteCount: Int = 32) -> [UInt8] {
        try? ensureSodium()
        precondition((16...64).contains(outputByteCount), "BLAKE2b output must be 16 to 64 bytes")
        var out = [UInt8](repeating: 0, count: outputByteCount)
        _ = crypto_generichash(
            &out, outputByteCount, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(bytes.count),
            nil, 0)
        return out
    }

    /// BLAKE2b-256 of `message` keyed with `key`: a value only a holder of the key can compute, and (BLAKE2b being
    /// collision resistant over key and message) one that no second key reproduces.
    public static func keyedHash(_ message: [UInt8], key: SymmetricKey, outputByteCount: Int = 32) -> [UInt8] {
        try? ensureSodium()
        precondition((16...64).contains(outputByteCount), "BLAKE2b output must be 16 to 64 bytes")
        var out = [UInt8](repeating: 0, count: outputByteCount)
        key.withUnsafeBytes { keyBytes in
            _ = crypto_generichash(
                &out, outputByteCount, message, UInt64(message.count),
                keyBytes.baseAddress!.assumingMemoryBound(to: UInt8.self), keyBytes.count)
        }
        return out
    }

    /// As `keyedHash`, from a buffer into `out` (its count is the output length, 16 to 64): no array is made (a
    /// lookup file hashes 200,000 short messages).
    public static func keyedHash(
        _ message: UnsafeRawBufferPointer, key: SymmetricKey, into out: UnsafeMutableRawBufferPointer
    ) {
        try? ensureSodium()
        precondition((16...64).contains(out.count), "BLAKE2b output must be 16 to 64 bytes")
        key.withUnsafeBytes { keyBytes in
            _ = crypto_generichash(
                out.baseAddress!.assumingMemoryBound(to: UInt8.self), out.count,
                message.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(message.count),
                keyBytes.baseAddress!.assumingMemoryBound(to: UInt8.self), keyBytes.count)
        }
    }
}
