import ArgumentParser
import Foundation
import GST
import NICVault
import Sodium

struct UpdateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update",
        abstract: "Record a password (or user id) that was changed outside nicvault.",
        discussion: """
            Reads the new password from the terminal without echo (asked twice), or one line of stdin when stdin \
            is not a terminal. The password is checked against the policy, with a warning only: the portal has \
            already accepted it. The old password goes to history (a staged one too, never confirmed). With \
            --user-id, the password may stay as it is: press Enter, or give an empty stdin.
            Example:
              nicvault update 27AABCD1234E1Z8
              nicvault update 27AABCD1234E1Z8 --user-id API_DEMO27 </dev/null
              printf '%s\\n' "$NEW" | nicvault update 27AABCD1234E1Z8 --kind api \\
                --user-id DEMO27API
            """
    )

    @OptionGroup var options: VaultOptions

    @OptionGroup var choice: CredentialChoice

    @Flag(help: "Print the outcome as one JSON line.")
    var json = false

    @Option(name: .customLong("user-id"), help: "Record a new user id (alone, or with a new password).")
    var userID: String?

    func run() throws {
        var vault = try options.openVault()
        let current = try choice.credential(in: vault)
        // With --user-id, the password may stay: Enter on the terminal, or an empty stdin, keeps it.
        let prompt = "New password for \(current.userID)" + (userID == nil ? ": " : " (Enter to keep it): ")
        let password = try SecretPrompt.read(prompt, allowEmpty: userID != nil)
        let (updated, warnings) = try vault.recordOutsideChange(
            current.key, expectedVersion: current.version, password: password, userID: userID)
        warnings.forEach { Console.note("warning: " + $0) }
        Console.note(
            "Updated \(updated.key) (version \(updated.version))"
                + (password == nil ? "; user id \(updated.userID)." : "; the old password is in history."))
        if json { JSONOutput.line(ItemResult(updated.key, outcome: password == nil ? "user id corrected" : "updated")) }
    }
}
