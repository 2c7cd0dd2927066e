import CSodium

/// BLAKE2b (`crypto_generichash`), unkeyed. Used for checksums and derived identifiers, not for secrets.
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
}
