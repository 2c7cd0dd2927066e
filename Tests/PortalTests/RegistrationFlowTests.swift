import Foundation
import GST
import NICVault
import Portal
import SealedFile
import Sodium
import TestSupport
import Testing

private func makeLedger(_ folder: Folder, clock: TestClock) throws -> VaultLedger {
    let store = VaultStore(
        path: folder.path + "/v.nicv", rollbackMemory: RollbackMemory(directory: folder.path + "/state"),
        lockTimeout: 5)
    let vault = try Vault.create(
        store: store, passphrase: SecureBytes(copying: Array("correct horse battery staple".utf8)),
        parameters: .interactive, clock: clock)
    return VaultLedger(vault: vault)
}

private func flow(
    _ driver: any PortalDriver, _ ledger: VaultLedger, clock: TestClock, label: String = "flow"
) -> RegistrationFlow<VaultLedger> {
    var flow = RegistrationFlow(driver: driver, ledger: ledger, clock: clock)
    flow.userIDs = UserIDGenerator(random: DeterministicRandom(label: label))
    if let sandbox = (driver as? SandboxDriver) ?? (driver as? LossyDriver)?.inner {
        flow.otpCode = { challenge, _ in try await sandbox.otpFromOutbox(challenge, gstin: gstin("27AABCD1234E1Z8")) }
    }
    return flow
}

