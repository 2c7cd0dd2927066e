import ArgumentParser
import Foundation
import GST
import NICVault

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show one credential; the password only with --reveal or --field password.",
        discussion: """
            --field prints one raw value (for scripts): gstin, userID, password, legalName, tradeName, kind, \
            environment, gsp, irp, client, dueDate. A password on a terminal comes with a warning.
            Example:
              nicvault show 27AABCD1234E1Z8
              nicvault show 27AABCD1234E1Z8 --kind api --json
              nicvault show 27AABCD1234E1Z8 --field password | my-job --password-stdin
            """
    )

    @OptionGroup var options: VaultOptions

    @OptionGroup var choice: CredentialChoice

    @Flag(help: "Print JSON.")
    var json = false

    @Flag(help: "Include the password.")
    var reveal = false

    @Option(help: "Print only this field's value.")
    var field: String?

    func run() throws {
        let (c, _, now) = try choice.read(with: options)
        let showsPassword = reveal || field == "password"
        if showsPassword { Console.warnIfRevealingOnTerminal() }
        let details = CredentialDetails(c, now: now, revealPassword: showsPassword)
        if let field {
            let values = details.fields
            guard let value = values[field] else {
                throw CLIError(
                    "unknown field \(field); one of: \(values.keys.sorted().joined(separator: ", "))", code: Exit.usage)
            }
            Console.exact(value ?? "")
            return
        }
        if json {
            try JSONOutput.print(details)
            return
        }
        Console.out("GSTIN:        \(details.gstin) (\(details.state.code) \(details.state.name))")
        Console.out("legal name:   \(details.legalName)" + (details.tradeName.map { " / \($0)" } ?? ""))
        Console.out(
            "kind:         \(details.kind)" + (details.gsp.map { " through \($0)" } ?? "")
                + ", \(details.environment), \(details.irp)")
        Console.out("user id:      \(details.userID)")
        Console.out("password:     " + (details.password ?? "(hidden; --reveal to show)"))
        if let client = details.client { Console.out("API client:   \(client)") }
        Console.out("created:      \(details.createdAt)")
        if let rotated = details.rotatedAt { Console.out("rotated:      \(rotated)") }
        Console.out(
            "due:          \(details.dueDate) (every \(Console.days(details.rotationDays))): \(details.status.label)")
        if let pending = details.pendingSince {
            Console.out("pending:      registration since \(pending); settle with --resume")
        }
        Console.out("history:      \(details.retiredPasswords) retired password(s), version \(details.version)")
    }
}
