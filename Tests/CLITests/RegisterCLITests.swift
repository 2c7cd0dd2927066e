import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

extension CLISandbox {
    var vaultFlags: [String] { ["--vault", vault, "--passphrase-file", passphraseFile] }

    func listJSON() throws -> [[String: Any]] {
        let result = try run(["list", "--json"] + vaultFlags)
        precondition(result.code == 0, result.err)
        return try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as! [[String: Any]]
    }
}

@Suite("nicvault register, list, show (the real binary, sandbox on loopback)")
struct RegisterCLITests {
    @Test func registerListAndShow() throws {
        let box = CLISandbox()
        try box.initVault()
        let registered = try box.run(["register", "27AABCD1234E1Z8", "--otp-from-outbox"] + box.vaultFlags)
        #expect(registered.code == 0, "\(registered.err)")
        #expect(registered.err.contains("SMS to ******4321"))
        let api = try box.run(
            ["register", "27aabcd1234e1z8", "--kind", "api", "--gsp", "Demo GSP", "--otp-from-outbox"] + box.vaultFlags)
        #expect(api.code == 0, "\(api.err)")
        let rows = try box.listJSON()
        #expect(rows.count == 2)
        #expect(rows.allSatisfy { $0["status"] as? String == "ok" && $0["environment"] as? String == "sandbox" })
        let list = try box.run(["list"] + box.vaultFlags)
        #expect(list.out.contains("Demo Traders Private Limited"))

        let shown = try box.run(["show", "27AABCD1234E1Z8", "--kind", "portal"] + box.vaultFlags)
        #expect(shown.code == 0)
        #expect(shown.out.contains("(hidden; --reveal to show)"))
        let password = try box.run(
            ["show", "27AABCD1234E1Z8", "--kind", "portal", "--field", "password"] + box.vaultFlags)
        #expect(password.code == 0)
        let value = password.out.trimmingCharacters(in: .newlines)
        #expect(value.count == 15)
        #expect(!list.out.contains(value) && !shown.out.contains(value) && !registered.err.contains(value))
        // Two credentials for one GSTIN: show needs --kind.
        let ambiguous = try box.run(["show", "27AABCD1234E1Z8"] + box.vaultFlags)
        #expect(ambiguous.code == 64)
        #expect(ambiguous.err.contains("--kind"))
        // Already registered: refused before the portal is asked.
        let again = try box.run(["register", "27AABCD1234E1Z8", "--otp-from-outbox"] + box.vaultFlags)
        #expect(again.code == 4)
    }

    @Test func badGSTINsAndPortalRefusalsHaveTheirExitCodes() throws {
        let box = CLISandbox()
        try box.initVault()
        let malformed = try box.run(["register", "27AABCD1234E1Z", "--otp-from-outbox"] + box.vaultFlags)
        #expect(malformed.code == 64)
        #expect(malformed.err.contains("14 characters"))
        let cancelled = try box.run(["register", "30AAMCG3003U1ZF", "--otp-from-outbox"] + box.vaultFlags)
        #expect(cancelled.code == 5)
        #expect(cancelled.err.contains("cancelled"))
        let unknown = try box.run(["register", "27AAPFU0939F1ZV", "--otp-from-outbox"] + box.vaultFlags)
        #expect(unknown.code == 5)
        #expect(unknown.err.contains("nicvault gstin"))
        let production = try box.run(
            ["register", "27AABCD1234E1Z8", "--env", "production", "--portal", "sandbox"] + box.vaultFlags)
        #expect(production.code == 64)
        #expect(production.err.contains("cannot hold production credentials"), "\(production.err)")
        let notAPortal = try box.run(["register", "27AABCD1234E1Z8", "--portal", "ftp://127.0.0.1"] + box.vaultFlags)
        #expect(notAPortal.code == 64 && notAPortal.err.contains("--portal takes"), "\(notAPortal.err)")
        #expect(try box.listJSON().isEmpty)
    }

    @Test func unreachablePortalExitsFiveAndStoresNothing() throws {
        let box = CLISandbox()
        try box.initVault()
        let result = try box.run(
            ["register", "27AABCD1234E1Z8", "--portal", "http://127.0.0.1:9", "--timeout", "2"] + box.vaultFlags)
        #expect(result.code == 5)
        #expect(result.err.contains("cannot reach the portal"))
        #expect(try box.listJSON().isEmpty)
    }

