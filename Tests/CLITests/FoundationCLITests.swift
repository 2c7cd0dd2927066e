import Foundation
import Testing

@Suite("nicvault init, info, passwd (the real binary)")
struct FoundationCLITests {
    @Test func initInfoPasswdRoundTrip() throws {
        let box = CLISandbox()
        try box.initVault()
        var info = try box.info()
        #expect(info["generation"] as? Int == 1)
        #expect(info["credentials"] as? Int == 0)
        #expect((info["vaultID"] as? String)?.count == 32)
        box.write("a brand new passphrase\n", to: box.root + "/new")
        let passwd = try box.run([
            "passwd", "--vault", box.vault, "--passphrase-file", box.passphraseFile, "--new-passphrase-file",
            box.root + "/new",
        ])
        #expect(passwd.code == 0, "\(passwd.err)")
        // The old passphrase no longer opens it; the new one does.
        let old = try box.run(["info", "--vault", box.vault, "--passphrase-file", box.passphraseFile])
        #expect(old.code == 2)
        #expect(old.err.contains("wrong passphrase"))
        // The source read is named (a job's stale file after passwd is the usual cause), never its content.
        #expect(old.err.contains("the passphrase file \(box.passphraseFile) does not open this vault"), "\(old.err)")
        let new = try box.run(["info", "--vault", box.vault, "--passphrase-file", box.root + "/new", "--json"])
        #expect(new.code == 0)
        info = try JSONSerialization.jsonObject(with: Data(new.out.utf8)) as! [String: Any]
        #expect(info["generation"] as? Int == 2)
    }

    @Test func initRefusesToOverwrite() throws {
        let box = CLISandbox()
        try box.initVault()
        let before = try Data(contentsOf: URL(fileURLWithPath: box.vault))
        let again = try box.run(["init", "--vault", box.vault, "--passphrase-file", box.passphraseFile])
        #expect(again.code == 4)
        #expect(again.err.contains("already exists"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: box.vault)) == before)
    }

    @Test func wrongPassphraseExitsTwoAndLeavesTheFile() throws {
        let box = CLISandbox()
        try box.initVault()
        let before = try Data(contentsOf: URL(fileURLWithPath: box.vault))
        box.write("not the passphrase\n", to: box.root + "/wrong")
        let result = try box.run(["info", "--vault", box.vault, "--passphrase-file", box.root + "/wrong"])
        #expect(result.code == 2)
        #expect(!result.err.contains("not the passphrase"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: box.vault)) == before)
        // An empty passphrase file, or a variable set to nothing, is said to be empty, not wrong.
        box.write("\n", to: box.root + "/empty")
        let empty = try box.run(["info", "--vault", box.vault, "--passphrase-file", box.root + "/empty"])
        #expect(empty.code == 2 && empty.err.contains("the passphrase file \(box.root)/empty is empty"), "\(empty.err)")
        let unset = try box.run(["info", "--vault", box.vault], environment: ["NICVAULT_PASSPHRASE": ""])
        #expect(unset.code == 2 && unset.err.contains("NICVAULT_PASSPHRASE is empty"), "\(unset.err)")
    }

    @Test func damagedVaultExitsThree() throws {
        let box = CLISandbox()
        try box.initVault()
        var bytes = try Data(contentsOf: URL(fileURLWithPath: box.vault))
        bytes[bytes.count - 3] ^= 0xff
        try bytes.write(to: URL(fileURLWithPath: box.vault))
        let result = try box.run(["info", "--vault", box.vault, "--passphrase-file", box.passphraseFile])
        #expect(result.code == 3)
        #expect(result.err.contains(".bak"))
        box.write("this is not a vault at all", to: box.root + "/foreign")
        let foreign = try box.run(["info", "--vault", box.root + "/foreign", "--passphrase-file", box.passphraseFile])
        #expect(foreign.code == 3)
        #expect(foreign.err.contains("not a nicvault file"))
    }

