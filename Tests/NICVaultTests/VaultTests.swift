import FormatVectors
import Foundation
import GST
import NICVault
import SealedFile
import Sodium
import TestSupport
import Testing

private let pass = "correct horse battery staple"

private func makeVault(_ folder: String, clock: TestClock = TestClock()) throws -> Vault {
    let store = VaultStore(
        path: folder + "/v.nicv", rollbackMemory: RollbackMemory(directory: folder + "/state"), lockTimeout: 5)
    return try Vault.create(
        store: store, passphrase: SecureBytes(copying: Array(pass.utf8)), parameters: .interactive, clock: clock)
}

private func temporaryFolder() -> String {
    let path = NSTemporaryDirectory() + "nicvault-vault-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

private func credential(
    _ gstin: String, kind: CredentialKind = .portal, environment: Environment = .sandbox, at time: Timestamp
) throws -> Credential {
    Credential(
        environment: environment, gstin: try GSTIN(parsing: gstin, environment: environment), kind: kind,
        legalName: "Demo Traders Private Limited", userID: "DEMOTRAD274821", password: secret("Xk7@pQ2mRt9#vLw"),
        createdAt: time)
}

@Suite("the credential vault")
struct VaultTests {
    @Test func oneCredentialVectorDecodesToTheRecord() throws {
        let vector = try FormatVectors.positives()[1]
        let opened = try VaultFormat.open(vector.bytes, with: .passphrase(SecureBytes(copying: Array(pass.utf8))))
        let payload = try VaultPayload.decode(opened.payload!)
        #expect(payload.schema == 1)
        let record = try #require(payload.credentials.first)
        #expect(record.gstin.value == "27AAPFU0939F1ZV")
        #expect(record.kind == .portal && record.environment == .sandbox)
        #expect(record.password == secret("Xk7@pQ2mRt9#vLw"))
        #expect(record.dueAt == Timestamp(iso8601: "2027-02-24T00:00:00Z")!)
        // And nicvault writes exactly the bytes of the vector.
        let written = try payload.sealedBytes()
        #expect(written.withUnsafeBytes { String(decoding: $0, as: UTF8.self) } == FormatVectors.oneCredentialPayload)
        let empty = try VaultPayload().sealedBytes()
        #expect(empty.withUnsafeBytes { String(decoding: $0, as: UTF8.self) } == FormatVectors.emptyPayload)
    }

    @Test func addLookUpUpdateRemove() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let clock = TestClock()
        var vault = try makeVault(folder, clock: clock)
        let added = try vault.add(credential("27AAPFU0939F1ZV", at: vault.now))
        #expect(added.version == 1)
        let gstin = try GSTIN(parsing: "27AAPFU0939F1ZV", environment: .sandbox)
        #expect(try vault.credential(gstin: gstin).userID == "DEMOTRAD274821")

        clock.advance(days: 5)
        let updated = try vault.update(added.key, expectedVersion: 1) { record in
            record.replacePassword(with: secret("New@Password77"), at: clock.now())
        }
        #expect(updated.version == 2)
        #expect(updated.retired.count == 1)

        // Reopened from disk with the passphrase, the change is there.
        let reopened = try Vault.open(
            store: vault.store, unlocker: .passphrase(SecureBytes(copying: Array(pass.utf8))), clock: clock)
        #expect(try reopened.credential(gstin: gstin).password == secret("New@Password77"))
        #expect(try reopened.info.credentials == 1)

        try vault.remove(added.key, expectedVersion: 2)
        #expect(try vault.credentials().isEmpty)
        #expect(throws: VaultError.notFound("27AAPFU0939F1ZV")) { try vault.credential(gstin: gstin) }
    }

    @Test func secondCredentialForTheSameKeyIsRefused() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var vault = try makeVault(folder)
        try vault.add(credential("27AAPFU0939F1ZV", at: vault.now))
        #expect(throws: VaultError.self) { try vault.add(credential("27aapfu0939f1zv", at: vault.now)) }
        // Another kind or environment is another credential.
        try vault.add(credential("27AAPFU0939F1ZV", kind: .api, at: vault.now))
        try vault.add(credential("27AAPFU0939F1ZV", environment: .production, at: vault.now))
        #expect(try vault.credentials().count == 3)
    }

    @Test func ambiguousLookUpSaysHowToChoose() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var vault = try makeVault(folder)
        try vault.add(credential("27AAPFU0939F1ZV", at: vault.now))
        try vault.add(credential("27AAPFU0939F1ZV", kind: .api, at: vault.now))
        let gstin = try GSTIN(parsing: "27AAPFU0939F1ZV", environment: .sandbox)
        do {
            _ = try vault.credential(gstin: gstin)
            Issue.record("an ambiguous look-up returned a credential")
        } catch let error as VaultError {
            #expect(error.description.contains("--kind"))
            #expect(error.description.contains("2 credentials"))
        }
        #expect(try vault.credential(gstin: gstin, kind: .api).kind == .api)
    }

    /// The index is read as bytes; what it refuses is still said in words (entry, environment, kind, GSTIN).
    @Test func aMalformedIndexIsRefusedInWords() throws {
        let record = #"{"createdAt":"2026-01-01T00:00:00Z"}"#
        let cases: [(index: String, says: String)] = [
            (
                #"[["credential","sandbox","27AAPFU0939F1ZV","portal","extra"]]"#,
                "index entry credential with more fields"
            ),
            (#"[["credential","staging","27AAPFU0939F1ZV","portal"]]"#, "unknown environment or kind"),
            (#"[["credential","sandbox","27AAPFU0939F1ZV","admin"]]"#, "unknown environment or kind"),
            (#"[["secret","sandbox"]]"#, "unknown index entry"),
            (#"[["credential","sandbox","00AAPFU0939F1ZV","portal"]]"#, "state code"),
        ]
        for (entries, says) in cases {
            let folder = temporaryFolder()
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let store = VaultStore(path: folder + "/v.nicv", rollbackMemory: nil)
            let index = #"{"records":"# + entries + #","schema":1,"settings":{"defaultRotationDays":90}}"#
            try store.create(
                .records(
                    index: .new(try SecureBytes(copying: Array(index.utf8))),
                    records: [.seal(id: RecordSet.newID(), plaintext: try SecureBytes(copying: Array(record.utf8)))])
            ) { key, id in
                [
                    try PassphraseSlot(
                        wrapping: key, passphrase: SecureBytes(copying: Array(pass.utf8)), parameters: .interactive,
                        vaultID: id)
                ]
            }
            do {
                _ = try Vault.open(store: store, unlocker: .passphrase(SecureBytes(copying: Array(pass.utf8))))
                Issue.record("\(entries) opened")
            } catch {
                #expect("\(error)".contains(says), "\(entries): \(error)")
            }
        }
    }

    @Test func staleVersionIsAConflictAndNothingIsLost() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var first = try makeVault(folder)
        let added = try first.add(credential("27AAPFU0939F1ZV", at: first.now))
        // A second process opened the vault at the same time.
        var second = try Vault.open(store: first.store, unlocker: .passphrase(SecureBytes(copying: Array(pass.utf8))))
        try first.update(added.key, expectedVersion: 1) { $0.userID = "WINNER270001" }
        #expect(throws: VaultError.conflict(added.key.description, expected: 1, actual: 2)) {
            try second.update(added.key, expectedVersion: 1) { $0.userID = "LOSER2700002" }
        }
        let final = try Vault.open(store: first.store, unlocker: .passphrase(SecureBytes(copying: Array(pass.utf8))))
        #expect(try final.credentials().first?.userID == "WINNER270001")
        #expect(try final.credentials().first?.version == 2)
    }

    @Test func clientsAreReferencedByName() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var vault = try makeVault(folder)
        var record = try credential("27AAPFU0939F1ZV", kind: .api, at: vault.now)
        record.client = "demo-gsp"
        #expect(throws: VaultError.clientNotFound("demo-gsp")) { try vault.add(record) }
        try vault.addClient(
            APIClient(
                name: "demo-gsp", environment: .sandbox, issuer: "Demo GSP", clientID: "AAACD29GSPB5H8G",
                clientSecret: secret("client-secret-1"), createdAt: vault.now))
        try vault.add(record)
        #expect(throws: VaultError.self) { try vault.removeClient(named: "demo-gsp", environment: .sandbox) }
        #expect(try vault.client(named: "demo-gsp", environment: .sandbox).clientSecret == secret("client-secret-1"))
    }

    @Test func clientRulesLiveInTheVault() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var vault = try makeVault(folder)
        func client(_ name: String) -> APIClient {
            APIClient(
                name: name, environment: .sandbox, issuer: "direct", clientID: "AAACD29GSPB5H8G",
                clientSecret: secret("client-secret-1"), createdAt: vault.now)
        }
        for bad in ["", "two words", "semi;colon", "slash/name"] {
            #expect(throws: VaultError.badClientName(bad)) { try vault.addClient(client(bad)) }
        }
        try vault.addClient(client("erp-keys_2.0"))
        var record = try credential("27AAPFU0939F1ZV", kind: .api, at: vault.now)
        try vault.add(record)
        // The client of a credential: refused with what to do when none is linked.
        #expect(
            throws: VaultError.noClientLinked(record.key.description, gstin: "27AAPFU0939F1ZV", environment: "sandbox")
        ) {
            try vault.client(of: record)
        }
        #expect(throws: VaultError.clientNotFound("nope")) {
            try vault.linkClient(record.key, to: "nope", expectedVersion: 1)
        }
        record = try vault.linkClient(record.key, to: "erp-keys_2.0", expectedVersion: 1)
        #expect(try vault.client(of: record).name == "erp-keys_2.0")
        record = try vault.linkClient(record.key, to: nil, expectedVersion: record.version)
        #expect(record.client == nil && record.version == 3)
    }

    @Test func theDefaultIntervalReachesTheCredentialsAskedFor() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var vault = try makeVault(folder)
        try vault.add(try credential("27AAPFU0939F1ZV", at: vault.now))
        var other = try credential("29AACCK5521H1ZK", at: vault.now)
        other.rotationDays = 60
        try vault.add(other)
        let changing = try vault.credentials(notEvery: 60, kind: nil, environment: nil)
        #expect(changing.map(\.gstin.value) == ["27AAPFU0939F1ZV"])
        try vault.setDefaultRotation(days: 60, alsoFor: changing)
        #expect(vault.settings.defaultRotationDays == 60)
        #expect(try vault.credentials().map(\.rotationDays) == [60, 60])
        #expect(try vault.credentials().map(\.version) == [2, 1])
        try vault.setDefaultRotation(days: 30, alsoFor: [])
        #expect(try vault.credentials().map(\.rotationDays) == [60, 60])
    }

    /// Credentials come in key order (GSTIN, then environment, then kind, each as `<` sorts it), whatever order
    /// they were added in: the index sorts them as packed integers, which must agree with `<`.
    @Test func credentialsComeInKeyOrderWhateverTheOrderAdded() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var vault = try makeVault(folder)
        var bodies: [String] = []
        for (state, letter) in zip(["29", "01", "27", "07", "33", "27", "10"], ["Q", "A", "Z", "M", "A", "B", "Z"]) {
            for digits in ["9012", "0001", "4821"] { bodies.append(state + "AAB\(letter)D\(digits)E1Z") }
        }
        var added: [CredentialKey] = []
        for (index, body) in bodies.enumerated() {
            let gstin = body + String(GSTIN.checkCharacter(for: body))
            // Every third GSTIN in all four environments and kinds, the others in one of them.
            let combinations: [(Environment, CredentialKind)] =
                index % 3 == 0
                ? [(.sandbox, .portal), (.production, .api), (.sandbox, .api), (.production, .portal)]
                : [index % 2 == 0 ? (.production, .portal) : (.sandbox, .api)]
            for (environment, kind) in combinations {
                let stored = try vault.add(credential(gstin, kind: kind, environment: environment, at: vault.now))
                added.append(stored.key)
            }
        }
        #expect(added != added.sorted())
        #expect(try vault.credentials().map(\.key) == added.sorted())
        #expect(try vault.summaries().map(\.gstin) == added.sorted().map(\.gstin.value))
        #expect(
            try vault.credentials(environment: .production).map(\.key)
                == added.filter { $0.environment == .production }.sorted())
    }

    @Test func registerAndRotateRefusalsAreTheLedgers() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let ledger = VaultLedger(vault: try makeVault(folder))
        let record = try credential("27AAPFU0939F1ZV", at: ledger.vault.now)
        #expect(try ledger.registration(of: record.key, settling: false) == nil)
        #expect(throws: VaultError.noPendingRegistration(record.key.description)) {
            try ledger.registration(of: record.key, settling: true)
        }
        let staged = try ledger.stage(record)
        #expect(try ledger.registration(of: record.key, settling: true)?.userID == record.userID)
        #expect(
            throws: VaultError.registrationPending(
                record.key.description, since: "\(staged.pendingSince!)", gstin: "27AAPFU0939F1ZV")
        ) { try ledger.registration(of: record.key, settling: false) }
        _ = try ledger.commitPending(record.key)
        #expect(throws: VaultError.alreadyExists("a credential for \(record.key)")) {
            try ledger.registration(of: record.key, settling: false)
        }
        // Settled by someone else while a flow still had it pending: a conflict, said as such.
        #expect(throws: VaultError.noLongerPending(record.key.description)) { try ledger.commitPending(record.key) }
        #expect(VaultError.noLongerPending("x").description.contains("another process settled or removed it"))
        #expect(throws: VaultError.noPendingRotation(record.key.description)) {
            try ledger.pendingRotation(record.key)
        }
    }

    @Test func aSessionLastsFromASecondToADay() {
        #expect(SessionStore.lifetime("15m") == 900)
        #expect(SessionStore.lifetime("90") == 5400)
        #expect(SessionStore.lifetime("2h") == 7200)
        #expect(SessionStore.lifetime("1s") == 1)
        #expect(SessionStore.lifetime("24h") == 86_400)
        for refused in ["", "0", "0m", "-5m", "25h", "86401s", "1441", "2d", "h", "9223372036854775807h"] {
            #expect(SessionStore.lifetime(refused) == nil, "\(refused)")
        }
    }

    @Test func theLogSaysWhatHappenedToEachCredential() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var vault = try makeVault(folder)
        let first = try vault.add(try credential("27AAPFU0939F1ZV", at: vault.now))
        let other = try vault.add(try credential("27AAPFU0939F1ZV", kind: .api, at: vault.now))
        try vault.setRotationDays(first.key, days: 30, expectedVersion: first.version)
        let log = try vault.logEntries()
        #expect(log == (try vault.payload.log))
        #expect(log.filter { $0.isAbout(first.key) }.count == 2)
        #expect(log.filter { $0.isAbout(other.key) }.count == 1)
        #expect(log.filter { $0.mentions(first.gstin) }.count == 3)
        #expect(VaultPayload.firstBroken(in: log) == nil)
        var edited = log
        edited[1].subject += " (edited)"
        #expect(VaultPayload.firstBroken(in: edited) == 1)
    }

    @Test func unknownPayloadSchemaIsRefused() throws {
        let json = #"{"schema":2,"credentials":[],"clients":[],"settings":{"defaultRotationDays":90}}"#
        #expect(throws: VaultError.unsupportedSchema(2)) {
            try VaultPayload.decode(SecureBytes(copying: Array(json.utf8)))
        }
    }

    @Test func passphraseChangeKeepsCredentialsAndRecipients() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var vault = try makeVault(folder)
        try vault.add(credential("27AAPFU0939F1ZV", at: vault.now))
        let machine = try X25519PrivateKey()
        try vault.addRecipient(machine.publicKey, label: "machine")
        try vault.changePassphrase(to: SecureBytes(copying: Array("a new long passphrase".utf8)))
        #expect(throws: SealedFileError.wrongPassphrase) {
            try Vault.open(store: vault.store, unlocker: .passphrase(SecureBytes(copying: Array(pass.utf8))))
        }
        let byPassphrase = try Vault.open(
            store: vault.store, unlocker: .passphrase(SecureBytes(copying: Array("a new long passphrase".utf8))))
        #expect(try byPassphrase.credentials().count == 1)
        let byMachine = try Vault.open(store: vault.store, unlocker: .identity(machine))
        #expect(try byMachine.credentials().count == 1)
        #expect(try byMachine.info.slots.map(\.type) == ["passphrase", "x25519"])
        try vault.rekey(passphrase: SecureBytes(copying: Array("a new long passphrase".utf8)), removing: "machine")
        #expect(throws: SealedFileError.notARecipient) {
            try Vault.open(store: vault.store, unlocker: .identity(machine))
        }
    }

    @Test func vaultFileNeverHoldsAPasswordInPlainText() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var vault = try makeVault(folder)
        try vault.add(credential("27AAPFU0939F1ZV", at: vault.now))
        for file in [vault.store.location, vault.store.backupLocation!] {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
            #expect(bytes.range(of: Data("Xk7@pQ2mRt9#vLw".utf8)) == nil)
            #expect(bytes.range(of: Data("DEMOTRAD274821".utf8)) == nil)
        }
    }
}

