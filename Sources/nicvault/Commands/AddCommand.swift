import ArgumentParser
import Foundation
import GST
import NICVault

struct AddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Store a credential that already exists on the portal (made there, or on the e-way bill portal).",
        discussion: """
            The password is read from the terminal without echo (asked twice), or one line of stdin. It is \
            checked as NIC checks it, with warnings only: the portal already holds it. History says "added \
            (existing credential)". To bring in many at once, see nicvault import.
            Example:
              nicvault add 27AABCD1234E1Z8 --kind portal --env production \\
                --user-id DEMOTRAD27
              printf '%s\\n' "$PASSWORD" | nicvault add 27AABCD1234E1Z8 --kind api \\
                --env sandbox --user-id API_DEMO27 --gsp "Demo GSP"
            """
    )

    @OptionGroup var options: VaultOptions

    @Argument(help: "The GSTIN.")
    var gstin: String

    @Option(help: "portal (a web login) or api (an API user).")
    var kind: CredentialKind

    @Option(help: "sandbox or production.")
    var env: Environment

    @Option(name: .customLong("user-id"), help: "The user id, exactly as the portal shows it.")
    var userID: String

    @Option(help: "The GSP an API user was made through.")
    var gsp: String?

    @Option(help: "Link it to this API client (see nicvault client list).")
    var client: String?

    @Option(help: ArgumentHelp("Rotation interval: 90d, 12w or 90 (days); 1 to 3650 days.", valueName: "interval"))
    var every: RotationInterval?

    @Option(help: "The legal name, for list and exports.")
    var legalName = ""

    @Flag(help: "Print the outcome as one JSON line.")
    var json = false

    func run() throws {
        let id = try GSTIN.argument(gstin, environment: env)
        var vault = try options.openVault()
        guard let password = try SecretPrompt.read("Password of \(userID): ") else { return }
        let (added, warnings) = try vault.addExisting(
            ExistingCredential(
                gstin: id, kind: kind, environment: env, userID: userID.trimmingCharacters(in: .whitespaces),
                password: password, gsp: gsp, client: client, rotationDays: every?.days, legalName: legalName))
        warnings.forEach { Console.note("warning: " + $0) }
        Console.note("Added \(added.key) as \(added.userID); due \(added.dueAt.dateString).")
        if json { JSONOutput.line(ItemResult(added.key, outcome: "added", message: warnings.joined(separator: "; "))) }
    }
}
