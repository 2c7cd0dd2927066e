import CSodium

/// Secret bytes in `sodium_malloc` memory: guard pages, locked against swapping, zeroed on release,
/// and never printed.
///
/// The memory is filled once, inside the initialiser, and then marked read-only with
/// `sodium_mprotect_readonly`; a stray write traps instead of changing a key. That is also why the
/// type may cross concurrency domains: nobody can write to it after `init` returns.
public final class SecureBytes: @unchecked Sendable {
    /// The number of bytes held.
    public let count: Int
    private let pointer: UnsafeMutableRawPointer

    /// Allocates `count` bytes of locked memory and lets `initializer` fill them.
    /// If `initializer` throws, the memory is wiped and freed and the error passed on.
    public init(count: Int, initializer: (UnsafeMutableRawBufferPointer) throws -> Void) throws {
        try ensureSodium()
        precondition(count >= 0, "negative byte count")
        // sodium_malloc(0) returns a valid pointer in 1.0.18 but reads are pointless; keep one byte.
        guard let raw = sodium_malloc(max(count, 1)) else { throw SodiumError.outOfSecureMemory(requested: count) }
        do {
            try initializer(UnsafeMutableRawBufferPointer(start: raw, count: count))
        } catch {
            sodium_free(raw)
            throw error
        }
        pointer = raw
        self.count = count
        sodium_mprotect_readonly(raw)
    }

    /// Copies `bytes` into locked memory. The caller remains responsible for wiping its own copy.
    public convenience init(copying bytes: some Collection<UInt8>) throws {
        try self.init(count: bytes.count) { buffer in
            _ = buffer.initializeMemory(as: UInt8.self, from: bytes)
        }
    }

    /// Copies the bytes of a raw buffer into locked memory.
    public convenience init(copying bytes: UnsafeRawBufferPointer) throws {
        try self.init(count: bytes.count) { buffer in
            if bytes.count > 0 { buffer.copyMemory(from: bytes) }
        }
    }

    /// `count` random bytes from `random`.
    public static func random(count: Int, using random: some RandomSource = SystemRandom()) throws -> SecureBytes {
        try SecureBytes(count: count) { random.fill($0) }
    }

    deinit {
        sodium_mprotect_readwrite(pointer)
        sodium_free(pointer)  // zeroes before freeing
    }

    /// Gives read access to the bytes for the duration of `body`. Do not let the pointer escape.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    /// Compares with other secret bytes in constant time (for equal lengths).
    public func constantTimeEquals(_ other: SecureBytes) -> Bool {
        withUnsafeBytes { a in other.withUnsafeBytes { b in ConstantTime.equals(a, b) } }
    }

    /// A new buffer holding `range` of these bytes.
    public func slice(_ range: Range<Int>) throws -> SecureBytes {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "slice out of bounds")
        return try withUnsafeBytes { whole in
            try SecureBytes(copying: UnsafeRawBufferPointer(rebasing: whole[range]))
        }
    }

    /// Concatenates secret buffers into one new buffer.
    public static func concatenating(_ parts: [SecureBytes]) throws -> SecureBytes {
        let total = parts.reduce(0) { $0 + $1.count }
        return try SecureBytes(count: total) { out in
            var offset = 0
            for part in parts {
                part.withUnsafeBytes { bytes in
                    if bytes.count > 0 {
                        UnsafeMutableRawBufferPointer(rebasing: out[offset..<(offset + bytes.count)]).copyMemory(
                            from: bytes)
                    }
                }
                offset += part.count
            }
        }
    }
}

extension SecureBytes: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "SecureBytes(\(count) bytes, redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["count": count]) }
}

/// Wipes a byte array in place. Use on the rare temporary `[UInt8]` that held a secret.
public func wipe(_ bytes: inout [UInt8]) {
    bytes.withUnsafeMutableBytes { buffer in
        if let base = buffer.baseAddress { sodium_memzero(base, buffer.count) }
    }
}

/// Zeroes a buffer in a way the compiler cannot optimise away (`sodium_memzero`).
public func wipe(_ buffer: UnsafeMutableRawBufferPointer) {
    if let base = buffer.baseAddress, buffer.count > 0 { sodium_memzero(base, buffer.count) }
}
