import Foundation
import SealedFile
import Sodium

/// Where a user's vault is by default and where everything beside it is kept, in the user's XDG folders
/// (PRODUCT.md): the rollback memory, the lookup files, the sessions, the flow locks of a database store, the
/// default identity. A program that opens vaults through this library finds them where the CLI does, so both share
/// the rollback memory and the sessions.
public struct Locations: Sendable {
    let environment: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    /// $HOME, else the home folder of the user's passwd entry, as other tools do. With neither, an error rather
    /// than a guess (nicvault once fell back to root's home for everyone).
    func home() throws -> String {
        if let home = environment["HOME"], home.hasPrefix("/") { return home }
        if let entry = getpwuid(getuid()), let folder = entry.pointee.pw_dir, folder.pointee != 0 {
            return String(cString: folder)
        }
        throw LocationError.noHome(uid: getuid())
    }

    /// The absolute folder in `variable`, else `fallback` below the home folder.
    private func folder(_ variable: String, else fallback: String) throws -> String {
        if let value = environment[variable], value.hasPrefix("/") { return value }
        return Path.join(try home(), fallback)
    }

    public func dataHome() throws -> String { try folder("XDG_DATA_HOME", else: ".local/share") }
    public func stateHome() throws -> String { try folder("XDG_STATE_HOME", else: ".local/state") }
    public func configHome() throws -> String { try folder("XDG_CONFIG_HOME", else: ".config") }
    public func cacheHome() throws -> String { try folder("XDG_CACHE_HOME", else: ".cache") }

    /// The vault file when none is named: $NICVAULT_FILE, else $XDG_DATA_HOME/nicvault/vault.nicv.
    public func defaultVault() throws -> String {
        if let file = environment["NICVAULT_FILE"], !file.isEmpty { return file }
        return Path.join(try dataHome(), "nicvault/vault.nicv")
    }

    /// Where the highest generation seen of each vault is remembered.
    public func generations() throws -> RollbackMemory {
        RollbackMemory(directory: Path.join(try stateHome(), "nicvault/generations"))
    }

    /// Where session files live: $XDG_RUNTIME_DIR/nicvault (per login, cleared at reboot) when it is the user's
    /// folder, else a private folder in the state folder.
    public func sessions() throws -> SessionStore {
        var info = stat()
        if let runtime = environment["XDG_RUNTIME_DIR"], runtime.hasPrefix("/"), stat(runtime, &info) == 0,
            info.st_uid == getuid(), (info.st_mode & S_IFMT) == S_IFDIR
        {
            return SessionStore(folder: Path.join(runtime, "nicvault"))
        }
        return SessionStore(folder: Path.join(try stateHome(), "nicvault/sessions"))
    }

    /// The identity vaults are opened with when none is named: $XDG_CONFIG_HOME/nicvault/identity.txt.
    public func defaultIdentityFile() throws -> String { Path.join(try configHome(), "nicvault/identity.txt") }

    /// The lookup file of the vault file at `path` (its real path): $XDG_CACHE_HOME/nicvault/lookup/, named by a
    /// hash of the path (docs/format.md, "The lookup file").
    public func lookupFile(for path: String) throws -> String {
        Path.join(try cacheHome(), "nicvault/lookup/" + Self.name(path))
    }

    /// Where the flow locks of the database store at `url` (as written) are kept: a folder per store.
    public func flowLocks(forStore url: String) throws -> String {
        Path.join(try stateHome(), "nicvault/flows/" + Self.name(url))
    }

    private static func name(_ text: String) -> String {
        Hex.encode(BLAKE2b.hash(Array(text.utf8), outputByteCount: 16))
    }

    /// The real path of a file (symlinks resolved); for a file that does not exist yet, its folder resolved. A
    /// store opened at the real path keeps its lock, temporary file and backup beside the real file, and a save
    /// replaces the real file, never the link.
    public static func realPath(_ path: String) -> String {
        if let resolved = realpath(path, nil) {
            defer { free(resolved) }
            return String(cString: resolved)
        }
        if let folder = realpath(Path.directory(of: path), nil) {
            defer { free(folder) }
            return Path.join(String(cString: folder), Path.fileName(of: path))
        }
        return path
    }
}

public enum LocationError: Error, Equatable, Sendable, CustomStringConvertible {
    case noHome(uid: UInt32)

    public var description: String {
        switch self {
        case .noHome(let uid):
            "HOME is not set and user \(uid) has no home folder in the passwd database; set HOME, or give --vault "
                + "and set XDG_DATA_HOME and XDG_STATE_HOME"
        }
    }
}
