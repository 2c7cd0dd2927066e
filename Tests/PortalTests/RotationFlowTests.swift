import Foundation
import GST
import NICVault
import Portal
import SealedFile
import Sodium
import TestSupport
import Testing

/// A fresh vault in `folder`, on the sandbox's clock.
private func freshVault(_ folder: Folder, _ portal: RunningPortal) throws -> Vault {
    let store = VaultStore(
        path: folder.path + "/v.nicv", rollbackMemory: RollbackMemory(directory: folder.path + "/state"),
        lockTimeout: 5)
    return try Vault.create(
        store: store, passphrase: SecureBytes(copying: Array("correct horse battery staple".utf8)),
        parameters: .interactive, clock: portal.clock)
}

/// A registered credential in a fresh vault, on a running sandbox.
private func registered(_ folder: Folder, _ portal: RunningPortal, id: String = "27AABCD1234E1Z8") async throws
    -> (VaultLedger, Credential)
{
    let ledger = VaultLedger(vault: try freshVault(folder, portal))
    var flow = RegistrationFlow(driver: portal.driver, ledger: ledger, clock: portal.clock)
    flow.otpCode = { challenge, _ in try await portal.driver.otpFromOutbox(challenge, gstin: gstin(id)) }
    let credential = try await flow.register(
        RegistrationRequest(gstin: gstin(id), environment: .sandbox, kind: .portal))
    return (ledger, credential)
}

@Suite("rotation against the sandbox, with the vault as ledger")
struct RotationFlowTests {
    /// The caller names no main user: an API user is made and rotated by the GSTIN's portal login that the vault
    /// keeps, with its names, and the vault's default rotation days.
    @Test func anAPIUserIsMadeAndRotatedByTheMainUserTheVaultKeeps() async throws {
        let folder = Folder()
        let portal = try await RunningPortal.start()
        defer { portal.stop() }
        var vault = try freshVault(folder, portal)
        try vault.setDefaultRotation(days: 45, alsoFor: [])
        let ledger = VaultLedger(vault: vault)
        let id = gstin("27AABCD1234E1Z8")
        var register = RegistrationFlow(driver: portal.driver, ledger: ledger, clock: portal.clock)
        register.otpCode = { challenge, _ in try await portal.driver.otpFromOutbox(challenge, gstin: id) }
        let apiRequest = RegistrationRequest(gstin: id, environment: .sandbox, kind: .api)
        // No portal login yet: nothing can make the API user, and nothing is stored.
        await #expect(throws: PortalError.self) { _ = try await register.register(apiRequest) }
        #expect(try ledger.vault.credentials().isEmpty)

        let main = try await register.register(RegistrationRequest(gstin: id, environment: .sandbox, kind: .portal))
        let api = try await register.register(apiRequest)
        #expect(api.pendingSince == nil && api.rotationDays == 45)
        #expect(api.legalName == main.legalName && api.tradeName == main.tradeName)
        #expect(try await portal.driver.checkLogin(userID: api.userID, password: api.password) == .accepted)

        var rotate = RotationFlow(driver: portal.driver, ledger: ledger)
        rotate.otpCode = register.otpCode
        let rotated = try await rotate.rotate(api)
        #expect(rotated.password != api.password)
        #expect(try await portal.driver.checkLogin(userID: api.userID, password: rotated.password) == .accepted)
    }

    @Test func rotationCommitsOnlyWhatThePortalAccepts() async throws {
        let folder = Folder()
        let portal = try await RunningPortal.start()
        defer { portal.stop() }
        let (ledger, before) = try await registered(folder, portal)
        let after = try await RotationFlow(driver: portal.driver, ledger: ledger).rotate(before)
        #expect(after.password != before.password)
        #expect(after.staged == nil)
        #expect(after.retired.first?.password == before.password)
        #expect(after.rotatedAt != nil)
        #expect(try await portal.driver.checkLogin(userID: after.userID, password: after.password) == .accepted)
        #expect(try await portal.driver.checkLogin(userID: after.userID, password: before.password) == .rejected)
    }

    @Test func newPasswordIsNeverOneOfTheLastTen() async throws {
        let folder = Folder()
        let portal = try await RunningPortal.start()
        defer { portal.stop() }
        var (ledger, credential) = try await registered(folder, portal)
        var seen = [credential.password]
        for _ in 0..<4 {
            credential = try await RotationFlow(driver: portal.driver, ledger: ledger).rotate(credential)
            #expect(!seen.dropLast().contains(credential.password))
            seen.append(credential.password)
        }
        #expect(credential.retired.count == 4)
    }

