import ArgumentParser
import Foundation
import NICVault
import Sodium

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a new, empty vault protected by a passphrase, or only by recipients.",
        discussion: """
            The passphrase comes from the usual sources (see nicvault --help); on a terminal it is asked twice.
            Example:
              nicvault init --kdf moderate
              NICVAULT_PASSPHRASE_FILE=~/.nicvault-pass nicvault init --vault ./team.nicv
              nicvault init --recipient age1... --vault ./job.nicv   # no passphrase at all
            """
    )

    @OptionGroup var options: VaultOptions

    @Option(name: .long, help: "Argon2id cost: interactive (64 MiB), moderate (256 MiB) or sensitive (1 GiB).")
    var kdf: KDFPreset = .moderate

    @Option(
        help: ArgumentHelp("A recipient (age1...) that opens the vault; repeat for several.", valueName: "recipient"))
    var recipient: [String] = []

    @Flag(help: "With --recipient: no passphrase slot at all (only the recipients open the vault).")
    var noPassphrase = false

    func run() throws {
        let store = try options.store()
        if try store.exists() {
            throw CLIError("a vault already exists at \(store.location); nothing was changed", code: Exit.conflict)
        }
        let recipients = try recipient.map { try Recipients.parseOrExplain($0).key }
        if noPassphrase {
            guard !recipients.isEmpty else { throw CLIError("--no-passphrase needs a --recipient", code: Exit.usage) }
            let vault = try Vault.create(
                store: store, passphrase: nil, parameters: kdf.parameters, recipients: recipients)
            Console.note("Created vault \(vault.vaultID) at \(store.location), opened only by its recipients.")
            return
        }
        let source = PassphraseSource.resolve(file: options.passphraseFile, fd: options.passphraseFd)
        let passphrase: SecureBytes
        if source.isTerminal {
            guard let typed = try Terminal.readNewPassphrase() else {
                throw CLIError(
                    "no terminal to ask for a new passphrase: \(PassphraseSource.variablesHelp)",
                    code: Exit.wrongPassphrase)
            }
            passphrase = typed
        } else {
            passphrase = try source.read(prompt: "")
        }
        let vault = try Vault.create(
            store: store, passphrase: passphrase, parameters: kdf.parameters, recipients: recipients)
        Console.note("Created vault \(vault.vaultID) at \(store.location) (\(kdf.parameters)).")
        Console.note(
            "Next: nicvault register GSTIN (a new login), nicvault add GSTIN (one you have), or nicvault import FILE.")
        Console.note(
            store.backupLocation == nil
                ? "Back the database up as you do, and keep the passphrase apart from it: without it nothing opens."
                : "Back up the vault file and keep the passphrase apart from it: without the passphrase nothing opens it."
        )
    }
}
