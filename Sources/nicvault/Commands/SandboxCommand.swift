import ArgumentParser
import Foundation
import GST
import NICVault
import SandboxPortal

struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "The NIC e-invoice portal emulator that ships with nicvault.",
        subcommands: [Serve.self, PublicKey.self, Client.self]
    )

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve",
            abstract: "Run the sandbox portal as an HTTP server.",
            discussion: """
                Serves the routes of docs/sandbox-portal.md. OTPs are "sent" to the log on stderr \
                (SMS to ******4321: ...) and to GET /sandbox/outbox. State (users, hashed passwords, OTPs) \
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

        @OptionGroup var state: SandboxStateOption

        @Option(help: ArgumentHelp("Taxpayers to serve, as JSON (default: the built-in seed).", valueName: "file"))
        var seed: String?

        func run() async throws {
            let taxpayers = try Seed.load(file: seed)
            let stateFile = try state.file()
            let portalState = try PortalState(taxpayers: taxpayers, stateFile: stateFile, logger: SandboxLogs.sms())
            let host = host
            if !SandboxPortalApp.isLoopback(host) {
                Console.note(
                    "warning: listening on \(host), not loopback: anyone who can reach it can read the OTPs at "
                        + "/sandbox/outbox and register users; keep it to test networks")
            }
            let app = SandboxPortalApp.application(
                state: portalState, host: host, port: port, logger: SandboxLogs.http()
            ) { port in
                Console.note(
                    "nicvault sandbox portal listening on http://\(host):\(port) (\(taxpayers.count) taxpayers, state \(stateFile))"
                )
            }
            try await SandboxPortalApp.serve(app, host: host, port: port)
        }

        func validate() throws {
            guard (0...65535).contains(port) else { throw ValidationError("--port takes 0 (a free one) to 65535") }
        }
    }

    struct PublicKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "public-key",
            abstract: "Print the sandbox portal's RSA public key (PEM), made on first start.",
            discussion: """
                The key NIC auth requests to this sandbox are encrypted with; give it to client add --public-key \
                and to e-invoice libraries (gst-e-invoicing's PUBLIC_KEY).
                Example:
                  nicvault sandbox public-key > sandbox-nic.pem
                """
        )

        @OptionGroup var state: SandboxStateOption

        func run() async throws {
            Console.out(try await state.portal().publicKeyPEM().trimmingCharacters(in: .newlines))
        }
    }

    struct Client: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "client",
            abstract: "API clients of the sandbox portal.",
            subcommands: [Issue.self]
        )

        struct Issue: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "issue",
                abstract: "Have the sandbox issue an API client id and secret, and store them in the vault.",
                discussion: """
                    As NIC's sandbox does, the portal sends the client id and secret to the GSTIN's registered \
                    mobile (the outbox); nicvault reads that message once (the sandbox then forgets the secret) \
                    and stores the client under --name, with the sandbox's public key, without printing the \
                    secret. Direct access (all GSTINs of the PAN) unless --gsp.
                    Example:
                      nicvault sandbox client issue 27AABCD1234E1Z8 --name demo-keys
                      nicvault set 27AABCD1234E1Z8 --kind api --client demo-keys
                      nicvault verify 27AABCD1234E1Z8
                    """
            )

            @OptionGroup var options: VaultOptions

            @Argument(help: "The GSTIN whose registered mobile gets the message.")
            var gstin: String

            @Option(help: "The name to store the client under.")
            var name: String

            @Option(help: "The GSP the client is issued to (direct access when left out).")
            var gsp: String?

            @OptionGroup var state: SandboxStateOption

            func run() async throws {
                var vault = try options.openVault()
                let portal = try state.portal()
                let id = try GSTIN.argument(gstin)
                let (clientID, secret) = try await portal.issueClientReadingTheMessage(gstin: id.value, gsp: gsp)
                var client = APIClient(
                    name: name, environment: .sandbox, issuer: gsp ?? "direct", clientID: clientID,
                    clientSecret: secret, createdAt: vault.now)
                client.publicKeyPEM = try await portal.publicKeyPEM()
                try vault.addClient(client)
                Console.note(
                    "Stored sandbox API client \(name) (\(clientID), \(gsp ?? "direct")). Link it: nicvault set "
                        + "\(id.value) --kind api --client \(name)")
            }
        }
    }
}
