import CSodium
import Synchronization

/// Where random bytes come from. Production uses `SystemRandom`; test vectors use `DeterministicRandom`.
public protocol RandomSource: Sendable {
    /// Fills `buffer` with random bytes.
    func fill(_ buffer: UnsafeMutableRawBufferPointer)
}

extension RandomSource {
    /// `count` random bytes (not secret: use `SecureBytes.random` for secrets).
    public func bytes(count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        out.withUnsafeMutableBytes { fill($0) }
        return out
    }

    /// A uniformly distributed integer in `0..<upperBound`, without modulo bias
    /// (the rejection rule of libsodium's `randombytes_uniform`).
    public func uniform(_ upperBound: UInt32) -> UInt32 {
        precondition(upperBound > 0, "upper bound must be positive")
        if upperBound == 1 { return 0 }
        let minimum = (0 &- upperBound) % upperBound  // 2^32 mod upperBound
        while true {
            var value: UInt32 = 0
            withUnsafeMutableBytes(of: &value) { fill($0) }
            if value >= minimum { return value % upperBound }
        }
    }
}

/// The operating system's randomness through libsodium's `randombytes_buf`.
public struct SystemRandom: RandomSource {
    /// Creates the source; it has no state.
    public init() {}

    public func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        try? ensureSodium()
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        randombytes_buf(base, buffer.count)
    }
}

/// A reproducible byte stream from a 32-byte seed, for test vectors and tests only.
/// Block `i` of the stream is `randombytes_buf_deterministic` keyed with BLAKE2b-256(seed || i as u64 BE).
public final class DeterministicRandom: RandomSource {
    private let seed: [UInt8]
    private let counter = Mutex<UInt64>(0)

    /// A stream determined entirely by `seed`.
    public init(seed: [UInt8]) {
        precondition(seed.count == 32, "seed must be 32 bytes")
        self.seed = seed
    }

    /// A stream determined by the BLAKE2b-256 of a label, for readable test code.
    public convenience init(label: String) {
        self.init(seed: BLAKE2b.hash(Array(label.utf8), outputByteCount: 32))
    }

    public func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        let index = counter.withLock { value -> UInt64 in
            defer { value += 1 }
            return value
        }
        let blockSeed = BLAKE2b.hash(seed + index.bigEndianBytes, outputByteCount: 32)
        randombytes_buf_deterministic(base, buffer.count, blockSeed)
    }
}

extension UInt64 {
    /// Eight bytes, most significant first.
    public var bigEndianBytes: [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: self >> (56 - 8 * $0)) } }
}
