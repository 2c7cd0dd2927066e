import Foundation
import NICVault
import SealedFile
import Sodium
import Testing

/// Jobs and colleagues with identities instead of a passphrase, over the real binary.
@Suite("identities and recipients (the real binary)")
struct IdentityCLITests {
    @Test func aJobOpensWithItsIdentityAndARemovedOneOpensNothingNew() throws {
        let box = CLISandbox()
        try box.initVault()
        #expect(try box.run(["register", "27AABCD1234E1Z8", "--otp-from-outbox"] + box.vaultFlags).code == 0)
        let keygen = try box.run(["keygen", "--output", box.root + "/job.key"])
        #expect(keygen.code == 0)
        let recipient = keygen.out.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(recipient.hasPrefix("age1"))
        #expect(keygen.err.contains("Next: someone who can open the vault runs nicvault recipient add \(recipient)"))
        let mode = try FileManager.default.attributesOfItem(atPath: box.root + "/job.key")[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try box.run(["keygen", "--output", box.root + "/job.key"]).code == 4)  // never overwritten
        #expect(try box.run(["recipient", "add", recipient, "--label", "einvoice-job"] + box.vaultFlags).code == 0)
        let twice = try box.run(["recipient", "add", recipient, "--label", "again"] + box.vaultFlags)
        #expect(twice.code == 4 && twice.err.contains("the recipient \(recipient) already exists"), "\(twice.err)")
        #expect(!twice.err.contains("credential"))

        // The job: no passphrase anywhere, only its identity.
        let job = ["--vault", box.vault]
        let env = ["NICVAULT_IDENTITY_FILE": box.root + "/job.key"]
        let exec = try box.run(
            ["exec", "27AABCD1234E1Z8"] + job + [
                "--", "/bin/sh", "-c", "echo $NIC_USERNAME; env | grep -c NICVAULT_ || true",
            ],
            environment: env)
        #expect(exec.code == 0, "\(exec.err)")
        #expect(exec.out.hasPrefix("DEMO") && exec.out.contains("\n0\n"))
        let listed = try box.run(["recipient", "list", "--json"] + job, environment: env)
        #expect(listed.out.contains("einvoice-job") && listed.out.contains(recipient))

        // Removing it re-keys: needs the passphrase, and neither its identity nor the key it unwrapped from an
        // old copy opens what is written next.
        let oldCopy = [UInt8](try #require(FileManager.default.contents(atPath: box.vault)))
        let identity = try AgeKeys.parseIdentityFile(String(contentsOfFile: box.root + "/job.key", encoding: .utf8))
        let oldKey = try VaultFormat.open(oldCopy, with: .identity(identity)).key
        // A recipient cannot remove itself: the passphrase must wrap the new key, and the message says so.
        let unwrapped = try box.run(["recipient", "remove", "einvoice-job"] + job, environment: env)
        #expect(unwrapped.code == 2)
        #expect(unwrapped.err.contains("removing a recipient needs the vault passphrase"), "\(unwrapped.err)")
        #expect(try box.run(["recipient", "remove", "einvoice-job"] + box.vaultFlags).code == 0)
        let refused = try box.run(["list"] + job, environment: env)
        #expect(refused.code == 2 && refused.err.contains("not a recipient"))
        let newBytes = [UInt8](try #require(FileManager.default.contents(atPath: box.vault)))
        #expect(throws: SealedFileError.self) { try VaultFormat.open(newBytes, with: oldKey) }
        #expect(try box.run(["list"] + box.vaultFlags).code == 0)
    }

    @Test func aVaultWithOnlyRecipientsHasNoPassphraseAtAll() throws {
        let box = CLISandbox()
        let recipient = try box.run(["keygen", "--output", box.root + "/me.key"]).out
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let created = try box.run([
            "init", "--vault", box.vault, "--recipient", recipient, "--no-passphrase", "--kdf", "interactive",
        ])
        #expect(created.code == 0, "\(created.err)")
        let info = try box.run(["info", "--vault", box.vault, "--identity", box.root + "/me.key"])
        #expect(info.code == 0)
        // Its slot by the label and the key the user knows, not by hex.
        #expect(info.out.contains("key slot:     recipient recipient-1: \(recipient)\n"), "\(info.out)")
        let slots = try box.run(["info", "--json", "--vault", box.vault, "--identity", box.root + "/me.key"]).out
        #expect(slots.contains("x25519") && !slots.contains("passphrase"))
        // Re-keying such a vault needs no passphrase.
        #expect(try box.run(["rekey", "--vault", box.vault, "--identity", box.root + "/me.key"]).code == 0)

        // Without an identity it says how to give one, and reads no passphrase source (no passphrase could open
        // it): the passphrase command below would leave a file behind.
        let marker = box.root + "/passphrase-command-ran"
        let bare = try box.run(
            ["list", "--vault", box.vault],
            environment: ["NICVAULT_PASSPHRASE_COMMAND": "touch '\(marker)'; echo words"])
        #expect(bare.code == 2)
        #expect(bare.err.contains("no passphrase") && bare.err.contains("--identity FILE"), "\(bare.err)")
        #expect(!bare.err.contains("NICVAULT_PASSPHRASE"))
        #expect(!FileManager.default.fileExists(atPath: marker))
        // A default identity that is not one of its recipients is named.
        let other = box.root + "/.config/nicvault/identity.txt"
        try FileManager.default.createDirectory(
            atPath: box.root + "/.config/nicvault", withIntermediateDirectories: true)
        #expect(try box.run(["keygen", "--output", other]).code == 0)
        let stranger = try box.run(["list", "--vault", box.vault])
        #expect(stranger.code == 2 && stranger.err.contains("the identity \(other) is not one of its recipients"))
    }

    @Test func theLogShowsWhoDidWhatAcrossTwoIdentitiesAndSeesAnEdit() throws {
        let box = CLISandbox()
        try box.initVault()
        var recipients: [String: String] = [:]
        for name in ["asha", "ravi"] {
            recipients[name] = try box.run(["keygen", "--output", box.root + "/\(name).key"]).out
                .trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(try box.run(["recipient", "add", recipients[name]!, "--label", name] + box.vaultFlags).code == 0)
        }
        let asha = ["--vault", box.vault, "--identity", box.root + "/asha.key"]
        let ravi = ["--vault", box.vault, "--identity", box.root + "/ravi.key"]
        #expect(try box.run(["register", "27AABCD1234E1Z8", "--otp-from-outbox"] + asha).code == 0)
        #expect(try box.run(["rotate", "27AABCD1234E1Z8"] + ravi).code == 0)
        let log = try box.run(["log", "27AABCD1234E1Z8"] + box.vaultFlags)
        #expect(log.code == 0, "\(log.err)")
        #expect(log.out.contains("registration staged") && log.out.contains("by asha"))
        #expect(log.out.contains("password rotated") && log.out.contains("by ravi"))
        #expect(log.err.contains("chain is intact"))
        let history = try box.run(["history", "27AABCD1234E1Z8"] + box.vaultFlags)
        #expect(history.out.contains("by ravi"))
        let json = try box.run(["log", "--json"] + box.vaultFlags)
        #expect(json.out.contains("\"intact\" : true") && !json.out.contains("Pass"))

        // Someone with the key edits an old entry without rewriting the hashes after it: the chain shows it.
        let store = VaultStore(
            path: box.vault, rollbackMemory: RollbackMemory(directory: box.root + "/state/nicvault/generations"))
        var vault = try Vault.open(
            store: store, unlocker: .passphrase(SecureBytes(copying: Array(CLISandbox.passphrase.utf8))))
        try vault.modify { payload in payload.log![1].subject = "something else" }
        let edited = try box.run(["log"] + box.vaultFlags)
        #expect(edited.code == 3 && edited.err.contains("chain breaks at entry 2"))
    }

    @Test func anSSHKeyIsARecipientAndItsPrivateKeyAnIdentity() throws {
        let box = CLISandbox()
        try box.initVault()
        let keygen = try box.run(
            ["-t", "ed25519", "-N", "", "-q", "-C", "asha@laptop", "-f", box.root + "/id_ed25519"],
            executable: "/usr/bin/ssh-keygen")
        #expect(keygen.code == 0, "\(keygen.err)")
        let publicLine = try String(contentsOfFile: box.root + "/id_ed25519.pub", encoding: .utf8)
        #expect(try box.run(["recipient", "add", publicLine, "--label", "asha"] + box.vaultFlags).code == 0)
        let opened = try box.run(["info", "--json", "--vault", box.vault, "--identity", box.root + "/id_ed25519"])
        #expect(opened.code == 0, "\(opened.err)")
        let listed = try box.run(["recipient", "list"] + box.vaultFlags)
        #expect(listed.out.contains("asha  ssh-ed25519 AAAA"))
        // Opened through it, the log names it.
        #expect(
            try box.run(["set", "--default-every", "60d", "--vault", box.vault, "--identity", box.root + "/id_ed25519"])
                .code == 0)
        #expect(try box.run(["log"] + box.vaultFlags).out.contains("by asha"))
        // A passphrase-protected OpenSSH key is refused with a clear reason.
        _ = try box.run(
            ["-t", "ed25519", "-N", "secret words", "-q", "-f", box.root + "/locked"], executable: "/usr/bin/ssh-keygen"
        )
        let locked = try box.run(["info", "--vault", box.vault, "--identity", box.root + "/locked"])
        #expect(locked.code == 64 && locked.err.contains("protected by a passphrase"))
    }

    @Test func aSessionStartsFromAnIdentityToo() throws {
        let box = CLISandbox()
        let recipient = try box.run(["keygen", "--output", box.root + "/me.key"]).out
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(
            try box.run([
                "init", "--vault", box.vault, "--recipient", recipient, "--no-passphrase", "--kdf", "interactive",
            ])
            .code == 0)
        let unlock = try box.run(["unlock", "--export", "--vault", box.vault, "--identity", box.root + "/me.key"])
        #expect(unlock.code == 0, "\(unlock.err)")
        let variable = try #require(unlock.out.split(separator: "'").dropFirst().first.map(String.init))
        let listed = try box.run(["list", "--vault", box.vault], environment: ["NICVAULT_SESSION": variable])
        #expect(listed.code == 0, "\(listed.err)")
    }
}
