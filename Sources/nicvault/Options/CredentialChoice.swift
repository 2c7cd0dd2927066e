import ArgumentParser
import GST
import NICVault

/// One stored credential named on the command line: a GSTIN, with --kind and --env when it has several.
struct CredentialChoice: ParsableArguments {
    @Argument(help: "The GSTIN.")
    var gstin: String

    @OptionGroup var filter: CredentialFilter

    /// The credential, or a clear error when there is none or the choice is ambiguous.
    func credential(in vault: Vault) throws -> Credential { try filter.credential(gstin, in: vault) }

    /// The credential (and the vault's log, `withLog`) read alone through the vault's lookup file when it can
    /// answer (`show`, `history`), with the time to judge it at.
    func read(with options: VaultOptions, withLog: Bool = false) throws -> (
        credential: Credential, log: [VaultLogEntry], now: Timestamp
    ) {
        try filter.credential(gstin, options: options, withLog: withLog)
    }
}
