import ArgumentParser
import Foundation
import GST
import NICVault

struct SetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set",
        abstract: "Set a credential's rotation interval, or the vault-wide default.",
        discussion: """
            Example:
              nicvault set 27AABCD1234E1Z8 --every 30d
              nicvault set --default-every 60d
              nicvault set --default-every 60d --apply-all --dry-run
            """
    )

    @OptionGroup var options: VaultOptions

    @Argument(help: "The GSTIN (leave out with --default-every).")
    var gstin: String?

    @OptionGroup var filter: CredentialFilter

    @Option(help: ArgumentHelp("Rotation interval: 90d, 12w or 90 (days); 1 to 3650 days.", valueName: "interval"))
    var every: RotationInterval?

    @Option(
        help: ArgumentHelp(
            "Default interval for new credentials (90d, 12w or 90; 1 to 3650 days).", valueName: "interval"))
    var defaultEvery: RotationInterval?

    @Option(help: "Link the credential to this API client (see nicvault client list); \"none\" unlinks.")
    var client: String?

    @Flag(help: "With --default-every: give every existing credential (of --kind/--env) the new interval too.")
    var applyAll = false

    @Flag(help: "With --apply-all: say which credentials would change, and change nothing.")
    var dryRun = false

    func validate() throws {
        if gstin != nil && every == nil && client == nil {
            throw ValidationError("say what to set: --every or --client")
        }
        if gstin == nil && defaultEvery == nil {
            throw ValidationError("give a GSTIN with --every, or --default-every")
        }
        if applyAll && defaultEvery == nil { throw ValidationError("--apply-all goes with --default-every") }
        if dryRun && !applyAll { throw ValidationError("--dry-run goes with --default-every and --apply-all") }
    }

    func run() throws {
        var vault = try options.openVault()
        if let defaultEvery {
            let changing =
                applyAll
                ? try vault.credentials(notEvery: defaultEvery.days, kind: filter.kind, environment: filter.env) : []
            if dryRun {
                for credential in changing {
                    Console.out(
                        "would set \(credential.key) from every \(Console.days(credential.rotationDays)) to \(Console.days(defaultEvery.days))"
                    )
                }
                return Console.note("Dry run: \(changing.count) credential(s) would change; nothing was changed.")
            }
            try vault.setDefaultRotation(days: defaultEvery.days, alsoFor: changing)
            Console.note(
                "New credentials will be due every \(Console.days(defaultEvery.days))"
                    + (applyAll ? "; \(changing.count) existing credential(s) too." : "."))
        }
        if let gstin, let client {
            let credential = try filter.credential(gstin, in: vault)
            let name = client == "none" ? nil : client
            try vault.linkClient(credential.key, to: name, expectedVersion: credential.version)
            Console.note(
                name.map { "\(credential.key) uses API client \($0)." } ?? "\(credential.key) has no API client now.")
        }
        if let gstin, let every {
            let credential = try filter.credential(gstin, in: vault)
            let updated = try vault.setRotationDays(
                credential.key, days: every.days, expectedVersion: credential.version)
            Console.note(
                "\(updated.key) is due every \(Console.days(every.days)); next due \(updated.dueAt.dateString).")
        }
    }
}
