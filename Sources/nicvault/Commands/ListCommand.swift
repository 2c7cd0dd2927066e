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
        // For cron: `nicvault list --due --quiet || notify`. Thrown once the vault (and a database connection,
        // which then ends properly) is closed.
        if try printList() { throw ExitCode(Exit.somethingDue) }
    }

    /// Prints the list; true when --due found something.
    private func printList() throws -> Bool {
        let vault = try options.openVault()
        var rows = try vault.summaries(environment: env)
        if due { rows.removeAll { $0.status != .due } }
        let somethingDue = due && !rows.isEmpty
        if quiet { return somethingDue }
        if json {
            let text = SummaryJSON.list(rows) + [0x0a]
            try text.withUnsafeBytes { try Console.write($0) }
            return somethingDue
        }
        guard !rows.isEmpty else {
            Console.note(due ? "Nothing is due." : "No credentials yet; add one with: nicvault register GSTIN")
            return false
        }
        let header = ["GSTIN", "STATE", "LEGAL NAME", "KIND", "ENV", "USER ID", "DAYS", "STATUS"]
        // One flat list of cells, header first (a vault of 100,000 credentials prints 100,000 lines: no array
        // per line), and the width of each (characters, counted fast for ASCII).
        var cells = header
        cells.reserveCapacity(header.count * (rows.count + 1))
        for r in rows {
            cells.append(r.gstin)
            cells.append(r.state.code)
            cells.append(Console.visible(String(r.legalName.prefix(32))))
            cells.append(r.kind)
            cells.append(r.environment)
            cells.append(r.userID)
            cells.append(String(r.daysSinceRotation))
            cells.append(r.statusText)
        }
        let cellWidths = cells.map { cell in
            cell.utf8.withContiguousStorageIfAvailable { $0.allSatisfy { $0 < 0x80 } } == true
                ? cell.utf8.count : cell.count
        }
        var widths = Array(repeating: 0, count: header.count)
        for (index, width) in cellWidths.enumerated() where width > widths[index % header.count] {
            widths[index % header.count] = width
        }
        // Columns two spaces apart, no trailing blanks; one write for the whole table.
        var text: [UInt8] = []
        text.reserveCapacity((rows.count + 1) * (widths.reduce(0, +) + 2 * widths.count))
        var blanks = 0
        for (index, cell) in cells.enumerated() {
            let column = index % header.count
            if column > 0 { blanks += 2 }
            if !cell.isEmpty {
                text += repeatElement(0x20, count: blanks)
                text += cell.utf8
                blanks = 0
            }
            blanks += widths[column] - cellWidths[index]
            if column == header.count - 1 {
                text.append(0x0a)
                blanks = 0
            }
        }
        try text.withUnsafeBytes { try Console.write($0) }
        return somethingDue
    }
}
