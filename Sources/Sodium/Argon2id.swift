import CSodium

/// Argon2id cost parameters, as libsodium's `crypto_pwhash` takes them (one lane, version 1.3).
public struct Argon2idParameters: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// Number of passes over memory (libsodium's opslimit).
    public var opsLimit: UInt64
    /// Memory in bytes (libsodium's memlimit).
    public var memLimit: UInt64

    /// Creates parameters; nothing is checked here, `Argon2id.check` does that.
    public init(opsLimit: UInt64, memLimit: UInt64) {
        self.opsLimit = opsLimit
        self.memLimit = memLimit
    }

    /// libsodium's INTERACTIVE preset: 2 passes, 64 MiB.
    public static let interactive = Argon2idParameters(
        opsLimit: UInt64(crypto_pwhash_OPSLIMIT_INTERACTIVE), memLimit: UInt64(crypto_pwhash_MEMLIMIT_INTERACTIVE))
    /// libsodium's MODERATE preset: 3 passes, 256 MiB.
    public static let moderate = Argon2idParameters(
        opsLimit: UInt64(crypto_pwhash_OPSLIMIT_MODERATE), memLimit: UInt64(crypto_pwhash_MEMLIMIT_MODERATE))
    /// libsodium's SENSITIVE preset: 4 passes, 1 GiB.
    public static let sensitive = Argon2idParameters(
        opsLimit: UInt64(crypto_pwhash_OPSLIMIT_SENSITIVE), memLimit: UInt64(crypto_pwhash_MEMLIMIT_SENSITIVE))

    public var description: String { "Argon2id(ops \(opsLimit), mem \(memLimit / 1_048_576) MiB)" }
}

/// Argon2id key derivation (`crypto_pwhash` with `crypto_pwhash_ALG_ARGON2ID13`).
public enum Argon2id {
    /// Salt length in bytes.
    public static let saltByteCount = Int(crypto_pwhash_SALTBYTES)
    /// libsodium's algorithm identifier for Argon2id v1.3.
    public static let algorithmIdentifier = UInt8(crypto_pwhash_ALG_ARGON2ID13)

    /// Derives a 256-bit key from `passphrase` and `salt`.
    public static func deriveKey(
        from passphrase: SecureBytes, salt: [UInt8], parameters: Argon2idParameters
    ) throws -> SymmetricKey {
        try ensureSodium()
        guard salt.count == saltByteCount else {
            throw SodiumError.wrongLength(what: "salt", expected: saltByteCount, actual: salt.count)
        }
        let key = try SecureBytes(count: SymmetricKey.byteCount) { out in
            let result = passphrase.withUnsafeBytes { pass in
                crypto_pwhash(
                    out.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(out.count),
                    pass.baseAddress!.assumingMemoryBound(to: CChar.self), UInt64(pass.count),
                    salt, parameters.opsLimit, Int(clamping: parameters.memLimit),
                    crypto_pwhash_ALG_ARGON2ID13)
            }
            guard result == 0 else {
                throw SodiumError.keyDerivationFailed(opsLimit: parameters.opsLimit, memLimit: parameters.memLimit)
            }
        }
        return try SymmetricKey(key)
    }

    /// A fresh random salt.
    public static func randomSalt(using random: some RandomSource = SystemRandom()) -> [UInt8] {
        random.bytes(count: saltByteCount)
    }
}
