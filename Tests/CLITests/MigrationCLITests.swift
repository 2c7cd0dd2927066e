import FormatVectors
import Foundation
import SealedFile
import Sodium
import Testing

/// Version 1 vaults (the previous release's, and the v1 vectors) open as before, and their first write, or
/// `nicvault upgrade`, turns them into version 2 with the version 1 file kept as the backup.
@Suite("v1 to v2 migration (the real binary)")
struct MigrationCLITests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/release-1").path

    /// The previous release's vault (made by main at 676955b: four credentials, an API client, a rotation, a
    /// recipient, 14 generations) copied into the sandbox as 0600 files.
    func releaseOneVault(_ box: CLISandbox) throws -> (flags: [String], original: [UInt8]) {
        let original = [UInt8](try #require(FileManager.default.contents(atPath: Self.fixture + "/vault.nicv")))
        _ = FileManager.default.createFile(
            atPath: box.vault, contents: Data(original), attributes: [.posixPermissions: 0o600])
        let pass = try String(contentsOfFile: Self.fixture + "/passphrase", encoding: .utf8)
        box.write(pass, to: box.root + "/release-1-pass")
        box.write(
            try String(contentsOfFile: Self.fixture + "/identity.txt", encoding: .utf8), to: box.root + "/job.key")
        return (["--vault", box.vault, "--passphrase-file", box.root + "/release-1-pass"], original)
    }

    /// The log's entries, each as its JSON text with sorted keys.
    func entries(_ json: String) throws -> [String] {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let list = try #require(object["entries"] as? [[String: Any]])
        return try list.map {
            String(decoding: try JSONSerialization.data(withJSONObject: $0, options: .sortedKeys), as: UTF8.self)
        }
    }

    func version(_ path: String) throws -> UInt16 {
        try VaultFormat.parse([UInt8](try #require(FileManager.default.contents(atPath: path)))).header.formatVersion
    }

    @Test func thePreviousReleasesVaultReadsTheSameAndItsFirstWriteIsVersion2() throws {
        let box = CLISandbox()
        let (flags, original) = try releaseOneVault(box)
        // What the previous release exported, kept as its BLAKE2b-256 (the fixture holds no password in clear).
        let expected = try String(contentsOfFile: Self.fixture + "/export.blake2b", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        func digest(_ text: String) -> String { Hex.encode(BLAKE2b.hash(Array(text.utf8), outputByteCount: 32)) }

        // Read as version 1: nothing written.
        let before = try box.run(["export", "--profile", "json"] + flags)
        #expect(before.code == 0, "\(before.err)")
        #expect(digest(before.out) == expected)
        #expect([UInt8](FileManager.default.contents(atPath: box.vault)!) == original)
        let info = try box.run(["info"] + flags)
        #expect(info.out.contains("format:       version 1"))

        // The job's identity opens it too.
        let job = try box.run(
            ["show", "24ABCPP4455Q1Z6", "--kind", "api", "--vault", box.vault],
            environment: ["NICVAULT_IDENTITY_FILE": box.root + "/job.key"])
        #expect(job.code == 0, "\(job.err)")

        // upgrade: version 2, the version 1 file byte for byte as the backup, the same credentials and log.
        let upgraded = try box.run(["upgrade"] + flags)
        #expect(upgraded.code == 0, "\(upgraded.err)")
        #expect(try version(box.vault) == 2)
        #expect([UInt8](FileManager.default.contents(atPath: box.vault + ".bak")!) == original)
        #expect(digest(try box.run(["export", "--profile", "json"] + flags).out) == expected)
        let log = try entries(try box.run(["log", "--json"] + flags).out)
        let oldLog = try entries(try String(contentsOfFile: Self.fixture + "/log.json", encoding: .utf8))
        #expect(log.count == oldLog.count + 1)
        #expect(Array(log.prefix(oldLog.count)) == oldLog)
        #expect(log.last?.contains("upgraded to format version 2") == true)
        #expect(try box.run(["upgrade"] + flags).err.contains("version 2 already"))
        #expect(
            try box.run(
                ["list", "--vault", box.vault], environment: ["NICVAULT_IDENTITY_FILE": box.root + "/job.key"]
            ).code == 0)
    }

    @Test func anyChangeUpgradesAndTheBackupStillOpens() throws {
        let box = CLISandbox()
        let (flags, original) = try releaseOneVault(box)
        let changed = try box.run(["set", "29AACCK5521H1ZK", "--every", "30d"] + flags)
        #expect(changed.code == 0, "\(changed.err)")
        #expect(try version(box.vault) == 2)
        #expect(try version(box.vault + ".bak") == 1)
        #expect([UInt8](FileManager.default.contents(atPath: box.vault + ".bak")!) == original)
        let shown = try box.run(["show", "29AACCK5521H1ZK", "--json"] + flags)
        #expect(shown.out.contains("\"rotationDays\" : 30"))
        // The history the previous release recorded is there, and the change is in it.
        let history = try box.run(["history", "27AABCD1234E1Z8"] + flags)
        #expect(history.code == 0 && history.out.contains("rotated"), "\(history.out)")
    }

    @Test func theVersion1VectorsUpgrade() throws {
        for vector in try FormatVectors.positives() {
            let box = CLISandbox()
            _ = FileManager.default.createFile(
                atPath: box.vault, contents: Data(vector.bytes), attributes: [.posixPermissions: 0o600])
            let flags = ["--vault", box.vault, "--passphrase-file", box.passphraseFile]
            let before = try box.run(["list", "--json"] + flags)
            #expect(before.code == 0, "\(vector.name): \(before.err)")
            let shown = try box.run(["show", "27AAPFU0939F1ZV", "--json"] + flags)
            let result = try box.run(["upgrade"] + flags)
            #expect(result.code == 0, "\(vector.name): \(result.err)")
            #expect(try version(box.vault) == 2)
            #expect([UInt8](FileManager.default.contents(atPath: box.vault + ".bak")!) == vector.bytes)
            #expect(try box.run(["list", "--json"] + flags).out == before.out, "\(vector.name)")
            #expect(try box.run(["show", "27AAPFU0939F1ZV", "--json"] + flags).out == shown.out, "\(vector.name)")
        }
    }
}
