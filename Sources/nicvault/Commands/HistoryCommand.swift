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
            """
    )

    @OptionGroup var options: VaultOptions

    @OptionGroup var choice: CredentialChoice

    @Flag(help: "Show the retired passwords themselves.")
    var reveal = false

    func run() throws {
        let vault = try options.openVault()
        let credential = try choice.credential(in: vault)
        if reveal && isatty(1) == 1 {
            Console.note("warning: printing passwords on the terminal; clear the screen and scroll-back afterwards")
        }
        Console.out("\(credential.key), user id \(credential.userID), version \(credential.version)")
        for event in credential.events {
            Console.out("  v\(event.version)  \(event.at)  \(event.change)")
        }
        if let staged = credential.staged {
            Console.out("staged since \(staged.stagedAt)" + (reveal ? ": \(staged.password.unsafeStringValue())" : ""))
        }
        Console.out("retired passwords (newest first): \(credential.retired.count)")
        for retired in credential.retired {
            Console.out("  \(retired.retiredAt)" + (reveal ? "  \(retired.password.unsafeStringValue())" : ""))
        }
    }
}
