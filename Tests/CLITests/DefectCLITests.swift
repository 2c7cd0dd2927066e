import FormatVectors
import Foundation
import SealedFile
import Sodium
import Testing

/// The defects an adversarial test of the first release found (issue 12), each over the real binary.
@Suite("defects of the first release, over the real binary")
struct DefectCLITests {
    func registered(_ box: CLISandbox) throws {
        try box.initVault()
        let done = try box.run(["register", "27AABCD1234E1Z8", "--otp-from-outbox"] + box.vaultFlags)
        precondition(done.code == 0, done.err)
    }

    // 4. exec hands on one credential and nothing that opens the vault.
    @Test func execGivesTheChildNothingThatOpensTheVault() throws {
        let box = CLISandbox()
        try registered(box)
        let session = try box.run(["unlock", "--export"] + box.vaultFlags)
        let variable = try #require(session.out.split(separator: "'").dropFirst().first.map(String.init))
        // An identity that opens the vault too: the child must not inherit it either.
        let recipient = try box.run(["keygen", "--output", box.root + "/job.key"]).out
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try box.run(["recipient", "add", recipient, "--label", "job"] + box.vaultFlags).code == 0)
        let script = """
            "$0" exec 27AABCD1234E1Z8 --vault "$1" --passphrase-fd 3 -- /bin/sh -c \
            'env | grep ^NICVAULT_ ; if [ -e /proc/self/fd/3 ]; then echo FD3-OPEN; fi; env | grep -c ^NIC_PASSWORD=' \
            3<"$2"
            """
        let child = try box.run(
            ["-c", script, nicvaultBinary, box.vault, box.passphraseFile], executable: "/bin/sh",
            replaceEnvironment: box.environment.merging([
                "NICVAULT_SESSION": variable, "NICVAULT_PASSPHRASE": "x",
                "NICVAULT_PASSPHRASE_FILE": box.passphraseFile,
                "NICVAULT_PASSPHRASE_COMMAND": "cat \(box.passphraseFile)",
                "NICVAULT_IDENTITY_FILE": box.root + "/job.key",
            ]) { $1 })
        #expect(child.code == 0, "\(child.err)")
        #expect(!child.out.contains("NICVAULT_"), "the child inherited: \(child.out)")
        #expect(!child.out.contains("FD3-OPEN"))
        #expect(child.out.trimmingCharacters(in: .whitespacesAndNewlines) == "1")
    }

    // 5b. passwd re-keys: the old passphrase opens neither the vault nor its backup, and the key unwrapped from
    // an old copy does not decrypt the new file.
    @Test func passwdReKeysTheVaultAndItsBackup() throws {
        let box = CLISandbox()
        try registered(box)
        let oldCopy = try #require(FileManager.default.contents(atPath: box.vault))
        box.write("a brand new passphrase\n", to: box.root + "/new")
        let changed = try box.run(
            [
                "passwd", "--vault", box.vault, "--passphrase-file", box.passphraseFile, "--new-passphrase-file",
                box.root + "/new",
            ])
        #expect(changed.code == 0, "\(changed.err)")
        let old = try SecureBytes(copying: Array(CLISandbox.passphrase.utf8))
        for file in [box.vault, box.vault + ".bak"] {
            let bytes = [UInt8](try #require(FileManager.default.contents(atPath: file)))
            #expect(throws: SealedFileError.self) { try VaultFormat.open(bytes, with: .passphrase(old)) }
        }
        let oldKey = try VaultFormat.open([UInt8](oldCopy), with: .passphrase(old)).key
        let newBytes = [UInt8](try #require(FileManager.default.contents(atPath: box.vault)))
        #expect(throws: SealedFileError.self) { try VaultFormat.open(newBytes, with: oldKey) }
        #expect(try box.run(["list", "--vault", box.vault, "--passphrase-file", box.root + "/new"]).code == 0)
        let backup = try box.run(
            ["list", "--accept-rollback", "--vault", box.vault + ".bak", "--passphrase-file", box.root + "/new"])
        #expect(backup.code == 0, "\(backup.err)")
    }

    // 6. A symlinked vault path saves into the real file and keeps the link.
    @Test func aSymlinkedVaultStaysOneVault() throws {
        let box = CLISandbox()
        try registered(box)
        try FileManager.default.createDirectory(atPath: box.root + "/elsewhere", withIntermediateDirectories: true)
        let link = box.root + "/elsewhere/vault.nicv"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: box.vault)
        let flags = ["--vault", link, "--passphrase-file", box.passphraseFile]
        #expect(try box.run(["set", "27AABCD1234E1Z8", "--every", "30d"] + flags).code == 0)
        let type = try FileManager.default.attributesOfItem(atPath: link)[.type] as? FileAttributeType
        #expect(type == .typeSymbolicLink)
        #expect(!FileManager.default.fileExists(atPath: link + ".bak"))
        let direct = try box.run(["show", "27AABCD1234E1Z8"] + box.vaultFlags)
        #expect(direct.code == 0, "\(direct.err)")
        #expect(direct.out.contains("30"))
    }

    // 7. export --output never replaces a FIFO or a device, and names a missing folder.
    @Test func exportRefusesToReplaceWhatIsNotAFile() throws {
        let box = CLISandbox()
        try registered(box)
        let fifo = box.root + "/fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        let refused = try box.run(
            ["export", "--profile", "dotenv", "27AABCD1234E1Z8", "--output", fifo] + box.vaultFlags)
        #expect(refused.code == 64)
        #expect(refused.err.contains("not a regular file"))
        let type = try FileManager.default.attributesOfItem(atPath: fifo)[.type] as? FileAttributeType
        #expect(type == .typeCharacterSpecial || type == .typeUnknown || type != .typeRegular)
        let missing = try box.run(
            ["export", "--profile", "dotenv", "27AABCD1234E1Z8", "--output", box.root + "/no/such/.env"]
                + box.vaultFlags)
        #expect(missing.code == 64)
        #expect(missing.err.contains("does not exist") && !missing.err.contains("check the disk"))
    }

    // 8. A read-only vault folder without a lock file, and a read-only state folder, still let a reader read.
    @Test func readingNeedsNoNewFile() throws {
        let box = CLISandbox()
        try registered(box)
        unlink(box.vault + ".lock")
        let prefix = try box.asUnprivileged()
        _ = chmod(box.root, 0o500)
        _ = chmod(box.root + "/state", 0o500)
        defer {
            _ = chmod(box.root, 0o700)
            _ = chmod(box.root + "/state", 0o700)
        }
        let list = try box.run(
            prefix + [nicvaultBinary, "list"] + box.vaultFlags, executable: prefix.isEmpty ? nicvaultBinary : prefix[0])
        #expect(list.code == 0, "\(list.err)")
        #expect(list.out.contains("27AABCD1234E1Z8"))
        #expect(list.err.contains("without the lock file"))
    }

    // 9. With HOME unset, the home folder comes from the passwd entry, never root's home for everyone.
    @Test func noHomeFallsBackToThePasswdEntry() throws {
        let box = CLISandbox()
        let prefix = try box.asUnprivileged()
        let argv = prefix + [nicvaultBinary, "info", "--passphrase-file", box.passphraseFile]
        let result = try box.run(
            prefix.isEmpty ? Array(argv.dropFirst()) : argv, executable: prefix.isEmpty ? nicvaultBinary : prefix[0],
            replaceEnvironment: ["PATH": "/usr/bin:/bin"])
        let home = String(cString: getpwuid(prefix.isEmpty ? getuid() : 65534).pointee.pw_dir)
        #expect(result.err.contains(home + "/.local/share/nicvault/vault.nicv"), "\(result.err)")
        if home != "/root" { #expect(!result.err.contains("/root/")) }
    }

    // 10. With the rollback memory gone, an older copy swapped in is seen through its newer backup.
    @Test func anOlderCopyIsSeenThroughItsNewerBackup() throws {
        let box = CLISandbox()
        try registered(box)
        let older = try #require(FileManager.default.contents(atPath: box.vault))
        #expect(try box.run(["set", "27AABCD1234E1Z8", "--every", "30d"] + box.vaultFlags).code == 0)
        #expect(try box.run(["set", "27AABCD1234E1Z8", "--every", "60d"] + box.vaultFlags).code == 0)
        try FileManager.default.removeItem(atPath: box.root + "/state")
        try older.write(to: URL(fileURLWithPath: box.vault))
        let refused = try box.run(["list"] + box.vaultFlags)
        #expect(refused.code == 4)
        #expect(refused.err.contains("backup") && refused.err.contains("--accept-rollback"))
        #expect(try box.run(["list", "--accept-rollback"] + box.vaultFlags).code == 0)
    }

    // 11. A passphrase command that leaves a child holding its output, or never prints, and a FIFO with no
    // writer: nicvault reads the first line or stops at the time-out, and says what timed out.
    @Test func passphraseSourcesThatHangAreBounded() throws {
        let box = CLISandbox()
        try box.initVault()
        let lingering = try box.run(
            ["list", "--vault", box.vault],
            environment: ["NICVAULT_PASSPHRASE_COMMAND": "cat '\(box.passphraseFile)'; sleep 30 2>/dev/null &"],
            killAfter: 20)
        #expect(lingering.code == 0, "\(lingering.err) \(lingering.out)")
        let silent = try box.run(
            ["list", "--vault", box.vault],
            environment: [
                "NICVAULT_PASSPHRASE_COMMAND": "exec sleep 600 2>/dev/null", "NICVAULT_PASSPHRASE_TIMEOUT": "1",
            ],
            killAfter: 60)
        #expect(silent.code == 2)
        #expect(silent.err.contains("NICVAULT_PASSPHRASE_COMMAND") && silent.err.contains("1 s"))
        let fifo = box.root + "/pass.fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        let waiting = try box.run(
            ["list", "--vault", box.vault, "--passphrase-file", fifo],
            environment: ["NICVAULT_PASSPHRASE_TIMEOUT": "1"],
            killAfter: 60)
        #expect(waiting.code == 2)
        #expect(waiting.err.contains(fifo))
    }

    // 12. A passphrase that cannot be read is exit 2, with advice that fits the kind of file.
    @Test func unreadablePassphrasesAreExitTwoWithFittingAdvice() throws {
        let box = CLISandbox()
        try box.initVault()
        let folder = try box.run(["list", "--vault", box.vault, "--passphrase-file", box.root])
        #expect(folder.code == 2)
        #expect(folder.err.contains("is a folder"))
        let descriptor = try box.run(["list", "--vault", box.vault, "--passphrase-fd", "77"])
        #expect(descriptor.code == 2)
        #expect(descriptor.err.contains("not an open descriptor"))
        let device = try box.run(["list", "--vault", box.vault, "--passphrase-file", "/dev/null"])
        #expect(device.code == 2)
        #expect(!device.err.contains("chmod"))
    }

    // Issue 16: a vault asking more than SENSITIVE is refused before any allocation, unless allowed.
    @Test func aGreedyKDFIsRefusedBeforeAnyAllocation() throws {
        let box = CLISandbox()
        let empty = try #require(FormatVectors.positives().first { $0.name == "empty" })
        var greedy = empty.bytes
        greedy.replaceSubrange(43..<51, with: UInt64(2 << 30).bigEndianBytes)  // memlimit: 2 GiB
        try Data(try FormatVectors.rechecksum(greedy)).write(to: URL(fileURLWithPath: box.vault))
        _ = chmod(box.vault, 0o600)
        let refused = try box.run(["info"] + box.vaultFlags)
        #expect(refused.code == 3 && refused.err.contains("2048 MiB") && refused.err.contains("--allow-kdf-memory"))
        let stillRefused = try box.run(["info", "--allow-kdf-memory", "1500M"] + box.vaultFlags)
        #expect(stillRefused.code == 3 && stillRefused.err.contains("more than --allow-kdf-memory allows"))
    }

    /// A version 2 header may claim up to 350 million records (its rules check them against the records length it
    /// also claims); the file store's open walks the records in the file, and sized its lists by that count before
    /// it compared the file's size with the header. A crafted file of 2 KB claiming 300 million then made the
    /// process reserve about 12 GB: under a 3 GB address-space limit it was killed (exit 134). The size is compared
    /// first now: "truncated", exit 3, with or without the limit.
    @Test func aHeaderClaimingMillionsOfRecordsIsTruncatedBeforeAnythingIsSized() throws {
        let box = CLISandbox()
        var bytes = try FormatVectorsV2.positives()[0].bytes
        let headerLength = try VaultFormat.parse(bytes).headerBytes.count
        let count: UInt32 = 300_000_000
        bytes.replaceSubrange((headerLength - 44)..<(headerLength - 40), with: UInt64(count).bigEndianBytes.suffix(4))
        bytes.replaceSubrange((headerLength - 40)..<(headerLength - 32), with: (UInt64(count) * 196).bigEndianBytes)
        bytes.replaceSubrange(
            (headerLength - 32)..<headerLength,
            with: BLAKE2b.hash(Array(bytes[0..<(headerLength - 32)]), outputByteCount: 32))
        #expect(try VaultFormat.parseHeader(Array(bytes[0..<headerLength])).recordCount == count)
        try Data(bytes).write(to: URL(fileURLWithPath: box.vault))
        _ = chmod(box.vault, 0o600)
        let limited = try box.run(
            ["-c", "ulimit -v 3000000 && exec \"$0\" info --vault \"$1\"", nicvaultBinary, box.vault],
            executable: "/bin/sh", replaceEnvironment: box.environment.merging(["NICVAULT_PASSPHRASE": "x"]) { $1 })
        #expect(limited.code == 3 && limited.err.contains("truncated"), "\(limited.code): \(limited.err)")
        let plain = try box.run(["info", "--vault", box.vault], environment: ["NICVAULT_PASSPHRASE": "x"])
        #expect(plain.code == 3 && plain.err.contains("truncated"), "\(plain.err)")
    }
}
