/// A 256-bit secret key in locked memory. It cannot be printed or compared with `==` by accident.
public struct SymmetricKey: Sendable, CustomStringConvertible {
    /// The byte length of every key this library makes.
    public static let byteCount = 32

    let storage: SecureBytes

    /// Wraps exactly 32 secret bytes.
    public init(_ bytes: SecureBytes) throws {
        guard bytes.count == SymmetricKey.byteCount else {
            throw SodiumError.wrongLength(what: "key", expected: SymmetricKey.byteCount, actual: bytes.count)
        }
        storage = bytes
    }

    /// A fresh random key.
    public static func random(using random: some RandomSource = SystemRandom()) throws -> SymmetricKey {
        try SymmetricKey(SecureBytes.random(count: byteCount, using: random))
    }

    /// Read access to the key bytes, for wrapping the key itself.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try storage.withUnsafeBytes(body)
    }

    /// The key bytes as secure memory (shared, not copied).
    public var secureBytes: SecureBytes { storage }

    /// Constant-time comparison.
    public func constantTimeEquals(_ other: SymmetricKey) -> Bool { storage.constantTimeEquals(other.storage) }

    public var description: String { "SymmetricKey(redacted)" }
}
