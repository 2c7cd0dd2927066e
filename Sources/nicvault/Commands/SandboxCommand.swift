import ArgumentParser
import Foundation
import SandboxPortal

struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "The NIC e-invoice portal emulator that ships with nicvault.",
        subcommands: [Serve.self, PublicKey.self]
    )

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve",
            abstract: "Run the sandbox portal as an HTTP server.",
            discussion: """
                Serves the routes of docs/sandbox-portal.md. OTPs are "sent" to the log on stderr
                (SMS to ******4321: ...) and to GET /sandbox/outbox. State (users, hashed passwords, OTPs)
                is kept in --state so that user ids stay unique across runs.
                Example:
                  nicvault sandbox serve --port 8600 --state ./sandbox-state.json
                  nicvault register 27AABCD1234E1Z8 --portal http://127.0.0.1:8600
                """
        )

        @Option(help: "Address to listen on (loopback by default).")
        var host = "127.0.0.1"

        @Option(help: "Port (0 picks a free one and prints it).")
        var port = 8600

        @Option(
            help: ArgumentHelp("State file (default: $XDG_STATE_HOME/nicvault/sandbox-portal.json).", valueName: "file")
        )
        var state: String?

        @Option(help: ArgumentHelp("Taxpayers to serve, as JSON (default: the built-in seed).", valueName: "file"))
        var seed: String?

        func run() async throws {
            let taxpayers = try Seed.load(file: seed)
            let stateFile = state ?? EmbeddedSandbox.defaultStateFile
            let portalState = try PortalState(
                taxpayers: taxpayers, stateFile: stateFile, logger: SandboxLogs.sms())
            let host = host
            let app = SandboxPortalApp.application(
                state: portalState, host: host, port: port, logger: SandboxLogs.http()
            ) { port in
                Console.note(
                    "nicvault sandbox portal listening on http://\(host):\(port) (\(taxpayers.count) taxpayers, state \(stateFile))"
                )
            }
            try await app.runService()
        }
    }

    struct PublicKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "public-key",
            abstract: "Print the sandbox portal's RSA public key (PEM), made on first start.",
            discussion: """
                The key NIC auth requests to this sandbox are encrypted with; give it to client add --public-key
                and to e-invoice libraries (gst-e-invoicing's PUBLIC_KEY).
                Example:
                  nicvault sandbox public-key > sandbox-nic.pem
                """
        )

        @Option(
            help: ArgumentHelp("State file (default: $XDG_STATE_HOME/nicvault/sandbox-portal.json).", valueName: "file")
        )
        var state: String?

        func run() async throws {
            let portalState = try PortalState(
                taxpayers: try Seed.load(file: nil), stateFile: state ?? EmbeddedSandbox.defaultStateFile,
                logger: SandboxLogs.http())
            Console.out(try await portalState.publicKeyPEM().trimmingCharacters(in: .newlines))
        }
    }
}