@Suite("the registration flow against the sandbox, with the vault as ledger")
struct RegistrationFlowTests {
    @Test func registersAndCommits() async throws {
        let folder = Folder()
        let portal = try await RunningPortal.start()
        defer { portal.stop() }
        let ledger = try makeLedger(folder, clock: portal.clock)
        let credential = try await flow(portal.driver, ledger, clock: portal.clock).register(
            RegistrationRequest(gstin: gstin("27AABCD1234E1Z8"), environment: .sandbox, kind: .portal))
        #expect(credential.pendingSince == nil)
        #expect(credential.legalName == "Demo Traders Private Limited")
        #expect(credential.tradeName == "Demo Traders")
        #expect(UserIDRules.isValid(credential.userID))
        #expect(PasswordPolicy.standard.problems(with: credential.password.unsafeStringValue()).isEmpty)
        #expect(
            try await portal.driver.checkLogin(userID: credential.userID, password: credential.password) == .accepted)
        #expect(try ledger.vault.credentials().count == 1)
    }

    /// GSPs make API users only: a portal login "through a GSP" is refused before the portal is asked, and
    /// nothing is stored (the CLI's --gsp check is the same rule).
    @Test func aPortalLoginThroughAGSPIsRefusedBeforeAnythingIsAsked() async throws {
        let folder = Folder()
        let portal = try await RunningPortal.start()
        defer { portal.stop() }
        let ledger = try makeLedger(folder, clock: portal.clock)
        var registration = flow(portal.driver, ledger, clock: portal.clock)
        var asked = 0
        registration.progress = { _ in asked += 1 }
        let error = await #expect(throws: RegistrationRequestError.self) {
            try await registration.register(
                RegistrationRequest(
                    gstin: gstin("27AABCD1234E1Z8"), environment: .sandbox, kind: .portal, gsp: "Demo GSP"))
        }
        #expect(error?.description.contains("API users only") == true)
        #expect(asked == 0)
        #expect(try ledger.vault.credentials().isEmpty)
        #expect(RegistrationRequest.problem(kind: .api, gsp: "Demo GSP") == nil)
        #expect(RegistrationRequest.problem(kind: .portal, gsp: nil) == nil)
    }

    @Test func takenUserIDLeadsToTheNextCandidate() async throws {
        let folder = Folder()
        let portal = try await RunningPortal.start()
        defer { portal.stop() }
        // Someone else already holds the first candidate the flow will propose.
        let firstCandidate = UserIDGenerator(random: DeterministicRandom(label: "taken")).candidate(
            name: "Demo Traders", state: StateCode(code: "27")!)
        let other = gstin("27AABCD1234E2Z7")
        try await portal.driver.createUser(
            try await verified(portal.driver, other), gstin: other, kind: .portal, gsp: nil, userID: firstCandidate,
            password: secret("Other@Pass2024"))
        let ledger = try makeLedger(folder, clock: portal.clock)
        let credential = try await flow(portal.driver, ledger, clock: portal.clock, label: "taken").register(
            RegistrationRequest(gstin: gstin("27AABCD1234E1Z8"), environment: .sandbox, kind: .portal))
        #expect(credential.userID != firstCandidate)
        #expect(
            try await portal.driver.checkLogin(userID: credential.userID, password: credential.password) == .accepted)
    }

    @Test func chosenUserIDThatIsTakenDropsThePendingCredential() async throws {
        let folder = Folder()
        let portal = try await RunningPortal.start()
        defer { portal.stop() }
        let other = gstin("27AABCD1234E2Z7")
        try await portal.driver.createUser(
            try await verified(portal.driver, other), gstin: other, kind: .portal, gsp: nil, userID: "DEMOCHOSEN",
            password: secret("Other@Pass2024"))
        let ledger = try makeLedger(folder, clock: portal.clock)
        await #expect(throws: PortalError.self) {
            try await flow(portal.driver, ledger, clock: portal.clock).register(
                RegistrationRequest(
                    gstin: gstin("27AABCD1234E1Z8"), environment: .sandbox, kind: .portal, userID: "DEMOCHOSEN"))
        }
        #expect(try ledger.vault.credentials().isEmpty)
    }

    @Test func lostAnswerKeepsThePendingCredentialAndResumeCommitsIt() async throws {
        let folder = Folder()
        let portal = try await RunningPortal.start()
        defer { portal.stop() }
        let ledger = try makeLedger(folder, clock: portal.clock)
        let lossy = LossyDriver(inner: portal.driver, loseCreateAnswer: true)
        let error = await #expect(throws: LeftPending.self) {
            try await flow(lossy, ledger, clock: portal.clock).register(
                RegistrationRequest(gstin: gstin("27AABCD1234E1Z8"), environment: .sandbox, kind: .portal))
        }
        #expect(
            error?.description.contains("nicvault register 27AABCD1234E1Z8 --kind portal --env sandbox --resume")
                == true)
        try ledger.reload()
        let pending = try #require(ledger.vault.credentials().first)
        #expect(pending.pendingSince != nil)
        // The portal did create the user: resume finds out and commits.
        #expect(try await flow(portal.driver, ledger, clock: portal.clock).resume(pending) == .committed)
        try ledger.reload()
        #expect(try ledger.vault.credentials().first?.pendingSince == nil)
    }

    @Test func resumeKeepsWhatThePortalDoesNotKnowYetAndRestartKeepsItInHistory() async throws {
        let folder = Folder()
        let portal = try await RunningPortal.start()
        defer { portal.stop() }
        let ledger = try makeLedger(folder, clock: portal.clock)
        // Staged, then the process died before the portal answered: a late answer may still create the user.
        let staged = try ledger.stage(
            Credential(
                environment: .sandbox, gstin: gstin("27AABCD1234E1Z8"), kind: .portal, legalName: "Demo Traders",
                userID: "NEVERMADE27", password: secret("Never@Made2024"), createdAt: portal.clock.now()))
        #expect(try await flow(portal.driver, ledger, clock: portal.clock).resume(staged) == .stillPending)
        let kept = try #require(ledger.vault.credentials().first)
        #expect(kept.pendingSince != nil && kept.password == secret("Never@Made2024"))
        #expect(kept.events.last?.change.contains("did not know") == true)

        // Started over: the new attempt is committed, the earlier one stays in history, never confirmed.
        let restarted = try await flow(portal.driver, ledger, clock: portal.clock).register(
            RegistrationRequest(gstin: gstin("27AABCD1234E1Z8"), environment: .sandbox, kind: .portal),
            restarting: kept)
        #expect(restarted.pendingSince == nil && restarted.userID != "NEVERMADE27")
        let earlier = try #require(restarted.retired.first)
        #expect(earlier.unconfirmed && earlier.userID == "NEVERMADE27" && earlier.password == secret("Never@Made2024"))
    }

    @Test func clearRefusalLeavesNothingPending() async throws {
        let folder = Folder()
        let portal = try await RunningPortal.start()
        defer { portal.stop() }
        let ledger = try makeLedger(folder, clock: portal.clock)
        var weak = flow(portal.driver, ledger, clock: portal.clock)
        weak.policy = PasswordPolicy(length: 8, minimumLength: 4, maximumLength: 8, specials: "@", forbidden: "")
        weak.policy.length = 6  // below the portal's 8-character minimum
        await #expect(throws: PortalError.self) {
            try await weak.register(
                RegistrationRequest(gstin: gstin("27AABCD1234E1Z8"), environment: .sandbox, kind: .portal))
        }
        #expect(try ledger.vault.credentials().isEmpty)
    }
}
