import Export
import Foundation
import GST
import NICCrypto
import NICVault
import Sodium
import TestSupport
import Testing

/// A fixed credential and client, so the outputs are byte-for-byte the same every run.
private func item(
    password: String = "Xk7@pQ2mRt9#vLw", environment: Environment = .sandbox, client: Bool = true,
    gstin text: String = "27AABCD1234E1Z8", gsp: String = "Demo GSP", kind: CredentialKind = .api
) -> ExportItem {
    var credential = Credential(
        environment: environment, gstin: try! GSTIN(parsing: text, environment: environment), kind: kind,
        legalName: "Demo Traders Private Limited", tradeName: "Demo Traders", gsp: gsp,
        userID: "DEMOTRAD274821", password: secret(password), client: client ? "demo-gsp" : nil,
        createdAt: Timestamp(iso8601: "2026-11-26T00:00:00Z")!)
    credential.version = 2
    let apiClient = APIClient(
        name: "demo-gsp", environment: environment, issuer: "Demo GSP", clientID: "AACCT29GSPB5H8G",
        clientSecret: secret("s3cret-Client-Key"), createdAt: Timestamp(iso8601: "2026-11-25T00:00:00Z")!)
    return ExportItem(credential: credential, client: client ? apiClient : nil)
}

private let pem =
    "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAtest\n-----END PUBLIC KEY-----"

private func exporter(_ profile: ExportProfile) -> Exporter {
    var options = ExportOptions(publicKeyPEM: pem, company: "Demo Traders Pvt Ltd")
    options.random = DeterministicRandom(label: "app key")
    return Exporter(profile: profile, options: options)
}

private let goldenFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

@Suite("export profiles")
struct ExportTests {
    @Test(arguments: ExportProfile.allCases)
    func goldenOutput(profile: ExportProfile) throws {
        // Each tool's own GSP (the gsp is not in any output).
        let gsp =
            profile == .odoo ? "BVM IT Consulting Services" : profile == .indiaCompliance ? "Adaequare" : "Demo GSP"
        let output = try exporter(profile).render([item(gsp: gsp)])
        let golden = goldenFolder.appendingPathComponent(profile.rawValue + ".golden")
        if ProcessInfo.processInfo.environment["NICVAULT_WRITE_GOLDEN"] == "1" {
            try Data(output.utf8).write(to: golden)
        }
        let expected = try String(contentsOf: golden, encoding: .utf8)
        #expect(output == expected, "\(profile.rawValue) differs from its golden file")
    }

    @Test func toolsWithAGSPRefuseOtherGSPsAndPortalLogins() throws {
        for profile in [ExportProfile.odoo, .indiaCompliance] {
            #expect(throws: ExportError.self) { try exporter(profile).check([item(gsp: "Demo GSP")]) }
            #expect(throws: ExportError.self) { try exporter(profile).check([item(gsp: "Adaequare", kind: .portal)]) }
        }
        try exporter(.indiaCompliance).check([item(gsp: "Adaequare Info Pvt Ltd")])
        try exporter(.odoo).check([item(gsp: "Tera Software Limited")])
        do {
            try exporter(.odoo).check([item(gsp: "Adaequare")])
        } catch let error as ExportError {
            #expect(error.description.contains("1018") && error.description.contains("BVM"))
        }
    }

    static let hostile = [
        #"it's "quoted""#, "dollar $HOME and ${HOME} and $(id)", "back`tick`", #"back\slash\\n"#, "hash # and = sign",
        "  spaces  around  ", "new\nline", "tab\there", "unicode पासवर्ड ✓", "'", "\\", "trailing backslash\\",
    ]

