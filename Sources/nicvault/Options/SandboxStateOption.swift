import ArgumentParser
import Logging
import SandboxPortal

/// The sandbox portal's state file, shared by the `sandbox` commands: ids stay unique across runs.
struct SandboxStateOption: ParsableArguments {
    @Option(
        help: ArgumentHelp("State file (default: $XDG_STATE_HOME/nicvault/sandbox-portal.json).", valueName: "file"))
    var state: String?

    /// The state file: --state, else the one every command's embedded sandbox uses.
    func file() throws -> String { try state ?? EmbeddedSandbox.defaultStateFile() }

    /// The portal over that file and the taxpayers of `seed` (nil: the built-in ones).
    func portal(seed: String? = nil, logger: Logger = SandboxLogs.http()) throws -> PortalState {
        try PortalState(seedFile: seed, stateFile: try file(), logger: logger)
    }
}
