import ArgumentParser
import Foundation
import GST
import NICVault

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List stored credentials (never a password).",
        discussion: """
            Columns: GSTIN, state, legal name, kind, environment, user id, days since the last rotation (or \
            creation), and status: ok, due soon (within 7 days), due (the due date has passed: what rotate --due \
            rotates), or pending (a registration or rotation to settle with --resume). With --due, the exit \
            code is 10 when something is due, 0 when nothing is.
            Example:
              nicvault list
              nicvault list --env production --json
              nicvault list --due --quiet || notify-send "nicvault: credentials due"
            """
    )

    @OptionGroup var options: VaultOptions

    @Option(help: "Only sandbox or production.")
    var env: Environment?

    @Flag(help: "Only credentials whose due date has passed (those rotate --due rotates).")
    var due = false

    @Flag(help: "Print JSON.")
    var json = false

    @Flag(help: "Print nothing; with --due, the exit code says it all (10: something is due).")
    var quiet = false

    func run() throws {
        let vault = try options.openVault()
        let now = vault.now
        let rows = try vault.credentials(environment: env).map { CredentialSummary($0, now: now) }.filter {
            !due || $0.status == .due
        }
        // For cron: `nicvault list --due --quiet || notify`.
        defer { if due && !rows.isEmpty { Foundation.exit(Exit.somethingDue) } }
        if quiet { return }
        if json {
            try JSONOutput.print(rows)
            return
        }
        guard !rows.isEmpty else {
            if due {
                Console.note("Nothing is due.")
                return
            }
            Console.note("No credentials yet; add one with: nicvault register GSTIN")
            return
        }
        let header = ["GSTIN", "STATE", "LEGAL NAME", "KIND", "ENV", "USER ID", "DAYS", "STATUS"]
        let table = rows.map { r in
            [
                r.gstin, r.state.code, String(r.legalName.prefix(32)), r.kind, r.environment, r.userID,
                String(r.daysSinceRotation),
                r.statusText,
            ]
        }
        let widths = (0..<header.count).map { column in ([header] + table).map { $0[column].count }.max() ?? 0 }
        // One write for the whole table: a vault of 100,000 credentials prints 100,000 lines.
        var text = ""
        for line in [header] + table {
            var row = ""
            for (cell, width) in zip(line, widths) {
                if !row.isEmpty { row += "  " }
                row += cell + String(repeating: " ", count: width - cell.count)
            }
            while row.last == " " { row.removeLast() }
            text += row + "\n"
        }
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