    @Test(arguments: ["staged", "submitted"])
    func killedMidRegistrationIsSettledByResume(point: String) throws {
        let box = CLISandbox()
        try box.initVault()
        let killed = try box.run(
            ["register", "27AABCD1234E1Z8", "--otp-from-outbox"] + box.vaultFlags,
            environment: ["NICVAULT_TEST_CRASH_AT": point])
        #expect(killed.code != 0)
        let rows = try box.listJSON()
        #expect(rows.count == 1)
        #expect(rows.first?["status"] as? String == "pending")
        let list = try box.run(["list"] + box.vaultFlags)
        #expect(list.out.contains("pending since"))
        // A new registration is refused until the pending one is settled.
        let blocked = try box.run(["register", "27AABCD1234E1Z8", "--otp-from-outbox"] + box.vaultFlags)
        #expect(blocked.code == 4)
        #expect(blocked.err.contains("--resume"))

        let resumed = try box.run(["register", "27AABCD1234E1Z8", "--resume"] + box.vaultFlags)
        #expect(resumed.code == (point == "submitted" ? 0 : 5), "\(resumed.err)")
        if point == "submitted" {
            // The portal had created the user: the credential is kept and committed.
            #expect(try box.listJSON().first?["status"] as? String == "ok")
        } else {
            // The portal has not seen it (yet: a late answer may still come): it stays pending, never dropped,
            // and a restart keeps the unconfirmed password in history.
            #expect(try box.listJSON().first?["status"] as? String == "pending")
            let again = try box.run(
                ["register", "27AABCD1234E1Z8", "--restart", "--otp-from-outbox"] + box.vaultFlags)
            #expect(again.code == 0, "\(again.err)")
            #expect(try box.listJSON().first?["status"] as? String == "ok")
            let history = try box.run(["history", "27AABCD1234E1Z8"] + box.vaultFlags)
            #expect(history.out.contains("earlier attempt"))
        }
    }

    @Test func otpFromStdinAgainstAStandaloneServer() async throws {
        let box = CLISandbox()
        try box.initVault()
        let (server, url) = try Self.standaloneSandbox(box)
        defer { server.terminate() }

        let register = Process()
        register.executableURL = URL(fileURLWithPath: nicvaultBinary)
        register.arguments = ["register", "29AACCK5521H1ZK", "--portal", url] + box.vaultFlags
        register.environment = box.environment
        let input = Pipe()
        register.standardInput = input
        register.standardOutput = FileHandle.nullDevice
        register.standardError = FileHandle.nullDevice
        try register.run()
        // Wait for the OTP in the outbox, then type it on register's stdin.
        var otp: String?
        for _ in 0..<200 where otp == nil {
            let (data, _) = try await URLSession.shared.data(
                from: URL(string: url + "/sandbox/outbox?gstin=29AACCK5521H1ZK")!)
            let text = String(decoding: data, as: UTF8.self)
            if let range = text.range(of: #"\d{6} is the OTP"#, options: .regularExpression) {
                otp = String(text[range].prefix(6))
            } else {
                try await Task.sleep(nanoseconds: 50_000_000)
            }
        }
        input.fileHandleForWriting.write(Data(((otp ?? "000000") + "\n").utf8))
        try input.fileHandleForWriting.close()
        register.waitUntilExit()
        #expect(register.terminationStatus == 0)
        #expect(try box.listJSON().first?["gstin"] as? String == "29AACCK5521H1ZK")
    }

    /// `nicvault sandbox serve` on an ephemeral loopback port, and its address.
    static func standaloneSandbox(_ box: CLISandbox) throws -> (Process, String) {
        let server = Process()
        server.executableURL = URL(fileURLWithPath: nicvaultBinary)
        server.arguments = ["sandbox", "serve", "--port", "0", "--state", box.root + "/portal.json"]
        server.environment = box.environment
        let serverErr = Pipe()
        server.standardError = serverErr
        server.standardOutput = FileHandle.nullDevice
        try server.run()
        var banner = ""
        while !banner.contains("listening on") {
            let chunk = serverErr.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            banner += String(decoding: chunk, as: UTF8.self)
        }
        guard let url = banner.split(separator: " ").first(where: { $0.hasPrefix("http://") }) else {
            server.terminate()
            throw POSIXError(.ECONNREFUSED)
        }
        return (server, String(url))
    }

    /// A port in use was told in NIO's words ("bind(descriptor:ptr:bytes:): Address already in use) (errno:
    /// 98)"), and a port above 65535 was taken modulo 65536 in silence.
    @Test func sandboxServeSaysWhyItCannotListen() throws {
        let box = CLISandbox()
        let (server, url) = try Self.standaloneSandbox(box)
        defer { server.terminate() }
        let port = try #require(URL(string: url)?.port)
        let taken = try box.run(
            ["sandbox", "serve", "--port", "\(port)", "--state", box.root + "/other.json"], killAfter: 20)
        #expect(taken.code == 1)
        #expect(taken.err.contains("cannot listen on 127.0.0.1:\(port): the port is in use"), "\(taken.err)")
        #expect(!taken.err.contains("errno"))
        let tooHigh = try box.run(
            ["sandbox", "serve", "--port", "99999", "--state", box.root + "/other.json"], killAfter: 20)
        #expect(tooHigh.code == 64 && tooHigh.err.contains("--port takes 0"), "\(tooHigh.err)")
        // Listening beyond loopback is allowed, with a warning (the outbox holds every OTP).
        let open = try box.run(
            ["sandbox", "serve", "--host", "0.0.0.0", "--port", "0", "--state", box.root + "/other.json"], killAfter: 3)
        #expect(open.err.contains("warning: listening on 0.0.0.0, not loopback"), "\(open.err)")
        #expect(open.err.contains("listening on http://0.0.0.0:"), "\(open.err)")
    }

