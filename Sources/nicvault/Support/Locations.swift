import Foundation
import NICVault
import SealedFile
import Sodium

/// XDG folders.
enum Locations {
    /// $HOME, else the home folder of the user's passwd entry, as other tools do. With neither, nicvault
    /// stops rather than guess (it once fell back to root's home for everyone).
    static func home(_ env: [String: String]) -> String {
        if let home = env["HOME"], home.hasPrefix("/") { return home }
        if let entry = getpwuid(getuid()), let folder = entry.pointee.pw_dir, folder.pointee != 0 {
            return String(cString: folder)
        }
        Console.note(
            "error: HOME is not set and user \(getuid()) has no home folder in the passwd database; set HOME, or "
                + "give --vault and set XDG_DATA_HOME and XDG_STATE_HOME")
        exit(Exit.usage)
    }

    /// The real path of a file (symlinks resolved); for a file that does not exist yet, its folder resolved.
    static func realPath(_ path: String) -> String {
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

    static func dataHome(_ env: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let value = env["XDG_DATA_HOME"], value.hasPrefix("/") { return value }
        return Path.join(home(env), ".local/share")
    }

    static func stateHome(_ env: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let value = env["XDG_STATE_HOME"], value.hasPrefix("/") { return value }
        return Path.join(home(env), ".local/state")
    }

    /// Where session files live: $XDG_RUNTIME_DIR/nicvault (per login, cleared at reboot), else a private
    /// folder in the state folder.
    static func sessions(_ env: [String: String] = ProcessInfo.processInfo.environment) -> SessionStore {
        var info = stat()
        if let runtime = env["XDG_RUNTIME_DIR"], runtime.hasPrefix("/"), stat(runtime, &info) == 0,
            info.st_uid == getuid(), (info.st_mode & S_IFMT) == S_IFDIR
        {
            return SessionStore(folder: Path.join(runtime, "nicvault"))
        }
        return SessionStore(folder: Path.join(stateHome(env), "nicvault/sessions"))
    }

    static func configHome(_ env: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let value = env["XDG_CONFIG_HOME"], value.hasPrefix("/") { return value }
        return Path.join(home(env), ".config")
    }

    /// The identity nicvault opens vaults with when none is named: $XDG_CONFIG_HOME/nicvault/identity.txt.
    static func defaultIdentityFile(_ env: [String: String] = ProcessInfo.processInfo.environment) -> String {
        Path.join(configHome(env), "nicvault/identity.txt")
    }

    static func cacheHome(_ env: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let value = env["XDG_CACHE_HOME"], value.hasPrefix("/") { return value }
        return Path.join(home(env), ".cache")
    }

    /// The lookup file of the vault file at `path` (its real path): $XDG_CACHE_HOME/nicvault/lookup/, named by a
    /// hash of the path (docs/format.md, "The lookup file").
    static func lookupFile(for path: String) -> String {
        let name = Hex.encode(BLAKE2b.hash(Array(path.utf8), outputByteCount: 16))
        return Path.join(cacheHome(), "nicvault/lookup/" + name)
    }

    /// Where the highest generation seen of each vault is remembered.
    static func generationsFolder() -> String { Path.join(stateHome(), "nicvault/generations") }
}
