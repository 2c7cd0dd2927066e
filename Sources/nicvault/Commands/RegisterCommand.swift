import ArgumentParser
import Foundation
import GST
import NICVault
import Portal
import SandboxPortal

struct RegisterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "register",
        abstract: "Register a GSTIN on the NIC portal and store the new user id and password.",
        discussion: """
            Shows the GSTIN's details, sends the OTP to the registered mobile, reads it (terminal, or one line of \
            stdin when stdin is not a terminal), proposes a user id, generates the password, stages the \
            credential in the vault, asks the portal to create the user and commits on success. An API user \
            (--kind api) is made as on NIC's portal: the GSTIN's main portal user (from the vault) logs in, API \
            Registration > User Credentials > Create API User, an OTP, Direct or a GSP from the portal's list. A crash or a \
            lost answer leaves a pending registration: settle it with --resume. \
            The portal follows the environment: sandbox uses the embedded sandbox portal, production the \
            assisted driver (you act on NIC's e-invoice portal, nicvault tells you what to type).
            Example:
              nicvault register 27AABCD1234E1Z8
              nicvault register 27AABCD1234E1Z8 --kind api --gsp "Demo GSP" \\
                --otp-from-outbox
              nicvault register 29AACCK5521H1ZK --env production
              nicvault register 27AABCD1234E1Z8 --resume
            """
    )

    @OptionGroup var options: VaultOptions

    @Argument(help: "The GSTIN to register.")
    var gstin: String

    @Option(help: "sandbox (default) or production.")
    var env: Environment = .sandbox

    @Option(help: "portal (a web login, default) or api (an API user).")
    var kind: CredentialKind = .portal

    @Option(help: "The GSP an API user is made through (leave out for direct API access).")
    var gsp: String?

    @Option(name: .customLong("user-id"), help: "Use this user id instead of proposed ones.")
    var userID: String?

    @OptionGroup var portalOptions: PortalOptions

    @Flag(help: "Read the OTP from the sandbox portal's outbox (sandbox portals only).")
    var otpFromOutbox = false

    @Option(help: "Link the new credential to this API client (see nicvault client list).")
    var client: String?

    @Flag(help: "Settle a pending registration instead of starting one.")
    var resume = false

    @Flag(help: "Print the outcome as one JSON line.")
    var json = false

    @Flag(help: "Start a pending registration over (its unconfirmed password stays in history).")
    var restart = false

    @Option(
        help: ArgumentHelp(
            "Rotation interval of the new credential: 90d, 12w or 90 (days); 1 to 3650 days.", valueName: "interval"))
    var every: RotationInterval?

    func validate() throws {
        if let problem = RegistrationRequest.problem(kind: kind, gsp: gsp) { throw ValidationError(problem) }
        if resume && restart { throw ValidationError("give --resume or --restart, not both") }
    }

    func run() async throws {
        // Checked for its environment: production refuses a layout no registration type has.
        let gstin = try GSTIN.argument(gstin, environment: env)
        let vault = try options.openVault()
        let ledger = VaultLedger(vault: vault)
        let key = CredentialKey(environment: env, gstin: gstin, kind: kind)
        // One process at a time talks to the portal about a credential; the others are refused, not queued.
        let lock = try FlowLock.acquire(key, in: vault)
        defer { lock.release() }
        let pending = try ledger.registration(of: key, settling: resume || restart)
        if let client { _ = try ledger.vault.client(named: client, environment: env) }
        let (driver, embedded) = try await portalOptions.makeDriver(environment: env)
        defer { embedded?.stop() }
        // Refused before the person is asked anything.
        if otpFromOutbox { _ = try OTPSources.outbox(of: driver) }
        Console.note("Using the \(driver.name).")

        var flow = RegistrationFlow(driver: driver, ledger: ledger, clock: vault.clock)
        flow.progress = { Console.note($0) }
        flow.checkpoint = crashCheckpoint
        flow.otpCode = OTPSources.make(fromOutbox: otpFromOutbox, driver: driver, gstin: gstin)

        if resume, let credential = pending {
            switch try await flow.resume(credential) {
            case .committed:
                Console.note("Registered: \(credential.key).")
                if json { JSONOutput.line(ItemResult(credential.key, outcome: "registered")) }
            case .stillPending:
                throw CLIError(
                    "the portal does not know \(credential.userID) yet; the registration stays pending, with its "
                        + "password. A late answer may still create the user: run nicvault register \(gstin.value) "
                        + "--resume again later. If it never does, start over with: nicvault register \(gstin.value) "
                        + "--restart (the unconfirmed password stays in history)", code: Exit.portalRefused)
            }
            return
        }
        let request = RegistrationRequest(
            gstin: gstin, environment: env, kind: kind, gsp: gsp, userID: userID, client: client,
            rotationDays: every?.days)
        let credential = try await flow.register(request, restarting: restart ? pending : nil)
        Console.note(
            "Registered \(credential.key): user id \(credential.userID) (see it with: nicvault show \(gstin.value)).")
        if json { JSONOutput.line(ItemResult(credential.key, outcome: "registered", message: credential.userID)) }
    }
}
