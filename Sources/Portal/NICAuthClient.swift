import Foundation
import GST
import NICCrypto
import PortalWire

/// A refusal of NIC's auth API, with what it means for the person who must fix it.
public struct NICAuthError: Error, Equatable, Sendable, CustomStringConvertible {
    public let code: String
    public let message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    /// What to do, per NIC error code.
    public var advice: String {
        switch code {
        case "1008", "1019":
            "the password is wrong: if it was changed on the portal, record it with nicvault update; "
                + "do not retry (NIC blocks users after repeated failures)"
        case "1017": "no API user with this user id on this IRP and environment: check --env and the user id"
        case "1010":
            "the client id or secret is wrong: store the right ones with nicvault client update NAME --env ENV "
                + "(nicvault client list names the clients)"
        case "1011", "1012", "1004", "1006": "the request lacked a field; this is a nicvault bug, please report it"
        case "1013", "1016":
            "NIC could not decrypt the request: the public key is not this environment's (sandbox and production "
                + "keys differ); store the right one with nicvault client update NAME --env ENV --public-key FILE"
        case "1014": "the GSTIN is inactive or not enabled for e-invoicing on this IRP"
        case "1015": "the user belongs to another GSTIN: check which GSTIN the credential is for"
        case "1018":
            "the API user was made through another GSP (or direct): link the client of the GSP it was made with"
        case "1005": "the token is not valid (expired or for another user); authenticate again"
        case "1007": "NIC rejected the request as malformed; check the public key and the client"
        default: "see NIC's error list for this code"
        }
    }

    public var description: String { "NIC error \(code) (\(message)): \(advice)" }
}

/// What a successful authentication gives.
public struct NICSession: Sendable {
    public init(clientID: String, userName: String, authToken: String, sessionKey: [UInt8], tokenExpiry: String) {
        self.clientID = clientID
        self.userName = userName
        self.authToken = authToken
        self.sessionKey = sessionKey
        self.tokenExpiry = tokenExpiry
    }

    public let clientID: String
    public let userName: String
    public let authToken: String
    /// The session key, decrypted with the AppKey (32 bytes).
    public let sessionKey: [UInt8]
    /// As NIC writes it: "yyyy-MM-dd HH:mm:ss" in IST.
    public let tokenExpiry: String
}

/// A client of NIC's e-invoice auth API (v1.04), for `nicvault verify`.
public struct NICAuthClient: Sendable {
    public let baseURL: URL
    public let timeout: Double
    private let http: JSONHTTPClient

    public init(baseURL: URL, timeout: Double = 20) {
        self.baseURL = baseURL
        self.timeout = timeout
        http = JSONHTTPClient(baseURL: baseURL, timeout: timeout)
    }

    /// POST /eivital/v1.04/auth with the credential, the client and NIC's public key for the environment.
    public func authenticate(
        gstin: GSTIN, userName: String, password: Secret, clientID: String, clientSecret: Secret, publicKeyPEM: String
    ) async throws -> NICSession {
        let appKey = (0..<32).map { _ in UInt8.random(in: 0...255) }
        let login = NICAPI.Login(
            UserName: userName, Password: password.unsafeStringValue(), AppKey: Data(appKey).base64EncodedString(),
            ForceRefreshAccessToken: false)
        let json = JSONHTTPClient.body(login) ?? Data()
        let encrypted = try NICCrypto.rsaEncrypt(Array(json.base64EncodedString().utf8), publicKeyPEM: publicKeyPEM)
        let data: NICAPI.AuthData = try await send(
            .nicAuth, path: PortalRoute.nicAuth.path,
            body: JSONHTTPClient.body(PortalAPI.AuthRequest(Data: Data(encrypted).base64EncodedString())),
            headers: ["client_id": clientID, "client_secret": clientSecret.unsafeStringValue(), "Gstin": gstin.value])
        guard let sealedSek = Data(base64Encoded: data.Sek),
            let sek = try? NICCrypto.aesDecrypt(Array(sealedSek), key: appKey), sek.count == 32
        else { throw PortalError.badAnswer("the session key (Sek) does not decrypt with the AppKey") }
        return NICSession(
            clientID: data.ClientId, userName: data.UserName, authToken: data.AuthToken, sessionKey: sek,
            tokenExpiry: data.TokenExpiry)
    }

    /// GET /eivital/v1.04/Master/gstin/{gstin}, decrypted with the session key: proves the session works.
    public func gstinDetails(
        _ target: GSTIN, session nic: NICSession, gstin: GSTIN, clientSecret: Secret
    ) async throws -> [String: String] {
        let encrypted: String = try await send(
            .nicGSTIN, path: PortalRoute.nicGSTIN.path(gstin: target.value), body: nil,
            headers: [
                "client_id": nic.clientID, "client_secret": clientSecret.unsafeStringValue(), "Gstin": gstin.value,
                "user_name": nic.userName, "AuthToken": nic.authToken,
            ])
        guard let bytes = Data(base64Encoded: encrypted),
            let plain = try? NICCrypto.aesDecrypt(Array(bytes), key: nic.sessionKey),
            let object = try? JSONSerialization.jsonObject(with: Data(plain)) as? [String: Any]
        else { throw PortalError.badAnswer("the GSTIN details do not decrypt with the session key") }
        // NIC mixes strings and numbers (StateCode, AddrPncd); null fields are left out.
        return object.compactMapValues { value in
            if value is NSNull { return nil }
            return value as? String ?? "\(value)"
        }
    }

    private func send<T: Codable & Sendable>(
        _ route: PortalRoute, path: String, body: Data?, headers: [String: String]
    ) async throws -> T {
        let answer: (status: Int, body: Data)
        do {
            answer = try await http.exchange(route.method, path, body: body, headers: headers)
        } catch {
            throw PortalError(error, portal: baseURL)
        }
        guard answer.status == 200 else {
            throw PortalError.answerLost(
                portal: baseURL.absoluteString, reason: "HTTP \(answer.status) from \(path)")
        }
        guard let envelope = try? JSONDecoder().decode(NICAPI.Envelope<T>.self, from: answer.body) else {
            throw PortalError.badAnswer("not NIC's envelope")
        }
        if envelope.Status == 1, let value = envelope.Data { return value }
        let detail = envelope.ErrorDetails?.first
        throw NICAuthError(code: detail?.ErrorCode ?? "unknown", message: detail?.ErrorMessage ?? "refused")
    }
}
