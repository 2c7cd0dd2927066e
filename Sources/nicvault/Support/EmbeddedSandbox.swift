import Foundation
import Logging
import NICVault
import SandboxPortal

/// Where the CLI keeps and starts the sandbox portal.
extension EmbeddedSandbox {
    /// The default state file of the sandbox, shared by `sandbox serve` and every command: ids stay unique
    /// across runs.
    static func defaultStateFile() throws -> String { try Locations().stateHome() + "/nicvault/sandbox-portal.json" }

    /// The in-process sandbox over `stateFile`, its SMS lines on stderr.
    static func start(stateFile: String) async throws -> EmbeddedSandbox {
        try await start(stateFile: stateFile, seed: nil, logger: SandboxLogs.sms())
    }
}

/// The sandbox's loggers on stderr.
enum SandboxLogs {
    /// The portal's own lines ("SMS to ******4321: ...").
    static func sms() -> Logger {
        var logger = Logger(label: "sandbox") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .info
        return logger
    }

    /// Hummingbird's logger: warnings only, so the portal's lines stand out.
    static func http() -> Logger {
        var logger = Logger(label: "sandbox.http") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .warning
        return logger
    }
}
