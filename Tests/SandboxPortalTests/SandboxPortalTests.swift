import Foundation
import GST
import Portal
import PortalWire
import SandboxPortal
import TestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

@Suite("the sandbox portal over HTTP on loopback")
struct SandboxPortalTests {
    @Test func lookUpShowsMaskedDetails() async throws {
        let portal = try await RunningPortal.start()
        defer { portal.stop() }
        let details = try await portal.driver.lookUp(gstin("27aabcd1234e1z8"))
        #expect(details.legalName == "Demo Traders Private Limited")
        #expect(details.maskedMobile == "******4321")
        #expect(details.maskedEmail == "a*******@demotraders.example")
        #expect(details.state == "Maharashtra")
        // NIC-style sandbox GSTINs that fail the check character are known too.
        #expect(try await portal.driver.lookUp(gstin("37ARZPT4384Q1MT")).legalName == "NIC Sandbox Seller")
    }

    /// `sandbox serve` warns unless it listens where only this machine can reach the outbox's OTPs.
    @Test func onlyLoopbackAddressesCountAsLoopback() {
        for host in ["127.0.0.1", "127.1.2.3", "::1", "localhost", "LocalHost"] {
            #expect(SandboxPortalApp.isLoopback(host), "\(host)")
        }
        for host in ["0.0.0.0", "::", "192.168.1.5", "1270.0.0.1", "example.com", ""] {
            #expect(!SandboxPortalApp.isLoopback(host), "\(host)")
        }
    }

