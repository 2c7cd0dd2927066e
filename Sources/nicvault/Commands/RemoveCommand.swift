import ArgumentParser
import Foundation
import GST
import NICVault

struct RemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove",
        abstract: "Remove a credential and its history on purpose (a client who left).",
        discussion: """
            Asks before it removes (type the GSTIN), unless --yes. The record and every password it held leave \
            the vault; the vault's log keeps the event (the GSTIN and a count, never a secret). The only way a \
            password that was sent to a portal leaves the vault.
            Example:
              nicvault remove 27AABCD1234E1Z8 --kind portal --env sandbox
              nicvault remove 27AABCD1234E1Z8 --dry-run
            """
    )

    @OptionGroup var options: VaultOptions
    @OptionGroup var choice: CredentialChoice

    @Flag(help: "Do not ask.")
    var yes = false

    @Flag(help: "Say what would be removed, and remove nothing.")
    var dryRun = false

    @Flag(help: "Print the outcome as one JSON line.")
    var json = false

    func run() throws {
        var vault = try options.openVault()
        let credential = try choice.credential(in: vault)
        let count = credential.retired.count + (credential.staged == nil ? 1 : 2)
        var what = "\(credential.key), user id \(credential.userID), with \(count) password(s) and its history"
        if credential.kind == .portal,
            try !vault.credentials(gstin: credential.gstin, kind: .api, environment: credential.environment).isEmpty
        {
            // NIC changes an API user's password through the GSTIN's main portal login.
            what +=
                " (the API user of \(credential.gstin.value) stays, but rotating its password needs this portal "
                + "login: add it again with nicvault add to rotate it)"
        }
        if dryRun {
            Console.out("would remove \(what)")
            return
        }
        try SecretPrompt.confirm("Remove \(what)?", typing: credential.gstin.value, yes: yes)
        // Not while another process talks to the portal about it.
        let lock = try FlowLock.acquire(credential.key, in: vault)
        defer { lock.release() }
        try vault.removeCredential(credential.key, expectedVersion: credential.version)
        Console.note("Removed \(what); the vault's log keeps the event.")
        if json { JSONOutput.line(ItemResult(credential.key, outcome: "removed")) }
    }
}
