import ArgumentParser
import Export
import Foundation
import GST
import NICVault

struct ExecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Run a command with one credential in its environment, and nothing on disk.",
        discussion: """
            nicvault replaces itself with COMMAND; its exit code is COMMAND's. The variables are those of the \
            env profile (NIC_GSTIN, NIC_USERNAME, NIC_PASSWORD, NIC_CLIENT_ID, NIC_CLIENT_SECRET, \
            NIC_ENVIRONMENT, NIC_AUTH_URL) or of gst-irn (GSTIN, CLIENT_ID, ...).
            Example:
              nicvault exec 27AABCD1234E1Z8 --kind api -- python3 make_irn.py
              nicvault exec 27AABCD1234E1Z8 --profile gst-irn --public-key nic.pem \\
                -- pytest tests/
            """
    )

    @OptionGroup var options: VaultOptions
    @OptionGroup var filter: CredentialFilter

    @Argument(help: "The GSTIN.")
    var gstin: String

    @Option(help: "The variables: env (NIC_*) or gst-irn (gst-e-invoicing's names).")
    var profile: ExecProfile = .env

    @Option(help: ArgumentHelp("NIC's public key (PEM) for gst-irn's PUBLIC_KEY.", valueName: "file"))
    var publicKey: String?

    @Argument(parsing: .postTerminator, help: "The command and its arguments, after --.")
    var command: [String] = []

    func validate() throws {
        guard !command.isEmpty else { throw ValidationError("give the command after --") }
    }

    func run() throws {
        var exportOptions = ExportOptions()
        if let publicKey {
            exportOptions.publicKeyPEM = try PublicKeyFile.read(publicKey)
        }
        let exporter = Exporter(profile: profile.exportProfile, options: exportOptions)
        let items = try filter.selection(of: gstin, options: options)
        try exporter.check(items)
        exporter.notes(items).forEach { Console.note($0) }
        // The child gets its one credential and nothing that opens the vault.
        options.forgetUnlockingMeans()
        for (name, value) in exporter.variables(items[0]) { setenv(name, value, 1) }
        let argv = command.map { strdup($0) } + [nil]
        execvp(command[0], argv)
        throw CLIError("cannot run \(command[0]): \(String(cString: strerror(errno)))", code: 127)
    }
}

/// The profiles exec can hand over as environment variables (the others are files).
enum ExecProfile: String, ExpressibleByArgument, CaseIterable {
    case env
    case gstIRN = "gst-irn"

    var exportProfile: ExportProfile { self == .env ? .env : .gstIRN }
}
