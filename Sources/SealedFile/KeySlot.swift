import Sodium

/// How a vault key is unlocked: a passphrase, or the private key of an X25519 recipient.
public enum Unlocker: Sendable {
    case passphrase(SecureBytes)
    case identity(X25519PrivateKey)
}

/// One wrapping of the vault key in the header. Each slot type has a fixed body length.
public protocol KeySlot: Sendable {
    /// The slot type byte in the file.
    static var typeCode: UInt8 { get }
    /// The exact body length in bytes.
    static var bodyByteCount: Int { get }
    /// The body bytes, exactly as they stand in the file.
    var body: [UInt8] { get }
    /// The vault key, or nil when `unlocker` is not the kind this slot takes.
    /// Throws when it is the right kind but does not unwrap the key.
    func unwrap(with unlocker: Unlocker, vaultID: [UInt8]) throws -> SymmetricKey?
}

/// Limits on Argon2id parameters accepted on open: libsodium's INTERACTIVE at the bottom
/// (a downgrade defence) and 10 passes / 4 GiB at the top (a denial-of-service defence).
public enum KDFLimits {
    public static let minimumOpsLimit: UInt64 = Argon2idParameters.interactive.opsLimit
    public static let minimumMemLimit: UInt64 = Argon2idParameters.interactive.memLimit
    public static let maximumOpsLimit: UInt64 = 10
    public static let maximumMemLimit: UInt64 = 4 << 30

    /// The bound a reader applies before deriving anything unless told otherwise: libsodium's SENSITIVE.
    public static let defaultAllowance = (
        memLimit: Argon2idParameters.sensitive.memLimit, opsLimit: Argon2idParameters.sensitive.opsLimit
    )

    /// True when `parameters` stay within what the reader allows: SENSITIVE, or with `allowedMemory` that much
    /// memory and the format's own cap of passes.
    public static func isAllowed(_ parameters: Argon2idParameters, allowedMemory: UInt64? = nil) -> Bool {
        let memory = allowedMemory ?? defaultAllowance.memLimit
        let passes = allowedMemory == nil ? defaultAllowance.opsLimit : maximumOpsLimit
        return parameters.memLimit <= memory && parameters.opsLimit <= passes
    }

    /// Throws `kdfParametersOutOfRange` with the rule that was broken.
    public static func check(_ parameters: Argon2idParameters) throws(SealedFileError) {
        let (ops, mem) = (parameters.opsLimit, parameters.memLimit)
        if ops < minimumOpsLimit {
            throw .kdfParametersOutOfRange(opsLimit: ops, memLimit: mem, reason: "fewer than \(minimumOpsLimit) passes")
        }
        if mem < minimumMemLimit {
            throw .kdfParametersOutOfRange(opsLimit: ops, memLimit: mem, reason: "less than 64 MiB of memory")
        }
        if ops > maximumOpsLimit {
            throw .kdfParametersOutOfRange(opsLimit: ops, memLimit: mem, reason: "more than \(maximumOpsLimit) passes")
        }
        if mem > maximumMemLimit {
            throw .kdfParametersOutOfRange(opsLimit: ops, memLimit: mem, reason: "more than 4 GiB of memory")
        }
    }
}

/// Type 1: the vault key wrapped with XChaCha20-Poly1305 under a key derived from a passphrase by Argon2id.
public struct PassphraseSlot: KeySlot, Equatable {
    public static let typeCode: UInt8 = 1
    public static let bodyByteCount = 1 + 4 + 8 + 16 + 24 + 48

    /// Argon2id cost.
    public let parameters: Argon2idParameters
    /// 16-byte Argon2id salt, fresh for every passphrase set.
    public let salt: [UInt8]
    /// 24-byte nonce of the wrapping.
    public let nonce: [UInt8]
    /// The vault key (32 bytes) sealed with its 16-byte tag.
    public let wrappedKey: [UInt8]

    /// Wraps `vaultKey` under `passphrase`, with a fresh salt and nonce from `random`.
    public init(
        wrapping vaultKey: SymmetricKey, passphrase: SecureBytes, parameters: Argon2idParameters, vaultID: [UInt8],
        random: some RandomSource = SystemRandom()
    ) throws {
        self.parameters = parameters
        salt = Argon2id.randomSalt(using: random)
        nonce = XChaCha20Poly1305.randomNonce(using: random)
        let kek = try Argon2id.deriveKey(from: passphrase, salt: salt, parameters: parameters)
        wrappedKey = try XChaCha20Poly1305.seal(
            vaultKey.secureBytes, using: kek, nonce: nonce,
            authenticating: Self.associatedData(vaultID: vaultID, parameters: parameters, salt: salt))
    }