    @Test func missingVaultExitsSixAndSaysInit() throws {
        let box = CLISandbox()
        let result = try box.run(["info", "--vault", box.root + "/none.nicv", "--passphrase-file", box.passphraseFile])
        #expect(result.code == 6)
        #expect(result.err.contains("nicvault init"))
    }

    @Test func everyPassphraseSourceWorks() throws {
        let box = CLISandbox()
        try box.initVault()
        let pass = CLISandbox.passphrase
        let sources: [(String, [String], [String: String], String?)] = [
            ("--passphrase-fd", ["--passphrase-fd", "0"], [:], pass + "\n"),
            ("NICVAULT_PASSPHRASE_FILE", [], ["NICVAULT_PASSPHRASE_FILE": box.passphraseFile], nil),
            ("NICVAULT_PASSPHRASE_COMMAND", [], ["NICVAULT_PASSPHRASE_COMMAND": "cat '\(box.passphraseFile)'"], nil),
            ("NICVAULT_PASSPHRASE", [], ["NICVAULT_PASSPHRASE": pass], nil),
        ]
        for (name, flags, env, stdin) in sources {
            let result = try box.run(["info", "--vault", box.vault] + flags, environment: env, stdin: stdin)
            #expect(result.code == 0, "\(name): \(result.err)")
        }
        // The flag wins over the variables.
        box.write("wrong wrong wrong\n", to: box.root + "/wrong")
        let ordered = try box.run(
            ["info", "--vault", box.vault, "--passphrase-file", box.passphraseFile],
            environment: ["NICVAULT_PASSPHRASE_FILE": box.root + "/wrong", "NICVAULT_PASSPHRASE": "wrong"])
        #expect(ordered.code == 0)
        // A file variable comes before the plain variable.
        let fileFirst = try box.run(
            ["info", "--vault", box.vault],
            environment: ["NICVAULT_PASSPHRASE_FILE": box.root + "/wrong", "NICVAULT_PASSPHRASE": pass])
        #expect(fileFirst.code == 2)
        let failing = try box.run(
            ["info", "--vault", box.vault], environment: ["NICVAULT_PASSPHRASE_COMMAND": "exit 3"])
        #expect(failing.code == 2)
        #expect(failing.err.contains("NICVAULT_PASSPHRASE_COMMAND failed"))
    }

    @Test func noTerminalAndNoSourceSaysWhichVariablesToSet() throws {
        let box = CLISandbox()
        try box.initVault()
        // setsid-less child of the test has no controlling terminal in CI; skip the check when one exists.
        let result = try box.run(["info", "--vault", box.vault])
        if result.err.contains("no terminal") {
            #expect(result.code == 2)
            #expect(result.err.contains("NICVAULT_PASSPHRASE_FILE"))
            #expect(result.err.contains("NICVAULT_PASSPHRASE_COMMAND"))
        }
    }

    @Test func vaultPathComesFromTheVariableThenXDG() throws {
        let box = CLISandbox()
        let viaXDG = try box.run(["init", "--passphrase-file", box.passphraseFile, "--kdf", "interactive"])
        #expect(viaXDG.code == 0, "\(viaXDG.err)")
        #expect(FileManager.default.fileExists(atPath: box.root + "/data/nicvault/vault.nicv"))
        let folder = try FileManager.default.attributesOfItem(atPath: box.root + "/data/nicvault")
        #expect((folder[.posixPermissions] as? Int) == 0o700)
        let viaVariable = try box.run(
            ["init", "--passphrase-file", box.passphraseFile, "--kdf", "interactive"],
            environment: ["NICVAULT_FILE": box.root + "/elsewhere.nicv"])
        #expect(viaVariable.code == 0)
        #expect(FileManager.default.fileExists(atPath: box.root + "/elsewhere.nicv"))
    }

    @Test func shortNewPassphraseIsRefused() throws {
        let box = CLISandbox()
        box.write("short\n", to: box.root + "/short")
        let result = try box.run(["init", "--vault", box.vault, "--passphrase-file", box.root + "/short"])
        #expect(result.code == 64)
        #expect(!FileManager.default.fileExists(atPath: box.vault))
    }

