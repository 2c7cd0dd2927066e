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
            Reads the new password from the terminal without echo (asked twice), or one line of stdin when stdin
            is not a terminal. The password is checked against the policy, with a warning only: the portal has
            already accepted it. The old password goes to history.
            Example:
              nicvault update 27AABCD1234E1Z8
              printf '%s\\n' "$NEW" | nicvault update 27AABCD1234E1Z8 --kind api --user-id DEMO27API
            """
    )

    @OptionGroup var options: VaultOptions

    @OptionGroup var choice: CredentialChoice

    @Option(name: .customLong("user-id"), help: "Also record a new user id.")
    var userID: String?

    func run() throws {
        var vault = try options.openVault()
        let current = try choice.credential(in: vault)
        let password: Secret
        if isatty(0) == 0 {
            password = Secret(try SecretReader.readLine(fd: 0))
        } else {
            guard
                let typed = try Terminal.readNewSecret(
                    prompt: "New password for \(current.userID): ", confirm: "Repeat it: ")
            else { throw CLIError("no terminal and no stdin to read the password from", code: Exit.usage) }
            password = Secret(typed)
        }
        let (updated, warnings) = try vault.recordOutsideChange(
            current.key, expectedVersion: current.version, password: password, userID: userID)
        warnings.forEach { Console.note("warning: " + $0) }
        Console.note("Updated \(updated.key) (version \(updated.version)); the old password is in history.")
    }
}
