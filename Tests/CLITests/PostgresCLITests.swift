import Foundation
import GST
import NICVault
import PostgresStore
import SealedFile
import Sodium
import Testing

/// The PostgreSQL store over the real binary and a real server (started by the test as an unprivileged user on a
/// loopback port, stopped at the end).
@Suite("the PostgreSQL store (the real binary, a real server)", .serialized)
struct PostgresCLITests {
    /// A CLI sandbox whose commands use the server's store, with the schema created and a vault made.
    func storeWithVault(_ server: PostgresServer) throws -> (CLISandbox, [String: String]) {
        let box = CLISandbox()
        let env = ["NICVAULT_STORE": server.url, "NICVAULT_PASSPHRASE_FILE": box.passphraseFile]
        let initialized = try box.run(["store", "init"], environment: env)
        #expect(initialized.code == 0, "\(initialized.err)")
        let made = try box.run(["init", "--kdf", "interactive"], environment: env)
        #expect(made.code == 0, "\(made.err)")
        return (box, env)
    }

    @Test func everyCommandWorksAgainstTheStore() throws {
        let server = try PostgresServer()
        let box = CLISandbox()
        let env = ["NICVAULT_STORE": server.url, "NICVAULT_PASSPHRASE_FILE": box.passphraseFile]
        let before = try box.run(["list"], environment: env)
        #expect(before.code == 1 && before.err.contains("nicvault store init"), "\(before.err)")
        #expect(try box.run(["store", "init"], environment: env).code == 0)
        #expect(try box.run(["store", "init"], environment: env).err.contains("nothing was changed"))
        #expect(try box.run(["list"], environment: env).code == 6)  // no vault yet: nicvault init
        #expect(try box.run(["init", "--kdf", "interactive"], environment: env).code == 0)
        #expect(try box.run(["init", "--kdf", "interactive"], environment: env).code == 4)
        for gstin in ["27AABCD1234E1Z8", "29AACCK5521H1ZK"] {
            let registered = try box.run(["register", gstin, "--otp-from-outbox"], environment: env)
            #expect(registered.code == 0, "\(registered.err)")
        }
        let listed = try box.run(["list", "--json"], environment: env)
        #expect(listed.out.contains("27AABCD1234E1Z8") && listed.out.contains("29AACCK5521H1ZK"))
        #expect(try box.run(["rotate", "27AABCD1234E1Z8"], environment: env).code == 0)
        #expect(try box.run(["history", "27AABCD1234E1Z8"], environment: env).out.contains("password rotated"))
        let exec = try box.run(
            ["exec", "29AACCK5521H1ZK", "--", "/bin/sh", "-c", "echo $NIC_USERNAME"], environment: env)
        #expect(exec.code == 0 && exec.out.hasPrefix("KAVERI"), "\(exec.err)")
        // A job on another machine: its own identity, the same store, no passphrase.
        let keygen = try box.run(["keygen", "--output", box.root + "/job.key"])
        let recipient = keygen.out.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try box.run(["recipient", "add", recipient, "--label", "job-1"], environment: env).code == 0)
        let job = try box.run(
            ["show", "29AACCK5521H1ZK", "--field", "password"],
            environment: ["NICVAULT_STORE": server.url, "NICVAULT_IDENTITY_FILE": box.root + "/job.key"])
        #expect(job.code == 0 && !job.out.isEmpty, "\(job.err)")
        let log = try box.run(["log"], environment: env)
        #expect(log.code == 0 && log.out.contains("recipient added"))
        #expect(try box.run(["info"], environment: env).out.contains("format:       version 2"))
        // Nothing in clear in the database: no GSTIN, user id or password in any row.
        let dump = try server.sql(
            "SELECT encode(header, 'escape') || encode(manifest, 'escape') FROM nicvault_vault "
                + "UNION ALL SELECT encode(sealed, 'escape') FROM nicvault_record")
        #expect(!dump.contains("27AABCD1234E1Z8") && !dump.contains("KAVERI"))
        // Only the records that changed are written: the last save (recipient add) wrote the log record alone (the
        // recipient is in the manifest's index), a rotation the credential and the log.
        let saves = try server.sql("SELECT records_written FROM nicvault_audit ORDER BY seq").split(separator: "\n")
        #expect(saves.last == "1", "\(saves)")
        #expect(saves.dropFirst().allSatisfy { $0 == "1" || $0 == "2" }, "\(saves)")
        // A removal deletes the credential's row and lists the others in the vault row; they all still open.
        func count(_ statement: String) throws -> Int {
            Int(try server.sql(statement).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        }
        let stored = try count("SELECT count(*) FROM nicvault_record")
        #expect(try box.run(["remove", "27AABCD1234E1Z8", "--yes"], environment: env).code == 0)
        #expect(try count("SELECT count(*) FROM nicvault_record") == stored - 1, "\(stored)")
        #expect(try count("SELECT length(record_order) / 16 FROM nicvault_vault") == stored - 1)
        let after = try box.run(["list"], environment: env)
        #expect(after.code == 0 && !after.out.contains("27AABCD1234E1Z8") && after.out.contains("29AACCK5521H1ZK"))
    }

