import GST
import SealedFile
import Sodium

#if canImport(Glibc)
    import Glibc
#endif

/// Why a session could not be used; the caller falls back to the passphrase with a one-line note.
public enum SessionError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformedVariable
    case missing
    case expired(at: Timestamp)
    case otherVault
    case passphraseChanged
    case tampered

    public var description: String {
        switch self {
        case .malformedVariable: "NICVAULT_SESSION is not a nicvault session"
        case .missing: "the session has ended (nicvault lock, or a reboot)"
        case .expired(let at): "the session expired at \(at)"
        case .otherVault: "the session belongs to another vault"
        case .passphraseChanged: "the vault passphrase changed since the session began"
        case .tampered: "the session file is damaged"
        }
    }
}

/// Unlock sessions: a random session key that lives only in the `NICVAULT_SESSION` variable, and the vault
/// key wrapped under it, bound to the vault id, the passphrase slot and an expiry, in a 0600 file.
/// Opening with a session costs no Argon2id. A passphrase change ends every session (the slot changes).
public struct SessionStore: Sendable {
    /// The folder of session files (0700).
    public let folder: String
    let fileSystem: any FileSystem

    static let magic = Array("NICVSESS".utf8)
    static let fileLength = 8 + 1 + 16 + 32 + 8 + 24 + 48

    public init(folder: String, fileSystem: any FileSystem = POSIXFileSystem()) {
        self.folder = folder
        self.fileSystem = fileSystem
    }

    /// Starts a session for `vault`, valid for `seconds`, and returns the value of `NICVAULT_SESSION`.
    public func start(for vault: Vault, seconds: Int64, random: some RandomSource = SystemRandom()) throws -> String {
        try fileSystem.makeDirectories(folder, mode: 0o700)
        try fileSystem.setMode(folder, mode: 0o700)
        let id = random.bytes(count: 16)
        let sessionKey = try SymmetricKey.random(using: random)
        let expiry = vault.now.adding(seconds: seconds)
        let header = Self.header(vault: vault.opened.header, expiry: expiry)
        let nonce = XChaCha20Poly1305.randomNonce(using: random)
        let wrapped = try XChaCha20Poly1305.seal(
            vault.opened.key.secureBytes, using: sessionKey, nonce: nonce, authenticating: header + id)
        try AtomicFile.replace(path(id), with: header + nonce + wrapped, backup: nil, fileSystem: fileSystem)
        return Hex.encode(id) + "." + sessionKey.withUnsafeBytes { Hex.encode($0) }
    }

    /// The vault key of the session named by `variable`, for the vault at `store`.
    public func key(variable: String, store: VaultStore, now: Timestamp) throws -> SymmetricKey {
        let parts = variable.split(separator: ".")
        guard parts.count == 2, let id = Hex.decode(parts[0]), id.count == 16, var keyBytes = Hex.decode(parts[1]),
            keyBytes.count == 32
        else { throw SessionError.malformedVariable }
        defer { wipe(&keyBytes) }
        let sessionKey = try SymmetricKey(SecureBytes(copying: keyBytes))
        guard let bytes = try fileSystem.read(path(id)) else { throw SessionError.missing }
        guard bytes.count == Self.fileLength, Array(bytes[0..<8]) == Self.magic, bytes[8] == 1 else {
            throw SessionError.tampered
        }
        let headerLength = 8 + 1 + 16 + 32 + 8
        let header = Array(bytes[0..<headerLength])
        let nonce = Array(bytes[headerLength..<(headerLength + 24)])
        let wrapped = Array(bytes[(headerLength + 24)...])
        let vaultKey: SymmetricKey
        do {
            vaultKey = try SymmetricKey(
                XChaCha20Poly1305.open(wrapped, using: sessionKey, nonce: nonce, authenticating: header + id))
        } catch {
            throw SessionError.tampered
        }
        // Authenticated: the fields can be trusted now.
        let expiry = Timestamp(secondsSince1970: Int64(bitPattern: header[57..<65].reduce(0) { $0 << 8 | UInt64($1) }))
        guard now < expiry else { throw SessionError.expired(at: expiry) }
        guard let current = try fileSystem.read(store.path), let parsed = try? VaultFormat.parse(current) else {
            throw StoreError.vaultMissing(path: store.path)
        }
        guard Array(header[9..<25]) == parsed.header.vaultID else { throw SessionError.otherVault }
        guard Array(header[25..<57]) == Self.slotFingerprint(parsed.header) else {
            throw SessionError.passphraseChanged
        }
        return vaultKey
    }

    /// Removes every session file (nicvault lock). Returns how many there were.
    @discardableResult
    public func endAll() -> Int {
        guard let names = try? listFolder() else { return 0 }
        for name in names { fileSystem.remove(Path.join(folder, name)) }
        return names.count
    }

    /// Removes the sessions of one vault (after a passphrase change).
    public func end(vaultID: [UInt8]) {
        guard let names = try? listFolder() else { return }
        for name in names {
            let file = Path.join(folder, name)
            if let bytes = try? fileSystem.read(file), bytes.count == Self.fileLength, Array(bytes[9..<25]) == vaultID {
                fileSystem.remove(file)
            }
        }
    }

    func path(_ id: [UInt8]) -> String { Path.join(folder, Hex.encode(id) + ".session") }

    func listFolder() throws -> [String] {
        guard let directory = opendir(folder) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.hasSuffix(".session") { names.append(name) }
        }
        return names
    }

    static func header(vault: VaultHeader, expiry: Timestamp) -> [UInt8] {
        magic + [1] + vault.vaultID + slotFingerprint(vault)
            + UInt64(bitPattern: expiry.secondsSince1970).bigEndianBytes
    }

    /// BLAKE2b-256 of the passphrase slot: a new passphrase (new salt) changes it, which ends old sessions.
    static func slotFingerprint(_ header: VaultHeader) -> [UInt8] {
        BLAKE2b.hash(header.passphraseSlot?.body ?? [], outputByteCount: 32)
    }
}
