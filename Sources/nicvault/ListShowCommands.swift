import ArgumentParser
import Foundation
import GST
import NICVault

/// How a credential stands, for `list` and `show`.
enum CredentialStatus: String, Encodable {
    case ok, due, overdue, pending

    /// "due" within a week of the due date, "overdue" past it, "pending" while a registration or a
    /// rotation is unsettled.
    init(_ credential: Credential, now: Timestamp) {
        if credential.pendingSince != nil || credential.staged != nil {
            self = .pending
        } else if credential.isDue(at: now) {
            self = .overdue
        } else if credential.isDue(at: now.adding(days: 7)) {
            self = .due
        } else {
            self = .ok
        }
    }
}

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List stored credentials (never a password).",
        discussion: """
            Columns: GSTIN, state, legal name, kind, environment, user id, days since the last rotation (or
            creation), and status: ok, due (within 7 days), overdue, or pending (a registration to settle with
            register --resume).
            Example:
              nicvault list
              nicvault list --env production --json
            """
    )

    @OptionGroup var options: VaultOptions

    @Option(help: "Only sandbox or production.")
    var env: Environment?

    @Flag(help: "Only credentials that are due or overdue.")
    var due = false

    @Flag(help: "Print JSON.")
    var json = false

    struct Row: Encodable {
        var gstin: String
        var stateCode: String
        var state: String
        var legalName: String
        var kind: String
        var environment: String
        var userID: String
        var gsp: String?
        var daysSinceRotation: Int
        var dueDate: String
        var status: CredentialStatus
        var pendingSince: String?
        var rotationPendingSince: String?

        var statusText: String {
            if let since = pendingSince { return "registration pending since \(since)" }
            if let since = rotationPendingSince { return "rotation pending since \(since)" }
            return status.rawValue
        }
    }

    func run() throws {
        let vault = try options.openVault()
        let now = vault.now
        let rows = vault.credentials(environment: env).filter {
            !due || [.due, .overdue].contains(CredentialStatus($0, now: now))
        }.map { c in
            Row(
                gstin: c.gstin.value, stateCode: c.state.code, state: c.state.name, legalName: c.legalName,
                kind: c.kind.rawValue, environment: c.environment.rawValue, userID: c.userID, gsp: c.gsp,
                daysSinceRotation: Int((now.secondsSince1970 - (c.rotatedAt ?? c.createdAt).secondsSince1970) / 86_400),
                dueDate: c.dueAt.dateString, status: CredentialStatus(c, now: now),
                pendingSince: c.pendingSince?.description, rotationPendingSince: c.staged?.stagedAt.description)
        }
        if json {
            try JSONOutput.print(rows)
            return
        }
        guard !rows.isEmpty else {
            Console.note("No credentials yet; add one with: nicvault register GSTIN")
            return
        }
        let header = ["GSTIN", "STATE", "LEGAL NAME", "KIND", "ENV", "USER ID", "DAYS", "STATUS"]
        let table = rows.map { r in
            [
                r.gstin, r.stateCode, String(r.legalName.prefix(32)), r.kind, r.environment, r.userID,
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

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show one credential; the password only with --reveal or --field password.",
        discussion: """
            --field prints one raw value (for scripts): gstin, userID, password, legalName, tradeName, kind,
            environment, gsp, irp, client, dueDate. A password on a terminal comes with a warning.
            Example:
              nicvault show 27AABCD1234E1Z8
              nicvault show 27AABCD1234E1Z8 --kind api --json
              nicvault show 27AABCD1234E1Z8 --field password | my-einvoice-job --password-stdin
            """
    )

    @OptionGroup var options: VaultOptions

    @OptionGroup var choice: CredentialChoice

    @Flag(help: "Print JSON.")
    var json = false

    @Flag(help: "Include the password.")
    var reveal = false

    @Option(help: "Print only this field's value.")
    var field: String?

    struct Details: Encodable {
        var gstin: String
        var state: String
        var legalName: String
        var tradeName: String?
        var kind: String
        var environment: String
        var gsp: String?
        var irp: String
        var userID: String
        var password: String?
        var client: String?
        var createdAt: String
        var rotatedAt: String?
        var rotationDays: Int
        var dueDate: String
        var status: CredentialStatus
        var pendingSince: String?
        var stagedPassword: Bool
        var retiredPasswords: Int
        var version: Int
    }

    func run() throws {
        let vault = try options.openVault()
        let c = try choice.credential(in: vault)
        let showsPassword = reveal || field == "password"
        if showsPassword && isatty(1) == 1 {
            Console.note("warning: printing a password on the terminal; clear the screen and scroll-back afterwards")
        }
        let details = Details(
            gstin: c.gstin.value, state: c.state.description, legalName: c.legalName, tradeName: c.tradeName,
            kind: c.kind.rawValue, environment: c.environment.rawValue, gsp: c.gsp, irp: c.irp, userID: c.userID,
            password: showsPassword ? c.password.unsafeStringValue() : nil, client: c.client,
            createdAt: c.createdAt.description, rotatedAt: c.rotatedAt?.description, rotationDays: c.rotationDays,
            dueDate: c.dueAt.dateString, status: CredentialStatus(c, now: vault.now),
            pendingSince: c.pendingSince?.description, stagedPassword: c.staged != nil,
            retiredPasswords: c.retired.count, version: c.version)
        if let field {
            let values: [String: String?] = [
                "gstin": details.gstin, "userID": details.userID, "userid": details.userID,
                "password": details.password, "legalName": details.legalName, "tradeName": details.tradeName,
                "kind": details.kind, "environment": details.environment, "gsp": details.gsp, "irp": details.irp,
                "client": details.client, "dueDate": details.dueDate,
            ]
            guard let value = values[field] else {
                throw CLIError(
                    "unknown field \(field); one of: \(values.keys.sorted().joined(separator: ", "))", code: Exit.usage)
            }
            Console.out(value ?? "")
            return
        }
        if json {
            try JSONOutput.print(details)
            return
        }
        Console.out("GSTIN:        \(details.gstin) (\(details.state))")
        Console.out("legal name:   \(details.legalName)" + (details.tradeName.map { " / \($0)" } ?? ""))
        Console.out(
            "kind:         \(details.kind)" + (details.gsp.map { " through \($0)" } ?? "")
                + ", \(details.environment), \(details.irp)")
        Console.out("user id:      \(details.userID)")
        Console.out("password:     " + (details.password ?? "(hidden; --reveal to show)"))
        if let client = details.client { Console.out("API client:   \(client)") }
        Console.out("created:      \(details.createdAt)")
        if let rotated = details.rotatedAt { Console.out("rotated:      \(rotated)") }
        Console.out("due:          \(details.dueDate) (every \(details.rotationDays) days): \(details.status.rawValue)")
        if let pending = details.pendingSince {
            Console.out("pending:      registration since \(pending); settle with --resume")
        }
        Console.out("history:      \(details.retiredPasswords) retired password(s), version \(details.version)")
    }
}