    @Test func aRotationKilledOnOneMachineIsResumedFromAnother() throws {
        let server = try PostgresServer()
        let (first, env) = try storeWithVault(server)
        #expect(try first.run(["register", "27AABCD1234E1Z8", "--otp-from-outbox"], environment: env).code == 0)
        // Both machines talk to the same portal: the first machine's sandbox state file.
        let portal = ["--sandbox-state", first.root + "/state/nicvault/sandbox-portal.json"]
        let killed = try first.run(
            ["rotate", "27AABCD1234E1Z8"] + portal,
            environment: env.merging(["NICVAULT_TEST_CRASH_AT": "submitted"]) {
                $1
            })
        #expect(killed.code != 0)
        // Another machine: its own home and state, the same store, the same passphrase.
        let second = CLISandbox()
        let secondEnv = ["NICVAULT_STORE": server.url, "NICVAULT_PASSPHRASE_FILE": first.passphraseFile]
        #expect(try second.run(["list"], environment: secondEnv).out.contains("rotation pending since"))
        let resumed = try second.run(["rotate", "27AABCD1234E1Z8", "--resume"] + portal, environment: secondEnv)
        #expect(resumed.code == 0, "\(resumed.err)")
        #expect(try second.run(["rotate", "27AABCD1234E1Z8"] + portal, environment: secondEnv).code == 0)
        #expect(!(try first.run(["list"], environment: env).out.contains("pending")))
    }

