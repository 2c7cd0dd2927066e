import ArgumentParser
import Export
import GST
import NICVault

extension CredentialKind: ExpressibleByArgument {}

/// `--kind` and `--env`: which credentials of a GSTIN (or of the vault) a command means.
struct CredentialFilter: ParsableArguments {
    @Option(help: "portal or api, when the GSTIN has both.")
    var kind: CredentialKind?

    @Option(help: "sandbox or production, when the GSTIN has both.")
    var env: Environment?

    /// The one credential of `gstin` these filters leave; a clear error when none or several.
    func credential(_ gstin: String, in vault: Vault) throws -> Credential {
        try vault.credential(gstin: GSTIN.argument(gstin), kind: kind, environment: env)
    }

    /// What to export or hand to exec, with its warnings shown.
    func selection(_ vault: Vault, gstins: [String]) throws -> [ExportItem] {
        let ids = try gstins.map { try GSTIN.argument($0) }
        return shown(try ExportSelection(from: vault, gstins: ids, kind: kind, environment: env))
    }

    /// For `exec`: the credential of `gstin` (with its client) read alone when the vault's lookup file can
    /// answer; else as `selection` makes it from the vault opened in full (which says when none or several match).
    func selection(of gstin: String, options: VaultOptions) throws -> [ExportItem] {
        let id = try GSTIN.argument(gstin)
        switch try options.readOne(gstin: id, kind: kind, environment: env) {
        case .lookedUp(let credential, let client, _): return shown(ExportSelection(credential, client: client))
        case .vault(let vault): return try selection(vault, gstins: [gstin])
        }
    }

    /// For `show` and `history`: the credential of `gstin` (and the vault's log, `withLog`) read alone when the
    /// vault's lookup file can answer, else from the vault opened in full (a clear error when none or several
    /// match); with the time to judge it at.
    func credential(_ gstin: String, options: VaultOptions, withLog: Bool = false) throws -> (
        credential: Credential, log: [VaultLogEntry], now: Timestamp
    ) {
        let id = try GSTIN.argument(gstin)
        return try options.readOne(gstin: id, kind: kind, environment: env, withLog: withLog).credential(
            gstin: id, kind: kind, environment: env, withLog: withLog)
    }

    private func shown(_ selection: ExportSelection) -> [ExportItem] {
        selection.warnings.forEach(Console.note)
        return selection.items
    }
}

extension GSTIN {
    /// A GSTIN typed on the command line; a wrong one is refused with the text typed, the reason, and how to
    /// look at it (`nicvault gstin`), not the reason alone ("14 characters, expected 15" said nothing of which).
    static func argument(_ text: String, environment: Environment = .sandbox) throws -> GSTIN {
        do {
            return try GSTIN(parsing: text, environment: environment)
        } catch {
            throw CLIError(
                "\(text) is not a GSTIN nicvault can use: \(error); check it with: nicvault gstin '\(text)'",
                code: Exit.usage)
        }
    }
}