    @Test func unknownCancelledAndMalformedGSTINsAreRefused() async throws {
        let portal = try await RunningPortal.start()
        defer { portal.stop() }
        #expect(await refusalCode { _ = try await portal.driver.lookUp(gstin("27AAPFU0939F1ZV")) } == "gstin-not-found")
        #expect(await refusalCode { _ = try await portal.driver.lookUp(gstin("30AAMCG3003U1ZF")) } == "gstin-cancelled")
        #expect(
            await refusalCode { _ = try await portal.driver.sendOTP(gstin("10AAQCB6006X1Z3")) } == "gstin-cancelled")
        let (data, response) = try await URLSession.shared.data(
            from: portal.url.appendingPathComponent("api/v1/taxpayers/27AAPFU0939F1Z"))
        #expect((response as! HTTPURLResponse).statusCode == 400)
        #expect(String(decoding: data, as: UTF8.self).contains("invalid-gstin"))
    }

    @Test func wrongOTPThreeTimesEndsTheOTP() async throws {
        let portal = try await RunningPortal.start()
        defer { portal.stop() }
        let id = gstin("27AABCD1234E1Z8")
        let challenge = try await portal.driver.sendOTP(id)
        let code = try await portal.driver.otpFromOutbox(challenge, gstin: id)
        let wrong = code == "000000" ? "111111" : "000000"
        for left in [2, 1] {
            do {
                _ = try await portal.driver.verifyOTP(challenge, code: wrong)
                Issue.record("a wrong OTP was accepted")
            } catch PortalError.refused(let code, _, _, let attemptsLeft, _) {
                #expect(code == "wrong-otp")
                #expect(attemptsLeft == left)
            }
        }
        #expect(
            await refusalCode { _ = try await portal.driver.verifyOTP(challenge, code: wrong) }
                == "otp-attempts-exceeded")
        // Even the right code is refused now.
        #expect(
            await refusalCode { _ = try await portal.driver.verifyOTP(challenge, code: code) }
                == "otp-attempts-exceeded")
    }

    @Test func expiredOTPIsRefused() async throws {
        let portal = try await RunningPortal.start()
        defer { portal.stop() }
        let id = gstin("27AABCD1234E1Z8")
        let challenge = try await portal.driver.sendOTP(id)
        let code = try await portal.driver.otpFromOutbox(challenge, gstin: id)
        portal.clock.advance(seconds: 601)
        #expect(await refusalCode { _ = try await portal.driver.verifyOTP(challenge, code: code) } == "otp-expired")
    }

    @Test func resendsAreLimited() async throws {
        let portal = try await RunningPortal.start()
        defer { portal.stop() }
        let id = gstin("29AACCK5521H1ZK")
        for _ in 0..<3 { _ = try await portal.driver.sendOTP(id) }
        do {
            _ = try await portal.driver.sendOTP(id)
            Issue.record("a fourth OTP was sent")
        } catch PortalError.refused(let code, _, _, _, let retryAfter) {
            #expect(code == "otp-resend-limit")
            #expect(retryAfter == 1800)
        }
        portal.clock.advance(seconds: 1801)
        _ = try await portal.driver.sendOTP(id)
    }

    @Test func userIDsAreUniqueAcrossThePortalIgnoringCase() async throws {
        let portal = try await RunningPortal.start()
        defer { portal.stop() }
        let first = gstin("27AABCD1234E1Z8")
        try await portal.driver.createUser(
            try await verified(portal.driver, first), gstin: first, kind: .portal, gsp: nil, userID: "DEMOUSER27",
            password: secret("Good@Pass2024x"))
        let second = gstin("29AACCK5521H1ZK")
        let verification = try await verified(portal.driver, second)
        #expect(
            await refusalCode {
                try await portal.driver.createUser(
                    verification, gstin: second, kind: .portal, gsp: nil, userID: "demouser27",
                    password: secret("Good@Pass2024x"))
            } == "user-id-taken")
        // The same verification still works with another id.
        try await portal.driver.createUser(
            verification, gstin: second, kind: .portal, gsp: nil, userID: "KAVERI29", password: secret("Good@Pass2024x")
        )
    }

    @Test func passwordAndUserIDRulesAreEnforced() async throws {
        let portal = try await RunningPortal.start()
        defer { portal.stop() }
        let id = gstin("07AAFFR3310M1Z8")
        let verification = try await verified(portal.driver, id)
        for weak in [
            "short1A@", "alllowercase1@x", "NoSpecial12345", "@StartsSpecial1", String(repeating: "Ab1@", count: 13),
        ] {
            do {
                try await portal.driver.createUser(
                    verification, gstin: id, kind: .portal, gsp: nil, userID: "RAJDHANI07", password: secret(weak))
                Issue.record("weak password \(weak) accepted")
            } catch PortalError.refused(let code, _, let problems, _, _) {
                #expect(code == "weak-password")
                #expect(!problems.isEmpty)
            }
        }
        #expect(
            await refusalCode {
                try await portal.driver.createUser(
                    verification, gstin: id, kind: .portal, gsp: nil, userID: "ab-c", password: secret("Good@Pass2024x")
                )
            } == "invalid-user-id")
    }

    @Test func onePortalUserPerGSTINAndOneAPIUserPerGSP() async throws {
        let portal = try await RunningPortal.start()
        defer { portal.stop() }
        let id = gstin("33AABCT7788K2ZQ")
        try await portal.driver.createUser(
            try await verified(portal.driver, id), gstin: id, kind: .portal, gsp: nil, userID: "BRONZE33A",
            password: secret("Good@Pass2024x"))
        #expect(
            await refusalCode {
                try await portal.driver.createUser(
                    try await verified(portal.driver, id), gstin: id, kind: .portal, gsp: nil, userID: "BRONZE33B",
                    password: secret("Good@Pass2024x"))
            } == "already-registered")
        portal.clock.advance(seconds: 1801)  // past the OTP resend window
        let main = (userID: "BRONZE33A", password: secret("Good@Pass2024x"))
        try await makeAPIUser(
            portal.driver, id, main: main, gsp: "Adaequare Info Private Limited", userID: "BRONZE33C",
            password: secret("Good@Pass2024x"))
        try await makeAPIUser(
            portal.driver, id, main: main, gsp: "Tera Software Limited", userID: "BRONZE33D",
            password: secret("Good@Pass2024x"))
        portal.clock.advance(seconds: 1801)
        #expect(
            await refusalCode {
                try await makeAPIUser(
                    portal.driver, id, main: main, gsp: "adaequare info private limited", userID: "BRONZE33E",
                    password: secret("Good@Pass2024x"))
            } == "already-registered")
    }

    @Test func apiUsersAreMadeByTheMainUserThroughAListedGSPAndCannotLogIn() async throws {
        let portal = try await RunningPortal.start()
        defer { portal.stop() }
        let id = gstin("29AACCK5521H1ZK")
        // Not through the public registration: an API user is made by the main user.
        #expect(
            await refusalCode {
                try await portal.driver.createUser(
                    try await verified(portal.driver, id), gstin: id, kind: .api, gsp: nil, userID: "KAVERIAPI",
                    password: secret("Good@Pass2024x"))
            } == "api-user-by-main-user")
        portal.clock.advance(seconds: 1801)
        try await portal.driver.createUser(
            try await verified(portal.driver, id), gstin: id, kind: .portal, gsp: nil, userID: "KAVERIMAIN",
            password: secret("Main@Pass2024x"))
        let main = (userID: "KAVERIMAIN", password: secret("Main@Pass2024x"))
        let gsps = try await portal.driver.gspList()
        #expect(gsps.first == "Direct" && gsps.contains("Adaequare Info Private Limited"))
        portal.clock.advance(seconds: 1801)
        #expect(
            await refusalCode {
                try await makeAPIUser(
                    portal.driver, id, main: main, gsp: "No Such GSP", userID: "KAVERIAPI",
                    password: secret("Good@Pass2024x"))
            } == "unknown-gsp")
        portal.clock.advance(seconds: 1801)
        try await makeAPIUser(
            portal.driver, id, main: main, gsp: nil, userID: "KAVERIAPI", password: secret("Good@Pass2024x"))
        // An API user cannot log in to the portal, nor change its own password there.
        #expect(
            await refusalCode {
                _ = try await portal.driver.openMainSession(userID: "KAVERIAPI", password: secret("Good@Pass2024x"))
            } == "api-user-no-portal-login")
        #expect(
            await refusalCode {
                try await portal.driver.changePassword(
                    userID: "KAVERIAPI", old: secret("Good@Pass2024x"), new: secret("Next@Pass2024x"))
            } == "api-user-password-by-main-user")
        // The main user changes it after an OTP, with no old password asked.
        portal.clock.advance(seconds: 1801)
        let session = try await portal.driver.openMainSession(userID: main.userID, password: main.password)
        let challenge = try await portal.driver.sendAPIUserOTP(session, gstin: id)
        let verification = try await portal.driver.verifyOTP(
            challenge, code: try await portal.driver.otpFromOutbox(challenge, gstin: id))
        try await portal.driver.changeAPIUserPassword(
            session, verification, userID: "KAVERIAPI", new: secret("Next_Pass!2024"))
        #expect(
            try await portal.driver.checkLogin(userID: "KAVERIAPI", password: secret("Next_Pass!2024")) == .accepted)
    }

    @Test func loginLocksAfterFiveFailuresForFifteenMinutes() async throws {
        let portal = try await RunningPortal.start()
        defer { portal.stop() }
        let id = gstin("24ABCPP4455Q1Z6")
        try await portal.driver.createUser(
            try await verified(portal.driver, id), gstin: id, kind: .portal, gsp: nil, userID: "PATEL24",
            password: secret("Right@Pass2024"))
        #expect(try await portal.driver.checkLogin(userID: "patel24", password: secret("Right@Pass2024")) == .accepted)
        for _ in 0..<5 {
            #expect(
                try await portal.driver.checkLogin(userID: "PATEL24", password: secret("Wrong@Pass2024")) == .rejected)
        }
        #expect(
            await refusalCode {
                _ = try await portal.driver.checkLogin(userID: "PATEL24", password: secret("Right@Pass2024"))
            }
                == "account-locked")
        portal.clock.advance(seconds: 901)
        #expect(try await portal.driver.checkLogin(userID: "PATEL24", password: secret("Right@Pass2024")) == .accepted)
    }

    @Test func changePasswordNeedsTheOldOneAndADifferentNewOne() async throws {
        let portal = try await RunningPortal.start()
        defer { portal.stop() }
        let id = gstin("19AADCB9090L1Z4")
        try await portal.driver.createUser(
            try await verified(portal.driver, id), gstin: id, kind: .portal, gsp: nil, userID: "JUTE19",
            password: secret("First@Pass2024"))
        #expect(
            await refusalCode {
                try await portal.driver.changePassword(
                    userID: "JUTE19", old: secret("Nope@Pass2024"), new: secret("Second@Pass2024"))
            } == "invalid-credentials")
        // NIC 3023: the new password must differ from the current one; no longer history rule is NIC's.
        #expect(
            await refusalCode {
                try await portal.driver.changePassword(
                    userID: "JUTE19", old: secret("First@Pass2024"), new: secret("First@Pass2024"))
            } == "password-reused")
        try await portal.driver.changePassword(
            userID: "JUTE19", old: secret("First@Pass2024"), new: secret("Second_Pass!2024"))
        try await portal.driver.changePassword(
            userID: "JUTE19", old: secret("Second_Pass!2024"), new: secret("First@Pass2024"))
        #expect(try await portal.driver.checkLogin(userID: "JUTE19", password: secret("First@Pass2024")) == .accepted)
    }

    @Test func stateSurvivesARestartAndHoldsNoPlainPassword() async throws {
        let folder = Folder()
        let stateFile = folder.path + "/state.json"
        let first = try await RunningPortal.start(stateFile: stateFile)
        let id = gstin("36AAECH1122J1ZW")
        try await first.driver.createUser(
            try await verified(first.driver, id), gstin: id, kind: .portal, gsp: nil, userID: "HYDPHARMA36",
            password: secret("Secret@Pass2024"))
        first.stop()
        let attributes = try FileManager.default.attributesOfItem(atPath: stateFile)
        #expect(attributes[.posixPermissions] as? Int == 0o600)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: stateFile))
        #expect(bytes.range(of: Data("Secret@Pass2024".utf8)) == nil)
        #expect(bytes.range(of: Data("$argon2id$".utf8)) != nil)

        let second = try await RunningPortal.start(stateFile: stateFile)
        defer { second.stop() }
        #expect(
            try await second.driver.checkLogin(userID: "HYDPHARMA36", password: secret("Secret@Pass2024")) == .accepted)
        let other = gstin("09AAGCL6543N1ZW")
        #expect(
            await refusalCode {
                try await second.driver.createUser(
                    try await verified(second.driver, other), gstin: other, kind: .portal, gsp: nil,
                    userID: "hydpharma36", password: secret("Secret@Pass2024"))
            } == "user-id-taken")
    }

    @Test func twoPortalsOnOneStateFileSeeEachOthersChanges() async throws {
        // `sandbox serve` and the in-process sandbox of a command share one state file: neither loses the
        // other's writes.
        let folder = Folder()
        let stateFile = folder.path + "/state.json"
        let first = try await RunningPortal.start(stateFile: stateFile)
        let second = try await RunningPortal.start(stateFile: stateFile)
        defer {
            first.stop()
            second.stop()
        }
        let id = gstin("36AAECH1122J1ZW")
        try await first.driver.createUser(
            try await verified(first.driver, id), gstin: id, kind: .portal, gsp: nil, userID: "HYDPHARMA36",
            password: secret("Secret@Pass2024"))
        #expect(
            try await second.driver.checkLogin(userID: "HYDPHARMA36", password: secret("Secret@Pass2024")) == .accepted)
        try await second.driver.changePassword(
            userID: "HYDPHARMA36", old: secret("Secret@Pass2024"), new: secret("Second@Pass2024"))
        let other = gstin("09AAGCL6543N1ZW")
        try await first.driver.createUser(
            try await verified(first.driver, other), gstin: other, kind: .portal, gsp: nil, userID: "LUCKNOW09",
            password: secret("Lucknow@Pass2024"))
        #expect(
            try await first.driver.checkLogin(userID: "HYDPHARMA36", password: secret("Second@Pass2024")) == .accepted)
        #expect(
            try await second.driver.checkLogin(userID: "LUCKNOW09", password: secret("Lucknow@Pass2024")) == .accepted)
    }

    @Test func aClientSecretIsShownOnceThenNoLongerKept() async throws {
        let folder = Folder()
        let stateFile = folder.path + "/state.json"
        let portal = try await RunningPortal.start(stateFile: stateFile)
        defer { portal.stop() }
        let id = gstin("36AAECH1122J1ZW")
        try await portal.state.issueClient(gstin: id.value, gsp: nil)
        let first = try await portal.driver.outbox(gstin: id, after: 0)
        let (clientID, secret) = try #require(PortalState.clientMessage(first.last!.text))
        #expect(clientID.hasPrefix("AAAAE36TXP") && secret.byteCount == 20)
        let secretText = secret.unsafeStringValue()
        let again = try await portal.driver.outbox(gstin: id, after: 0)
        #expect(again.last?.text.contains("no longer kept") == true)
        #expect(PortalState.clientMessage(again.last!.text) == nil)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: stateFile))
        #expect(bytes.range(of: Data(secretText.utf8)) == nil)
        // Issued and read in one step, as `sandbox client issue` does: the message is read once, by that step.
        let (gspID, gspSecret) = try await portal.state.issueClientReadingTheMessage(gstin: id.value, gsp: "Demo GSP")
        #expect(gspID.contains("GSP") && gspID != clientID && gspSecret != secret)
        #expect(try await portal.driver.outbox(gstin: id, after: 0).allSatisfy { !$0.text.contains("secret is") })
    }

    @Test func unreachablePortalSaysSo() async throws {
        // A port that was free a moment ago: nothing listens there.
        let port = try freePort()
        let driver = SandboxDriver(baseURL: URL(string: "http://127.0.0.1:\(port)")!, timeout: 2)
        do {
            _ = try await driver.lookUp(gstin("27AABCD1234E1Z8"))
            Issue.record("an unreachable portal answered")
        } catch let error as PortalError {
            guard case .unreachable = error else { throw error }
            #expect(error.description.contains("nicvault sandbox serve"))
        }
    }

    @Test func silentPortalTimesOut() async throws {
        // A listening socket that never accepts or answers.
        let (fd, port) = try silentListener()
        defer { close(fd) }
        let driver = SandboxDriver(baseURL: URL(string: "http://127.0.0.1:\(port)")!, timeout: 1)
        let started = Date()
        do {
            _ = try await driver.lookUp(gstin("27AABCD1234E1Z8"))
            Issue.record("a silent portal answered")
        } catch let error as PortalError {
            guard case .timedOut = error else { throw error }
            #expect(error.answerLost)
        }
        // A no-hang check, not a timing one: alone this takes about 1 s; with the whole suite loading both
        // cores, URLSession's timer has been seen to fire after 20 s, and after 94 s under ThreadSanitizer.
        #expect(Date().timeIntervalSince(started) < 240)
    }

    @Test func openAPIDocumentListsExactlyTheServedRoutes() async throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/sandbox-portal.openapi.json")
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as! [String: Any]
        let paths = document["paths"] as! [String: [String: Any]]
        var documented = Set<String>()
        for (path, operations) in paths {
            for method in operations.keys where ["get", "post", "put", "delete", "patch"].contains(method) {
                documented.insert("\(method.uppercased()) \(path)")
            }
        }
        // The router serves exactly PortalRoute.allCases (it checks so when it is built).
        let served = Set(PortalRoute.allCases.map { "\($0.method) \($0.path)" })
        #expect(documented == served)
        // And every route answers (not 404 for the route itself) on a running server.
        let portal = try await RunningPortal.start()
        defer { portal.stop() }
        for route in PortalRoute.allCases {
            var request = URLRequest(
                url: URL(
                    string: portal.url.absoluteString
                        + route.path.replacingOccurrences(of: "{gstin}", with: "27AABCD1234E1Z8"))!)
            request.httpMethod = route.method
            if route.method == "POST" {
                request.httpBody = Data("{}".utf8)
                request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            }
            let (data, response) = try await URLSession.shared.data(for: request)
            let status = (response as! HTTPURLResponse).statusCode
            #expect(status != 404 || String(decoding: data, as: UTF8.self).contains("\"code\""), "\(route)")
            #expect(status != 405, "\(route)")
            // Each documented status of the route is the portal's envelope or a success.
            if route.path == "/sandbox/public-key" {
                #expect(String(decoding: data, as: UTF8.self).hasPrefix("-----BEGIN PUBLIC KEY-----"))
            } else {
                #expect((try? JSONSerialization.jsonObject(with: data)) != nil, "\(route) answered non-JSON")
            }
        }
    }
}

/// A loopback port nothing listens on.
func freePort() throws -> Int {
    let (fd, port) = try silentListener()
    close(fd)
    return port
}

/// A TCP socket bound to 127.0.0.1 on an ephemeral port, listening, never accepting.
func silentListener() throws -> (Int32, Int) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
    }
    guard bound == 0, listen(fd, 8) == 0 else { throw POSIXError(.EADDRINUSE) }
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return (fd, Int(UInt16(bigEndian: address.sin_port)))
}
