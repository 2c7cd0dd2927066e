import Sodium

/// A password or client secret: UTF-8 bytes wiped when released (`WipedBytes`), never printed.
/// Equality is constant-time. It encodes as a JSON string, because the vault payload is JSON.
public struct Secret: Sendable, Equatable, Codable, CustomStringConvertible, CustomDebugStringConvertible {
    let bytes: WipedBytes

    /// Copies UTF-8 bytes into locked memory.
    public init(utf8Bytes: [UInt8]) throws { bytes = WipedBytes(copying: utf8Bytes) }

    /// Wraps bytes already in locked memory.
    /// Takes bytes already in wiped memory (decoded straight out of a payload).
    public init(wiped bytes: WipedBytes) { self.bytes = bytes }

    /// Copies bytes out of locked memory (a line read from a terminal, a generated password).
    public init(_ bytes: SecureBytes) { self.bytes = bytes.withUnsafeBytes { WipedBytes(copying: $0) } }

    /// Number of UTF-8 bytes.
    public var byteCount: Int { bytes.count }

    /// Read access to the UTF-8 bytes.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try bytes.withUnsafeBytes(body)
    }

    /// The secret as a Swift `String`. That copy cannot be wiped: use it only to hand the value to an API
    /// that takes a `String`, and never to print or log it.
    public func unsafeStringValue() -> String { bytes.withUnsafeBytes { String(decoding: $0, as: UTF8.self) } }

    public static func == (a: Secret, b: Secret) -> Bool { a.bytes.constantTimeEquals(b.bytes) }

    public var description: String { "<secret>" }
    public var debugDescription: String { "<secret>" }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        var utf8 = Array(text.utf8)
        defer { wipe(&utf8) }
        bytes = WipedBytes(copying: utf8)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(unsafeStringValue())
    }
}