    @Test func anAdministratorWithoutTheKeyCannotSwapReplayDropOrRollBack() throws {
        let server = try PostgresServer()
        let (box, env) = try storeWithVault(server)
        for gstin in ["27AAPFU0939F1ZV", "29AAGCB7383J1Z4", "07AAACI1681G1ZQ"] {
            let added = try box.run(
                ["add", gstin, "--kind", "portal", "--env", "sandbox", "--user-id", "USER" + gstin.prefix(6)],
                environment: env, stdin: "Pw@\(gstin.prefix(8))x\n")
            #expect(added.code == 0, "\(added.err)")
        }
        try server.sql("CREATE TABLE old_record AS SELECT * FROM nicvault_record")
        try server.sql("CREATE TABLE old_vault AS SELECT * FROM nicvault_vault")
        #expect(try box.run(["set", "29AAGCB7383J1Z4", "--every", "30d"], environment: env).code == 0)
        try server.sql("CREATE TABLE good_record AS SELECT * FROM nicvault_record")
        // show reads one record row through the lookup file (written by the first show): whatever the
        // administrator does to the rows, it answers with the stored password or refuses, never another value.
        let show = ["show", "29AAGCB7383J1Z4", "--field", "password"]
        let good = try box.run(show, environment: env)
        #expect(good.code == 0 && !good.out.isEmpty)
        #expect(try box.run(show, environment: env).out == good.out)
        #expect(try FileManager.default.contentsOfDirectory(atPath: box.root + "/cache/nicvault/lookup").count == 1)
        let export = ["export", "--profile", "json", "--output", box.root + "/out.json"]
        func refused(_ what: String, codes: Set<Int32> = [3]) throws {
            let shown = try box.run(show, environment: env)
            #expect(
                codes.contains(shown.code) || (shown.code == 0 && shown.out == good.out),
                "\(what): show exit \(shown.code) \(shown.err)")
            let done = try box.run(export, environment: env)
            #expect(codes.contains(done.code), "\(what): exit \(done.code) \(done.err)")
            // The advice is the database's (restore it), never the file's (there is no .bak in a database).
            #expect(!done.err.contains(".bak"), "\(what): \(done.err)")
            #expect(!FileManager.default.fileExists(atPath: box.root + "/out.json"), "\(what)")
            try server.sql("DELETE FROM nicvault_record")
            try server.sql("INSERT INTO nicvault_record SELECT * FROM good_record")
            #expect(try box.run(export + ["--dry-run"], environment: env).code == 0, "restored after \(what)")
        }
        // Two records' bytes swapped.
        try server.sql(
            """
            WITH two AS (SELECT id, sealed, version, row_number() OVER (ORDER BY id) AS n FROM nicvault_record)
            UPDATE nicvault_record r SET sealed = b.sealed, version = b.version FROM two a, two b
            WHERE r.id = a.id AND ((a.n = 1 AND b.n = 2) OR (a.n = 2 AND b.n = 1))
            """)
        try refused("records swapped")
        // A record replayed: the changed credential's previous version put back.
        try server.sql(
            """
            UPDATE nicvault_record r SET sealed = o.sealed, version = o.version FROM old_record o
            WHERE r.id = o.id AND r.version <> o.version
            """)
        try refused("a record rolled back")
        // Records' bytes edited in place (same ids and versions): found when a record is read (every one here,
        // since which row is which credential is sealed), not at open; the advice is the database's.
        try server.sql("UPDATE nicvault_record SET sealed = overlay(sealed PLACING '\\xff'::bytea FROM 80 FOR 1)")
        let edited = try box.run(["list"], environment: env)
        #expect(edited.code == 3 && edited.err.contains("restore the database"), "\(edited.err)")
        // A command that decodes the whole vault (every client and credential: info counts them) reports it the
        // same way.
        let whole = try box.run(["info"], environment: env, killAfter: 30)
        #expect(whole.code == 3 && whole.err.contains("restore the database"), "\(whole.code) \(whole.err)")
        try refused("a record edited in place")
        // A record dropped.
        try server.sql("DELETE FROM nicvault_record WHERE id = (SELECT id FROM nicvault_record ORDER BY id LIMIT 1)")
        try refused("a record dropped")
        // The vault row rolled back to an earlier generation, with its records: the rollback memory says so.
        try server.sql("DELETE FROM nicvault_record")
        try server.sql("INSERT INTO nicvault_record SELECT * FROM old_record")
        try server.sql(
            """
            UPDATE nicvault_vault v SET generation = o.generation, header = o.header, manifest = o.manifest,
            record_order = o.record_order FROM old_vault o WHERE v.id = o.id
            """)
        let rolledBack = try box.run(["list"], environment: env)
        #expect(rolledBack.code == 4 && rolledBack.err.contains("back in time"), "\(rolledBack.err)")
        // So does a command that reads the header alone (the header it read before the rollback memory is behind
        // it: read again, and refused).
        let shownBack = try box.run(show, environment: env)
        #expect(shownBack.code == 4 && shownBack.err.contains("back in time"), "\(shownBack.err)")
    }

    @Test func concurrentWritersLoseNothing() throws {
        let server = try PostgresServer()
        let (box, env) = try storeWithVault(server)
        let gstins = ["27AAPFU0939F1ZV", "29AAGCB7383J1Z4", "07AAACI1681G1ZQ", "24ABCPP4455Q1Z6"]
        for gstin in gstins {
            #expect(
                try box.run(
                    ["add", gstin, "--kind", "portal", "--env", "sandbox", "--user-id", "U" + gstin.prefix(6)],
                    environment: env, stdin: "Pw@\(gstin.prefix(8))x\n"
                ).code == 0)
        }
        let generation = { () throws -> Int in Int(try server.sql("SELECT generation FROM nicvault_vault")) ?? 0 }
        let start = try generation()
        // Four processes, each changing its own credential five times, at once.
        let changes = 5
        let group = DispatchGroup()
        let failures = ManagedCounter()
        for gstin in gstins {
            group.enter()
            DispatchQueue.global().async {
                defer { group.leave() }
                for days in 1...changes {
                    let done = try? box.run(["set", gstin, "--every", "\(days + 10)d"], environment: env)
                    if done?.code != 0 { failures.add() }
                }
            }
        }
        group.wait()
        #expect(failures.value == 0)
        #expect(try generation() == start + gstins.count * changes)
        let listed = try box.run(["list", "--json"], environment: env)
        for gstin in gstins {
            let shown = try box.run(["show", gstin, "--json"], environment: env)
            #expect(shown.out.contains("\"rotationDays\" : \(changes + 10)"), "\(gstin): \(shown.out)")
        }
        #expect(listed.code == 0)
    }

    @Test func storeCopyMovesTheSameVaultBothWaysAndAJobRoleCannotWrite() throws {
        let server = try PostgresServer()
        let box = CLISandbox()
        try box.initVault()
        let file = ["--vault", box.vault, "--passphrase-file", box.passphraseFile]
        #expect(try box.run(["register", "27AABCD1234E1Z8", "--otp-from-outbox"] + file).code == 0)
        let original = [UInt8](try #require(FileManager.default.contents(atPath: box.vault)))
        let env = ["NICVAULT_STORE": server.url, "NICVAULT_PASSPHRASE_FILE": box.passphraseFile]
        #expect(try box.run(["store", "init"], environment: env).code == 0)
        let copied = try box.run(["store", "copy", "--from", box.vault, "--to", server.url])
        #expect(copied.code == 0, "\(copied.err)")
        #expect(try box.run(["store", "copy", "--from", box.vault, "--to", server.url]).code == 4)  // not twice
        #expect(try box.run(["show", "27AABCD1234E1Z8"], environment: env).code == 0)
        let back = box.root + "/back/vault.nicv"
        #expect(try box.run(["store", "copy", "--from", server.url, "--to", back]).code == 0)
        #expect([UInt8](try #require(FileManager.default.contents(atPath: back))) == original)

        // A read-only role for jobs: it reads, and its write fails with the server's reason.
        try server.sql("CREATE ROLE job LOGIN")
        try server.sql("GRANT SELECT ON nicvault_schema, nicvault_vault, nicvault_record TO job")
        let jobEnv = [
            "NICVAULT_STORE": server.url.replacingOccurrences(of: "nicvault@", with: "job@"),
            "NICVAULT_PASSPHRASE_FILE": box.passphraseFile,
        ]
        #expect(try box.run(["show", "27AABCD1234E1Z8"], environment: jobEnv).code == 0)
        let write = try box.run(["set", "27AABCD1234E1Z8", "--every", "30d"], environment: jobEnv)
        #expect(write.code == 1 && write.err.contains("permission denied"), "\(write.err)")
        #expect(write.err.contains("a job's read-only role cannot change the vault"), "\(write.err)")
        #expect(
            try box.run(["show", "27AABCD1234E1Z8", "--json"], environment: env).out.contains("\"rotationDays\" : 90"))
    }
}

