import ArgumentParser
import NICVault

struct UpgradeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upgrade",
        abstract: "Rewrite a version 1 vault in format version 2 (the first change does it anyway).",
        discussion: """
            Version 2 seals each credential and client on its own, so commands decrypt only what they read. The \
            version 1 file is kept as the backup (<vault>.bak) until the next change; older nicvault releases \
            cannot read version 2. Nothing happens to a vault that is version 2 already.
            Example:
              nicvault upgrade
            """
    )

    @OptionGroup var options: VaultOptions

    func run() throws {
        var vault = try options.openVault()
        guard try vault.upgrade() else {
            Console.note("The vault is format version 2 already; nothing was changed.")
            return
        }
        let backup = vault.store.backupLocation.map { "; the version 1 file is \($0)" } ?? ""
        Console.note("Upgraded to format version 2 (generation \(vault.generation))\(backup).")
    }
}
