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

    /// The vault path, resolved as PRODUCT.md says.
    func vaultPath(environment env: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let vault { return vault }
        if let file = env["NICVAULT_FILE"], !file.isEmpty { return file }
        return Path.join(Locations.dataHome(env), "nicvault/vault.nicv")
    }

    /// The store for the resolved path, with rollback memory in the user's state folder.
    func store() -> VaultStore {
        VaultStore(path: vaultPath(), rollbackMemory: RollbackMemory(directory: Locations.generationsFolder()))
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
    static func home(_ env: [String: String]) -> String { env["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? "/root" }

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

    func read(prompt: String) throws -> SecureBytes {
        switch self {
        case .file(let path, let variable):
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                let origin = variable.map { " (from \($0))" } ?? ""
                throw CLIError(
                    "cannot read the passphrase file \(path)\(origin): \(String(cString: strerror(errno)))",
                    code: Exit.wrongPassphrase)
            }
            defer { close(fd) }
            var info = stat()
            if fstat(fd, &info) == 0, info.st_mode & 0o077 != 0 {
                Console.note("warning: passphrase file \(path) is readable by others; run: chmod 600 '\(path)'")
            }
            return try SecretReader.readLine(fd: fd)
        case .descriptor(let fd):
            return try SecretReader.readLine(fd: fd)
        case .command(let command):
            return try Self.runPassphraseCommand(command)
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

    /// Runs `sh -c command` and reads its standard output (first line) as the passphrase.
    private static func runPassphraseCommand(_ command: String) throws -> SecureBytes {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw CLIError("NICVAULT_PASSPHRASE_COMMAND could not start: \(error)", code: Exit.wrongPassphrase)
        }
        try? pipe.fileHandleForWriting.close()
        let secret = try SecretReader.readAll(fd: pipe.fileHandleForReading.fileDescriptor)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CLIError(
                "NICVAULT_PASSPHRASE_COMMAND failed with exit code \(process.terminationStatus)",
                code: Exit.wrongPassphrase)
        }
        // A command prints one line; keep only the first.
        let firstLine = secret.withUnsafeBytes { $0.firstIndex(of: 0x0a) } ?? secret.count
        return try secret.slice(0..<firstLine)
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
