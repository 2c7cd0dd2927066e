import Sodium

/// Why a session file was refused.
public enum SessionFileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not the length of a version 1 session file.
    case wrongLength(Int)
    /// The magic is not "NICVSESS".
    case notASession
    /// A version this nicvault does not read.
    case unsupportedVersion(UInt8)
    /// The wrapped key does not open with the session key and id (damaged, or the wrong session).
    case damaged

    public var description: String {
        switch self {
        case .wrongLength(let count): "a session file is \(SessionFile.byteCount) bytes, not \(count)"
        case .notASession: "not a nicvault session file"
        case .unsupportedVersion(let version): "session file version \(version) is not supported"
        case .damaged: "the session file is damaged or belongs to another session"
        }
    }
}

/// The session file, version 1 (docs/format.md, "The session file"), byte for byte:
/// `"NICVSESS"`, version `01`, the vault id (16), the BLAKE2b-256 fingerprint of the vault's passphrase slot
/// (32), the expiry in seconds since 1970 (u64, big-endian), then the XChaCha20-Poly1305 nonce (24) and the
/// vault key sealed under the session key (48), with the 65 header bytes and the session id as associated
/// data. Like the vault file: one reader, one writer, typed errors, vectors (FormatVectors).
public struct SessionFile: Sendable, Equatable {
    public static let magic = Array("NICVSESS".utf8)
    public static let version: UInt8 = 1
    public static let headerByteCount = 8 + 1 + 16 + 32 + 8
    public static let byteCount = headerByteCount + 24 + 48

    public let vaultID: [UInt8]
    public let slotFingerprint: [UInt8]
    public let expiry: Int64
    public let nonce: [UInt8]
    public let wrappedKey: [UInt8]

    /// The authenticated header bytes.
    public var header: [UInt8] {
        Self.magic + [Self.version] + vaultID + slotFingerprint + UInt64(bitPattern: expiry).bigEndianBytes
    }

    public func serialized() -> [UInt8] { header + nonce + wrappedKey }

    /// Seals `vaultKey` under `sessionKey` for the session `id`.
    public static func seal(
        vaultKey: SymmetricKey, sessionKey: SymmetricKey, id: [UInt8], vault: VaultHeader, expiry: Int64,
        random: some RandomSource
    ) throws -> SessionFile {
        let fingerprint = slotFingerprint(of: vault)
        let header = magic + [version] + vault.vaultID + fingerprint + UInt64(bitPattern: expiry).bigEndianBytes
        let nonce = XChaCha20Poly1305.randomNonce(using: random)
        let wrapped = try XChaCha20Poly1305.seal(
            vaultKey.secureBytes, using: sessionKey, nonce: nonce, authenticating: header + id)
        return SessionFile(
            vaultID: vault.vaultID, slotFingerprint: fingerprint, expiry: expiry, nonce: nonce, wrappedKey: wrapped)
    }

    /// Splits a session file into its fields; nothing is trusted before `open` authenticates it.
    public static func parse(_ bytes: [UInt8]) throws(SessionFileError) -> SessionFile {
        guard bytes.count == byteCount else { throw .wrongLength(bytes.count) }
        guard Array(bytes[0..<8]) == magic else { throw .notASession }
        guard bytes[8] == version else { throw .unsupportedVersion(bytes[8]) }
        var reader = ByteReader(bytes, offset: 9)
        do {
            let vaultID = try reader.raw(16)
            let fingerprint = try reader.raw(32)
            let expiry = Int64(bitPattern: try reader.u64())
            return SessionFile(
                vaultID: vaultID, slotFingerprint: fingerprint, expiry: expiry, nonce: try reader.raw(24),
                wrappedKey: try reader.raw(48))
        } catch {
            throw .wrongLength(bytes.count)
        }
    }

    /// The vault key, once the session key and id authenticate the whole file.
    public func open(sessionKey: SymmetricKey, id: [UInt8]) throws(SessionFileError) -> SymmetricKey {
        do {
            return try SymmetricKey(
                XChaCha20Poly1305.open(wrappedKey, using: sessionKey, nonce: nonce, authenticating: header + id))
        } catch {
            throw .damaged
        }
    }

    /// BLAKE2b-256 of the passphrase slot: a new passphrase (new salt) changes it, which ends old sessions.
    public static func slotFingerprint(of header: VaultHeader) -> [UInt8] {
        BLAKE2b.hash(header.passphraseSlot?.body ?? [], outputByteCount: 32)
    }
}