    @Test func refusalDropsTheStagedPasswordAndKeepsTheCurrent() async throws {
        let folder = Folder()
        let portal = try await RunningPortal.start()
        defer { portal.stop() }
        let (ledger, credential) = try await registered(folder, portal)
        // Someone changed the password on the portal behind the vault's back.
        try await portal.driver.changePassword(
            userID: credential.userID, old: credential.password, new: secret("Elsewhere@Pass24"))
        await #expect(throws: PortalError.self) {
            try await RotationFlow(driver: portal.driver, ledger: ledger).rotate(credential)
        }
        try ledger.reload()
        let now = try #require(ledger.vault.credentials().first)
        #expect(now.staged == nil)
        #expect(now.password == credential.password)
    }

    @Test func lostAnswerKeepsBothAndResumeCommitsTheOneThePortalHas() async throws {
        let folder = Folder()
        let portal = try await RunningPortal.start()
        defer { portal.stop() }
        let (ledger, credential) = try await registered(folder, portal)
        let error = await #expect(throws: LeftPending.self) {
            try await RotationFlow(driver: LossyDriver(inner: portal.driver, loseChangeAnswer: true), ledger: ledger)
                .rotate(credential)
        }
        #expect(error?.cause.answerLost == true && error?.description.contains("--resume") == true)
        try ledger.reload()
        let pending = try #require(ledger.vault.credentials().first)
        let staged = try #require(pending.staged)
        #expect(pending.password == credential.password)
        #expect(try await RotationFlow(driver: portal.driver, ledger: ledger).resume(pending) == .committed)
        try ledger.reload()
        let settled = try #require(ledger.vault.credentials().first)
        #expect(settled.password == staged.password && settled.staged == nil)
        #expect(settled.retired.first?.password == credential.password)
    }

    @Test func crashBeforeThePortalWasAskedResumesToTheOldPassword() async throws {
        let folder = Folder()
        let portal = try await RunningPortal.start()
        defer { portal.stop() }
        let (ledger, credential) = try await registered(folder, portal)
        let pending = try ledger.stageRotation(
            credential.key, expectedVersion: credential.version, password: secret("Never@Sent2024x"))
        #expect(try await RotationFlow(driver: portal.driver, ledger: ledger).resume(pending) == .dropped)
        try ledger.reload()
        let settled = try #require(ledger.vault.credentials().first)
        #expect(settled.password == credential.password && settled.staged == nil)
        // Dropped, never discarded: a late answer may still make it the live one.
        #expect(
            settled.retired.first?.password == secret("Never@Sent2024x") && settled.retired.first?.unconfirmed == true)
    }

    @Test func aLateAnswerAfterTheDropIsRecoveredFromHistory() async throws {
        let folder = Folder()
        let portal = try await RunningPortal.start()
        defer { portal.stop() }
        let (ledger, credential) = try await registered(folder, portal)
        let late = secret("Late@Answer2024")
        let pending = try ledger.stageRotation(credential.key, expectedVersion: credential.version, password: late)
        // The resume runs before the slow request lands: the portal still has the old password.
        #expect(try await RotationFlow(driver: portal.driver, ledger: ledger).resume(pending) == .dropped)
        // Then the request lands.
        try await portal.driver.changePassword(userID: credential.userID, old: credential.password, new: late)
        // The next rotation is refused with the old password, finds the unconfirmed one, and makes it current.
        try ledger.reload()
        let stale = try #require(ledger.vault.credentials().first)
        let code = await refusalCode { _ = try await RotationFlow(driver: portal.driver, ledger: ledger).rotate(stale) }
        #expect(code == "late-answer-recovered")
        try ledger.reload()
        let recovered = try #require(ledger.vault.credentials().first)
        #expect(recovered.password == late)
        #expect(try await portal.driver.checkLogin(userID: recovered.userID, password: late) == .accepted)
        _ = try await RotationFlow(driver: portal.driver, ledger: ledger).rotate(recovered)
    }

    @Test func aServerErrorAfterTheChangeKeepsBothPasswords() async throws {
        let folder = Folder()
        let failing = FailingSaves()
        let portal = try await RunningPortal.start(stateFile: folder.path + "/portal.json", saves: failing)
        defer { portal.stop() }
        let (ledger, credential) = try await registered(folder, portal)
        failing.fail = true
        // The sandbox cannot save the change: it undoes it and answers 500, which is no refusal.
        let code = await refusalCode {
            _ = try await RotationFlow(driver: portal.driver, ledger: ledger).rotate(credential)
        }
        #expect(code?.contains("HTTP 500") == true)
        failing.fail = false
        try ledger.reload()
        let pending = try #require(ledger.vault.credentials().first)
        #expect(pending.staged != nil && pending.password == credential.password)
        #expect(
            try await portal.driver.checkLogin(userID: credential.userID, password: credential.password) == .accepted)
        #expect(try await RotationFlow(driver: portal.driver, ledger: ledger).resume(pending) == .dropped)
    }

    @Test func twoRotationsAtOnceOneWinsTheOtherConflicts() async throws {
        let folder = Folder()
        let portal = try await RunningPortal.start()
        defer { portal.stop() }
        let (ledger, credential) = try await registered(folder, portal)
        // A second process with its own view of the vault, read at the same version.
        let other = VaultLedger(
            vault: try Vault.open(
                store: ledger.vault.store,
                unlocker: .passphrase(SecureBytes(copying: Array("correct horse battery staple".utf8)))))
        _ = try await RotationFlow(driver: portal.driver, ledger: ledger).rotate(credential)
        await #expect(throws: VaultError.self) {
            try await RotationFlow(driver: portal.driver, ledger: other).rotate(credential)
        }
        try ledger.reload()
        let final = try #require(ledger.vault.credentials().first)
        #expect(try await portal.driver.checkLogin(userID: final.userID, password: final.password) == .accepted)
        #expect(final.retired.count == 1)
    }
}
