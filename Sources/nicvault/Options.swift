import ArgumentParser
import Foundation
import GST
import NICVault
import SealedFile
import Sodium

/// Where the vault is and how to unlock it: shared by every command that opens a vault.
struct VaultOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The vault file (default: $NICVAULT_FILE, else $XDG_DATA_HOME/nicvault/vault.nicv).", valueName: "path"))
    var vault: String?

    @Option(
        name: .long, help: ArgumentHelp("Read the vault passphrase from this file (first line).", valueName: "file"))
    var passphraseFile: String?

    @Option(
        name: .long, help: ArgumentHelp("Read the vault passphrase from this open file descriptor.", valueName: "fd"))
    var passphraseFd: Int32?

    @Flag(name: .long, help: "Open a vault older than one already seen (after restoring a backup on purpose).")
    var acceptRollback = false

    /// The variables that unlock a vault, which no child process (exec) may inherit.
    static let unlockingVariables = [
        "NICVAULT_SESSION", "NICVAULT_PASSPHRASE", "NICVAULT_PASSPHRASE_FILE", "NICVAULT_PASSPHRASE_COMMAND",
        "NICVAULT_IDENTITY_FILE",
    ]

    /// Removes every means of opening the vault from this process before it runs another program: the
    /// unlocking variables, and the --passphrase-fd descriptor.
    func forgetUnlockingMeans() {
        for name in Self.unlockingVariables { unsetenv(name) }
        if let passphraseFd, passphraseFd > 2 { close(passphraseFd) }
    }

    /// The vault path, resolved as PRODUCT.md says.
    func vaultPath(environment env: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let vault { return vault }
        if let file = env["NICVAULT_FILE"], !file.isEmpty { return file }
        return Path.join(Locations.dataHome(env), "nicvault/vault.nicv")
    }

    /// The store for the resolved path, with rollback memory in the user's state folder. A symlinked path is
    /// resolved once, so that the lock, the temporary file and the backup sit beside the real file and a save
    /// replaces the real file, never the link.
    func store() -> VaultStore {
        VaultStore(
            path: Locations.realPath(vaultPath()),
            rollbackMemory: RollbackMemory(directory: Locations.generationsFolder()),
            warn: { Console.note($0) })
    }

    /// The passphrase, from the first source that is set.
    func passphrase(prompt: String = "Vault passphrase: ") throws -> SecureBytes {
        try PassphraseSource.resolve(file: passphraseFile, fd: passphraseFd).read(prompt: prompt)
    }

    /// Opens the vault with the first source that is set: a passphrase source, then a session from
    /// `nicvault unlock`, then the terminal. A session that cannot be used falls back with a one-line note.
    func openVault() throws -> Vault {
        let store = store()
        guard try store.exists() else { throw StoreError.vaultMissing(path: store.path) }
        let source = PassphraseSource.resolve(file: passphraseFile, fd: passphraseFd)
        if source.isTerminal, let variable = ProcessInfo.processInfo.environment["NICVAULT_SESSION"], !variable.isEmpty
        {
            do {
                let key = try Locations.sessions().key(variable: variable, store: store, now: Timestamp.current())
                return try Vault.open(store: store, key: key, acceptRollback: acceptRollback)
            } catch let error as SessionError {
                Console.note("note: \(error.description); asking for the passphrase")
            }
        }
        return try Vault.open(
            store: store, unlocker: .passphrase(try source.read(prompt: "Vault passphrase: ")),
            acceptRollback: acceptRollback)
    }
}

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

    /// Where the highest generation seen of each vault is remembered.
    static func generationsFolder() -> String { Path.join(stateHome(), "nicvault/generations") }
}

/// The passphrase sources, in the order PRODUCT.md fixes.
enum PassphraseSource {
    case file(String, variable: String?)
    case descriptor(Int32)
    case command(String)
    case environmentValue
    case terminal

    static let variablesHelp =
        "set NICVAULT_PASSPHRASE_FILE (a 0600 file), NICVAULT_PASSPHRASE_COMMAND (a command that prints it), "
        + "or NICVAULT_PASSPHRASE; or pass --passphrase-file or --passphrase-fd"

    static func resolve(
        file: String?, fd: Int32?, environment env: [String: String] = ProcessInfo.processInfo.environment
    ) -> PassphraseSource {
        if let file { return .file(file, variable: nil) }
        if let fd { return .descriptor(fd) }
        if let path = env["NICVAULT_PASSPHRASE_FILE"], !path.isEmpty {
            return .file(path, variable: "NICVAULT_PASSPHRASE_FILE")
        }
        if let command = env["NICVAULT_PASSPHRASE_COMMAND"], !command.isEmpty { return .command(command) }
        if env["NICVAULT_PASSPHRASE"] != nil { return .environmentValue }
        return .terminal
    }

    /// True when reading will prompt on the terminal.
    var isTerminal: Bool { if case .terminal = self { true } else { false } }

    /// Seconds to wait for a passphrase from a file, descriptor or command: $NICVAULT_PASSPHRASE_TIMEOUT,
    /// else 60.
    static func timeout(_ env: [String: String] = ProcessInfo.processInfo.environment) -> Double {
        if let text = env["NICVAULT_PASSPHRASE_TIMEOUT"], let value = Double(text), value > 0 { return value }
        return 60
    }

