import CSodium

/// Comparisons whose running time does not depend on where secrets differ.
public enum ConstantTime {
    /// True when both buffers hold the same bytes. Lengths are not secret: different lengths return false
    /// at once; equal lengths are compared with `sodium_memcmp`.
    public static func equals(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        guard a.count > 0 else { return true }
        return sodium_memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0
    }

    /// The same for byte arrays.
    public static func equals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.withUnsafeBytes { x in b.withUnsafeBytes { y in equals(x, y) } }
    }
}
