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
            let text = SummaryJSON.list(rows) + [0x0a]
            return try text.withUnsafeBytes { try Console.write($0) }
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
        // Columns as wide as their widest cell (characters, counted fast for ASCII), two spaces apart, no
        // trailing blanks; one write for the whole table (a vault of 100,000 credentials prints 100,000 lines).
        func width(_ cell: String) -> Int { cell.utf8.allSatisfy { $0 < 0x80 } ? cell.utf8.count : cell.count }
        let lines = [header] + table
        let cellWidths = lines.map { $0.map(width) }
        let widths = (0..<header.count).map { column in cellWidths.map { $0[column] }.max() ?? 0 }
        var text: [UInt8] = []
        text.reserveCapacity(lines.count * (widths.reduce(0, +) + 2 * widths.count))
        for (line, lineWidths) in zip(lines, cellWidths) {
            var blanks = 0
            for (column, cell) in line.enumerated() {
                if column > 0 { blanks += 2 }
                if !cell.isEmpty {
                    text += repeatElement(0x20, count: blanks)
                    text += cell.utf8
                    blanks = 0
                }
                blanks += widths[column] - lineWidths[column]
            }
            text.append(0x0a)
        }
        try text.withUnsafeBytes { try Console.write($0) }
    }
}