    func read(prompt: String) throws -> SecureBytes {
        let wait = Self.timeout()
        switch self {
        case .file(let path, let variable):
            let what = "the passphrase file \(path)" + (variable.map { " (from \($0))" } ?? "")
            // Non-blocking open: a FIFO with no writer must not hang here (the read below has the time-out).
            let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
            guard fd >= 0 else {
                throw CLIError("cannot read \(what): \(String(cString: strerror(errno)))", code: Exit.wrongPassphrase)
            }
            defer { close(fd) }
            var info = stat()
            guard fstat(fd, &info) == 0 else {
                throw CLIError("cannot read \(what): \(String(cString: strerror(errno)))", code: Exit.wrongPassphrase)
            }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                throw CLIError(
                    "\(what) is a folder; give the file that holds the passphrase", code: Exit.wrongPassphrase)
            case S_IFREG:
                if info.st_mode & 0o077 != 0 {
                    Console.note("warning: \(what) is readable by others; run: chmod 600 '\(path)'")
                }
            default: break  // a FIFO or a process substitution: fine, read with the time-out
            }
            return try SecretReader.readLine(fd: fd, timeout: wait, what: what, code: Exit.wrongPassphrase)
        case .descriptor(let fd):
            return try SecretReader.readLine(
                fd: fd, timeout: wait, what: "the passphrase from --passphrase-fd \(fd)", code: Exit.wrongPassphrase)
        case .command(let command):
            return try Self.runPassphraseCommand(command, timeout: wait)
        case .environmentValue:
            let value = ProcessInfo.processInfo.environment["NICVAULT_PASSPHRASE"] ?? ""
            return try SecureBytes(copying: Array(value.utf8))
        case .terminal:
            guard let secret = try Terminal.readSecret(prompt: prompt) else {
                throw CLIError(
                    "no terminal to ask for the vault passphrase: \(Self.variablesHelp)",
                    code: Exit.wrongPassphrase)
            }
            return secret
        }
    }

    /// Runs `sh -c command` and reads the first line of its standard output as the passphrase. Stops at that
    /// line (a background child that keeps the output open does not hold nicvault), and at the time-out.
    private static func runPassphraseCommand(_ command: String, timeout: Double) throws -> SecureBytes {
        let what = "NICVAULT_PASSPHRASE_COMMAND"
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else {
            throw CLIError("\(what) could not start: \(String(cString: strerror(errno)))", code: Exit.wrongPassphrase)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 1)
        // Nothing else of nicvault's reaches the command (nor what it leaves running): fds 3 and up are closed.
        let open =
            (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd"))?.compactMap { Int32($0) } ?? []
        for fd in open where fd > 2 && fcntl(fd, F_GETFD) >= 0 {
            posix_spawn_file_actions_addclose(&actions, fd)
        }
        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sh"), strdup("-c"), strdup(command), nil]
        defer { argv.forEach { free($0) } }
        let spawned = posix_spawn(&pid, "/bin/sh", &actions, nil, argv, environ)
        close(pipeEnds[1])
        defer { close(pipeEnds[0]) }
        guard spawned == 0 else {
            throw CLIError("\(what) could not start: \(String(cString: strerror(spawned)))", code: Exit.wrongPassphrase)
        }
        let started = Monotonic.now()
        var status: Int32 = 0
        func reap(waitingUpTo seconds: Double) -> Bool {
            while true {
                let done = waitpid(pid, &status, WNOHANG)
                if done == pid || (done < 0 && errno != EINTR) { return true }
                if Monotonic.now() - started >= seconds { return false }
                usleep(5_000)
            }
        }
        let line: SecureBytes
        do {
            line = try SecretReader.readLine(
                fd: pipeEnds[0], timeout: timeout, what: "the output of \(what)", code: Exit.wrongPassphrase)
        } catch {
            kill(pid, SIGKILL)
            _ = reap(waitingUpTo: .infinity)
            throw error
        }
        // The line is in; the command itself must end too (its status says whether the line is good).
        guard reap(waitingUpTo: timeout) else {
            kill(pid, SIGKILL)
            _ = reap(waitingUpTo: .infinity)
            throw CLIError(
                "\(what) printed a line but did not exit within \(Int(timeout)) s (set NICVAULT_PASSPHRASE_TIMEOUT "
                    + "to wait longer)", code: Exit.wrongPassphrase)
        }
        let exited = (status & 0x7f) == 0
        let code = (status >> 8) & 0xff
        guard exited && code == 0 else {
            throw CLIError(
                "\(what) failed" + (exited ? " with exit code \(code)" : " (killed by signal \(status & 0x7f))"),
                code: Exit.wrongPassphrase)
        }
        return line
    }
}

/// Choosing the Argon2id cost by name.
enum KDFPreset: String, ExpressibleByArgument, CaseIterable {
    case interactive, moderate, sensitive

    var parameters: Argon2idParameters {
        switch self {
        case .interactive: .interactive
        case .moderate: .moderate
        case .sensitive: .sensitive
        }
    }
}

/// A JSON encoder for command output.
enum JSONOutput {
    static func print<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        Console.out(String(decoding: try encoder.encode(value), as: UTF8.self))
    }
}

/// One stored credential named on the command line: a GSTIN, with --kind and --env when it has several.
struct CredentialChoice: ParsableArguments {
    @Argument(help: "The GSTIN.")
    var gstin: String

    @Option(help: "portal or api, when the GSTIN has both.")
    var kind: CredentialKind?

    @Option(help: "sandbox or production, when the GSTIN has both.")
    var env: Environment?

    /// The credential, or a clear error when there is none or the choice is ambiguous.
    func credential(in vault: Vault) throws -> Credential {
        try vault.credential(gstin: GSTIN(parsing: gstin, environment: .sandbox), kind: kind, environment: env)
    }
}