    init(parsing body: [UInt8]) throws(SealedFileError) {
        var reader = ByteReader(body)
        let algorithm = try reader.u8()
        guard algorithm == Argon2id.algorithmIdentifier else { throw .unsupportedKDF(algorithm) }
        let ops = UInt64(try reader.u32())
        let mem = try reader.u64()
        parameters = Argon2idParameters(opsLimit: ops, memLimit: mem)
        salt = try reader.raw(16)
        nonce = try reader.raw(24)
        wrappedKey = try reader.raw(48)
    }

    public var body: [UInt8] {
        var writer = ByteWriter()
        writer.raw(Self.kdfFields(parameters: parameters, salt: salt))
        writer.raw(nonce)
        writer.raw(wrappedKey)
        return writer.bytes
    }

    public func unwrap(with unlocker: Unlocker, vaultID: [UInt8]) throws -> SymmetricKey? {
        guard case .passphrase(let passphrase) = unlocker else { return nil }
        try KDFLimits.check(parameters)
        let kek = try Argon2id.deriveKey(from: passphrase, salt: salt, parameters: parameters)
        do {
            let key = try XChaCha20Poly1305.open(
                wrappedKey, using: kek, nonce: nonce,
                authenticating: Self.associatedData(vaultID: vaultID, parameters: parameters, salt: salt))
            return try SymmetricKey(key)
        } catch SodiumError.authenticationFailed {
            throw SealedFileError.wrongPassphrase
        }
    }

    private static func kdfFields(parameters: Argon2idParameters, salt: [UInt8]) -> [UInt8] {
        var writer = ByteWriter()
        writer.u8(Argon2id.algorithmIdentifier)
        writer.u32(UInt32(clamping: parameters.opsLimit))
        writer.u64(parameters.memLimit)
        writer.raw(salt)
        return writer.bytes
    }

    /// The wrapping binds the slot to its vault and to its own KDF fields.
    static func associatedData(vaultID: [UInt8], parameters: Argon2idParameters, salt: [UInt8]) -> [UInt8] {
        vaultID + [typeCode] + kdfFields(parameters: parameters, salt: salt)
    }
}

/// Type 2: the vault key in a libsodium sealed box (`crypto_box_seal`) to an X25519 public key.
public struct RecipientSlot: KeySlot, Equatable {
    public static let typeCode: UInt8 = 2
    public static let bodyByteCount = 32 + 32 + 48

    /// Whose slot this is.
    public let recipient: X25519PublicKey
    /// `crypto_box_seal(vault key, recipient)`: 80 bytes.
    public let sealedKey: [UInt8]

    /// Seals `vaultKey` to `recipient`.
    public init(wrapping vaultKey: SymmetricKey, for recipient: X25519PublicKey) throws {
        self.recipient = recipient
        sealedKey = try SealedBox.seal(vaultKey.secureBytes, to: recipient)
    }

    /// Seals with a fixed ephemeral seed, for reproducible test vectors only.
    public init(wrapping vaultKey: SymmetricKey, for recipient: X25519PublicKey, ephemeralSeed: SecureBytes) throws {
        self.recipient = recipient
        sealedKey = try SealedBox.seal(vaultKey.secureBytes, to: recipient, ephemeralSeed: ephemeralSeed)
    }

    init(parsing body: [UInt8]) throws(SealedFileError) {
        var reader = ByteReader(body)
        do {
            recipient = try X25519PublicKey(rawRepresentation: try reader.raw(32))
        } catch {
            throw .malformedHeader("recipient public key")
        }
        sealedKey = try reader.raw(80)
    }

    public var body: [UInt8] { recipient.rawRepresentation + sealedKey }

    public func unwrap(with unlocker: Unlocker, vaultID: [UInt8]) throws -> SymmetricKey? {
        guard case .identity(let identity) = unlocker, identity.publicKey == recipient else { return nil }
        do {
            return try SymmetricKey(SealedBox.open(sealedKey, with: identity))
        } catch {
            throw SealedFileError.recipientSlotDamaged
        }
    }
}
