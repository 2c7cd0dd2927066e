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
        case .missing: "the session has ended (nicvault lock, a passphrase change or re-key, or a reboot)"
        case .expired(let at): "the session expired at \(at)"
        case .otherVault: "the session belongs to another vault"
        case .passphraseChanged: "the vault passphrase changed since the session began"
        case .tampered:
            "the session file does not open with this NICVAULT_SESSION (a value cut or mistyped, or a damaged file)"
        }
    }
}

/// Unlock sessions: a random session key that lives only in the `NICVAULT_SESSION` variable, and the vault
/// key wrapped under it, bound to the vault id, the passphrase slot and an expiry, in a 0600 file whose bytes
/// SealedFile's `SessionFile` reads and writes. Opening with a session costs no Argon2id. A passphrase change
/// (a re-key) ends every session (the slot changes). This type keeps the policy: where the files live, when a
/// session no longer counts.
public struct SessionStore: Sendable {
    /// The folder of session files (0700).
    public let folder: String
    let fileSystem: any FileSystem

    public init(folder: String, fileSystem: any FileSystem = POSIXFileSystem()) {
        self.folder = folder
        self.fileSystem = fileSystem
    }

    /// The longest a session may last: a day.
    public static let maximumSeconds: Int64 = 86_400

    /// A session lifetime as typed: 30m, 2h, 900s, or a bare number of minutes (as --every takes a bare number
    /// of days); nil when it is not one, not positive or longer than `maximumSeconds`.
    public static func lifetime(_ text: String) -> Int64? {
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600]
        let (value, scale): (Int64?, Int64?) =
            Int64(text) != nil ? (Int64(text), 60) : (Int64(text.dropLast()), text.last.flatMap { units[$0] })
        guard let value, let scale else { return nil }
        let (seconds, overflow) = value.multipliedReportingOverflow(by: scale)
        return !overflow && seconds > 0 && seconds <= maximumSeconds ? seconds : nil
    }

    /// Starts a session for `vault`, valid for `seconds` (at most `maximumSeconds`), and returns the value of
    /// `NICVAULT_SESSION`.
    public func start(for vault: Vault, seconds: Int64, random: some RandomSource = SystemRandom()) throws -> String {
        precondition(seconds > 0 && seconds <= Self.maximumSeconds, "a session lasts from a second to a day")
        try fileSystem.makeDirectories(folder, mode: 0o700)
        try fileSystem.setMode(folder, mode: 0o700)
        let id = random.bytes(count: 16)
        let sessionKey = try SymmetricKey.random(using: random)
        let file = try SessionFile.seal(
            vaultKey: vault.opened.key, sessionKey: sessionKey, id: id, vault: vault.opened.header,
            expiry: vault.now.adding(seconds: seconds).secondsSince1970, random: random)
        try AtomicFile.replace(path(id), with: file.serialized(), backup: nil, fileSystem: fileSystem)
        return Hex.encode(id) + "." + sessionKey.withUnsafeBytes { Hex.encode($0) }
    }

    /// The vault key of the session named by `variable`, for the vault at `store`.
    public func key(variable: String, store: any VaultStorage, now: Timestamp) throws -> SymmetricKey {
        let parts = variable.split(separator: ".")
        guard parts.count == 2, let id = Hex.decode(parts[0]), id.count == 16, var keyBytes = Hex.decode(parts[1]),
            keyBytes.count == 32
        else { throw SessionError.malformedVariable }
        defer { wipe(&keyBytes) }
        let sessionKey = try SymmetricKey(SecureBytes(copying: keyBytes))
        guard let bytes = try fileSystem.read(path(id)) else { throw SessionError.missing }
        let file: SessionFile
        let vaultKey: SymmetricKey
        do {
            file = try SessionFile.parse(bytes)
            vaultKey = try file.open(sessionKey: sessionKey, id: id)
        } catch {
            throw SessionError.tampered
        }
        // Authenticated: the fields can be trusted now.
        let expiry = Timestamp(secondsSince1970: file.expiry)
        guard now < expiry else { throw SessionError.expired(at: expiry) }
        let header: VaultHeader
        do {
            header = try store.currentHeader()
        } catch is SealedFileError {
            throw StoreError.vaultMissing(path: store.location)
        }
        guard file.vaultID == header.vaultID else { throw SessionError.otherVault }
        guard file.slotFingerprint == SessionFile.slotFingerprint(of: header) else {
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
            if let bytes = try? fileSystem.read(file), let session = try? SessionFile.parse(bytes),
                session.vaultID == vaultID
            {
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
}
