import Foundation

/// The built nicvault binary, beside the test bundle.
let nicvaultBinary: String = {
    let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(
        "nicvault"
    ).path
    if FileManager.default.isExecutableFile(atPath: beside) { return beside }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    return root.appendingPathComponent(".build/debug/nicvault").path
}()

struct RunResult {
    let code: Int32
    let out: String
    let err: String
}

/// A sandbox for one CLI test: a temporary HOME with XDG folders, and a 0600 passphrase file.
final class CLISandbox: Sendable {
    let root: String
    let passphraseFile: String
    static let passphrase = "correct horse battery staple"

    init() {
        root = NSTemporaryDirectory() + "nicvault-cli-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        passphraseFile = root + "/pass"
        write(Self.passphrase + "\n", to: passphraseFile)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    var vault: String { root + "/vault.nicv" }

    func write(_ text: String, to path: String, mode: Int = 0o600) {
        _ = FileManager.default.createFile(
            atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: mode])
    }

    /// A clean environment: no passphrase variables from the caller, HOME and XDG inside the sandbox.
    var environment: [String: String] {
        var env = [
            "HOME": root, "XDG_DATA_HOME": root + "/data", "XDG_STATE_HOME": root + "/state",
            "XDG_CACHE_HOME": root + "/cache", "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8",
        ]
        // Under make asan / make tsan the binary is instrumented too: keep the sanitizers' settings.
        for name in ["ASAN_OPTIONS", "TSAN_OPTIONS", "LSAN_OPTIONS"] {
            env[name] = ProcessInfo.processInfo.environment[name]
        }
        return env
    }

    /// Runs the binary. `killAfter` bounds a run that must not hang: past it the process is killed and the
    /// result's code is -9. `executable` runs another program (a shell that starts nicvault itself).
    @discardableResult
    func run(
        _ arguments: [String], environment extra: [String: String] = [:], stdin: String? = nil,
        killAfter: Double? = nil, executable: String = nicvaultBinary, replaceEnvironment: [String: String]? = nil
    ) throws -> RunResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = replaceEnvironment ?? environment.merging(extra) { $1 }
        let out = Pipe()
        let err = Pipe()
        let input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let killed = ManagedFlag()
        if let killAfter {
            let pid = process.processIdentifier
            DispatchQueue.global().asyncAfter(deadline: .now() + killAfter) {
                if process.isRunning {
                    killed.set()
                    kill(pid, SIGKILL)
                }
            }
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return RunResult(
            code: killed.isSet ? -9 : process.terminationStatus, out: String(decoding: outData, as: UTF8.self),
            err: String(decoding: errData, as: UTF8.self))
    }

    /// `nicvault init` of an INTERACTIVE-cost vault at `vault`.
    func initVault() throws {
        let result = try run(["init", "--vault", vault, "--passphrase-file", passphraseFile, "--kdf", "interactive"])
        precondition(result.code == 0, "init failed: \(result.err)")
    }

    func info() throws -> [String: Any] {
        let result = try run(["info", "--vault", vault, "--passphrase-file", passphraseFile, "--json"])
        precondition(result.code == 0, "info failed: \(result.err)")
        return try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as! [String: Any]
    }
}

/// A flag set from another thread.
final class ManagedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}

extension CLISandbox {
    /// Hands the sandbox to the `nobody` user (when running as root, where permissions do not bind) and returns
    /// the command prefix that runs a program as that user; an empty prefix when not root.
    func asUnprivileged() throws -> [String] {
        guard getuid() == 0 else { return [] }
        let chown = Process()
        chown.executableURL = URL(fileURLWithPath: "/bin/chown")
        chown.arguments = ["-R", "65534:65534", root]
        try chown.run()
        chown.waitUntilExit()
        return ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]
    }
}
