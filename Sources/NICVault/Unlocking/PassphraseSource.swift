import Foundation
import SealedFile
import Sodium

#if canImport(Glibc)
    import Glibc
#endif

/// Where the vault passphrase comes from, in the order PRODUCT.md fixes: --passphrase-file, --passphrase-fd,
/// NICVAULT_PASSPHRASE_FILE, NICVAULT_PASSPHRASE_COMMAND, NICVAULT_PASSPHRASE, the terminal.
/// Printed, a source says where the passphrase comes from (`description`), never the passphrase.
public enum PassphraseSource: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    case file(String, variable: String?)
    case descriptor(Int32)
    case command(String)
    /// The value of NICVAULT_PASSPHRASE in the environment the source was resolved from.
    case environmentValue(String)
    case terminal

    public static let variablesHelp =
        "set NICVAULT_PASSPHRASE_FILE (a 0600 file), NICVAULT_PASSPHRASE_COMMAND (a command that prints it), "
        + "or NICVAULT_PASSPHRASE; or pass --passphrase-file or --passphrase-fd"

    /// The variables that unlock a vault, which no child process (exec) may inherit.
    public static let unlockingVariables = [
        "NICVAULT_SESSION", "NICVAULT_PASSPHRASE", "NICVAULT_PASSPHRASE_FILE", "NICVAULT_PASSPHRASE_COMMAND",
        "NICVAULT_IDENTITY_FILE",
    ]

    /// The first source that is set: `file` (--passphrase-file), `fd` (--passphrase-fd), then the variables.
    public static func resolve(
        file: String?, fd: Int32?, environment env: [String: String] = ProcessInfo.processInfo.environment
    ) -> PassphraseSource {
        if let file { return .file(file, variable: nil) }
        if let fd { return .descriptor(fd) }
        if let path = env["NICVAULT_PASSPHRASE_FILE"], !path.isEmpty {
            return .file(path, variable: "NICVAULT_PASSPHRASE_FILE")
        }
        if let command = env["NICVAULT_PASSPHRASE_COMMAND"], !command.isEmpty { return .command(command) }
        if let value = env["NICVAULT_PASSPHRASE"] { return .environmentValue(value) }
        return .terminal
    }

    /// True when reading will prompt on the terminal.
    public var isTerminal: Bool { if case .terminal = self { true } else { false } }

    /// Seconds to wait for a passphrase from a file, descriptor or command: $NICVAULT_PASSPHRASE_TIMEOUT,
    /// else 60.
    public static func timeout(_ env: [String: String] = ProcessInfo.processInfo.environment) -> Double {
        if let text = env["NICVAULT_PASSPHRASE_TIMEOUT"], let value = Double(text), value > 0 { return value }
        return 60
    }

    /// The passphrase from this source; an empty one (an empty file, a variable set to nothing) is refused as
    /// such: no vault has an empty passphrase, and "wrong passphrase" would send the user looking elsewhere.
    /// `terminal` asks the person (nil: there is no terminal); `warn` hears of a passphrase file others can read;
    /// a file, descriptor or command that gives no line within `timeout` seconds is given up on.
    public func read(
        prompt: String, terminal: (String) throws -> SecureBytes?, warn: (String) -> Void,
        timeout: Double = Self.timeout()
    ) throws -> SecureBytes {
        let secret = try readLine(prompt: prompt, terminal: terminal, warn: warn, wait: timeout)
        guard secret.count > 0 else {
            throw UnlockError("\(description) is empty: it must hold the vault passphrase", kind: .cannotUnlock)
        }
        return secret
    }

    /// Where the passphrase came from, for messages.
    public var description: String {
        switch self {
        case .file(let path, let variable):
            "the passphrase file \(path)" + (variable.map { " (from \($0))" } ?? "")
        case .descriptor(let fd): "the passphrase from --passphrase-fd \(fd)"
        case .command: "the first line of NICVAULT_PASSPHRASE_COMMAND's output"
        case .environmentValue: "NICVAULT_PASSPHRASE"
        case .terminal: "the passphrase typed"
        }
    }

    public var debugDescription: String { description }

    private func readLine(
        prompt: String, terminal: (String) throws -> SecureBytes?, warn: (String) -> Void, wait: Double
    ) throws -> SecureBytes {
        switch self {
        case .file(let path, _):
            let what = description
            func failed() -> UnlockError {
                UnlockError("cannot read \(what): \(String(cString: strerror(errno)))", kind: .cannotUnlock)
            }
            // Non-blocking open: a FIFO with no writer must not hang here (the read below has the time-out).
            let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
            guard fd >= 0 else { throw failed() }
            defer { close(fd) }
            var info = stat()
            guard fstat(fd, &info) == 0 else { throw failed() }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                throw UnlockError("\(what) is a folder; give the file that holds the passphrase", kind: .cannotUnlock)
            case S_IFREG:
                if info.st_mode & 0o077 != 0 {
                    warn("warning: \(what) is readable by others; run: chmod 600 '\(path)'")
                }
            default: break  // a FIFO or a process substitution: fine, read with the time-out
            }
            return try SecretReader.readLine(fd: fd, timeout: wait, what: what, kind: .cannotUnlock)
        case .descriptor(let fd):
            return try SecretReader.readLine(fd: fd, timeout: wait, what: description, kind: .cannotUnlock)
        case .command(let command):
            return try Self.runPassphraseCommand(command, timeout: wait)
        case .environmentValue(let value):
            return try SecureBytes(copying: Array(value.utf8))
        case .terminal:
            guard let secret = try terminal(prompt) else {
                throw UnlockError(
                    "no terminal to ask for the vault passphrase: \(Self.variablesHelp)", kind: .cannotUnlock)
            }
            return secret
        }
    }

    /// Runs `sh -c command` and reads the first line of its standard output as the passphrase. Stops at that
    /// line (a background child that keeps the output open does not hold nicvault), and at the time-out.
    private static func runPassphraseCommand(_ command: String, timeout: Double) throws -> SecureBytes {
        let what = "NICVAULT_PASSPHRASE_COMMAND"
        func refused(_ text: String) -> UnlockError { UnlockError(text, kind: .cannotUnlock) }
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else {
            throw refused("\(what) could not start: \(String(cString: strerror(errno)))")
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
        guard spawned == 0 else { throw refused("\(what) could not start: \(String(cString: strerror(spawned)))") }
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
                fd: pipeEnds[0], timeout: timeout, what: "the output of \(what)", kind: .cannotUnlock)
        } catch {
            kill(pid, SIGKILL)
            _ = reap(waitingUpTo: .infinity)
            throw error
        }
        // The line is in; the command itself must end too (its status says whether the line is good).
        guard reap(waitingUpTo: timeout) else {
            kill(pid, SIGKILL)
            _ = reap(waitingUpTo: .infinity)
            throw refused(
                "\(what) printed a line but did not exit within \(Int(timeout)) s (set NICVAULT_PASSPHRASE_TIMEOUT "
                    + "to wait longer)")
        }
        let exited = (status & 0x7f) == 0
        let code = (status >> 8) & 0xff
        guard exited && code == 0 else {
            throw refused(
                "\(what) failed" + (exited ? " with exit code \(code)" : " (killed by signal \(status & 0x7f))"))
        }
        return line
    }
}