    /// The same after an ordinary change (no re-keying, so the old file still opens with the passphrase): the
    /// older generation put back is refused by `list`, `show` and `info` alike, exit 4.
    @Test func anOlderGenerationPutBackAfterAChangeIsRefused() throws {
        let box = CLISandbox()
        try box.initVault()
        #expect(
            try box.run(
                ["add", "27AABCD1234E1Z8", "--kind", "portal", "--env", "sandbox", "--user-id", "DEMOUSER1"]
                    + box.vaultFlags, stdin: "Pw@1234abcdX\n"
            ).code == 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: box.vault))
        #expect(try box.run(["set", "27AABCD1234E1Z8", "--every", "30d"] + box.vaultFlags).code == 0)
        try before.write(to: URL(fileURLWithPath: box.vault))
        for command in [["list"], ["show", "27AABCD1234E1Z8"], ["info"]] {
            let refused = try box.run(command + box.vaultFlags)
            #expect(refused.code == 4 && refused.err.contains("went back in time"), "\(command): \(refused.err)")
        }
    }

    @Test func rollbackIsRefusedThenAcceptedOnPurpose() throws {
        let box = CLISandbox()
        try box.initVault()
        let generationOne = try Data(contentsOf: URL(fileURLWithPath: box.vault))
        box.write(CLISandbox.passphrase + "\n", to: box.root + "/same")
        let passwd = try box.run([
            "passwd", "--vault", box.vault, "--passphrase-file", box.passphraseFile, "--new-passphrase-file",
            box.root + "/same",
        ])
        #expect(passwd.code == 0)
        try generationOne.write(to: URL(fileURLWithPath: box.vault))
        let refused = try box.run(["info", "--vault", box.vault, "--passphrase-file", box.passphraseFile])
        #expect(refused.code == 4)
        #expect(refused.err.contains("--accept-rollback"))
        let accepted = try box.run([
            "info", "--vault", box.vault, "--passphrase-file", box.passphraseFile, "--accept-rollback",
        ])
        #expect(accepted.code == 0)
    }

    @Test func groupReadableVaultIsRefusedWithChmod() throws {
        let box = CLISandbox()
        try box.initVault()
        chmod(box.vault, 0o640)
        let result = try box.run(["info", "--vault", box.vault, "--passphrase-file", box.passphraseFile])
        #expect(result.code == 1)
        #expect(result.err.contains("chmod 600"))
    }

    @Test func everyCommandHasHelpWithAnExample() throws {
        let box = CLISandbox()
        for command in ["init", "info", "passwd"] {
            let result = try box.run([command, "--help"])
            #expect(result.code == 0)
            #expect(result.out.contains("Example"), "\(command)")
        }
    }

    @Test func usageErrorsExitSixtyFour() throws {
        let box = CLISandbox()
        #expect(try box.run(["init", "--kdf", "extreme"]).code == 64)
        #expect(try box.run(["no-such-command"]).code == 64)
    }

    @Test func coreDumpsAreOffInTheRunningProcess() throws {
        let box = CLISandbox()
        try box.initVault()
        // nicvault waits for its passphrase on stdin; look at its limits meanwhile.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: nicvaultBinary)
        process.arguments = ["info", "--vault", box.vault, "--passphrase-fd", "0"]
        process.environment = box.environment
        let input = Pipe()
        process.standardInput = input
        process.standardOutput = Pipe()
        process.standardError = Pipe()
        try process.run()
        var limits = ""
        for _ in 0..<100 {
            limits = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/limits", encoding: .utf8)) ?? ""
            if limits.contains("Max core file size")
                && limits.range(of: #"Max core file size\s+0\s+0"#, options: .regularExpression) != nil
            {
                break
            }
            usleep(20_000)
        }
        input.fileHandleForWriting.write(Data((CLISandbox.passphrase + "\n").utf8))
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        #expect(limits.range(of: #"Max core file size\s+0\s+0"#, options: .regularExpression) != nil)
        #expect(process.terminationStatus == 0)
    }
}

