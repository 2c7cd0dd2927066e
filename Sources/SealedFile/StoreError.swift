/// Why the store refused or failed an operation. Each message says what to do.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A system call failed (disk full, I/O error, permissions of a folder).
    case io(FileSystemError)
    /// The new generation is in place but the folder fsync failed: it may not survive a power cut.
    case notDurable(FileSystemError)
    /// Another process holds the vault lock.
    case locked(path: String, seconds: Double)
    /// The vault or its backup can be read by group or others.
    case unsafePermissions(path: String, mode: UInt32)
    /// The vault is older than one this user has already seen.
    case rollback(vaultID: String, found: UInt64, remembered: UInt64)
    /// The vault has the generation already seen, but other contents.
    case forked(vaultID: String, generation: UInt64)
    /// `create` found a vault already there.
    case vaultExists(path: String)
    /// There is no vault at the path.
    case vaultMissing(path: String)
    /// Between opening and saving, the file at the path became another vault or was re-keyed.
    case vaultReplaced(path: String)
    /// The backup beside the vault is a later generation of the same vault: an older copy was put in its place.
    case backupNewer(path: String, found: UInt64, backup: UInt64)
    /// The passphrase slot asks Argon2id for more than the reader allows (nil: libsodium's SENSITIVE).
    case kdfAboveAllowance(memLimit: UInt64, opsLimit: UInt64, allowance: UInt64?)
    /// A database store could not be reached or refused the operation (the message says which and what to do).
    case database(String)
    /// A database store stopped answering in the middle of an operation (a time-out, a dropped connection, a
    /// server shut down): a change may or may not have been committed.
    case databaseUnanswered(String)
    /// The vault a database store holds failed a format check: damaged, or changed by someone without the key.
    case damagedInStore(location: String, reason: String)

    public var description: String {
        switch self {
        case .io(let error): error.description + " (the vault is unchanged)"
        case .notDurable(let error):
            "the change was written, but " + error.description + " (it may be lost if power fails now)"
        case .locked(let path, let seconds):
            "the vault is busy: another nicvault process held \(path) for \(Int(seconds)) s; try again when it finishes"
        case .unsafePermissions(let path, let mode):
            "refusing \(path): its mode \(String(mode, radix: 8)) lets other users read it; run: chmod 600 '\(path)'"
        case .rollback(let id, let found, let remembered):
            "vault \(id) is at generation \(found) but generation \(remembered) was already seen: it went back in time "
                + "(an old copy or a restore?). If you restored it on purpose, run again with --accept-rollback"
        case .forked(let id, let generation):
            "vault \(id) generation \(generation) differs from the copy seen before with the same generation; "
                + "if you replaced the file on purpose, run again with --accept-rollback"
        case .vaultExists(let path): "a vault already exists at \(path); nothing was changed"
        case .vaultMissing(let path): "no vault at \(path); create one with: nicvault init"
        case .vaultReplaced(let path):
            "\(path) was changed, replaced or re-keyed by another process while this command ran; run the command again"
        case .kdfAboveAllowance(let mem, let ops, let allowance):
            "the vault asks Argon2id for \(mem >> 20) MiB and \(ops) passes, more than "
                + (allowance == nil ? "libsodium's SENSITIVE (1024 MiB, 4 passes)" : "--allow-kdf-memory allows")
                + "; nothing was allocated. If you made it so on purpose, run with --allow-kdf-memory \(mem >> 20)M"
        case .database(let what): what + " (the vault is unchanged)"
        case .databaseUnanswered(let what):
            what + "; if this was a change, it may or may not have been saved: look (nicvault list, log) before "
                + "running it again"
        case .damagedInStore(let location, let reason):
            "the vault in \(location) is damaged or was changed without its key (\(reason)); restore the database "
                + "from a backup, or copy a good vault in with nicvault store copy"
        case .backupNewer(let path, let found, let backup):
            "\(path) is at generation \(found) but its backup \(path).bak is at generation \(backup): an older copy "
                + "was put in place of the vault. If you restored it on purpose, run again with --accept-rollback; "
                + "otherwise put the newest copy back"
        }
    }
}

extension StoreError {
    /// Runs `body`, a damaged vault reported as a database store at `location` reports it: `damagedInStore`,
    /// whose advice is to restore the database (a file's own advice is its .bak).
    public static func reportingDamage<R>(in location: String, _ body: () throws -> R) throws -> R {
        do {
            return try body()
        } catch let error as SealedFileError where error.isDamage {
            throw StoreError.damagedInStore(location: location, reason: error.briefDamage)
        }
    }
}
