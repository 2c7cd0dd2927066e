import Foundation

/// A throwaway PostgreSQL server for one test: Debian's `initdb` in a temporary folder, `pg_ctl` on a loopback
/// port, as an unprivileged user (PostgreSQL refuses to run as root: under root the server runs as `nobody`),
/// stopped and removed when the test ends. `.ci/run` installs Debian's postgresql.
final class PostgresServer: @unchecked Sendable {
    let folder: String
    let port: Int
    let bin: String
    /// The store URL of the server's `postgres` database, as the superuser `nicvault` (trust on loopback).
    var url: String { "postgresql://nicvault@127.0.0.1:\(port)/postgres?sslmode=disable" }

    struct Failure: Error, CustomStringConvertible { let description: String }

    init() throws {
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        guard let version = versions.compactMap(Int.init).max() else {
            throw Failure(description: "no PostgreSQL server: apt-get install postgresql (the tests start their own)")
        }
        bin = "/usr/lib/postgresql/\(version)/bin"
        folder = NSTemporaryDirectory() + "nicvault-pg-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        if getuid() == 0 {
            guard chown(folder, 65534, 65534) == 0 else { throw Failure(description: "chown \(folder) failed") }
        }
        var chosen = 0
        try Self.run(
            bin + "/initdb", in: folder,
            ["-D", folder + "/data", "-U", "nicvault", "-A", "trust", "--no-sync", "-E", "UTF8"])
        for _ in 0..<5 {
            let candidate = Int.random(in: 20_000..<50_000)
            let options = "-c listen_addresses=127.0.0.1 -p \(candidate) -k \(folder) -c fsync=off"
            // Not through Foundation's Process: the server would inherit the descriptor by which Process learns
            // that its child ended, and the wait would never end.
            let start = ["-D", folder + "/data", "-l", folder + "/log", "-w", "-o", options, "start"]
            if Self.spawnAndWait(bin + "/pg_ctl", start) == 0 {
                chosen = candidate
                break
            }
        }
        guard chosen != 0 else { throw Failure(description: "the server did not start: see \(folder)/log") }
        port = chosen
    }

    deinit {
        _ = Self.spawnAndWait(bin + "/pg_ctl", ["-D", folder + "/data", "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// Runs SQL as the superuser through psql (what a database administrator can do); returns its output.
    @discardableResult
    func sql(_ statement: String, user: String = "nicvault") throws -> String {
        try run(
            bin + "/psql",
            [
                "-h", "127.0.0.1", "-p", String(port), "-U", user, "-d", "postgres", "-At", "-v", "ON_ERROR_STOP=1",
                "-c", statement,
            ])
    }

    /// posix_spawn and waitpid, output to /dev/null: for programs that leave a daemon behind.
    static func spawnAndWait(_ program: String, _ arguments: [String]) -> Int32 {
        let argv = (getuid() == 0 ? ["/usr/sbin/runuser", "-u", "nobody", "--", program] : [program]) + arguments
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var cArguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for pointer in cArguments { free(pointer) } }
        var environment: [UnsafeMutablePointer<CChar>?] = [strdup("PATH=/usr/bin:/bin"), strdup("LANG=C.UTF-8"), nil]
        defer { for pointer in environment { free(pointer) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, argv[0], &actions, nil, &cArguments, &environment) == 0 else { return -1 }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : -1
    }

    @discardableResult
    func run(_ program: String, _ arguments: [String]) throws -> String {
        try Self.run(program, in: folder, arguments)
    }

    /// Runs a server program, as `nobody` when this process is root.
    @discardableResult
    static func run(_ program: String, in folder: String, _ arguments: [String], capture: Bool = true) throws -> String
    {
        let process = Process()
        if getuid() == 0 {
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
            process.arguments = ["-u", "nobody", "--", program] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = arguments
        }
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        process.environment = ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PGCONNECT_TIMEOUT": "10"]
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = capture ? out : FileHandle.nullDevice
        process.standardError = capture ? err : FileHandle.nullDevice
        try process.run()
        let output = capture ? out.fileHandleForReading.readDataToEndOfFile() : Data()
        let errors = capture ? err.fileHandleForReading.readDataToEndOfFile() : Data()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(
                description: "\(program) \(arguments.joined(separator: " ")): "
                    + String(decoding: errors, as: UTF8.self))
        }
        return String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
