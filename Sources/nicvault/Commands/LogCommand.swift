import ArgumentParser
import Foundation
import GST
import NICVault

struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "The vault's log: every change, who made it (passphrase, a recipient, a session), user and host.",
        discussion: """
            Each entry is chained to the one before by a BLAKE2b hash, and the chain is checked as it is \
            printed: an entry edited by someone without the vault key cannot get into the sealed file at all; \
            one rewritten by a key holder breaks the chain unless every later hash is rewritten too (which a \
            key holder can do: the log is evidence, not proof, against them). Never a secret.
            Example:
              nicvault log
              nicvault log 27AABCD1234E1Z8 --json
            """
    )

    @OptionGroup var options: VaultOptions

    @Argument(help: "Only the entries about this GSTIN.")
    var gstin: String?

    @Flag(help: "Print JSON: {entries, intact, brokenAt?}.")
    var json = false

    struct Output: Encodable {
        var entries: [VaultLogEntry]
        var intact: Bool
        var brokenAt: Int?
    }

    func run() throws {
        let vault = try options.openVault()
        let all = try vault.logEntries()
        let broken = VaultPayload.firstBroken(in: all)
        let filter = try gstin.map { try GSTIN.argument($0) }
        let entries = all.filter { entry in filter.map { entry.mentions($0) } ?? true }
        if json { return try JSONOutput.print(Output(entries: entries, intact: broken == nil, brokenAt: broken)) }
        for entry in entries { Console.out(Self.line(entry)) }
        if let broken {
            throw CLIError(
                "the log's chain breaks at entry \(broken + 1) of \(all.count): an entry was changed or removed",
                code: Exit.damaged)
        }
        Console.note("\(all.count) entries; the chain is intact.")
    }

    /// One entry as a person reads it.
    static func line(_ entry: VaultLogEntry) -> String {
        "\(entry.at)  \(entry.action): \(entry.subject)  (by \(entry.by ?? "?"), \(entry.user ?? "?")@\(entry.host ?? "?"))"
    }
}
