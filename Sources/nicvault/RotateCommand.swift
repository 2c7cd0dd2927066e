import ArgumentParser
import Foundation
import GST
import NICVault
import Portal
import Sodium

/// The crash tests' hook: `NICVAULT_TEST_CRASH_AT=staged|submitted` kills the process at that step.
func crashCheckpoint(_ point: String) {
    if ProcessInfo.processInfo.environment["NICVAULT_TEST_CRASH_AT"] == point { kill(getpid(), SIGKILL) }
}

struct RotateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate",
        abstract: "Change a password on the portal without ever losing the working one.",
        discussion: """
            Generates a new password (never one of the last 10), stages it in the vault beside the current one,
            asks the portal to change it, confirms with a log-in, and only then makes it current (the old one
            goes to history). A refusal drops the staged password; a crash or a lost answer keeps both, and
            --resume finds out which one the portal accepts. --due rotates every due or overdue credential,
            one after another; one failure does not stop the rest, and the exit code is that of the first failure.
            Example:
              nicvault rotate 27AABCD1234E1Z8
              nicvault rotate --due
              nicvault rotate 27AABCD1234E1Z8 --resume
            """
    )

    @OptionGroup var options: VaultOptions
    @OptionGroup var portalOptions: PortalOptions

    @Argument(help: "The GSTIN (leave out with --due).")
    var gstin: String?

    @Option(help: "portal or api, when the GSTIN has both.")
    var kind: CredentialKind?

    @Option(help: "sandbox or production, when the GSTIN has both.")
    var env: Environment?

    @Flag(help: "Rotate every due or overdue credential.")
    var due = false

    @Flag(help: "Settle a rotation left pending by a crash or a lost answer.")
    var resume = false

    @Option(help: ArgumentHelp("Also set the rotation interval: 90d, 12w or 90 (days).", valueName: "interval"))
    var every: RotationInterval?

    @Flag(help: "After the commit, prove the new password with NIC's auth API (API users with a client).")
    var verify = false

    func validate() throws {
        if due == (gstin != nil) { throw ValidationError("give a GSTIN or --due (not both)") }
        if due && resume { throw ValidationError("--resume takes a GSTIN") }
    }

    func run() async throws {
        let vault = try options.openVault()
        let ledger = VaultLedger(vault: vault)
        let targets: [Credential]
        if let gstin {
            let id = try GSTIN(parsing: gstin, environment: .sandbox)
            targets = [try vault.credential(gstin: id, kind: kind, environment: env)]
        } else {
            let now = vault.now
            targets = vault.credentials(kind: kind, environment: env).filter {
                $0.pendingSince == nil && $0.staged == nil && $0.isDue(at: now)
            }
            Console.note("\(targets.count) credential(s) due for rotation.")
        }
        var embedded: EmbeddedSandbox?
        var sandboxDriver: (any PortalDriver)?
        defer { embedded?.stop() }
        var failures: [(CredentialKey, any Error)] = []
        var rotated = 0
        for target in targets {
            do {
                let driver: any PortalDriver
                if target.environment == .sandbox, let existing = sandboxDriver {
                    driver = existing
                } else {
                    let made = try await portalOptions.makeDriver(environment: target.environment)
                    driver = made.0
                    if target.environment == .sandbox {
                        sandboxDriver = made.0
                        embedded = made.1
                    }
                }
                try await rotateOne(target, driver: driver, ledger: ledger)
                rotated += 1
            } catch {
                if !due { throw error }
                failures.append((target.key, error))
                Console.note("\(target.key): " + ErrorReport.message(for: error))
            }
        }
        if due {
            Console.note("Rotated \(rotated) of \(targets.count); \(failures.count) failed.")
            if let first = failures.first {
                throw CLIError(
                    "\(failures.count) rotation(s) failed: "
                        + failures.map { $0.0.description }.joined(separator: ", "),
                    code: ErrorReport.exitCode(for: first.1))
            }
        }
    }

    func rotateOne(_ target: Credential, driver: any PortalDriver, ledger: VaultLedger) async throws {
        // One process at a time talks to the portal about a credential; the others are refused, not queued.
        let lock = try FlowLock.acquire(target.key, in: ledger.vault)
        defer { lock.release() }
        // Read again under the flow lock: what another process settled meanwhile counts.
        let target = try ledger.current(target.key)
        var flow = RotationFlow(driver: driver, ledger: ledger)
        flow.progress = { Console.note($0) }
        flow.checkpoint = crashCheckpoint
        if resume {
            guard target.staged != nil else {
                throw CLIError("\(target.key) has no pending rotation", code: Exit.notFound)
            }
            _ = try await flow.resume(target)
            return
        }
        let rotated = try await flow.rotate(target)
        if let every {
            try ledger.setRotationDays(rotated.key, days: every.days)
        }
        if verify && rotated.kind == .api {
            try await VerifyCommand.verify(
                rotated, in: ledger.vault, authURL: nil,
                // The same sandbox the rotation just talked to (the embedded one has an ephemeral port).
                portal: (driver as? SandboxDriver)?.baseURL.absoluteString ?? portalOptions.portal,
                timeout: portalOptions.timeout)
        }
    }
}

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

struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Show the changes of a credential and its retired passwords (values only with --reveal).",
        discussion: """
            Example:
              nicvault history 27AABCD1234E1Z8
              nicvault history 27AABCD1234E1Z8 --kind api --reveal
            """
    )

    @OptionGroup var options: VaultOptions

    @OptionGroup var choice: CredentialChoice

    @Flag(help: "Show the retired passwords themselves.")
    var reveal = false

    func run() throws {
        let vault = try options.openVault()
        let credential = try choice.credential(in: vault)
        if reveal && isatty(1) == 1 {
            Console.note("warning: printing passwords on the terminal; clear the screen and scroll-back afterwards")
        }
        Console.out("\(credential.key), user id \(credential.userID), version \(credential.version)")
        for event in credential.events {
            Console.out("  v\(event.version)  \(event.at)  \(event.change)")
        }
        if let staged = credential.staged {
            Console.out("staged since \(staged.stagedAt)" + (reveal ? ": \(staged.password.unsafeStringValue())" : ""))
        }
        Console.out("retired passwords (newest first): \(credential.retired.count)")
        for retired in credential.retired {
            Console.out("  \(retired.retiredAt)" + (reveal ? "  \(retired.password.unsafeStringValue())" : ""))
        }
    }
}

struct SetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set",
        abstract: "Set a credential's rotation interval, or the vault-wide default.",
        discussion: """
            Example:
              nicvault set 27AABCD1234E1Z8 --every 30d
              nicvault set --default-every 60d
            """
    )

    @OptionGroup var options: VaultOptions

    @Argument(help: "The GSTIN (leave out with --default-every).")
    var gstin: String?

    @Option(help: "portal or api, when the GSTIN has both.")
    var kind: CredentialKind?

    @Option(help: "sandbox or production, when the GSTIN has both.")
    var env: Environment?

    @Option(help: ArgumentHelp("Rotation interval: 90d, 12w or 90 (days).", valueName: "interval"))
    var every: RotationInterval?

    @Option(help: ArgumentHelp("Default interval for new credentials.", valueName: "interval"))
    var defaultEvery: RotationInterval?

    @Option(help: "Link the credential to this API client (see nicvault client list); \"none\" unlinks.")
    var client: String?

    func validate() throws {
        if gstin != nil && every == nil && client == nil {
            throw ValidationError("say what to set: --every or --client")
        }
        if gstin == nil && defaultEvery == nil {
            throw ValidationError("give a GSTIN with --every, or --default-every")
        }
    }

    func run() throws {
        var vault = try options.openVault()
        if let defaultEvery {
            try vault.modify { $0.settings.defaultRotationDays = defaultEvery.days }
            Console.note("New credentials will be due every \(defaultEvery.days) days.")
        }
        if let gstin, let client {
            let credential = try vault.credential(
                gstin: GSTIN(parsing: gstin, environment: .sandbox), kind: kind, environment: env)
            let name = client == "none" ? nil : client
            if let name { _ = try vault.client(named: name, environment: credential.environment) }
            let note = name.map { "linked to API client \($0)" } ?? "API client unlinked"
            try vault.update(credential.key, expectedVersion: credential.version, note: note) { $0.client = name }
            Console.note(
                name.map { "\(credential.key) uses API client \($0)." } ?? "\(credential.key) has no API client now.")
        }
        if let gstin, let every {
            let credential = try vault.credential(
                gstin: GSTIN(parsing: gstin, environment: .sandbox), kind: kind, environment: env)
            let updated = try vault.update(
                credential.key, expectedVersion: credential.version, note: "rotation interval set to \(every.days) days"
            ) {
                $0.rotationDays = every.days
            }
            Console.note("\(updated.key) is due every \(every.days) days; next due \(updated.dueAt.dateString).")
        }
    }
}
