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
        try vault.credential(gstin: GSTIN(parsing: gstin, environment: .sandbox), kind: kind, environment: env)
    }

    /// What to export or hand to exec, with its warnings shown.
    func selection(_ vault: Vault, gstins: [String]) throws -> [ExportItem] {
        let ids = try gstins.map { try GSTIN(parsing: $0, environment: .sandbox) }
        let selection = try ExportSelection(from: vault, gstins: ids, kind: kind, environment: env)
        selection.warnings.forEach(Console.note)
        return selection.items
    }
}
