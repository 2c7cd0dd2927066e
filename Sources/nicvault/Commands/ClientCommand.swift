import ArgumentParser
import Foundation
import GST
import NICVault

struct ClientCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client",
        abstract: "API client ids and secrets (a GSP's keys, or a direct taxpayer's).",
        subcommands: [Add.self, Update.self, List.self, Remove.self]
    )

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Store an API client id and secret.",
            discussion: """
                The client id and secret are read from the terminal (the secret without echo), or as two lines \
                of stdin (id, then secret) when stdin is not a terminal. Never on the command line.
                Example:
                  nicvault client add demo-gsp --env sandbox --issuer "Demo GSP"
                  printf '%s\\n%s\\n' "$ID" "$SECRET" | \\
                    nicvault client add direct-keys --env production
                """
        )

        @OptionGroup var options: VaultOptions

        @Argument(help: "A name to refer to the client by.")
        var name: String

        @Option(help: "sandbox or production.")
        var env: Environment

        @Option(help: "direct (default), or the GSP's name.")
        var issuer = "direct"

        @Option(help: ArgumentHelp("NIC's public key (PEM) for this environment, used by verify.", valueName: "file"))
        var publicKey: String?

        @Flag(help: "Print the stored client as JSON (never its secret).")
        var json = false

        func run() throws {
            // Refused before the secret is asked for.
            guard APIClient.isValidName(name) else { throw VaultError.badClientName(name) }
            var vault = try options.openVault()
            let (clientID, secret) = try SecretPrompt.clientIDAndSecret()
            var client = APIClient(
                name: name, environment: env, issuer: issuer, clientID: clientID, clientSecret: secret,
                createdAt: vault.now)
            client.publicKeyPEM = try publicKey.map(PublicKeyFile.read)
            try vault.addClient(client)
            if json { JSONOutput.line(try ClientRow(client, in: vault)) }
            Console.note(
                "Stored API client \(name) (\(env.rawValue), \(issuer)). Link it: nicvault set GSTIN --client \(name)")
        }
    }

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "update",
            abstract: "Replace an API client's id and secret (re-issued by NIC or the GSP), or its NIC public key.",
            discussion: """
                Read as for client add: the terminal, or two lines of stdin (id, then secret). With \
                --public-key, only NIC's public key is replaced (NIC issued a new one, or the one stored is the \
                other environment's: NIC errors 1013 and 1016); the id and secret stay and are not asked for.
                Example:
                  printf '%s\\n%s\\n' "$ID" "$SECRET" | \\
                    nicvault client update demo-gsp --env sandbox
                  nicvault client update demo-gsp --env sandbox --public-key nic-sandbox.pem
                """)

        @OptionGroup var options: VaultOptions

        @Argument(help: "The client's name.")
        var name: String

        @Option(help: "sandbox or production.")
        var env: Environment

        @Option(
            help: ArgumentHelp(
                "Replace only NIC's public key (PEM) stored with the client; the id and secret stay.",
                valueName: "file"))
        var publicKey: String?

        func run() throws {
            var vault = try options.openVault()
            _ = try vault.client(named: name, environment: env)
            if let publicKey {
                try vault.replaceClientPublicKey(named: name, environment: env, pem: try PublicKeyFile.read(publicKey))
                return Console.note("Replaced the NIC public key of API client \(name) (\(env.rawValue)).")
            }
            let (clientID, secret) = try SecretPrompt.clientIDAndSecret()
            try vault.updateClient(named: name, environment: env, clientID: clientID, secret: secret)
            Console.note("Updated API client \(name) (\(env.rawValue)).")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List API clients (never a secret).",
            discussion: "Example:\n  nicvault client list --json")

        @OptionGroup var options: VaultOptions

        @Flag(help: "Print JSON.")
        var json = false

        func run() throws {
            let vault = try options.openVault()
            let rows = try vault.clientsWithUsers().map { ClientRow($0.client, usedBy: $0.users) }
            if json { return try JSONOutput.print(rows) }
            if rows.isEmpty { Console.note("No API clients; add one with: nicvault client add NAME --env ENV") }
            for row in rows {
                Console.out(
                    "\(row.name)  \(row.environment)  \(row.issuer)  \(row.clientID)  used by \(row.usedBy.count)")
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "remove",
            abstract: "Remove an API client that no credential uses (asks first, unless --yes).",
            discussion: "Example:\n  nicvault client remove demo-gsp --env sandbox")

        @OptionGroup var options: VaultOptions

        @Argument(help: "The client's name.")
        var name: String

        @Option(help: "sandbox or production.")
        var env: Environment

        @Flag(help: "Do not ask.")
        var yes = false

        @Flag(help: "Print the removed client as JSON (never its secret).")
        var json = false

        func run() throws {
            var vault = try options.openVault()
            // Refused before asking when it cannot go.
            let removed = try vault.removableClient(named: name, environment: env)
            try SecretPrompt.confirm(
                "Remove API client \(name) (\(env.rawValue)) and its secret?", typing: name, yes: yes)
            try vault.removeClient(named: name, environment: env)
            if json { JSONOutput.line(try ClientRow(removed, in: vault)) }
            Console.note("Removed API client \(name) (\(env.rawValue)).")
        }
    }
}

/// An API client as `client list`, `client add --json` and `client remove --json` print it: never the secret.
struct ClientRow: Encodable {
    var name: String
    var environment: String
    var issuer: String
    var clientID: String
    var usedBy: [String]

    init(_ client: APIClient, usedBy users: [CredentialKey]) {
        name = client.name
        environment = client.environment.rawValue
        issuer = client.issuer
        clientID = client.clientID
        usedBy = users.map(\.description)
    }

    init(_ client: APIClient, in vault: Vault) throws {
        self.init(client, usedBy: try vault.users(ofClient: client.name, environment: client.environment))
    }
}
