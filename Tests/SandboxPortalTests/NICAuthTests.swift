import Foundation
import GST
import NICCrypto
import Portal
import SandboxPortal
import TestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// An API user with a direct client on a running sandbox, as NIC's sandbox hands them out.
struct APIFixture {
    let portal: RunningPortal
    let gstin: GSTIN
    let userID: String
    let password: Secret
    let clientID: String
    let clientSecret: Secret
    let publicKey: String

    static func make(gsp: String? = nil, clientGSP: String? = nil) async throws -> APIFixture {
        let portal = try await RunningPortal.start()
        let id = try GSTIN(parsing: "27AABCD1234E1Z8", environment: .sandbox)
        let userID = "DEMOAPI27" + (gsp == nil ? "D" : "G")
        try await makeMainAndAPIUser(portal.driver, id, gsp: gsp, userID: userID, password: secret("Api@Pass2024xy"))
        try await portal.state.issueClient(gstin: id.value, gsp: clientGSP)
        let text = try await portal.driver.outbox(gstin: id, after: 0).last!.text
        let clientID = String(text.split(separator: " ")[6])
        let clientSecret = String(text.split(separator: " ")[11])
        return APIFixture(
            portal: portal, gstin: id, userID: userID, password: secret("Api@Pass2024xy"), clientID: clientID,
            clientSecret: secret(clientSecret), publicKey: try await portal.state.publicKeyPEM())
    }

    var client: NICAuthClient { NICAuthClient(baseURL: portal.url, timeout: 5) }

    func authenticate(userID: String? = nil, password: Secret? = nil, clientSecret: Secret? = nil, key: String? = nil)
        async throws -> NICSession
    {
        try await client.authenticate(
            gstin: gstin, userName: userID ?? self.userID, password: password ?? self.password, clientID: clientID,
            clientSecret: clientSecret ?? self.clientSecret, publicKeyPEM: key ?? publicKey)
    }

    /// A hand-built auth request, for what NICAuthClient never sends.
    func raw(headers: [String: String], login: [String: Any]) async throws -> (String?, [String: Any]?) {
        let json = try JSONSerialization.data(withJSONObject: login)
        let data = try NICCrypto.rsaEncrypt(Array(json.base64EncodedString().utf8), publicKeyPEM: publicKey)
        var request = URLRequest(url: portal.url.appendingPathComponent("eivital/v1.04/auth"))
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        request.httpBody = try JSONSerialization.data(withJSONObject: ["Data": Data(data).base64EncodedString()])
        let (body, _) = try await URLSession.shared.data(for: request)
        let envelope = try JSONSerialization.jsonObject(with: body) as! [String: Any]
        let code = (envelope["ErrorDetails"] as? [[String: Any]])?.first?["ErrorCode"] as? String
        return (code, envelope["Data"] as? [String: Any])
    }

    var login: [String: Any] {
        [
            "UserName": userID, "Password": password.unsafeStringValue(),
            "AppKey": Data(repeating: 7, count: 32).base64EncodedString(), "ForceRefreshAccessToken": false,
        ]
    }
}

private func nicCode(_ body: () async throws -> Void) async -> String? {
    do {
        try await body()
        return nil
    } catch let error as NICAuthError {
        return error.code
    } catch {
        return "\(error)"
    }
}

@Suite("NIC auth API (v1.04) on the sandbox")
struct NICAuthTests {
    @Test func authenticatesAndTheSessionKeyWorks() async throws {
        let fixture = try await APIFixture.make()
        defer { fixture.portal.stop() }
        let session = try await fixture.authenticate()
        #expect(session.sessionKey.count == 32)
        #expect(session.tokenExpiry.count == 19)  // yyyy-MM-dd HH:mm:ss, IST
        let details = try await fixture.client.gstinDetails(
            fixture.gstin, session: session, gstin: fixture.gstin, clientSecret: fixture.clientSecret)
        #expect(details["LegalName"] == "Demo Traders Private Limited")
        // The 15 fields NIC documents (DtDReg null, so absent here), StateCode a number in the JSON.
        for field in [
            "Gstin", "TradeName", "LegalName", "AddrBnm", "AddrBno", "AddrFlno", "AddrSt", "AddrLoc", "StateCode",
            "AddrPncd", "TxpType", "Status", "BlkStatus", "DtReg",
        ] {
            #expect(details[field] != nil, "no \(field)")
        }
        #expect(details["StateCode"] == "27")
        // Within its validity the same token comes back.
        #expect(try await fixture.authenticate().authToken == session.authToken)
    }

    @Test func credentialErrorsHaveNICsCodes() async throws {
        let fixture = try await APIFixture.make()
        defer { fixture.portal.stop() }
        #expect(await nicCode { _ = try await fixture.authenticate(password: secret("Wrong@Pass2024")) } == "1019")
        #expect(await nicCode { _ = try await fixture.authenticate(userID: "NOSUCHUSER1") } == "1017")
        #expect(await nicCode { _ = try await fixture.authenticate(clientSecret: secret("WRONGSECRET")) } == "1010")
        let otherKey = try NICCrypto.generateRSAKeyPair().publicPEM
        #expect(await nicCode { _ = try await fixture.authenticate(key: otherKey) } == "1013")
        let explained = NICAuthError(code: "1013", message: "Decryption of password failed")
        #expect(explained.description.contains("sandbox and production keys differ"))
        #expect(NICAuthError(code: "1019", message: "").description.contains("nicvault update"))
    }