@Suite("the payload decoder")
struct PayloadDecoderTests {
    /// A payload with everything a credential can hold, hostile strings included.
    func rich() throws -> VaultPayload {
        let now = Timestamp(iso8601: "2026-11-26T05:39:25Z")!
        var credential = Credential(
            environment: .production, gstin: try GSTIN(parsing: "27AAPFU0939F1ZV", environment: .production),
            kind: .api, legalName: "Ünïcødé \"Quoted\" \\ Traders / ✓ 🚀", tradeName: "tab\there\nnewline",
            gsp: "GSP \u{1}control", userID: "USER_27", password: secret("p\"a\\s/s\u{8}\u{c}\n\r\t\u{7f}é🚀"),
            client: "c1", createdAt: now, rotationDays: 45)
        credential.staged = StagedPassword(password: secret("Staged@Pass1"), stagedAt: now.adding(days: 1))
        credential.pendingSince = now
        credential.rotatedAt = now.adding(days: 2)
        credential.retired = [RetiredPassword(password: secret("Old@Pass2024"), retiredAt: now)]
        credential.events = [CredentialEvent(version: 1, at: now, change: "added \"x\"")]
        credential.version = 7
        var client = APIClient(
            name: "c1", environment: .production, issuer: "direct", clientID: "ID1", clientSecret: secret("s\"e"),
            createdAt: now)
        client.publicKeyPEM = "-----BEGIN PUBLIC KEY-----\nABC\n-----END PUBLIC KEY-----\n"
        client.version = 3
        return VaultPayload(
            credentials: [credential], clients: [client], settings: VaultSettings(defaultRotationDays: 30))
    }

