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
}