@Suite("show and exec through the lookup file (the real binary)")
struct LookupCLITests {
    /// The lookup file is a cache: it lives in XDG_CACHE_HOME, 0600, and every change to the vault shows at once
    /// in show and exec (the first read after a save opens the vault in full and writes it anew).
    @Test func showAndExecSeeEveryChangeAndTheCacheIsPrivate() throws {
        let box = CLISandbox()
        try box.initVault()
        #expect(try box.run(["register", "27AABCD1234E1Z8", "--otp-from-outbox"] + box.vaultFlags).code == 0)
        let show = ["show", "27AABCD1234E1Z8", "--field", "password"] + box.vaultFlags
        let first = try box.run(show)
        #expect(first.code == 0)
        let folder = box.root + "/cache/nicvault/lookup"
        let files = try FileManager.default.contentsOfDirectory(atPath: folder)
        #expect(files.count == 1)
        let mode = try FileManager.default.attributesOfItem(atPath: folder + "/" + files[0])[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let folderMode = try FileManager.default.attributesOfItem(atPath: folder)[.posixPermissions] as? Int
        #expect(folderMode == 0o700)
        let again = try box.run(show)
        #expect(again.code == 0 && again.out == first.out)
        let full = try box.run(["show", "27AABCD1234E1Z8"] + box.vaultFlags)
        #expect(full.code == 0 && full.out.contains("user id:"))
        // history reads the credential and the log through it: the same text as from a full open.
        let history = ["history", "27AABCD1234E1Z8"] + box.vaultFlags
        let throughLookup = try box.run(history)
        try FileManager.default.removeItem(atPath: folder)
        let fromFullOpen = try box.run(history)
        #expect(throughLookup.code == 0 && throughLookup.out == fromFullOpen.out)
        #expect(throughLookup.out.contains("who (from the vault's log):"))

        #expect(try box.run(["update", "27AABCD1234E1Z8"] + box.vaultFlags, stdin: "Changed@Pass42\n").code == 0)
        #expect(try box.run(show).out == "Changed@Pass42\n")
        #expect(try box.run(show).out == "Changed@Pass42\n")
        let exec = try box.run(
            ["exec", "27AABCD1234E1Z8"] + box.vaultFlags + ["--", "/bin/sh", "-c", "echo \"$NIC_PASSWORD\""])
        #expect(exec.code == 0 && exec.out == "Changed@Pass42\n")
        // Deleted, it is written again; the answers do not change.
        try FileManager.default.removeItem(atPath: folder)
        #expect(try box.run(show).out == "Changed@Pass42\n")
        #expect(FileManager.default.fileExists(atPath: folder))
        #expect(try box.run(["show", "27AABCD1234E1Z9"] + box.vaultFlags).code != 0)
    }
}

@Suite("nicvault gstin (the real binary)")
struct GSTINCLITests {
    @Test func explainsAndRefuses() throws {
        let box = CLISandbox()
        let good = try box.run(["gstin", "27aapfu0939f1zv"])
        #expect(good.code == 0)
        #expect(good.out.contains("27AAPFU0939F1ZV  accepted"))
        #expect(good.out.contains("27 Maharashtra"))
        #expect(good.out.contains("firm or LLP"))
        let bad = try box.run(["gstin", "27AAPFU0939F1ZV", "27AAPFU0939F1ZO"])
        #expect(bad.code == 64)
        #expect(bad.out.contains("check character should be V, not O"))
        let sandbox = try box.run(["gstin", "--env", "sandbox", "37ARZPT4384Q1MT", "--json"])
        #expect(sandbox.code == 0)
        let reports = try JSONSerialization.jsonObject(with: Data(sandbox.out.utf8)) as! [[String: Any]]
        #expect(reports.first?["checkCharacterValid"] as? Bool == false)
        #expect((reports.first?["state"] as? [String: String])?["code"] == "37")
    }
}
