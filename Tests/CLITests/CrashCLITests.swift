import Foundation
import Testing

@Suite("crashes and concurrent processes (the real binary)")
struct CrashCLITests {
    /// `passwd` to the same passphrase: a full save (open, re-wrap, write) that changes nothing else.
    private func passwdArguments(_ box: CLISandbox) -> [String] {
        [
            "passwd", "--vault", box.vault, "--passphrase-file", box.passphraseFile, "--new-passphrase-file",
            box.passphraseFile,
        ]
    }

    @Test func sigkillWhileSavingLeavesAVaultThatOpens() throws {
        let box = CLISandbox()
        try box.initVault()
        var lastGeneration = 1
        var killedMidway = 0
        for round in 0..<25 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: nicvaultBinary)
            process.arguments = passwdArguments(box)
            process.environment = box.environment
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Anywhere from before the first key derivation to after the rename.
            usleep(UInt32((round * 7919) % 260) * 1000)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            if process.terminationReason == .uncaughtSignal { killedMidway += 1 }
            let info = try box.run(["info", "--vault", box.vault, "--passphrase-file", box.passphraseFile, "--json"])
            #expect(info.code == 0, "round \(round): \(info.err)")
            let json = try JSONSerialization.jsonObject(with: Data(info.out.utf8)) as! [String: Any]
            let generation = json["generation"] as! Int
            #expect(generation == lastGeneration || generation == lastGeneration + 1, "round \(round)")
            lastGeneration = generation
        }
        #expect(killedMidway > 0)
    }

    @Test func concurrentProcessesLoseNoSave() throws {
        let box = CLISandbox()
        try box.initVault()
        let processes = 4
        let savesEach = 3
        let group = DispatchGroup()
        let failures = Failures()
        for _ in 0..<processes {
            group.enter()
            DispatchQueue.global().async {
                defer { group.leave() }
                for save in 0..<savesEach {
                    do {
                        // Any save will do; not passwd, which re-keys (a concurrent writer is then told to retry).
                        let result = try box.run(
                            [
                                "set", "--default-every", "\(30 + save)d", "--vault", box.vault, "--passphrase-file",
                                box.passphraseFile,
                            ])
                        if result.code != 0 { failures.add(result.err) }
                    } catch {
                        failures.add("\(error)")
                    }
                }
            }
        }
        #expect(group.wait(timeout: .now() + 120) == .success, "a process hung")
        #expect(failures.all.isEmpty, "\(failures.all)")
        #expect(try box.info()["generation"] as? Int == 1 + processes * savesEach)
    }
}

final class Failures: @unchecked Sendable {
    // Guarded by `lock`; the only shared state of the concurrent test.
    private let lock = NSLock()
    private var items: [String] = []

    func add(_ item: String) { lock.withLock { items.append(item) } }
    var all: [String] { lock.withLock { items } }
}
