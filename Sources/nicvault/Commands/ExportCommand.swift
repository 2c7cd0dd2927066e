import ArgumentParser
import Export
import Foundation
import GST
import NICVault
import SealedFile

extension ExportProfile: ExpressibleByArgument {}

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write credentials in the format an e-invoice tool reads.",
        discussion: """
            Profiles: json (ours, complete), env (shell export lines), dotenv, gst-irn (gst-e-invoicing's .env), \
            india-compliance (ERPNext GST Settings body), odoo (res.company values), nic-auth (the NIC v1.04 \
            auth request). See docs/export.md. Sandbox and production never go in one export. Secrets are not \
            printed on a terminal without --force; --output writes a 0600 file.
            Example:
              nicvault export --profile dotenv 27AABCD1234E1Z8 --kind api --output .env
              nicvault export --profile odoo --env production --output odoo.json
              nicvault export --profile india-compliance --company "Demo Traders" \\
                --env sandbox > ic.json
            """
    )

    @OptionGroup var options: VaultOptions
    @OptionGroup var filter: CredentialFilter

    @Option(help: "The format: json, env, dotenv, gst-irn, india-compliance, odoo, nic-auth.")
    var profile: ExportProfile

    @Argument(help: "GSTINs to export (all that match --env and --kind when none).")
    var gstins: [String] = []

    @Option(help: ArgumentHelp("Write to this file (mode 0600) instead of stdout.", valueName: "file"))
    var output: String?

    @Option(help: ArgumentHelp("NIC's public key (PEM) for gst-irn's PUBLIC_KEY.", valueName: "file"))
    var publicKey: String?

    @Option(help: "The ERPNext Company name, for india-compliance.")
    var company: String?

    @Flag(help: "Print secrets even when stdout is a terminal.")
    var force = false

    @Flag(help: "nic-auth: also encrypt the body with NIC's public key (the client's, or --public-key).")
    var encrypt = false

    @Flag(help: "Check and list what would be exported (never a secret); write nothing.")
    var dryRun = false

    @Flag(help: "With --dry-run: the list as JSON.")
    var json = false

    func run() throws {
        if output == nil && isatty(1) == 1 && !force && !dryRun {
            throw CLIError(
                "refusing to print passwords on a terminal: use --output FILE, a pipe, or --force if you mean it",
                code: Exit.usage)
        }
        let vault = try options.openVault()
        var exportOptions = ExportOptions(company: company)
        exportOptions.encrypt = encrypt
        if let publicKey {
            exportOptions.publicKeyPEM = try PublicKeyFile.read(publicKey)
        }
        let items = try filter.selection(vault, gstins: gstins)
        let exporter = Exporter(profile: profile, options: exportOptions)
        exporter.notes(items).forEach { Console.note($0) }
        if dryRun {
            // The profile's own checks, then the list: GSTIN, kind, environment, user id, client; no secret.
            try exporter.check(items)
            let rows = items.map {
                ExportRow(credential: CredentialSummary($0.credential, now: vault.now), client: $0.client?.name)
            }
            if json { return try JSONOutput.print(rows) }
            for row in rows {
                Console.out(
                    "would export \(row.credential.gstin) \(row.credential.kind) (\(row.credential.environment)), user id "
                        + row.credential.userID + (row.client.map { ", client \($0)" } ?? ""))
            }
            return Console.note("Dry run: \(rows.count) credential(s) for \(profile.rawValue); nothing was written.")
        }
        let document = try exporter.bytes(items)
        if let output {
            try SecretFile.write(document, to: output)
            Console.note("Wrote \(output) (0600).")
        } else {
            try document.withUnsafeBytes { try Console.write($0) }
        }
    }
}

/// `export --dry-run --json`: what would go, never a secret.
struct ExportRow: Encodable {
    var credential: CredentialSummary
    var client: String?
}
