import ArgumentParser
import Foundation
import GST
import NICVault

struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Show the changes of a credential and its retired passwords (values only with --reveal).",
        discussion: """
            Example:
              nicvault history 27AABCD1234E1Z8
              nicvault history 27AABCD1234E1Z8 --kind api --reveal
              nicvault history 27AABCD1234E1Z8 --json
            """
    )

    @OptionGroup var options: VaultOptions

    @OptionGroup var choice: CredentialChoice

    @Flag(help: "Show the retired passwords themselves.")
    var reveal = false

    @Flag(help: "Print JSON.")
    var json = false

    /// `history --json`: the credential as list shows it, its events, and its passwords' dates (values with
    /// --reveal only).
    struct Output: Encodable {
        struct Password: Encodable {
            var at: String
            var unconfirmed: Bool
            var userID: String?
            var password: String?
        }
        var credential: CredentialSummary
        var version: Int
        var events: [CredentialEvent]
        var staged: Password?
        var retired: [Password]
    }

    func run() throws {
        // The log says who made each change; the JSON output does not carry it.
        let (credential, log, now) = try choice.read(with: options, withLog: !json)
        if reveal { Console.warnIfRevealingOnTerminal() }
        if json {
            try JSONOutput.print(
                Output(
                    credential: CredentialSummary(credential, now: now), version: credential.version,
                    events: credential.events,
                    staged: credential.staged.map {
                        .init(
                            at: $0.stagedAt.description, unconfirmed: true, userID: nil,
                            password: reveal ? $0.password.unsafeStringValue() : nil)
                    },
                    retired: credential.retired.map {
                        .init(
                            at: $0.retiredAt.description, unconfirmed: $0.unconfirmed, userID: $0.userID,
                            password: reveal ? $0.password.unsafeStringValue() : nil)
                    }))
            return
        }
        Console.out("\(credential.key), user id \(credential.userID), version \(credential.version)")
        for event in credential.events {
            Console.out("  v\(event.version)  \(event.at)  \(event.change)")
        }
        if let staged = credential.staged {
            Console.out("staged since \(staged.stagedAt)" + (reveal ? ": \(staged.password.unsafeStringValue())" : ""))
        }
        let who = log.filter { $0.isAbout(credential.key) }
        if !who.isEmpty {
            Console.out("who (from the vault's log):")
            for entry in who { Console.out("  " + LogCommand.line(entry)) }
        }
        Console.out("retired passwords (newest first): \(credential.retired.count)")
        for retired in credential.retired {
            let note =
                retired.unconfirmed ? "  never confirmed" + (retired.userID.map { " (user id \($0))" } ?? "") : ""
            Console.out(
                "  \(retired.retiredAt)" + (reveal ? "  \(retired.password.unsafeStringValue())" : "") + note)
        }
    }
}
