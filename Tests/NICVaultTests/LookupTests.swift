import Foundation
import GST
import SealedFile
import Sodium
import TestSupport
import Testing

@testable import NICVault

/// `Vault.readOne` and the lookup file (docs/format.md, "The lookup file"): a credential read alone when the
/// lookup file describes the very header on disk, the vault opened in full otherwise, and nothing in the lookup
/// file trusted that a holder of the key did not write.
@Suite("reading one credential through the lookup file")
struct LookupTests {
    let pass = "correct horse battery staple"

    final class Box {
        let folder: String
        let clock = TestClock()
        var vault: Vault
        var lookup: String { folder + "/cache/lookup" }
        var path: String { folder + "/v.nicv" }

        init(pass: String) throws {
            folder = NSTemporaryDirectory() + "nicvault-lookup-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            vault = try Vault.create(
                store: Box.store(folder), passphrase: SecureBytes(copying: Array(pass.utf8)),
                parameters: .interactive, clock: clock)
        }

        static func store(_ folder: String) -> VaultStore {
            VaultStore(
                path: folder + "/v.nicv", rollbackMemory: RollbackMemory(directory: folder + "/state"), lockTimeout: 5)
        }

        var store: VaultStore { Box.store(folder) }

        func read(_ gstin: String, kind: CredentialKind? = nil, access: VaultAccess? = nil) throws -> OneRead {
            try Vault.readOne(
                store: store, access: access ?? .key(vault.opened.key), lookup: lookup,
                gstin: TestSupport.gstin(gstin), kind: kind, environment: nil, clock: clock)
        }

