import ArgumentParser
import Export
import Foundation
import GST
import NICVault
import Portal
import PortalWire
import SandboxPortal

/// Which portal to talk to, shared by `register` and `rotate`.
struct PortalOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp("sandbox (embedded), assisted, or the URL of a running sandbox portal.", valueName: "portal")
    )
    var portal: String?

    @Option(help: "Seconds to wait for each portal answer.")
    var timeout: Double = 15

    @Option(help: ArgumentHelp("State file of the embedded sandbox portal.", valueName: "file"))
    var sandboxState: String?

    func validate() throws {
        if timeout <= 0 { throw ValidationError("--timeout must be positive") }
    }

    /// The driver for `environment` (`PortalChoice`). The embedded sandbox must be stopped by the caller.
    func makeDriver(environment: Environment) async throws -> (any PortalDriver, EmbeddedSandbox?) {
        switch try PortalChoice.resolve(portal, environment: environment) {
        case .embeddedSandbox:
            let embedded = try await EmbeddedSandbox.start(
                stateFile: try sandboxState ?? EmbeddedSandbox.defaultStateFile())
            return (SandboxDriver(baseURL: embedded.url, timeout: timeout), embedded)
        case .sandbox(let url):
            return (SandboxDriver(baseURL: url, timeout: timeout), nil)
        case .assisted:
            guard ControllingTerminal.isAvailable else {
                throw CLIError("the assisted driver needs a terminal to talk to you", code: Exit.usage)
            }
            let url = NICEndpoints.portal(production: environment == .production)
            return (AssistedDriver(portalURL: url, conversation: TerminalConversation()), nil)
        }
    }
}

/// A rotation interval typed as 90d, 12w or 90 (days).
struct RotationInterval: ExpressibleByArgument {
    let days: Int

    init?(argument: String) {
        guard let days = RotationDays.parse(argument) else { return nil }
        self.days = days
    }
}