    @Test(arguments: hostile)
    func envProfileSurvivesARealShell(password: String) throws {
        let text = try exporter(.env).render([item(password: password)])
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("env-\(UUID().uuidString)")
        try Data(text.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        for shell in ["/bin/sh", "/bin/bash"] {
            let out = try run(shell, ["-c", ". \"$1\"; printf '%s' \"$NIC_PASSWORD\"", "sh", file.path])
            #expect(out == password, "\(shell) read back \(out.debugDescription)")
            let evaled = try run(
                shell, ["-c", "eval \"$(cat \"$1\")\"; printf '%s' \"$NIC_PASSWORD\"", "sh", file.path])
            #expect(evaled == password, "\(shell) eval read back \(evaled.debugDescription)")
        }
    }

    /// Values python-dotenv cannot read back in any notation: refused, never written wrong.
    static let notForDotenv = ["dollar ${HOME}", "${X}", " leading space and trailing backslash\\", "two\nlines\\"]

    @Test(arguments: notForDotenv)
    func dotenvRefusesWhatPythonDotenvCannotReadBack(password: String) throws {
        for profile in [ExportProfile.dotenv, .gstIRN] {
            #expect(throws: ExportError.self) { try exporter(profile).render([item(password: password)]) }
        }
        // The shell profile still carries it exactly.
        #expect(throws: Never.self) { try exporter(.env).render([item(password: password)]) }
    }

    @Test(arguments: hostile.filter { !$0.contains("${") } + ["unquoted\\", "bs\\'q"])
    func dotenvProfileSurvivesPythonDotenv(password: String) throws {
        for profile in [ExportProfile.dotenv, .gstIRN] {
            let text = try exporter(profile).render([item(password: password)])
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("dotenv-\(UUID().uuidString)")
            try Data(text.utf8).write(to: file)
            defer { try? FileManager.default.removeItem(at: file) }
            let key = profile == .dotenv ? "NIC_PASSWORD" : "API_PASSWORD"
            let script =
                "import sys, dotenv; v = dotenv.dotenv_values(sys.argv[1]); sys.stdout.write(v['\(key)'] + '\\x00' + v.get('PUBLIC_KEY', ''))"
            // Debian's Python with Debian's python3-dotenv, as on a stock Debian (make setup installs it).
            let out = try run("/usr/bin/python3", ["-c", script, file.path])
            let parts = out.split(separator: "\0", omittingEmptySubsequences: false).map(String.init)
            #expect(parts.first == password, "python-dotenv read back \(out.debugDescription)")
            if profile == .gstIRN { #expect(parts.last == pem) }
        }
    }

    @Test func refusals() throws {
        #expect(throws: ExportError.nothingSelected) { try exporter(.json).render([]) }
        #expect(throws: ExportError.mixedEnvironments) {
            try exporter(.json).render([item(), item(environment: .production, gstin: "27AAPFU0939F1ZV")])
        }
        #expect(throws: ExportError.oneCredentialOnly(profile: "env", count: 2)) {
            try exporter(.env).render([item(), item(gstin: "29AACCK5521H1ZK")])
        }
        let bare = item(client: false)
        for profile in [ExportProfile.gstIRN, .nicAuth] {
            #expect(throws: ExportError.self) { try exporter(profile).render([bare]) }
        }
        do {
            _ = try exporter(.nicAuth).render([bare])
        } catch let error as ExportError {
            #expect(error.description.contains("nicvault client add"))
        }
        #expect(throws: ExportError.companyMissing) {
            try Exporter(profile: .indiaCompliance).render([item()])
        }
        // Profiles that do not need a client take a credential without one.
        for profile in [ExportProfile.json, .env, .dotenv] {
            #expect(throws: Never.self) { try exporter(profile).render([bare]) }
        }
        #expect(throws: Never.self) { try exporter(.odoo).render([item(client: false, gsp: "BVM IT Consulting")]) }
    }

    @Test func nicAuthHasAFreshAppKeyOfThirtyTwoBytes() throws {
        let first = try Exporter(profile: .nicAuth).render([item()])
        let second = try Exporter(profile: .nicAuth).render([item()])
        #expect(first != second)
        let json = try JSONSerialization.jsonObject(with: Data(first.utf8)) as! [String: Any]
        let body = json["body"] as! [String: Any]
        #expect(Data(base64Encoded: body["AppKey"] as! String)?.count == 32)
        #expect(json["url"] as? String == "https://einv-apisandbox.nic.in/eivital/v1.04/auth")
        let production = try Exporter(profile: .nicAuth).render([
            item(environment: .production, gstin: "27AAPFU0939F1ZV")
        ])
        #expect(production.contains("https://api.einvoice1.gst.gov.in/eivital/v1.04/auth"))
    }

    @Test func nicAuthEncryptsWithTheGivenKeyElseTheClientsAndRefusesWithoutOne() throws {
        let (privatePEM, publicPEM) = try NICCrypto.generateRSAKeyPair()
        func encrypting(_ item: ExportItem, key: String?, profile: ExportProfile = .nicAuth) -> Exporter {
            var options = ExportOptions(publicKeyPEM: key)
            options.encrypt = true
            return Exporter(profile: profile, options: options)
        }
        var keyed = item().client!
        keyed.publicKeyPEM = publicPEM
        let withClientKey = ExportItem(credential: item().credential, client: keyed)
        for (chosen, key) in [(item(), publicPEM as String?), (withClientKey, nil)] {
            let text = try encrypting(chosen, key: key).render([chosen])
            #expect(!text.contains("Xk7@pQ2mRt9#vLw"))
            let json = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
            let sealed = Data(base64Encoded: (json["body"] as! [String: String])["Data"]!)!
            // What NIC decrypts: base64 of the JSON body, under RSA PKCS#1 v1.5.
            let opened = try NICCrypto.rsaDecrypt(Array(sealed), privateKeyPEM: privatePEM)
            let body = try JSONSerialization.jsonObject(with: Data(base64Encoded: Data(opened))!) as! [String: Any]
            #expect(body["Password"] as? String == "Xk7@pQ2mRt9#vLw")
            #expect(body["AppKey"] as? String == json["appKey"] as? String)
        }
        #expect(throws: ExportError.encryptNeedsPublicKey) { try encrypting(item(), key: nil).render([item()]) }
        #expect(throws: ExportError.encryptNeedsNICAuth) {
            try encrypting(item(), key: publicPEM, profile: .gstIRN).render([item()])
        }
    }

    /// The json export is written by the payload's own writers and laid out by hand; it must be the bytes
    /// Foundation's JSONEncoder writes (what the first release wrote), for every field and every awkward byte.
    @Test func jsonExportIsWhatJSONEncoderWrites() throws {
        struct Reference: Encodable {
            var format = "nicvault-export"
            var version = 1
            var environment: String
            var credentials: [Credential]
            var clients: [APIClient]
        }
        let at = Timestamp(iso8601: "2026-11-26T10:20:30Z")!
        var odd = item(password: "q\"uo\\te/sl\u{1}ash\té€𝄞 \n", gstin: "29AACCK5521H1ZK").credential
        odd.legalName = "Shrī Gaṇeśa \"Traders\" / \\ \u{7f}\u{1f}"
        odd.tradeName = nil
        odd.gsp = nil
        odd.staged = StagedPassword(password: secret("St@ged/Pass1\r"), stagedAt: at)
        odd.pendingSince = at
        odd.rotatedAt = at
        odd.retired = [
            RetiredPassword(password: secret("Old@Pass1"), retiredAt: at),
            RetiredPassword(password: secret("Maybe@Pass2"), retiredAt: at, unconfirmed: true, userID: "OTHER1"),
        ]
        odd.events = [CredentialEvent(version: 1, at: at, change: "added"), .init(version: 2, at: at, change: "x\"y")]
        var plain = item(client: false, gstin: "27AAPFU0939F1ZV", kind: .portal).credential
        plain.events = []
        var client = item().client!
        client.publicKeyPEM = pem
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // 1,600 credentials are written in one piece per core (RecordIndex.inSlices) and laid out piece by piece.
        let many = Array(repeating: [odd, plain], count: 800).flatMap { $0 }
        for (credentials, clients) in [
            ([odd, plain], [client]), ([plain], []), ([odd], [client, item().client!]), ([], [client]),
            (many, [client]),
        ] {
            let reference = Reference(environment: "sandbox", credentials: credentials, clients: clients)
            let expected = String(decoding: try encoder.encode(reference), as: UTF8.self) + "\n"
            let written = try ExportDocument.json(environment: .sandbox, credentials: credentials, clients: clients)
            #expect(written.withUnsafeBytes { String(decoding: $0, as: UTF8.self) } == expected)
        }
    }

    /// `list --json` is laid out by hand too; it must be what JSONEncoder writes for every field.
    @Test func listJSONIsWhatJSONEncoderWrites() throws {
        let at = Timestamp(iso8601: "2026-11-26T10:20:30Z")!
        var pending = item(gstin: "29AACCK5521H1ZK").credential
        pending.legalName = "Shrī Gaṇeśa \"Traders\" / \\ \u{1}"
        pending.pendingSince = at
        var staged = item(client: false, gstin: "27AAPFU0939F1ZV", kind: .portal).credential
        staged.gsp = nil
        staged.staged = StagedPassword(password: secret("St@ged1x"), stagedAt: at)
        var old = item(gstin: "07AAACI1681G1ZQ").credential
        old.rotatedAt = at.adding(days: -200)
        let now = at.adding(days: 3)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        for credentials in [[pending, staged, old, item().credential], [old], []] {
            let rows = credentials.map { CredentialSummary($0, now: now) }
            let expected = String(decoding: try encoder.encode(rows), as: UTF8.self)
            #expect(String(decoding: SummaryJSON.list(rows), as: UTF8.self) == expected)
        }
    }

    @Test func jsonExportRoundTripsTheRecords() throws {
        let text = try exporter(.json).render([item()])
        struct Back: Decodable {
            var format: String
            var version: Int
            var credentials: [Credential]
            var clients: [APIClient]
        }
        let back = try JSONDecoder().decode(Back.self, from: Data(text.utf8))
        #expect(back.format == "nicvault-export" && back.version == 1)
        #expect(back.credentials == [item().credential])
        #expect(back.clients == [item().client!])
    }
}

private func run(_ executable: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let out = Pipe()
    process.standardOutput = out
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}