    @Test func agreesWithFoundationOnEverythingWeWrite() throws {
        let bytes = try rich().sealedBytes()
        let fast = try VaultPayload.decode(bytes)
        let reference = try VaultPayload.decodeWithFoundation(bytes)
        #expect(fast == reference)
        #expect(fast == (try rich()))
    }

    @Test func readsOtherWritersJSON() throws {
        // Whitespace, another key order, escaped forms, an unknown key: what another implementation may write.
        let json = """
            {
              "settings" : { "defaultRotationDays" : 60, "future" : [1, 2.5e3, {"x": null}] },
              "schema" : 1,
              "clients" : [ ],
              "credentials" : [ {
                "version" : 2, "userID" : "DEMO\\u0031", "rotationDays" : 90, "retired" : [ ],
                "password" : "caf\\u00e9 \\ud83d\\ude80 \\"q\\" \\/",
                "legalName" : "A", "kind" : "portal", "irp" : "NIC1", "gstin" : "27AAPFU0939F1ZV",
                "environment" : "sandbox", "createdAt" : "2026-11-26T00:00:00Z", "tradeName" : null,
                "unknownFlag" : true
              } ]
            }
            """
        let bytes = try SecureBytes(copying: Array(json.utf8))
        let fast = try VaultPayload.decode(bytes)
        #expect(fast == (try VaultPayload.decodeWithFoundation(bytes)))
        #expect(fast.credentials.first?.password == secret("café 🚀 \"q\" /"))
        #expect(fast.credentials.first?.userID == "DEMO1")
        #expect(fast.settings.defaultRotationDays == 60)
    }

