import ArgumentParser
import Foundation
import GST
import NICVault
import Portal
import SandboxPortal
import Sodium

struct RotateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate",
        abstract: "Change a password on the portal without ever losing the working one.",
        discussion: """
            Generates a new password (never one of the last 10), stages it in the vault beside the current one, \
            asks the portal to change it, confirms with a log-in, and only then makes it current (the old one \
            goes to history). An API user's password is changed as on NIC's portal: by the GSTIN's main portal \
            user (from the vault), after an OTP (--otp-from-outbox on the sandbox). A refusal moves the staged password to history (never confirmed); a crash or a \
            lost answer keeps both, and --resume finds out which one the portal accepts. --due rotates every \
            credential whose due date has passed (status "due" in nicvault list), one after another, after \
            settling any rotation left pending; one failure does not stop the rest, and the exit code is that of \
            the first failure.
            Example:
              nicvault rotate 27AABCD1234E1Z8
              nicvault rotate --due
              nicvault rotate 27AABCD1234E1Z8 --resume
              nicvault rotate --resume          # every pending rotation
            """
    )

    @OptionGroup var options: VaultOptions
    @OptionGroup var portalOptions: PortalOptions

    @Argument(help: "The GSTIN (leave out with --due).")
    var gstin: String?

    @OptionGroup var filter: CredentialFilter

    @Flag(help: "Rotate every credential whose due date has passed.")
    var due = false

    @Flag(help: "Settle a rotation left pending by a crash or a lost answer.")
    var resume = false

    @Option(
        help: ArgumentHelp(
            "Also set the rotation interval: 90d, 12w or 90 (days); 1 to 3650 days.", valueName: "interval"))
    var every: RotationInterval?

    @Flag(help: "After the commit, prove the new password with NIC's auth API (API users with a client).")
    var verify = false

    @Flag(help: "API users: read the main user's OTP from the sandbox portal's outbox (sandbox portals only).")
    var otpFromOutbox = false

    @Flag(help: "Say what would be rotated or settled, and change nothing.")
    var dryRun = false

    @Flag(help: "One JSON line per credential as it finishes, then a summary line.")
    var json = false

    func validate() throws {
        if due && gstin != nil { throw ValidationError("give a GSTIN or --due (not both)") }
        if !due && gstin == nil && !resume {
            throw ValidationError("give a GSTIN, --due, or --resume (every pending one)")
        }
        if due && resume { throw ValidationError("--due resumes pending rotations itself; leave out --resume") }
    }

    func run() async throws {
        let vault = try options.openVault()
        let ledger = VaultLedger(vault: vault)
        let drivers = DriverPool { environment in
            let (driver, embedded) = try await portalOptions.makeDriver(environment: environment)
            return (driver, { embedded?.stop() })
        }
        defer { drivers.stop() }
        if let gstin {
            let target = try filter.credential(gstin, in: vault)
            if dryRun { return plan([(target, resume ? "would resume" : "would rotate")]) }
            try await rotateOne(
                target, driver: drivers.get(target.environment), ledger: ledger, resuming: resume)
            if json { JSONOutput.line(ItemResult(target.key, outcome: resume ? "settled" : "rotated")) }
            return
        }
        let candidates = try vault.credentials(kind: filter.kind, environment: filter.env)
        let (pending, due) = RotationBatch.plan(candidates, at: vault.now, due: self.due)
        if dryRun {
            return plan(pending.map { ($0, "would resume") } + due.map { ($0, "would rotate") })
        }
        let output = BatchOutput(json: json, total: pending.count + due.count)
        Interruption.watch()
        var reports: [BatchReport] = []
        for (targets, resuming) in [(pending, true), (due, false)] where !targets.isEmpty {
            output.note(
                resuming
                    ? "\(targets.count) pending rotation(s) to settle first."
                    : "\(targets.count) credential(s) due for rotation.")
            let report = await RotationBatch.run(targets) { target in
                // A credential settled just before may no longer be due: read it again under its flow lock.
                try await rotateOne(
                    target, driver: drivers.get(target.environment), ledger: ledger, resuming: resuming)
            } stop: {
                Interruption.requested
            } finished: { _, key, error in
                output.item(key, outcome: resuming ? "settled" : "rotated", error: error)
            }
            output.note(
                resuming
                    ? "Settled \(report.done.count) of \(report.total); \(report.failures.count) failed."
                    : report.summary)
            reports.append(report)
        }
        if self.due && due.isEmpty { output.note("0 credential(s) due for rotation.") }
        if !self.due && pending.isEmpty { output.note("No rotation is pending.") }
        try output.finish(reports) { "Done \($0.done), failed \($0.failed), skipped \($0.skipped) of \($0.total)." }
    }

    /// --dry-run: what would be done, one line (or JSON line) per credential.
    func plan(_ items: [(Credential, String)]) {
        for (credential, outcome) in items {
            if json {
                JSONOutput.line(ItemResult(credential.key, outcome: outcome))
            } else {
                Console.out("\(outcome) \(credential.key)")
            }
        }
        if !json { Console.note("Dry run: \(items.count) credential(s); nothing was changed.") }
    }

    func rotateOne(_ target: Credential, driver: any PortalDriver, ledger: VaultLedger, resuming: Bool) async throws {
        // One process at a time talks to the portal about a credential; the others are refused, not queued.
        let lock = try FlowLock.acquire(target.key, in: ledger.vault)
        defer { lock.release() }
        var flow = RotationFlow(driver: driver, ledger: ledger)
        flow.progress = { Console.note($0) }
        flow.checkpoint = crashCheckpoint
        flow.otpCode = OTPSources.make(fromOutbox: otpFromOutbox, driver: driver, gstin: target.gstin)
        if resuming {
            // The flow reads the credential again under this lock itself (RotationLedger.pendingRotation).
            _ = try await flow.resume(target)
            return
        }
        // Read again under the flow lock: what another process settled meanwhile counts.
        let target = try ledger.current(target.key)
        let rotated = try await flow.rotate(target)
        if let every {
            try ledger.setRotationDays(rotated.key, days: every.days)
        }
        if verify && rotated.kind == .api {
            // The same sandbox the rotation just talked to (the embedded one has an ephemeral port).
            let (verifier, embedded) = try await VerifyCommand.verifier(
                for: rotated.environment, authURL: nil,
                portal: (driver as? SandboxDriver)?.baseURL.absoluteString ?? portalOptions.portal,
                timeout: portalOptions.timeout)
            defer { embedded?.stop() }
            try VerifyCommand.print(
                try await VerifyCommand.verify(rotated, in: ledger.vault, with: verifier, announce: true), json: false)
        }
    }
}