    @Test func aProxyFromTheEnvironmentCarriesPortalTrafficButNotLoopbacks() throws {
        let box = CLISandbox()
        try box.initVault()
        let (server, url) = try Self.standaloneSandbox(box)
        defer { server.terminate() }
        let port = try #require(URL(string: url)?.port)
        let proxy = try ConnectProxy()
        defer { proxy.stop() }
        // A host no resolver knows: only the proxy (which tunnels to loopback) can reach it.
        let viaProxy = try box.run(
            ["register", "29AACCK5521H1ZK", "--portal", "http://sandbox.test:\(port)", "--otp-from-outbox"]
                + box.vaultFlags, environment: ["http_proxy": "http://127.0.0.1:\(proxy.port)"])
        #expect(viaProxy.code == 0, "\(viaProxy.err)")
        #expect(proxy.targets.contains("sandbox.test:\(port)"), "\(proxy.targets)")
        // A loopback portal is reached directly, whatever the proxy (here one nobody listens on).
        let direct = try box.run(
            ["register", "27AABCD1234E1Z8", "--portal", url, "--otp-from-outbox"] + box.vaultFlags,
            environment: ["http_proxy": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9"])
        #expect(direct.code == 0, "\(direct.err)")
        // A proxy nicvault cannot speak to is refused by name; nothing is stored for it.
        let refused = try box.run(
            ["register", "24AAACC1206D1ZM", "--portal", url, "--otp-from-outbox"] + box.vaultFlags,
            environment: ["http_proxy": "ftp://127.0.0.1:9"])
        #expect(
            refused.code == 5
                && refused.err.contains("http_proxy names a ftp://127.0.0.1 proxy, which is not supported"),
            "\(refused.err)")
        // A proxy address that does not parse is named by its variable, never echoed (it may hold a password).
        let garbled = try box.run(
            ["register", "24AAACC1206D1ZM", "--portal", "http://sandbox.test:\(port)", "--otp-from-outbox"]
                + box.vaultFlags, environment: ["http_proxy": "http://asha:s3cret@[bad"])
        #expect(garbled.code == 5 && garbled.err.contains("http_proxy is not a proxy address"), "\(garbled.err)")
        #expect(!garbled.err.contains("s3cret"))
        #expect(try box.listJSON().count == 2)
    }

    @Test func aPortalWhoseCertificateIsNotTrustedIsRefusedBeforeAnythingIsSent() throws {
        let box = CLISandbox()
        try box.initVault()
        // An HTTPS server on loopback with a self-signed certificate (a test fixture nobody trusts).
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
        let script = """
            import http.server, ssl, sys
            server = http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(sys.argv[1], sys.argv[2])
            server.socket = context.wrap_socket(server.socket, server_side=True)
            print(server.server_address[1], flush=True)
            server.serve_forever()
            """
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        server.arguments = [
            "-c", script, fixtures.appendingPathComponent("untrusted-tls.crt").path,
            fixtures.appendingPathComponent("untrusted-tls.key").path,
        ]
        let out = Pipe()
        server.standardOutput = out
        server.standardError = FileHandle.nullDevice
        try server.run()
        // SIGKILL, not terminate(): the child inherits the test thread's blocked signals, so a SIGTERM stays pending
        // and the server would outlive the test.
        defer {
            kill(server.processIdentifier, SIGKILL)
            server.waitUntilExit()
        }
        var line = ""
        while !line.contains("\n") {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line += String(decoding: chunk, as: UTF8.self)
        }
        let port = try #require(Int(line.trimmingCharacters(in: .whitespacesAndNewlines)))
        let refused = try box.run(
            [
                "register", "24AAACC1206D1ZM", "--portal", "https://127.0.0.1:\(port)", "--otp-from-outbox",
                "--timeout", "5",
            ]
                + box.vaultFlags)
        #expect(refused.code == 5, "\(refused.err)")
        #expect(refused.err.contains("the server's TLS certificate is not trusted by this machine"), "\(refused.err)")
        #expect(try box.listJSON().isEmpty)
    }
}
