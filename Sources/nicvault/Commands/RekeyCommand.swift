import ArgumentParser
import Foundation
import GST
import NICVault
import Sodium

struct RekeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rekey",
        abstract: "Draw a new vault key, re-wrapped for the passphrase and every recipient.",
        discussion: """
            What a key unwrapped from an older copy could open stops with this generation; the copies \
            themselves still open with their old keys. Needs the passphrase where the vault has one. Sessions \
            end.
            Example:
              nicvault rekey
            """
    )

    @OptionGroup var options: VaultOptions

    func run() throws {
        var vault = try options.openVault()
        try Self.rekey(&vault, options: options, removing: nil)
        Console.note("Re-keyed the vault (generation \(vault.generation)); sessions of this vault ended.")
    }

    /// The passphrase (when the vault has a passphrase slot) and the re-key; sessions end.
    static func rekey(_ vault: inout Vault, options: VaultOptions, removing label: String?) throws {
        var passphrase: SecureBytes?
        if vault.opened.header.passphraseSlot != nil {
            do {
                passphrase = try options.passphrase(prompt: "Vault passphrase (to re-wrap the new key): ")
            } catch let error as UnlockError {
                // Opened with an identity or a session, a job may not expect to be asked: say why it is.
                let why = label == nil ? "re-keying" : "removing a recipient"
                throw UnlockError(
                    "\(why) needs the vault passphrase, which wraps the new key (an identity cannot stand in for it); "
                        + error.message, kind: error.kind)
            }
        }
        try vault.rekey(passphrase: passphrase, removing: label)
        try Locations().sessions().end(vaultID: vault.opened.header.vaultID)
    }
}
