import Foundation
import GST
import NICVault
import SealedFile
import Sodium
import Testing

/// For scripts, cron and people who mistype (issue 15's first items), over the real binary.
@Suite("scripting: exit codes, batches, typos (the real binary)")
struct ScriptingCLITests {
    /// Ages every credential of the sandbox's vault past its due date, through the library.
    func ageAll(_ box: CLISandbox) throws {
        let store = VaultStore(
            path: box.vault, rollbackMemory: RollbackMemory(directory: box.root + "/state/nicvault/generations"))
        var vault = try Vault.open(
            store: store, unlocker: .passphrase(SecureBytes(copying: Array(CLISandbox.passphrase.utf8))))
        for credential in try vault.credentials() {
            try vault.update(credential.key, expectedVersion: credential.version) {
                $0.createdAt = $0.createdAt.adding(days: -100)
            }
        }
    }

    @Test func listDueExitsTenWhenSomethingIsDueAndQuietPrintsNothing() throws {
        let box = CLISandbox()
        try box.initVault()
        #expect(try box.run(["register", "27AABCD1234E1Z8", "--otp-from-outbox"] + box.vaultFlags).code == 0)
        #expect(try box.run(["list", "--due", "--quiet"] + box.vaultFlags).code == 0)
        try ageAll(box)
        let quiet = try box.run(["list", "--due", "--quiet"] + box.vaultFlags)
        #expect(quiet.code == 10 && quiet.out.isEmpty && quiet.err.isEmpty, "\(quiet.err)")
        #expect(try box.run(["list", "--due"] + box.vaultFlags).out.contains("27AABCD1234E1Z8"))
        #expect(try box.run(["list"] + box.vaultFlags).code == 0)
    }

