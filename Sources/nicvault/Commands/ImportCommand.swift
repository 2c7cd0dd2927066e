import ArgumentParser
import Export
import Foundation
import GST
import NICVault

extension ImportFormat: ExpressibleByArgument {}

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Bring in credentials that already exist, from a spreadsheet (CSV) or another tool's export.",
        discussion: """
            Formats: csv (a header row with gstin,kind,env,user_id,password and optionally gsp,client,every; \
            see docs/cli.md), json (what export --profile json writes: a round trip that loses nothing), \
            india-compliance and odoo (what those export profiles write). One transaction: every row is checked \
            first, and a file with any bad row changes nothing; the report names each bad row by line and rule, \
            never a password. Importing the same file again changes nothing; a row that differs from what is \
            stored is an update, its old password kept in history.
            Example:
              nicvault import clients.csv --format csv --dry-run
              nicvault import clients.csv --format csv
              nicvault import ic.json --format india-compliance --env production
            """
    )

    @OptionGroup var options: VaultOptions

    @Argument(help: "The file to import (- for stdin).")
    var file: String

    @Option(help: "csv, json, india-compliance or odoo.")
    var format: ImportFormat

    @Option(help: "sandbox or production, for india-compliance rows (they do not say).")
    var env: Environment?

    @Flag(help: "Check and report what would be added, updated or left; change nothing.")
    var dryRun = false

    @Flag(help: "One JSON line per row, then a summary line.")
    var json = false

    func run() throws {
        let text = try readFile()
        let parsed: (rows: [ImportRow], clients: [APIClient])
        do {
            parsed = try ImportFile.read(text, format: format, environment: env)
        } catch let error as ImportFileError {
            throw CLIError("\(file): \(error.description); nothing was imported", code: Exit.usage)
        }
        var vault = try options.openVault()
        // n/N on a terminal (every 100 rows), never in a log.
        let terminal = isatty(2) == 1
        let plan = try ImportPlan(rows: parsed.rows, clients: parsed.clients, vault: vault) { done, total in
            if terminal && (done % 100 == 0 || done == total) {
                FileHandle.standardError.write(Data("\rchecked \(done)/\(total)".utf8))
                if done == total { FileHandle.standardError.write(Data("\n".utf8)) }
            }
        }
        for (line, warning) in plan.warnings { Console.note("\(file):\(line): warning: \(warning)") }
        guard plan.isValid else {
            for (line, problem) in plan.problems {
                Console.note("\(file):\(line): \(problem)")
                if json { JSONOutput.line(RowResult(line: line, outcome: "refused", message: problem)) }
            }
            throw CLIError(
                "\(Set(plan.problems.map(\.line)).count) bad row(s) of \(parsed.rows.count); nothing was imported",
                code: Exit.usage)
        }
        let counts = report(plan)
        if dryRun {
            Console.note("Dry run: \(counts); nothing was changed.")
            return
        }
        let changed = try vault.apply(plan)
        Console.note(
            changed == 0 && plan.clients.isEmpty
                ? "Nothing to change: \(counts)." : "Imported: \(counts) (generation \(vault.generation)).")
    }

    /// One line per row (to stdout) and the counts.
    func report(_ plan: ImportPlan) -> String {
        var added = 0
        var updated = 0
        var unchanged = 0
        let verb = dryRun ? ["would add", "would update", "unchanged"] : ["added", "updated", "unchanged"]
        for entry in plan.entries {
            switch entry.action {
            case .add:
                added += 1
                say(entry, verb[0], "")
            case .update(let changes):
                updated += 1
                say(entry, verb[1], changes.joined(separator: ", "))
            case .unchanged:
                unchanged += 1
                say(entry, verb[2], "")
            }
        }
        if json {
            JSONOutput.line(
                BatchSummary(
                    summary: .init(total: plan.entries.count, done: added + updated, failed: 0, skipped: unchanged)))
        }
        let clients = plan.clients.isEmpty ? "" : ", \(plan.clients.count) API client(s)"
        return "\(added) added, \(updated) updated, \(unchanged) unchanged\(clients)"
    }

    /// One row's line: text, or a JSON line with the row's number.
    func say(_ entry: ImportPlan.Entry, _ verb: String, _ changes: String) {
        if json {
            var result = ItemResult(entry.key, outcome: verb, message: changes)
            result.message = changes
            JSONOutput.line(RowResult(line: entry.line, item: result))
        } else {
            Console.out("\(file):\(entry.line): \(verb) \(entry.key)" + (changes.isEmpty ? "" : " (\(changes))"))
        }
    }

    func readFile() throws -> String {
        let data: Data?
        if file == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            data = FileManager.default.contents(atPath: file)
        }
        guard let data else {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: file, isDirectory: &isFolder) {
                throw CLIError(
                    isFolder.boolValue
                        ? "\(file) is a folder; give the file to import"
                        : "cannot read \(file): check its permissions", code: Exit.failure)
            }
            throw CLIError("no file \(file); give the path of the file to import", code: Exit.notFound)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw CLIError("\(file) is not UTF-8 text; save it as CSV UTF-8", code: Exit.usage)
        }
        return text
    }
}

/// `import --json`: a row's line number with its item result, or a refused row's rule.
struct RowResult: Encodable {
    var line: Int
    var gstin: String?
    var kind: String?
    var env: String?
    var outcome: String
    var exit: Int32
    var message: String

    init(line: Int, item: ItemResult) {
        self.line = line
        gstin = item.gstin
        kind = item.kind
        env = item.env
        outcome = item.outcome
        exit = item.exit
        message = item.message
    }

    init(line: Int, outcome: String, message: String) {
        self.line = line
        self.outcome = outcome
        exit = Exit.usage
        self.message = message
    }
}
