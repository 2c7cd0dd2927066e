import CSodium

#if canImport(Glibc)
    import Glibc
#endif

/// Small secrets held in bulk (the passwords of thousands of credentials): ordinary heap memory that is
/// zeroed with `sodium_memzero` when released and never printed.
///
/// `SecureBytes` (guard pages, mlock) costs three memory mappings per allocation, and Linux allows about
/// 65,000 mappings per process, so a vault of tens of thousands of passwords cannot give each its own
/// `sodium_malloc`. Keys and whole decrypted payloads stay in `SecureBytes`; this type is for the many
/// short values decoded out of a payload. Written once in `init`, read-only afterwards.
public final class WipedBytes: @unchecked Sendable {
    /// The number of bytes held.
    public let count: Int
    private let pointer: UnsafeMutableRawPointer

    /// Copies `bytes`; the caller wipes its own copy.
    public init(copying bytes: UnsafeRawBufferPointer) {
        count = bytes.count
        pointer = malloc(max(bytes.count, 1))!
        if bytes.count > 0 { pointer.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count) }
    }

    /// Copies a byte array.
    public convenience init(copying bytes: [UInt8]) {
        self.init(copying: bytes.withUnsafeBytes { UnsafeRawBufferPointer(start: $0.baseAddress, count: $0.count) })
    }

    deinit {
        sodium_memzero(pointer, count)
        free(pointer)
    }

    /// Read access for the duration of `body`.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    /// Constant-time comparison (for equal lengths).
    public func constantTimeEquals(_ other: WipedBytes) -> Bool {
        withUnsafeBytes { a in other.withUnsafeBytes { b in ConstantTime.equals(a, b) } }
    }
}

extension WipedBytes: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "WipedBytes(\(count) bytes, redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["count": count]) }
}