    @Test(arguments: [
        "", "{", "[]", "{\"schema\":1}", "{\"schema\":1,\"credentials\":[],\"clients\":[],\"settings\":{}} x",
        "{\"schema\":1,\"credentials\":[{}],\"clients\":[],\"settings\":{}}",
        "{\"schema\":1,\"credentials\":[],\"clients\":[],\"settings\":{\"defaultRotationDays\":1.5}}",
        "{\"schema\":1,\"credentials\":[],\"clients\":[],\"settings\":{},\"x\":\"\\ud800\"}",
        "{\"schema\":1,\"credentials\":[],\"clients\":[],\"settings\":{},\"x\":\"a\u{1}b\"}",
    ])
    func refusesBrokenJSON(json: String) throws {
        #expect(throws: VaultError.self) { try VaultPayload.decode(SecureBytes(copying: Array(json.utf8))) }
    }
}

@Suite("the payload encoder")
struct PayloadEncoderTests {
    @Test func writesTheBytesFoundationWrites() throws {
        let payload = try PayloadDecoderTests().rich()
        let fast = try payload.sealedBytes().withUnsafeBytes { Array($0) }
        let reference = try payload.sealedBytesWithFoundation().withUnsafeBytes { Array($0) }
        #expect(String(decoding: fast, as: UTF8.self) == String(decoding: reference, as: UTF8.self))
        #expect(try VaultPayload.decode(payload.sealedBytes()) == payload)
        #expect(try VaultPayload.decodeWithFoundation(payload.sealedBytes()) == payload)
    }

    @Test func emptyPayloadIsTheDocumentedOne() throws {
        #expect(
            try VaultPayload().sealedBytes().withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
                == #"{"clients":[],"credentials":[],"schema":1,"settings":{"defaultRotationDays":90}}"#)
    }
}