        deinit { try? FileManager.default.removeItem(atPath: folder) }
    }

    func filled() throws -> Box {
        let box = try Box(pass: pass)
        try box.vault.addClient(
            APIClient(
                name: "demo-gsp", environment: .sandbox, issuer: "Demo GSP", clientID: "AACCT29GSPB5H8G",
                clientSecret: secret("client-secret-XYZ"), createdAt: box.clock.now()))
        for (index, text) in ["27AAPFU0939F1ZV", "29AAGCB1286Q1Z3", "07AAACI1681G1ZQ"].enumerated() {
            var credential = Credential(
                environment: .sandbox, gstin: gstin(text), kind: .portal, legalName: "Trader \(index)",
                userID: "USER\(index)", password: secret("Pass@word\(index)"), createdAt: box.clock.now())
            try box.vault.add(credential)
            credential = Credential(
                environment: .sandbox, gstin: gstin(text), kind: .api, legalName: "Trader \(index)",
                userID: "API\(index)", password: secret("Api@word\(index)"), client: "demo-gsp",
                createdAt: box.clock.now())
            try box.vault.add(credential)
        }
        return box
    }

    func lookedUp(_ read: OneRead) -> (Credential, APIClient?)? {
        if case .lookedUp(let credential, let client, _) = read { (credential, client) } else { nil }
    }

    /// Both ways of a read give the same credential, judged at the clock's time; none matching is an error either way.
    @Test func eitherReadGivesTheSameCredentialAndTime() throws {
        let box = try filled()
        let id = gstin("29AAGCB1286Q1Z3")
        var answers: [(Credential, Timestamp)] = []
        for _ in 0..<2 {
            box.clock.advance(days: 3)
            let read = try box.read(id.value, kind: .api)
            let (credential, log, now) = try read.credential(
                gstin: id, kind: .api, environment: nil, withLog: false, clock: box.clock)
            #expect(log.isEmpty && now == box.clock.now())
            answers.append((credential, now))
        }
        #expect(answers.map(\.0.userID) == ["API1", "API1"] && answers[0].1 != answers[1].1)
        let vaultRead = try box.read("27AAPFU0939F1ZV")  // two credentials: the full open
        #expect(throws: VaultError.self) {
            _ = try vaultRead.credential(gstin: gstin("27AAPFU0939F1ZV"), kind: nil, environment: nil)
        }
    }

    @Test func theFirstReadWritesTheLookupFileAndTheNextReadsOneRecord() throws {
        let box = try filled()
        guard case .vault = try box.read("29AAGCB1286Q1Z3", kind: .api) else {
            Issue.record("no lookup file yet, yet the read did not open the vault")
            return
        }
        let attributes = try FileManager.default.attributesOfItem(atPath: box.lookup)
        #expect(attributes[.posixPermissions] as? Int == 0o600)
        // No GSTIN, user id or name in it: tags are keyed hashes.
        let bytes = try #require(FileManager.default.contents(atPath: box.lookup))
        for word in ["29AAGCB1286Q1Z3", "API1", "demo-gsp", "credential"] {
            #expect(bytes.range(of: Data(word.utf8)) == nil)
        }
        let (credential, client) = try #require(lookedUp(try box.read("29AAGCB1286Q1Z3", kind: .api)))
        #expect(credential.userID == "API1" && credential.password == secret("Api@word1"))
        #expect(client?.clientSecret == secret("client-secret-XYZ"))
        // With the passphrase too (the key unwrapped from the header alone).
        let withPassphrase = try box.read(
            "07AAACI1681G1ZQ", kind: .portal, access: .unlocker(.passphrase(SecureBytes(copying: Array(pass.utf8)))))
        #expect(lookedUp(withPassphrase)?.0.userID == "USER2")
        // With the log (history): the log record read alone too, the same entries the full open gives.
        let read = try Vault.readOne(
            store: box.store, access: .key(box.vault.opened.key), lookup: box.lookup, gstin: gstin("29AAGCB1286Q1Z3"),
            kind: .api, environment: nil, withLog: true, clock: box.clock)
        guard case .lookedUp(_, _, let log?) = read else {
            Issue.record("the log was not read through the lookup file")
            return
        }
        #expect(log.map(\.hash) == (try box.vault.logEntries().map(\.hash)))
        #expect(log.contains { $0.subject.contains("29AAGCB1286Q1Z3") })
        // Two credentials match: the full open says so, as before.
        guard case .vault(let vault) = try box.read("07AAACI1681G1ZQ") else {
            Issue.record("an ambiguous read was answered from the lookup file")
            return
        }
        #expect(throws: VaultError.self) { try vault.credential(gstin: gstin("07AAACI1681G1ZQ")) }
    }

    @Test func aSaveMakesTheLookupFileStaleAndTheNextReadSeesTheChange() throws {
        let box = try filled()
        _ = try box.read("27AAPFU0939F1ZV", kind: .portal)
        #expect(lookedUp(try box.read("27AAPFU0939F1ZV", kind: .portal))?.0.password == secret("Pass@word0"))
        let key = CredentialKey(environment: .sandbox, gstin: gstin("27AAPFU0939F1ZV"), kind: .portal)
        try box.vault.update(key, expectedVersion: 1) {
            $0.replacePassword(with: secret("New@Pass77"), at: box.clock.now())
        }
        guard case .vault(let vault) = try box.read("27AAPFU0939F1ZV", kind: .portal) else {
            Issue.record("a lookup file of the previous generation answered")
            return
        }
        #expect(try vault.credential(gstin: gstin("27AAPFU0939F1ZV"), kind: .portal).password == secret("New@Pass77"))
        #expect(lookedUp(try box.read("27AAPFU0939F1ZV", kind: .portal))?.0.password == secret("New@Pass77"))
    }

    @Test func anEntryThatDoesNotVerifyIsAMissNeverAnAnswer() throws {
        let box = try filled()
        _ = try box.read("27AAPFU0939F1ZV", kind: .portal)
        let original = try #require(FileManager.default.contents(atPath: box.lookup))
        // Every byte of every entry, one at a time: the read never answers from an altered entry, and always
        // gives the stored credential.
        let entries = (original.count - 62) / 100
        for byte in stride(from: 62, to: original.count, by: 7) {
            var altered = original
            altered[byte] ^= 0x01
            try altered.write(to: URL(fileURLWithPath: box.lookup))
            let read = try box.read("27AAPFU0939F1ZV", kind: .portal)
            switch read {
            case .lookedUp(let credential, _, _):
                // Only an entry other than the one read may have been altered.
                #expect(credential.password == secret("Pass@word0"), "byte \(byte)")
            case .vault(let vault):
                #expect(
                    try vault.credential(gstin: gstin("27AAPFU0939F1ZV"), kind: .portal).password
                        == secret("Pass@word0"))
            }
        }
        #expect(entries == 8)  // six credentials, one client, the log
        // The lookup file of another vault, with its own key: a miss.
        let other = try filled()
        _ = try other.read("27AAPFU0939F1ZV", kind: .portal)
        try FileManager.default.removeItem(atPath: box.lookup)
        try FileManager.default.copyItem(atPath: other.lookup, toPath: box.lookup)
        guard case .vault = try box.read("27AAPFU0939F1ZV", kind: .portal) else {
            Issue.record("another vault's lookup file answered")
            return
        }
    }

    @Test func aRecordChangedUnderTheLookupFileIsDamageAndARollbackIsRefused() throws {
        let box = try filled()
        _ = try box.read("27AAPFU0939F1ZV", kind: .portal)
        let generation = try #require(FileManager.default.contents(atPath: box.path))
        let lookupThen = try #require(FileManager.default.contents(atPath: box.lookup))
        // A byte of one credential's record changed in place: the header is the same, so the lookup file still
        // describes it; the record read must be the one the manifest named, and is refused as damaged.
        let lookupKey = try LookupTable.key(from: box.vault.opened.key)
        let target = CredentialKey(environment: .sandbox, gstin: gstin("07AAACI1681G1ZQ"), kind: .api)
        let tag = LookupTable.tag(RecordIndex.lookupName(.credential(target)), key: lookupKey)
        let entryStart = try #require(
            stride(from: 62, to: lookupThen.count, by: 100).first { Array(lookupThen[$0..<($0 + 16)]) == tag })
        let offset = Data(lookupThen[(entryStart + 72)..<(entryStart + 80)]).reduce(0) { $0 << 8 | Int($1) }
        var damaged = generation
        damaged[offset + 60] ^= 0x01
        try damaged.write(to: URL(fileURLWithPath: box.path))
        // Never answered from the lookup file: the full open reads the record and says it is damaged.
        guard case .vault(let opened) = try box.read("07AAACI1681G1ZQ", kind: .api) else {
            Issue.record("a damaged record was answered")
            return
        }
        #expect(throws: SealedFileError.self) { try opened.credential(gstin: gstin("07AAACI1681G1ZQ"), kind: .api) }
        #expect(lookedUp(try box.read("27AAPFU0939F1ZV", kind: .portal))?.0.userID == "USER0")
        try generation.write(to: URL(fileURLWithPath: box.path))
        #expect(lookedUp(try box.read("07AAACI1681G1ZQ", kind: .api))?.0.userID == "API2")

        // The next generation seen, then the older file and its lookup file put back: refused as a rollback.
        let key = CredentialKey(environment: .sandbox, gstin: gstin("27AAPFU0939F1ZV"), kind: .portal)
        try box.vault.update(key, expectedVersion: 1) {
            $0.replacePassword(with: secret("New@Pass77"), at: box.clock.now())
        }
        _ = try box.read("27AAPFU0939F1ZV", kind: .portal)
        try generation.write(to: URL(fileURLWithPath: box.path))
        try lookupThen.write(to: URL(fileURLWithPath: box.lookup))
        #expect(throws: StoreError.self) { try box.read("27AAPFU0939F1ZV", kind: .portal) }
    }
}
