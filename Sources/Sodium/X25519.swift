import CSodium

/// An X25519 public key: 32 bytes, not secret.
public struct X25519PublicKey: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// Key length in bytes.
    public static let byteCount = Int(crypto_box_PUBLICKEYBYTES)
    /// The raw key.
    public let rawRepresentation: [UInt8]

    /// Wraps 32 raw bytes.
    public init(rawRepresentation: [UInt8]) throws {
        guard rawRepresentation.count == Self.byteCount else {
            throw SodiumError.wrongLength(
                what: "X25519 public key", expected: Self.byteCount,
                actual: rawRepresentation.count)
        }
        self.rawRepresentation = rawRepresentation
    }

    public var description: String { "X25519PublicKey(\(Hex.encode(rawRepresentation)))" }
}

/// An X25519 private key in locked memory, with its public key.
public struct X25519PrivateKey: Sendable, CustomStringConvertible {
    /// Private key length in bytes.
    public static let byteCount = Int(crypto_box_SECRETKEYBYTES)
    /// Seed length for deterministic key pairs.
    public static let seedByteCount = Int(crypto_box_SEEDBYTES)

    let secret: SecureBytes
    /// The matching public key.
    public let publicKey: X25519PublicKey

    /// A fresh random key pair.
    public init() throws {
        try ensureSodium()
        var publicBytes = [UInt8](repeating: 0, count: X25519PublicKey.byteCount)
        secret = try SecureBytes(count: Self.byteCount) { out in
            guard crypto_box_keypair(&publicBytes, out.baseAddress!.assumingMemoryBound(to: UInt8.self)) == 0 else {
                throw SodiumError.operationFailed("crypto_box_keypair")
            }
        }
        publicKey = try X25519PublicKey(rawRepresentation: publicBytes)
    }

