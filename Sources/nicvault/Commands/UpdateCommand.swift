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
        if let userID, !UserIDRules.isValid(userID) {
            Console.note("warning: user id \(userID): " + UserIDRules.problems(with: userID).joined(separator: "; "))
        }
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
        guard password.byteCount > 0 else {
            throw CLIError("the password is empty; nothing was changed", code: Exit.usage)
        }
        if password == current.password {
            throw CLIError("that is already the stored password; nothing was changed", code: Exit.usage)
        }
        let problems = PasswordPolicy.standard.problems(with: password.unsafeStringValue())
        if !problems.isEmpty {
            Console.note(
                "warning: the password breaks the usual policy (" + problems.joined(separator: "; ")
                    + "); stored anyway, since the portal accepted it")
        }
        let time = vault.now
        let updated = try vault.update(
            current.key, expectedVersion: current.version,
            note: "password updated (changed outside nicvault)" + (userID.map { ", user id \($0)" } ?? "")
        ) { credential in
            credential.replacePassword(with: password, at: time)
            credential.pendingSince = nil
            if let userID { credential.userID = userID }
        }
        Console.note("Updated \(updated.key) (version \(updated.version)); the old password is in history.")
    }
}
