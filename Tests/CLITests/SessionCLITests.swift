import Foundation
import Testing

@Suite("nicvault unlock and lock (the real binary)")
struct SessionCLITests {
    func unlock(_ box: CLISandbox, ttl: String = "5m") throws -> String {
        let result = try box.run(["unlock", "--ttl", ttl] + box.vaultFlags)
        precondition(result.code == 0, result.err)
        let line = result.out.trimmingCharacters(in: .newlines)
        precondition(line.hasPrefix("NICVAULT_SESSION="))
        return String(line.dropFirst("NICVAULT_SESSION=".count))
    }

    @Test func sessionOpensWithoutThePassphraseUntilLocked() throws {
        let box = CLISandbox()
        try box.initVault()
        let session = try unlock(box)
        let opened = try box.run(["info", "--vault", box.vault, "--json"], environment: ["NICVAULT_SESSION": session])
        #expect(opened.code == 0, "\(opened.err)")
        let files = try FileManager.default.contentsOfDirectory(atPath: box.root + "/state/nicvault/sessions")
        #expect(files.count == 1)
        let file = box.root + "/state/nicvault/sessions/" + files[0]
        #expect(try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int == 0o600)
        #expect(
            try FileManager.default.attributesOfItem(atPath: box.root + "/state/nicvault/sessions")[.posixPermissions]
                as? Int == 0o700)
        // The session key is not in the file.
        let key = String(session.split(separator: ".")[1])
        #expect(try Data(contentsOf: URL(fileURLWithPath: file)).range(of: Data(key.utf8)) == nil)
        let export = try box.run(["unlock", "--export"] + box.vaultFlags)
        #expect(export.out.hasPrefix("export NICVAULT_SESSION='"))

        #expect(try box.run(["lock"]).code == 0)
        let after = try box.run(["info", "--vault", box.vault], environment: ["NICVAULT_SESSION": session])
        #expect(after.code == 2)
        #expect(after.err.contains("session has ended"))
    }

    @Test func expiredTamperedOrForeignSessionsFallBackWithANote() throws {
        let box = CLISandbox()
        try box.initVault()
        let short = try unlock(box, ttl: "1s")
        sleep(2)
        let expired = try box.run(
            ["info", "--vault", box.vault],
            environment: ["NICVAULT_SESSION": short, "NICVAULT_PASSPHRASE": CLISandbox.passphrase])
        // NICVAULT_PASSPHRASE comes before a session, so this opens with the passphrase and never looks.
        #expect(expired.code == 0)
        let noFallback = try box.run(["info", "--vault", box.vault], environment: ["NICVAULT_SESSION": short])
        #expect(noFallback.err.contains("expired"))

        let session = try unlock(box)
        let id = String(session.split(separator: ".")[0])
        let file = box.root + "/state/nicvault/sessions/\(id).session"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        bytes[bytes.count - 1] ^= 1
        try bytes.write(to: URL(fileURLWithPath: file))
        let tampered = try box.run(["info", "--vault", box.vault], environment: ["NICVAULT_SESSION": session])
        #expect(tampered.err.contains("damaged"))
        // A value cut short or mistyped is told as such, not only as a damaged file.
        let mistyped = String(session.dropLast()) + (session.hasSuffix("0") ? "1" : "0")
        let wrong = try box.run(["info", "--vault", box.vault], environment: ["NICVAULT_SESSION": mistyped])
        #expect(wrong.code == 2 && wrong.err.contains("mistyped"), "\(wrong.err)")

        let other = try unlock(box)
        let second = CLISandbox()
        try second.initVault()
        let foreign = try second.run(
            ["info", "--vault", second.vault],
            environment: ["NICVAULT_SESSION": other, "XDG_STATE_HOME": box.root + "/state"])
        #expect(foreign.err.contains("another vault"))
        let garbage = try box.run(["info", "--vault", box.vault], environment: ["NICVAULT_SESSION": "nonsense"])
        #expect(garbage.err.contains("not a nicvault session"))
    }

    /// A session reads the vault's header before anything else (the question a database store answers with the
    /// schema check in one statement); without a vault it still says "no vault" (6), not a prompt or a key error.
    @Test func aSessionWithoutItsVaultSaysTheVaultIsMissing() throws {
        let box = CLISandbox()
        try box.initVault()
        let session = try unlock(box)
        try FileManager.default.moveItem(atPath: box.vault, toPath: box.vault + ".moved")
        let gone = try box.run(["list", "--vault", box.vault], environment: ["NICVAULT_SESSION": session])
        #expect(gone.code == 6, "\(gone.err)")
        #expect(gone.err.contains("nicvault init") || gone.err.contains("no vault"), "\(gone.err)")
        // A session that cannot be used falls back to the passphrase, but not before saying the vault is missing.
        let garbage = try box.run(["list", "--vault", box.vault], environment: ["NICVAULT_SESSION": "nonsense"])
        #expect(garbage.code == 6, "\(garbage.err)")
        #expect(!garbage.err.contains("Vault passphrase"))
        try FileManager.default.moveItem(atPath: box.vault + ".moved", toPath: box.vault)
        #expect(try box.run(["list", "--vault", box.vault], environment: ["NICVAULT_SESSION": session]).code == 0)
    }

    @Test func passphraseChangeEndsSessions() throws {
        let box = CLISandbox()
        try box.initVault()
        let session = try unlock(box)
        box.write("another long passphrase\n", to: box.root + "/new")
        #expect(
            try box.run(
                [
                    "passwd", "--vault", box.vault, "--passphrase-file", box.passphraseFile, "--new-passphrase-file",
                    box.root + "/new",
                ]
            ).code == 0)
        let after = try box.run(["info", "--vault", box.vault], environment: ["NICVAULT_SESSION": session])
        #expect(after.code == 2)
    }
}
