import ArgumentParser
import Export
import Foundation
import GST
import NICVault
import SealedFile

extension ExportProfile: ExpressibleByArgument {}

/// Selecting credentials for export and exec, shared by both commands.
struct Selection: ParsableArguments {
    @Option(help: "portal or api.")
    var kind: CredentialKind?

    @Option(help: "sandbox or production (an export never mixes them).")
    var env: Environment?

    func items(_ vault: Vault, gstins: [String]) throws -> [ExportItem] {
        var credentials: [Credential] = []
        if gstins.isEmpty {
            credentials = vault.credentials(kind: kind, environment: env)
        } else {
            for text in gstins {
                let id = try GSTIN(parsing: text, environment: .sandbox)
                let found = vault.credentials(gstin: id, kind: kind, environment: env)
                if found.isEmpty { throw VaultError.notFound(id.value) }
                credentials += found
            }
        }
        return try credentials.map { credential in
            if credential.staged != nil {
                Console.note("warning: \(credential.key) has a rotation pending; exporting its current password")
            }
            if credential.pendingSince != nil {
                Console.note("warning: \(credential.key) has a registration pending; the portal may not know it yet")
            }
            let client = try credential.client.map { try vault.client(named: $0, environment: credential.environment) }
            return ExportItem(credential: credential, client: client)
        }
    }
}

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write credentials in the format an e-invoice tool reads.",
        discussion: """
            Profiles: json (ours, complete), env (shell export lines), dotenv, gst-irn (gst-e-invoicing's .env),
            india-compliance (ERPNext GST Settings body), odoo (res.company values), nic-auth (the NIC v1.04
            auth request). See docs/export.md. Sandbox and production never go in one export. Secrets are not
            printed on a terminal without --force; --output writes a 0600 file.
            Example:
              nicvault export --profile dotenv 27AABCD1234E1Z8 --kind api --output .env
              nicvault export --profile odoo --env production --output odoo.json
              nicvault export --profile india-compliance --company "Demo Traders Pvt Ltd" --env sandbox > ic.json
            """
    )

    @OptionGroup var options: VaultOptions
    @OptionGroup var selection: Selection

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

    func run() throws {
        if output == nil && isatty(1) == 1 && !force {
            throw CLIError(
                "refusing to print passwords on a terminal: use --output FILE, a pipe, or --force if you mean it",
                code: Exit.usage)
        }
        let vault = try options.openVault()
        var exportOptions = ExportOptions(company: company)
        if let publicKey {
            exportOptions.publicKeyPEM = try PublicKeyFile.read(publicKey).trimmingCharacters(
                in: .whitespacesAndNewlines)
        } else if profile == .gstIRN {
            Console.note("warning: no --public-key; the gst-irn .env has no PUBLIC_KEY line")
        }
        let items = try selection.items(vault, gstins: gstins)
        if encrypt {
            guard profile == .nicAuth else {
                throw CLIError("--encrypt applies to --profile nic-auth", code: Exit.usage)
            }
            exportOptions.encryptWithPEM = exportOptions.publicKeyPEM ?? items.first?.client?.publicKeyPEM
            if exportOptions.encryptWithPEM == nil {
                throw CLIError(
                    "--encrypt needs NIC's public key: --public-key FILE, or a client added with --public-key",
                    code: Exit.usage)
            }
        }
        let text = try Exporter(profile: profile, options: exportOptions).render(items)
        if let output {
            try SecretFile.write(text, to: output)
            Console.note("Wrote \(output) (0600).")
        } else {
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }
}

/// NIC's public key in a PEM file, for --public-key (client add, export, exec).
enum PublicKeyFile {
    static func read(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path),
            let text = String(data: data, encoding: .utf8), text.contains("-----BEGIN PUBLIC KEY-----")
        else { throw CLIError("\(path) is not a PEM public key", code: Exit.usage) }
        return text
    }
}

/// Files that hold secrets: 0600, never through a symlink, never over a file others can read.
enum SecretFile {
    static func write(_ text: String, to path: String) throws {
        var info = stat()
        let folder = Path.directory(of: path)
        var folderInfo = stat()
        guard stat(folder, &folderInfo) == 0, (folderInfo.st_mode & S_IFMT) == S_IFDIR else {
            throw CLIError(
                "the folder \(folder) does not exist; create it first, or give another path", code: Exit.usage)
        }
        if lstat(path, &info) == 0 {
            switch info.st_mode & S_IFMT {
            case S_IFREG: break
            case S_IFLNK:
                throw CLIError("refusing to write through the symlink \(path); give the real path", code: Exit.usage)
            default:
                // A FIFO, a device or a folder would be replaced by a regular file: never do that silently.
                throw CLIError(
                    "refusing to replace \(path): it is not a regular file (a FIFO, a device or a folder); give the "
                        + "path of a file, or leave out --output to write to stdout", code: Exit.usage)
            }
            if info.st_mode & 0o077 != 0 {
                throw CLIError(
                    "refusing to overwrite \(path): others can read it (mode \(String(info.st_mode & 0o777, radix: 8))); "
                        + "remove it or run: chmod 600 '\(path)'", code: Exit.usage)
            }
        }
        var bytes = Array(text.utf8)
        defer { bytes.withUnsafeMutableBufferPointer { $0.update(repeating: 0) } }
        try AtomicFile.replace(path, with: bytes, backup: nil, fileSystem: POSIXFileSystem())
    }
}

struct ExecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Run a command with one credential in its environment, and nothing on disk.",
        discussion: """
            nicvault replaces itself with COMMAND; its exit code is COMMAND's. The variables are those of the
            env profile (NIC_GSTIN, NIC_USERNAME, NIC_PASSWORD, NIC_CLIENT_ID, NIC_CLIENT_SECRET,
            NIC_ENVIRONMENT, NIC_AUTH_URL) or of gst-irn (GSTIN, CLIENT_ID, ...).
            Example:
              nicvault exec 27AABCD1234E1Z8 --kind api -- python3 make_irn.py
              nicvault exec 27AABCD1234E1Z8 --profile gst-irn --public-key nic.pem -- pytest tests/
            """
    )

    @OptionGroup var options: VaultOptions
    @OptionGroup var selection: Selection

    @Argument(help: "The GSTIN.")
    var gstin: String

    @Option(help: "env (default) or gst-irn.")
    var profile: ExportProfile = .env

    @Option(help: ArgumentHelp("NIC's public key (PEM) for gst-irn's PUBLIC_KEY.", valueName: "file"))
    var publicKey: String?

    @Argument(parsing: .postTerminator, help: "The command and its arguments, after --.")
    var command: [String] = []

    func validate() throws {
        guard [.env, .gstIRN].contains(profile) else { throw ValidationError("exec takes --profile env or gst-irn") }
        guard !command.isEmpty else { throw ValidationError("give the command after --") }
    }

    func run() throws {
        let vault = try options.openVault()
        var exportOptions = ExportOptions()
        if let publicKey {
            exportOptions.publicKeyPEM = try PublicKeyFile.read(publicKey).trimmingCharacters(
                in: .whitespacesAndNewlines)
        }
        let exporter = Exporter(profile: profile, options: exportOptions)
        let items = try selection.items(vault, gstins: [gstin])
        try exporter.check(items)
        // The child gets its one credential and nothing that opens the vault.
        options.forgetUnlockingMeans()
        for (name, value) in exporter.variables(items[0]) { setenv(name, value, 1) }
        let argv = command.map { strdup($0) } + [nil]
        execvp(command[0], argv)
        throw CLIError("cannot run \(command[0]): \(String(cString: strerror(errno)))", code: 127)
    }
}