    @Test func rotateDueSettlesPendingRotationsFirstAndResumeTakesThemAll() throws {
        let box = CLISandbox()
        try box.initVault()
        for gstin in ["27AABCD1234E1Z8", "29AACCK5521H1ZK"] {
            #expect(try box.run(["register", gstin, "--otp-from-outbox"] + box.vaultFlags).code == 0)
        }
        // A batch killed mid-way leaves one rotation pending.
        let killed = try box.run(
            ["rotate", "27AABCD1234E1Z8"] + box.vaultFlags, environment: ["NICVAULT_TEST_CRASH_AT": "submitted"])
        #expect(killed.code != 0)
        try ageAll(box)
        let batch = try box.run(["rotate", "--due"] + box.vaultFlags)
        #expect(batch.code == 0, "\(batch.err)")
        #expect(batch.err.contains("1 pending rotation(s) to settle first"))
        #expect(batch.err.contains("Rotated 1 of 1"))  // the settled one was just rotated
        // rotate --resume with no GSTIN settles every pending one.
        #expect(
            try box.run(
                ["rotate", "29AACCK5521H1ZK"] + box.vaultFlags, environment: ["NICVAULT_TEST_CRASH_AT": "staged"]
            )
            .code != 0)
        let resumed = try box.run(["rotate", "--resume"] + box.vaultFlags)
        #expect(resumed.code == 0 && resumed.err.contains("Settled 1 of 1"), "\(resumed.err)")
        #expect(!(try box.run(["list"] + box.vaultFlags).out.contains("pending")))
    }

    @Test func anOTPThatNeverComesSpendsNoTry() throws {
        let box = CLISandbox()
        try box.initVault()
        let closed = try box.run(["register", "27AABCD1234E1Z8"] + box.vaultFlags, stdin: "")
        #expect(closed.code == 64)
        #expect(closed.err.contains("no OTP given"))
        // Nothing was staged (the OTP step comes first), and the portal counted no wrong try.
        let listed = try box.run(["list", "--json"] + box.vaultFlags)
        #expect((try JSONSerialization.jsonObject(with: Data(listed.out.utf8)) as? [Any])?.isEmpty == true)
        let state = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: box.root + "/state/nicvault/sandbox-portal.json")))
        let otps = (state as? [String: Any])?["otps"] as? [[String: Any]] ?? []
        #expect(otps.count == 1 && otps.allSatisfy { $0["wrongTries"] as? Int == 0 })
    }

    @Test func aTypoIsAnsweredWithTheNearestGSTIN() throws {
        let box = CLISandbox()
        try box.initVault()
        #expect(try box.run(["register", "27AABCD1234E1Z8", "--otp-from-outbox"] + box.vaultFlags).code == 0)
        let typo = try box.run(["show", "27AABCD1234E1Z9"] + box.vaultFlags)
        #expect(typo.code == 6)
        #expect(typo.err.contains("did you mean 27AABCD1234E1Z8?"))
        // One character short: the refusal names what was typed and how to look at it, on every command.
        for command in [["show"], ["history"], ["rotate"], ["log"], ["exec", "--kind", "portal"]] {
            let short = try box.run(
                command + ["27AABCD1234E1Z"] + box.vaultFlags + ["--", "true"].suffix(command[0] == "exec" ? 2 : 0))
            #expect(short.code == 64, "\(command): \(short.err)")
            #expect(
                short.err.contains("27AABCD1234E1Z is not a GSTIN nicvault can use: 14 characters, expected 15")
                    && short.err.contains("nicvault gstin '27AABCD1234E1Z'"), "\(command): \(short.err)")
        }
    }

    @Test func initSaysWhatToDoNext() throws {
        let box = CLISandbox()
        let created = try box.run(
            ["init", "--vault", box.vault, "--passphrase-file", box.passphraseFile, "--kdf", "interactive"])
        #expect(created.code == 0)
        #expect(created.err.contains("Next:") && created.err.contains("Back up the vault file"))
    }

    @Test func aNewDefaultIntervalCanBeAppliedToEveryCredential() throws {
        let box = CLISandbox()
        try box.initVault()
        for gstin in ["27AABCD1234E1Z8", "29AACCK5521H1ZK"] {
            #expect(try box.run(["register", gstin, "--otp-from-outbox"] + box.vaultFlags).code == 0)
        }
        let dry = try box.run(["set", "--default-every", "30d", "--apply-all", "--dry-run"] + box.vaultFlags)
        #expect(
            dry.code == 0 && dry.out.split(separator: "\n").count == 2
                && dry.err.contains("2 credential(s) would change"))
        #expect(try box.run(["show", "27AABCD1234E1Z8", "--field", "dueDate"] + box.vaultFlags).code == 0)
        let shown = { (gstin: String) throws -> Int in
            let json = try box.run(["show", gstin, "--json"] + box.vaultFlags).out
            return (try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any])["rotationDays"] as! Int
        }
        #expect(try shown("27AABCD1234E1Z8") == 90)
        #expect(try box.run(["set", "--default-every", "30d", "--apply-all"] + box.vaultFlags).code == 0)
        #expect(try shown("27AABCD1234E1Z8") == 30 && shown("29AACCK5521H1ZK") == 30)
    }

    @Test func aTooShortPassphraseIsAskedAgainOnATerminal() throws {
        let box = CLISandbox()
        // A pseudo-terminal that answers each prompt once it appears (the prompt flushes what was typed ahead).
        let person = """
            import os, pty, sys
            pid, fd = pty.fork()
            if pid == 0:
                os.execv(sys.argv[1], sys.argv[1:])
            answers = [b"short", b"short", b"long enough passphrase", b"long enough passphrase"]
            seen = b""
            while True:
                try:
                    chunk = os.read(fd, 1024)
                except OSError:
                    break
                if not chunk:
                    break
                seen += chunk
                if answers and (seen.endswith(b"passphrase: ") or seen.endswith(b"Repeat it: ")):
                    os.write(fd, answers.pop(0) + b"\\n")
            os.waitpid(pid, 0)
            sys.stdout.write(seen.decode(errors="replace"))
            """
        let typed = try box.run(
            ["-c", person, nicvaultBinary, "init", "--vault", box.vault, "--kdf", "interactive"], killAfter: 60,
            executable: "/usr/bin/python3")
        #expect(typed.out.contains("at least 8 characters; try again"), "\(typed.out)")
        #expect(FileManager.default.fileExists(atPath: box.vault))
    }

    @Test func ctrlCStopsABatchWithItsSummary() throws {
        let box = CLISandbox()
        try box.initVault()
        let gstins = ["27AABCD1234E1Z8", "29AACCK5521H1ZK", "07AAFFR3310M1Z8", "33AABCT7788K2ZQ"]
        for gstin in gstins {
            #expect(try box.run(["register", gstin, "--otp-from-outbox"] + box.vaultFlags).code == 0)
        }
        try ageAll(box)
        // Ctrl-C as soon as the first credential is done.
        let driver = """
            import signal, subprocess, sys
            p = subprocess.Popen(sys.argv[1:], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
            seen = ""
            for line in p.stderr:
                seen += line
                if line.startswith("1/"):
                    p.send_signal(signal.SIGINT)
            p.wait()
            sys.stdout.write(seen + "EXIT %d\\n" % p.returncode)
            """
        let run = try box.run(
            ["-c", driver, nicvaultBinary, "rotate", "--due"] + box.vaultFlags, killAfter: 120,
            executable: "/usr/bin/python3")
        #expect(run.out.contains("EXIT 130"), "\(run.out)")
        #expect(run.out.contains("skipped") && run.out.contains("stopped by Ctrl-C"), "\(run.out)")
        // Nothing is left half done: no pending rotation, and the next batch takes the rest.
        #expect(!(try box.run(["list"] + box.vaultFlags).out.contains("pending")))
        let rest = try box.run(["rotate", "--due"] + box.vaultFlags)
        #expect(rest.code == 0)
    }
}
