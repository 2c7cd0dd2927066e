import ArgumentParser
import Foundation
import GST
import NICVault
import Sodium

struct RecipientCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recipient",
        abstract: "The X25519 recipients a vault opens for: jobs and colleagues, each with its own identity.",
        subcommands: [Add.self, List.self, Remove.self]
    )

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Let an identity open the vault: wrap the vault key for its recipient.",
            discussion: """
                Example:
                  nicvault recipient add age1... --label einvoice-job
                  nicvault recipient add "$(cat ~/.ssh/id_ed25519.pub)" --label asha
                """
        )

        @OptionGroup var options: VaultOptions

        @Argument(help: "The recipient: age1... (nicvault keygen, age-keygen) or an ssh-ed25519 public key line.")
        var recipient: String

        @Option(help: "A name for it (a machine, a person).")
        var label: String

        func run() throws {
            let (key, sshText) = try Recipients.parseOrExplain(recipient)
            var vault = try options.openVault()
            try vault.addRecipient(key, label: label, as: sshText)
            Console.note(
                "\(label) can open the vault now with its identity (--identity FILE or NICVAULT_IDENTITY_FILE).")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List the vault's recipients.",
            discussion: "Example:\n  nicvault recipient list --json")

        @OptionGroup var options: VaultOptions

        @Flag(help: "Print JSON.")
        var json = false

        func run() throws {
            let vault = try options.openVault()
            let rows = vault.recipients
            if json { return try JSONOutput.print(rows) }
            if rows.isEmpty { Console.note("No recipients; add one with: nicvault recipient add age1... --label NAME") }
            for row in rows { Console.out("\(row.label)  \(row.recipient)  added \(row.addedAt)") }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "remove",
            abstract:
                "Take a recipient away: the vault is re-keyed, so its identity opens nothing written from now on.",
            discussion: """
                A new vault key seals the vault and its backup and is wrapped for the passphrase and every \
                remaining recipient; that needs the passphrase where the vault has one (asked, or from the usual \
                sources). Copies made before still open with the removed identity.
                Example:
                  nicvault recipient remove einvoice-job
                """
        )

        @OptionGroup var options: VaultOptions

        @Argument(help: "The recipient's label.")
        var label: String

        func run() throws {
            var vault = try options.openVault()
            try RekeyCommand.rekey(&vault, options: options, removing: label)
            Console.note("Removed \(label) and re-keyed the vault (generation \(vault.generation)).")
        }
    }
}
