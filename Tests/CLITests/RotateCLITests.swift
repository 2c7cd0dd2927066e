import Foundation
import GST
import NICVault
import SealedFile
import Sodium
import Testing

@Suite("nicvault rotate, update, history, set (the real binary)")
struct RotateCLITests {
    func password(_ box: CLISandbox, _ gstin: String = "27AABCD1234E1Z8") throws -> String {
        try box.run(["show", gstin, "--field", "password"] + box.vaultFlags).out.trimmingCharacters(in: .newlines)
    }

    @Test func rotateUpdateAndHistory() throws {
        let box = CLISandbox()
        try box.initVault()
        #expect(try box.run(["register", "27AABCD1234E1Z8", "--otp-from-outbox"] + box.vaultFlags).code == 0)
        let first = try password(box)
        let rotate = try box.run(["rotate", "27AABCD1234E1Z8", "--every", "30d"] + box.vaultFlags)
        #expect(rotate.code == 0, "\(rotate.err)")
        let second = try password(box)
        #expect(second != first && second.count == 15)
        let history = try box.run(["history", "27AABCD1234E1Z8"] + box.vaultFlags)
        #expect(history.out.contains("password rotated"))
        #expect(history.out.contains("rotation interval set to 30 days"))
        #expect(!history.out.contains(first) && !history.out.contains(second))
        let revealed = try box.run(["history", "27AABCD1234E1Z8", "--reveal"] + box.vaultFlags)
        #expect(revealed.out.contains(first))

        // Changed on the portal by a colleague: rotate is refused, the vault keeps its password.
        let refused = try box.run(["update", "27AABCD1234E1Z8"] + box.vaultFlags, stdin: "bad pass\n")
        #expect(refused.code == 0)  // update warns about the policy but records what the portal accepted
        #expect(refused.err.contains("warning"))
        let stale = try box.run(["rotate", "27AABCD1234E1Z8"] + box.vaultFlags)
        #expect(stale.code == 5)
        #expect(stale.err.contains("nicvault update"))
        #expect(try password(box) == "bad pass")
        // The real one goes back in with update, and rotation works again.
        #expect(try box.run(["update", "27AABCD1234E1Z8"] + box.vaultFlags, stdin: second + "\n").code == 0)
        #expect(try box.run(["rotate", "27AABCD1234E1Z8"] + box.vaultFlags).code == 0)
    }

    @Test(arguments: ["staged", "submitted"])
    func killedMidRotationResumesToExactlyOneWorkingPassword(point: String) throws {
        let box = CLISandbox()
        try box.initVault()
        #expect(try box.run(["register", "27AABCD1234E1Z8", "--otp-from-outbox"] + box.vaultFlags).code == 0)
        let before = try password(box)
        let killed = try box.run(
            ["rotate", "27AABCD1234E1Z8"] + box.vaultFlags, environment: ["NICVAULT_TEST_CRASH_AT": point])
        #expect(killed.code != 0)
        let list = try box.run(["list"] + box.vaultFlags)
        #expect(list.out.contains("rotation pending since"))
        #expect(try box.run(["rotate", "27AABCD1234E1Z8"] + box.vaultFlags).code == 4)
        let resumed = try box.run(["rotate", "27AABCD1234E1Z8", "--resume"] + box.vaultFlags)
        #expect(resumed.code == 0, "\(resumed.err)")
        let after = try password(box)
        #expect(point == "staged" ? after == before : after != before)
        // Exactly one current password, and the portal accepts it: another rotation from it succeeds.
        #expect(try box.run(["rotate", "27AABCD1234E1Z8"] + box.vaultFlags).code == 0)
    }

    /// A rotation whose answer never came stays pending; the message said only "try again later", and running
    /// the same command again is refused (a rotation is pending). It now says how to settle it, and that works.
    @Test func rotationWithoutAnAnswerSaysHowToSettleIt() throws {
        let box = CLISandbox()
        try box.initVault()
        #expect(try box.run(["register", "27AABCD1234E1Z8", "--otp-from-outbox"] + box.vaultFlags).code == 0)
        let before = try password(box)
        let silent = try SilentPortal()
        let lost = try box.run(
            ["rotate", "27AABCD1234E1Z8", "--portal", silent.url, "--timeout", "1"] + box.vaultFlags)
        #expect(lost.code == 5)
        #expect(lost.err.contains("did not answer within 1 s"), "\(lost.err)")
        #expect(lost.err.contains("stays pending"), "\(lost.err)")
        let advice = "nicvault rotate 27AABCD1234E1Z8 --kind portal --env sandbox --resume"
        #expect(lost.err.contains(advice), "\(lost.err)")
        #expect(!lost.err.contains("try again later"))
        #expect(try password(box) == before)
        // The command it names settles it (the portal never saw the change: the old password stays).
        let settled = try box.run(Array(advice.split(separator: " ").dropFirst().map(String.init)) + box.vaultFlags)
        #expect(settled.code == 0, "\(settled.err)")
        #expect(try password(box) == before)
        #expect(try box.run(["rotate", "27AABCD1234E1Z8"] + box.vaultFlags).code == 0)
    }

