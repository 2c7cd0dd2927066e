import Foundation
import GST
import Logging
import Portal
import SandboxPortal

/// The sandbox portal started inside this process on an ephemeral loopback port, so `--portal sandbox`
/// speaks real HTTP to the same server `nicvault sandbox serve` runs.
final class EmbeddedSandbox: Sendable {
    let url: URL
    private let task: Task<Void, any Error>

    private init(url: URL, task: Task<Void, any Error>) {
        self.url = url
        self.task = task
    }

    static func start(stateFile: String, seed: String? = nil) async throws -> EmbeddedSandbox {
        let taxpayers = try SandboxServe.loadSeed(seed)
        let state = try PortalState(taxpayers: taxpayers, stateFile: stateFile, logger: SandboxServe.smsLogger())
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = SandboxPortalApp.application(
            state: state, host: "127.0.0.1", port: 0, logger: SandboxServe.quietLogger(level: .critical)
        ) { port in
            continuation.yield(port)
            continuation.finish()
        }
        let task = Task { try await app.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            task.cancel()
            throw CLIError("the embedded sandbox portal did not start")
        }
        return EmbeddedSandbox(url: URL(string: "http://127.0.0.1:\(port)")!, task: task)
    }

    func stop() { task.cancel() }

    /// The default state file of the embedded sandbox: ids stay unique across runs.
    static var defaultStateFile: String { Locations.stateHome() + "/nicvault/sandbox-portal.json" }
}

enum SandboxServe {
    static func loadSeed(_ path: String?) throws -> [Taxpayer] {
        guard let path else { return try Seed.load(json: Seed.builtIn) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIError("cannot read the seed file \(path)", code: Exit.notFound)
        }
        do {
            return try Seed.load(json: String(decoding: data, as: UTF8.self))
        } catch {
            throw CLIError("the seed file \(path) is not valid: \(error)", code: Exit.usage)
        }
    }

    /// The portal's own log lines ("SMS to ******4321: ...") on stderr.
    static func smsLogger() -> Logger {
        var logger = Logger(label: "sandbox") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .info
        return logger
    }

    /// Hummingbird's logger: warnings only, so the portal's lines stand out. In process, where the server
    /// is cancelled when the command ends, only critical lines.
    static func quietLogger(level: Logger.Level = .warning) -> Logger {
        var logger = Logger(label: "sandbox.http") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = level
        return logger
    }
}
