/// Why a sealed file could not be read, opened or written. Each case says what to do.
public enum SealedFileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The first eight bytes are not the nicvault magic: some other file.
    case notAVault
    /// The file ends before the format says it should.
    case truncated(needed: Int, actual: Int)
    /// A format version this build does not know.
    case unsupportedVersion(UInt16)
    /// A header field breaks a rule of the format (named in the message).
    case malformedHeader(String)
    /// The header checksum does not match: the header was damaged or edited.
    case headerChecksumMismatch
    /// Bytes follow the end of the sealed payload.
    case trailingBytes(count: Int)
    /// A key slot type this build does not know.
    case unknownSlotType(UInt8)
    /// A passphrase slot names a key derivation other than Argon2id v1.3.
    case unsupportedKDF(UInt8)
    /// Argon2id parameters below INTERACTIVE or above the cap.
    case kdfParametersOutOfRange(opsLimit: UInt64, memLimit: UInt64, reason: String)
    /// The vault has no passphrase slot; it opens only with a recipient identity.
    case noPassphraseSlot
    /// No recipient slot matches this identity.
    case notARecipient
    /// The passphrase does not unwrap the vault key.
    case wrongPassphrase
    /// The payload failed authentication: the file was damaged or tampered with after the header.
    case payloadDamaged
    /// A recipient slot matched the identity but its sealed key did not open.
    case recipientSlotDamaged
    /// The payload decrypted but its padding is not canonical.
    case paddingDamaged
    /// Version 2: the unwrapped key is not the one the header commits to (a slot wraps another key).
    case keyCommitmentMismatch
    /// Version 2: the manifest failed authentication or its table is not well formed.
    case manifestDamaged
    /// Version 2: a record is missing, extra, out of place, of another version, or failed authentication.
    case recordDamaged(String)
    /// A library call was given something that cannot be sealed (named in the message).
    case invalidArgument(String)

    /// True for every error that means "the bytes are not a valid vault", as opposed to a wrong secret.
    public var isDamage: Bool {
        switch self {
        case .truncated, .malformedHeader, .headerChecksumMismatch, .trailingBytes, .payloadDamaged,
            .recipientSlotDamaged, .paddingDamaged, .keyCommitmentMismatch, .manifestDamaged, .recordDamaged:
            true
        default: false
        }
    }

    /// The damage in a few words, without the file's advice (a database has no .bak to restore).
    public var briefDamage: String {
        switch self {
        case .truncated, .trailingBytes: "records missing or extra"
        case .recordDamaged(let what): what
        case .manifestDamaged: "the manifest failed authentication"
        case .keyCommitmentMismatch: "the key slots do not agree on the key"
        case .headerChecksumMismatch, .malformedHeader: "the header"
        case .paddingDamaged: "the padding"
        case .payloadDamaged: "the contents failed authentication"
        case .recipientSlotDamaged: "a recipient's key slot"
        default: String(describing: self)
        }
    }

    public var description: String {
        switch self {
        case .notAVault: "not a nicvault file (the magic bytes are wrong); check the path"
        case .truncated(let needed, let actual):
            "the vault is truncated (\(actual) bytes, at least \(needed) needed); restore it from its .bak backup"
        case .unsupportedVersion(let version):
            "vault format version \(version) is not supported by this nicvault (it reads versions 1 and 2); upgrade nicvault"
        case .malformedHeader(let what): "the vault header is damaged (\(what)); restore it from its .bak backup"
        case .headerChecksumMismatch:
            "the vault header is damaged (checksum mismatch); restore it from its .bak backup"
        case .trailingBytes(let count):
            "the vault has \(count) unexpected bytes after its end; restore it from its .bak backup"
        case .unknownSlotType(let type):
            "the vault has a key slot of unknown type \(type); it was written by a newer nicvault, upgrade"
        case .unsupportedKDF(let alg):
            "the vault uses key derivation algorithm \(alg), which this nicvault does not support; upgrade"
        case .kdfParametersOutOfRange(let ops, let mem, let reason):
            "refused Argon2id parameters (ops \(ops), memory \(mem) bytes): \(reason)"
        case .noPassphraseSlot: "this vault has no passphrase; open it with a recipient identity"
        case .notARecipient: "this identity is not a recipient of the vault"
        case .wrongPassphrase: "wrong passphrase; nothing was changed"
        case .payloadDamaged:
            "the vault contents failed authentication (damaged or tampered with); restore it from its .bak backup"
        case .recipientSlotDamaged: "the recipient key slot is damaged; open the vault with its passphrase"
        case .paddingDamaged: "the vault contents are damaged (bad padding); restore it from its .bak backup"
        case .keyCommitmentMismatch:
            "the vault's key slots do not agree on its key (the header was forged or damaged); restore it from its .bak backup"
        case .manifestDamaged:
            "the vault's manifest failed authentication (damaged or tampered with); restore it from its .bak backup"
        case .recordDamaged(let what):
            "the vault is damaged or rolled back: \(what); restore it from its .bak backup"
        case .invalidArgument(let what): "cannot seal the vault: \(what)"
        }
    }
}