    @Test func rotateDueGoesOnPastFailuresAndReportsThem() throws {
        let box = CLISandbox()
        try box.initVault()
        for gstin in ["27AABCD1234E1Z8", "29AACCK5521H1ZK", "07AAFFR3310M1Z8"] {
            #expect(try box.run(["register", gstin, "--otp-from-outbox"] + box.vaultFlags).code == 0)
        }
        // Age two of them past their due date, through the library, as if 100 days had passed.
        let store = VaultStore(
            path: box.vault, rollbackMemory: RollbackMemory(directory: box.root + "/state/nicvault/generations"))
        var vault = try Vault.open(
            store: store, unlocker: .passphrase(SecureBytes(copying: Array(CLISandbox.passphrase.utf8))))
        for credential in try vault.credentials() where credential.gstin.value != "07AAFFR3310M1Z8" {
            try vault.update(credential.key, expectedVersion: credential.version) {
                $0.createdAt = $0.createdAt.adding(days: -100)
            }
        }
        // One of the due ones has a stale password, so its rotation will be refused.
        #expect(try box.run(["update", "29AACCK5521H1ZK"] + box.vaultFlags, stdin: "Stale@Pass2024x\n").code == 0)
        let dueList = try box.run(["list", "--due", "--json"] + box.vaultFlags)
        let due = try JSONSerialization.jsonObject(with: Data(dueList.out.utf8)) as! [[String: Any]]
        #expect(due.count == 1)  // the updated one was just rotated (by update), so only one is overdue
        // Make the stale one overdue again.
        vault = try Vault.open(
            store: store, unlocker: .passphrase(SecureBytes(copying: Array(CLISandbox.passphrase.utf8))))
        let stale = try vault.credential(gstin: GSTIN(parsing: "29AACCK5521H1ZK", environment: .sandbox))
        try vault.update(stale.key, expectedVersion: stale.version) { $0.rotatedAt = $0.rotatedAt?.adding(days: -100) }

        let result = try box.run(["rotate", "--due"] + box.vaultFlags)
        #expect(result.code == 5)
        #expect(result.err.contains("Rotated 1 of 2; 1 failed"))
        #expect(result.err.contains("29AACCK5521H1ZK"))
        let after = try box.run(["list", "--due", "--json"] + box.vaultFlags)
        let stillDue = try JSONSerialization.jsonObject(with: Data(after.out.utf8)) as! [[String: Any]]
        #expect(stillDue.map { $0["gstin"] as? String } == ["29AACCK5521H1ZK"])
    }

    @Test func listDueAndRotateDueAgree() throws {
        // A credential due in 5 days is "due soon": list --due does not show it and rotate --due leaves it
        // (the first release listed it as due while rotate --due said "0 credential(s) due").
        let box = CLISandbox()
        try box.initVault()
        #expect(try box.run(["register", "27AABCD1234E1Z8", "--otp-from-outbox"] + box.vaultFlags).code == 0)
        #expect(try box.run(["set", "27AABCD1234E1Z8", "--every", "5d"] + box.vaultFlags).code == 0)
        let listed = try box.run(["list", "--json"] + box.vaultFlags)
        let rows = try JSONSerialization.jsonObject(with: Data(listed.out.utf8)) as! [[String: Any]]
        #expect(rows.first?["status"] as? String == "due-soon")
        #expect(try box.run(["list"] + box.vaultFlags).out.contains("due soon"))
        let due = try box.run(["list", "--due", "--json"] + box.vaultFlags)
        #expect((try JSONSerialization.jsonObject(with: Data(due.out.utf8)) as! [[String: Any]]).isEmpty)
        let rotated = try box.run(["rotate", "--due"] + box.vaultFlags)
        #expect(rotated.code == 0 && rotated.err.contains("0 credential(s) due"))
    }

    @Test func setChangesIntervals() throws {
        let box = CLISandbox()
        try box.initVault()
        #expect(try box.run(["set", "--default-every", "12w"] + box.vaultFlags).code == 0)
        #expect(try box.run(["register", "27AABCD1234E1Z8", "--otp-from-outbox"] + box.vaultFlags).code == 0)
        let shown = try box.run(["show", "27AABCD1234E1Z8", "--json"] + box.vaultFlags)
        let details = try JSONSerialization.jsonObject(with: Data(shown.out.utf8)) as! [String: Any]
        #expect(details["rotationDays"] as? Int == 84)
        #expect(try box.run(["set", "27AABCD1234E1Z8", "--every", "30"] + box.vaultFlags).code == 0)
        #expect(try box.run(["set", "27AABCD1234E1Z8", "--every", "0d"] + box.vaultFlags).code == 64)
    }
}