    /// The key pair that `crypto_box_seed_keypair` derives from a 32-byte seed.
    public init(seed: SecureBytes) throws {
        try ensureSodium()
        guard seed.count == Self.seedByteCount else {
            throw SodiumError.wrongLength(what: "X25519 seed", expected: Self.seedByteCount, actual: seed.count)
        }
        var publicBytes = [UInt8](repeating: 0, count: X25519PublicKey.byteCount)
        secret = try SecureBytes(count: Self.byteCount) { out in
            let result = seed.withUnsafeBytes { seedBytes in
                crypto_box_seed_keypair(
                    &publicBytes, out.baseAddress!.assumingMemoryBound(to: UInt8.self),
                    seedBytes.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
            guard result == 0 else { throw SodiumError.operationFailed("crypto_box_seed_keypair") }
        }
        publicKey = try X25519PublicKey(rawRepresentation: publicBytes)
    }

    /// Lends the 32 raw private key bytes (to encode an identity file); do not keep them.
    public func withRawBytes<R>(_ body: ([UInt8]) throws -> R) throws -> R {
        var bytes = secret.withUnsafeBytes { Array($0) }
        defer { wipe(&bytes) }
        return try body(bytes)
    }

    /// Restores a key pair from the 32 raw private key bytes.
    public init(rawRepresentation: SecureBytes) throws {
        try ensureSodium()
        guard rawRepresentation.count == Self.byteCount else {
            throw SodiumError.wrongLength(
                what: "X25519 private key", expected: Self.byteCount,
                actual: rawRepresentation.count)
        }
        var publicBytes = [UInt8](repeating: 0, count: X25519PublicKey.byteCount)
        let result = rawRepresentation.withUnsafeBytes { raw in
            crypto_scalarmult_base(&publicBytes, raw.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        guard result == 0 else { throw SodiumError.operationFailed("crypto_scalarmult_base") }
        secret = rawRepresentation
        publicKey = try X25519PublicKey(rawRepresentation: publicBytes)
    }

    /// The raw private key bytes (shared, not copied), for saving an identity file.
    public var rawRepresentation: SecureBytes { secret }

    public var description: String { "X25519PrivateKey(public: \(Hex.encode(publicKey.rawRepresentation)))" }
}

/// Anonymous public-key encryption: libsodium's sealed boxes (`crypto_box_seal`).
public enum SealedBox {
    /// Bytes a sealed box adds to its message: a 32-byte ephemeral public key and a 16-byte tag.
    public static let overheadByteCount = Int(crypto_box_sealbytes())

    /// Seals `message` so that only the holder of `recipient`'s private key can open it.
    public static func seal(_ message: SecureBytes, to recipient: X25519PublicKey) throws -> [UInt8] {
        try ensureSodium()
        var output = [UInt8](repeating: 0, count: message.count + overheadByteCount)
        let result = message.withUnsafeBytes { m in
            crypto_box_seal(
                &output, m.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(m.count),
                recipient.rawRepresentation)
        }
        guard result == 0 else { throw SodiumError.operationFailed("crypto_box_seal") }
        return output
    }

    /// Seals exactly as `crypto_box_seal` does, but with the ephemeral key pair derived from `ephemeralSeed`
    /// instead of drawn at random. Only for reproducible test vectors: a reused seed reveals the message
    /// to anyone who knows it.
    public static func seal(
        _ message: SecureBytes, to recipient: X25519PublicKey, ephemeralSeed: SecureBytes
    ) throws -> [UInt8] {
        let ephemeral = try X25519PrivateKey(seed: ephemeralSeed)
        // crypto_box_seal's nonce: BLAKE2b-192(ephemeral public key || recipient public key).
        let nonce = BLAKE2b.hash(
            ephemeral.publicKey.rawRepresentation + recipient.rawRepresentation,
            outputByteCount: Int(crypto_box_NONCEBYTES))
        var boxed = [UInt8](repeating: 0, count: message.count + Int(crypto_box_MACBYTES))
        let result = message.withUnsafeBytes { m in
            ephemeral.secret.withUnsafeBytes { esk in
                crypto_box_easy(
                    &boxed, m.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(m.count), nonce,
                    recipient.rawRepresentation, esk.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
        guard result == 0 else { throw SodiumError.operationFailed("crypto_box_easy") }
        return ephemeral.publicKey.rawRepresentation + boxed
    }

    /// Opens a sealed box into locked memory.
    public static func open(_ box: [UInt8], with key: X25519PrivateKey) throws -> SecureBytes {
        try ensureSodium()
        guard box.count >= overheadByteCount else { throw SodiumError.sealedBoxOpenFailed }
        return try SecureBytes(count: box.count - overheadByteCount) { out in
            let result = key.secret.withUnsafeBytes { sk in
                withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1) { spare in
                    crypto_box_seal_open(
                        out.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? spare.baseAddress, box,
                        UInt64(box.count), key.publicKey.rawRepresentation,
                        sk.baseAddress!.assumingMemoryBound(to: UInt8.self))
                }
            }
            guard result == 0 else { throw SodiumError.sealedBoxOpenFailed }
        }
    }
}

/// Ed25519 keys (OpenSSH's ssh-ed25519) as X25519 keys, as age and sops accept them: libsodium's birational map.
public enum Ed25519Conversion {
    /// The X25519 public key of a 32-byte Ed25519 public key.
    public static func publicKey(_ ed25519: [UInt8]) throws -> X25519PublicKey {
        try ensureSodium()
        guard ed25519.count == 32 else {
            throw SodiumError.wrongLength(what: "Ed25519 public key", expected: 32, actual: ed25519.count)
        }
        var out = [UInt8](repeating: 0, count: 32)
        guard crypto_sign_ed25519_pk_to_curve25519(&out, ed25519) == 0 else {
            throw SodiumError.operationFailed("crypto_sign_ed25519_pk_to_curve25519")
        }
        return try X25519PublicKey(rawRepresentation: out)
    }

    /// The X25519 private key of a 64-byte Ed25519 secret key (seed and public key, as OpenSSH stores it).
    public static func privateKey(_ ed25519Secret: SecureBytes) throws -> X25519PrivateKey {
        try ensureSodium()
        guard ed25519Secret.count == 64 else {
            throw SodiumError.wrongLength(what: "Ed25519 secret key", expected: 64, actual: ed25519Secret.count)
        }
        let converted = try SecureBytes(count: 32) { out in
            let result = ed25519Secret.withUnsafeBytes { secret in
                crypto_sign_ed25519_sk_to_curve25519(
                    out.baseAddress!.assumingMemoryBound(to: UInt8.self),
                    secret.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
            guard result == 0 else { throw SodiumError.operationFailed("crypto_sign_ed25519_sk_to_curve25519") }
        }
        return try X25519PrivateKey(rawRepresentation: converted)
    }
}
