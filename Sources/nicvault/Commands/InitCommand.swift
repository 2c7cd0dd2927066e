import ArgumentParser
import Foundation
import NICVault
import Sodium

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a new, empty vault protected by a passphrase.",
        discussion: """
            The passphrase comes from the usual sources (see nicvault --help); on a terminal it is asked twice.
            Example:
              nicvault init --kdf moderate
              NICVAULT_PASSPHRASE_FILE=~/.nicvault-pass nicvault init --vault ./team.nicv
            """
    )

    @OptionGroup var options: VaultOptions

    @Option(name: .long, help: "Argon2id cost: interactive (64 MiB), moderate (256 MiB) or sensitive (1 GiB).")
    var kdf: KDFPreset = .moderate

    func run() throws {
        let store = options.store()
        if try store.exists() {
            throw CLIError("a vault already exists at \(store.path); nothing was changed", code: Exit.conflict)
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
        let vault = try Vault.create(store: store, passphrase: passphrase, parameters: kdf.parameters)
        Console.note("Created vault \(vault.info.vaultID) at \(store.path) (\(kdf.parameters)).")
        Console.note(
            "Next: nicvault register GSTIN (a new login), nicvault add GSTIN (one you have), or nicvault import FILE.")
        Console.note(
            "Back up the vault file and keep the passphrase apart from it: without the passphrase nothing opens it.")
    }
}
