import Foundation
import GST
import Logging

/// The sandbox portal started inside a process on an ephemeral loopback port, so that a command speaks real
/// HTTP to the same server `nicvault sandbox serve` runs (and shares its state file with it).
public final class EmbeddedSandbox: Sendable {
    public let url: URL
    private let task: Task<Void, any Error>

    private init(url: URL, task: Task<Void, any Error>) {
        self.url = url
        self.task = task
    }

    /// Starts the portal over `stateFile` with the taxpayers of `seed` (a JSON file; nil for the built-in
    /// ones). The portal's own lines ("SMS to ...") go to `logger`.
    public static func start(stateFile: String, seed: String? = nil, logger: Logger) async throws -> EmbeddedSandbox {
        let state = try PortalState(seedFile: seed, stateFile: stateFile, logger: logger)
        var quiet = Logger(label: "sandbox.http") { StreamLogHandler.standardError(label: $0) }
        quiet.logLevel = .critical
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = SandboxPortalApp.application(state: state, host: "127.0.0.1", port: 0, logger: quiet) { port in
            continuation.yield(port)
            continuation.finish()
        }
        let task = Task { try await app.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            task.cancel()
            throw SeedError.notStarted
        }
        return EmbeddedSandbox(url: URL(string: "http://127.0.0.1:\(port)")!, task: task)
    }

    public func stop() { task.cancel() }
}