    @Test func headersInBothSpellingsAndMissingOnes() async throws {
        let fixture = try await APIFixture.make()
        defer { fixture.portal.stop() }
        let secretText = fixture.clientSecret.unsafeStringValue()
        let documented = ["client_id": fixture.clientID, "client_secret": secretText, "Gstin": fixture.gstin.value]
        let hyphenated = ["client-id": fixture.clientID, "client-secret": secretText, "gstin": fixture.gstin.value]
        #expect(try await fixture.raw(headers: documented, login: fixture.login).0 == nil)
        #expect(try await fixture.raw(headers: hyphenated, login: fixture.login).0 == nil)
        var noGSTIN = documented
        noGSTIN["Gstin"] = nil
        #expect(try await fixture.raw(headers: noGSTIN, login: fixture.login).0 == "1004")
        var noID = documented
        noID["client_id"] = nil
        #expect(try await fixture.raw(headers: noID, login: fixture.login).0 == "1011")
        var noSecret = documented
        noSecret["client_secret"] = nil
        #expect(try await fixture.raw(headers: noSecret, login: fixture.login).0 == "1012")
        var otherGSTIN = documented
        otherGSTIN["Gstin"] = "29AACCK5521H1ZK"
        #expect(try await fixture.raw(headers: otherGSTIN, login: fixture.login).0 == "1015")
        var noUser = fixture.login
        noUser["UserName"] = ""
        #expect(try await fixture.raw(headers: documented, login: noUser).0 == "1006")
        var badAppKey = fixture.login
        badAppKey["AppKey"] = "not base64 of 32 bytes"
        #expect(try await fixture.raw(headers: documented, login: badAppKey).0 == "1016")
    }

    @Test func forceRefreshOnlyInTheLastTenMinutes() async throws {
        let fixture = try await APIFixture.make()
        defer { fixture.portal.stop() }
        let headers = [
            "client_id": fixture.clientID, "client_secret": fixture.clientSecret.unsafeStringValue(),
            "Gstin": fixture.gstin.value,
        ]
        var force = fixture.login
        force["ForceRefreshAccessToken"] = true
        let first = try await fixture.raw(headers: headers, login: fixture.login).1?["AuthToken"] as? String
        let early = try await fixture.raw(headers: headers, login: force).1?["AuthToken"] as? String
        #expect(first != nil && early == first)
        fixture.portal.clock.advance(seconds: 51 * 60)
        let late = try await fixture.raw(headers: headers, login: force).1?["AuthToken"] as? String
        #expect(late != nil && late != first)
        fixture.portal.clock.advance(seconds: 61 * 60)
        let afterExpiry = try await fixture.raw(headers: headers, login: fixture.login).1?["AuthToken"] as? String
        #expect(afterExpiry != late)
    }

    @Test func repeatedFailuresLockTheUserOut() async throws {
        let fixture = try await APIFixture.make()
        defer { fixture.portal.stop() }
        for _ in 0..<5 {
            #expect(await nicCode { _ = try await fixture.authenticate(password: secret("Wrong@Pass2024")) } == "1019")
        }
        // Locked: even the right password is refused until the lock ends.
        #expect(await nicCode { _ = try await fixture.authenticate() } == "1008")
        fixture.portal.clock.advance(seconds: 901)
        #expect(try await fixture.authenticate().authToken.count > 0)
    }

    @Test func clientOfAnotherGSPIsNotMapped() async throws {
        let fixture = try await APIFixture.make(
            gsp: "Tera Software Limited", clientGSP: "Adaequare Info Private Limited")
        defer { fixture.portal.stop() }
        #expect(await nicCode { _ = try await fixture.authenticate() } == "1018")
    }

    @Test func invalidTokenIsRefusedForMasterCalls() async throws {
        let fixture = try await APIFixture.make()
        defer { fixture.portal.stop() }
        let session = try await fixture.authenticate()
        let forged = NICSession(
            clientID: session.clientID, userName: session.userName, authToken: "forged",
            sessionKey: session.sessionKey, tokenExpiry: session.tokenExpiry)
        #expect(
            await nicCode {
                _ = try await fixture.client.gstinDetails(
                    fixture.gstin, session: forged, gstin: fixture.gstin, clientSecret: fixture.clientSecret)
            } == "1005")
        // A live token with another GSTIN in the header: 1015.
        let other = gstin("29AACCK5521H1ZK")
        #expect(
            await nicCode {
                _ = try await fixture.client.gstinDetails(
                    fixture.gstin, session: session, gstin: other, clientSecret: fixture.clientSecret)
            } == "1015")
    }

    @Test func theEnvelopeKeepsItsNulls() async throws {
        let fixture = try await APIFixture.make()
        defer { fixture.portal.stop() }
        var request = URLRequest(url: fixture.portal.url.appendingPathComponent("eivital/v1.04/auth"))
        request.httpMethod = "POST"
        request.httpBody = Data("{}".utf8)
        let (data, _) = try await URLSession.shared.data(for: request)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"Data\":null") && text.contains("\"InfoDtls\":null"))
    }
}