extension PostgresCLITests {
    /// A connection the server closed between two operations of one command (a restart, a failover, a
    /// terminated backend) is replaced before anything is sent on it. postgres-nio writes a query to a closed
    /// connection without failing it: before, the second operation waited for the time-out (30 s) and failed.
    @Test func aConnectionTheServerClosedIsReplacedNotWaitedOn() throws {
        let server = try PostgresServer()
        let (_, _) = try storeWithVault(server)
        let store = PostgresVaultStore(
            url: try StoreURL(server.url), checks: OpenChecks(rollbackMemory: nil), flowLockFolder: "",
            password: nil)
        #expect(try store.exists())
        try server.sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'nicvault' "
                + "AND pid <> pg_backend_pid() AND backend_type = 'client backend'")
        Thread.sleep(forTimeInterval: 0.3)  // the closing reaches the client
        #expect(try store.exists())
        _ = try store.currentHeader()
    }

    /// A command reads the vault row and a listing of the record rows when it opens, and a record's bytes when
    /// it reads that record (by id and version). A record another process changed in between is "changed by
    /// another process, run it again" (exit 4), never damage; one nobody changed reads as it was.
    @Test func aRecordChangedAfterTheOpenIsAConflictNotDamage() throws {
        let server = try PostgresServer()
        let (box, env) = try storeWithVault(server)
        for gstin in ["27AAPFU0939F1ZV", "29AAGCB7383J1Z4"] {
            let added = try box.run(
                ["add", gstin, "--kind", "portal", "--env", "sandbox", "--user-id", "USER" + gstin.prefix(6)],
                environment: env, stdin: "Pw@\(gstin.prefix(8))x\n")
            #expect(added.code == 0, "\(added.err)")
        }
        let store = PostgresVaultStore(
            url: try StoreURL(server.url), checks: OpenChecks(rollbackMemory: nil), flowLockFolder: "",
            password: nil)
        let vault = try Vault.open(
            store: store, unlocker: .passphrase(SecureBytes(copying: Array(CLISandbox.passphrase.utf8))))
        // Another process changes one credential after this open.
        #expect(try box.run(["set", "29AAGCB7383J1Z4", "--every", "30d"], environment: env).code == 0)
        let changed = try GSTIN(parsing: "29AAGCB7383J1Z4", environment: .sandbox)
        #expect {
            _ = try vault.credential(gstin: changed)
        } throws: { error in
            guard case StoreError.vaultReplaced = error else { return false }
            return true
        }
        let untouched = try vault.credential(gstin: GSTIN(parsing: "27AAPFU0939F1ZV", environment: .sandbox))
        #expect(untouched.userID == "USER27AAPF")
    }

    @Test func aServerThatNeverAnswersIsAClearFailureNotAHang() throws {
        // A listening socket that accepts and never says a word.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var listening = true
        defer { if listening { close(fd) } }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        _ = listen(fd, 8)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        let port = Int(UInt16(bigEndian: address.sin_port))
        let box = CLISandbox()
        let started = Date()
        let done = try box.run(
            ["list"],
            environment: [
                "NICVAULT_STORE": "postgresql://x@127.0.0.1:\(port)/db?sslmode=disable",
                "NICVAULT_STORE_TIMEOUT": "2",
            ], killAfter: 60)
        #expect(done.code == 1 && done.err.contains("did not answer"), "\(done.code) \(done.err)")
        #expect(Date().timeIntervalSince(started) < 30)

        // Nothing listens there any more: said in plain words, not as NIO's account of the socket.
        close(fd)
        listening = false
        let refused = try box.run(
            ["list"], environment: ["NICVAULT_STORE": "postgresql://x@127.0.0.1:\(port)/db?sslmode=disable"],
            killAfter: 60)
        #expect(refused.code == 1, "\(refused.err)")
        #expect(refused.err.contains(": connection refused (is the server running and listening there?)"))
        #expect(!refused.err.contains("errno") && !refused.err.contains("connectionError"), "\(refused.err)")
    }
}

/// A thread-safe counter for the concurrent writers.
final class ManagedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
