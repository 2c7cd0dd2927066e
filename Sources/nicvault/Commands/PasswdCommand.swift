import ArgumentParser
import Foundation
import NICVault
import Sodium

struct PasswdCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "passwd",
        abstract: "Change the vault passphrase and re-key the vault.",
        discussion: """
            The current passphrase comes from the usual sources; the new one from --new-passphrase-file or, \
            on a terminal, a prompt asked twice. A new vault key seals the vault and its backup, so the old \
            passphrase opens neither; copies made before still open with it. Sessions end.
            Example:
              nicvault passwd
              nicvault passwd --passphrase-file old.txt --new-passphrase-file new.txt \\
                --kdf sensitive
            """
    )

    @OptionGroup var options: VaultOptions

    @Option(name: .long, help: ArgumentHelp("Read the new passphrase from this file (first line).", valueName: "file"))
    var newPassphraseFile: String?

    @Option(name: .long, help: "New Argon2id cost (default: keep the current one).")
    var kdf: KDFPreset?

    func run() throws {
        var vault = try options.openVault()
        let newPassphrase: SecureBytes
        if let newPassphraseFile {
            newPassphrase = try PassphraseSource.file(newPassphraseFile, variable: nil).read(prompt: "")
        } else {
            guard let typed = try Terminal.readNewPassphrase() else {
                throw CLIError(
                    "no terminal to ask for the new passphrase: pass --new-passphrase-file", code: Exit.usage)
            }
            newPassphrase = typed
        }
        try vault.changePassphrase(to: newPassphrase, parameters: kdf?.parameters)
        try Locations().sessions().end(vaultID: vault.opened.header.vaultID)
        Console.note("Passphrase changed (generation \(vault.generation)); sessions of this vault ended.")
    }
}
