import Foundation
import GST
import NICCrypto
import PortalWire
import Sodium

/// The sandbox sent no client message to read (`issueClientReadingTheMessage`).
public struct NoClientMessage: Error, CustomStringConvertible {
    public var description: String { "the sandbox sent no client message that could be read" }
}

/// A refusal in NIC's envelope.
public struct NICFailure: Error, Sendable, Equatable {
    public let code: String
    public var message: String { NICAPI.messages[code] ?? "Error" }
    init(_ code: String) { self.code = code }
}

/// What the sandbox keeps for the NIC API: its RSA key pair, the API clients it issued, live tokens.
struct NICState: Codable {
    struct Client: Codable {
        var clientID: String
        var secretHash: String
        /// nil for direct access (all GSTINs of `pan`), else the GSP's name.
        var gsp: String?
        var pan: String
        var issuedAt: Timestamp
    }

    struct Token: Codable {
        var token: String
        var userID: String
        var gstin: String
        var clientID: String
        /// The session key, base64 (sandbox test data).
        var sek: String
        var expiresAt: Timestamp
    }

    var privateKeyPEM: String
    var publicKeyPEM: String
    var clients: [Client] = []
    var tokens: [Token] = []
}

extension PortalState {
    /// The RSA public key (PEM) that clients encrypt their login with; made on first start.
    public func publicKeyPEM() throws -> String { try transaction { try nic().publicKeyPEM } }

    func nic() throws -> NICState {
        if let existing = state.nic { return existing }
        let pair = try NICCrypto.generateRSAKeyPair()
        state.nic = NICState(privateKeyPEM: pair.privatePEM, publicKeyPEM: pair.publicPEM)
        changed()
        return state.nic!
    }

    /// Issues an API client id and secret for a GSTIN's PAN (direct access) or for a GSP, and sends them to
    /// the GSTIN's registered mobile, as the NIC sandbox does.
    public func issueClient(gstin: String, gsp: String?) throws {
        try transaction {
            let taxpayer = try taxpayer(gstin)
            var nic = try nic()
            let random = SystemRandom()
            let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")
            func code(_ length: Int) -> String {
                String((0..<length).map { _ in alphabet[Int(random.uniform(UInt32(alphabet.count)))] })
            }
            let pan = String(Array(taxpayer.gstin)[2..<12])
            let clientID = "AA" + pan.prefix(3) + taxpayer.gstin.prefix(2) + (gsp == nil ? "TXP" : "GSP") + code(5)
            let secret = code(20)
            nic.clients.append(
                .init(
                    clientID: clientID,
                    secretHash: try PasswordHash.hash(
                        SecureBytes(copying: Array(secret.utf8)), parameters: rules.hashParameters),
                    gsp: gsp.flatMap { $0.isEmpty ? nil : $0 }, pan: pan, issuedAt: clock.now()))
            state.nic = nic
            let text =
                Self.clientMessageStart + clientID + Self.clientMessageMiddle + secret + " "
                + (gsp.map { "(for GSP \($0))" } ?? "(direct access, all GSTINs of PAN \(pan))") + ". - NIC (sandbox)"
            state.outbox.append(
                .init(
                    id: state.nextMessageID, gstin: taxpayer.gstin, to: taxpayer.maskedMobile, text: text,
                    sentAt: clock.now(), readOnce: true,
                    redactedText: "API client \(clientID) issued; the secret was shown once and is no longer kept"))
            state.nextMessageID += 1
            changed()
            logger.info("SMS to \(taxpayer.maskedMobile): API client \(clientID) issued")
        }
    }

    static let clientMessageStart = "Your e-invoice API client id is "
    static let clientMessageMiddle = " and client secret is "

    /// The client id and secret in the message `issueClient` sends, read as the person at the registered mobile
    /// reads it; nil for any other text.
    public static func clientMessage(_ text: String) -> (clientID: String, secret: Secret)? {
        guard text.hasPrefix(clientMessageStart), let middle = text.range(of: clientMessageMiddle) else { return nil }
        let clientID = text[text.index(text.startIndex, offsetBy: clientMessageStart.count)..<middle.lowerBound]
        let secret = text[middle.upperBound...].prefix { $0 != " " }
        guard !clientID.isEmpty, !secret.isEmpty, let sealed = try? Secret(utf8Bytes: Array(secret.utf8)) else {
            return nil
        }
        return (String(clientID), sealed)
    }

    /// Issues a client (`issueClient`) and reads its message from the outbox, once, as the person at the
    /// registered mobile would (the sandbox forgets the secret then): `sandbox client issue`.
    public func issueClientReadingTheMessage(gstin: String, gsp: String?) throws -> (clientID: String, secret: Secret) {
        let before = try outbox(gstin: gstin, after: 0).map(\.id).max() ?? 0
        try issueClient(gstin: gstin, gsp: gsp)
        guard let message = try outbox(gstin: gstin, after: before).last, let issued = Self.clientMessage(message.text)
        else { throw NoClientMessage() }
        return issued
    }

    func client(id: String?, secret: String?) throws(NICFailure) -> NICState.Client {
        guard let id, !id.isEmpty else { throw NICFailure("1011") }
        guard let secret, !secret.isEmpty else { throw NICFailure("1012") }
        guard let client = state.nic?.clients.first(where: { $0.clientID == id }),
            let bytes = try? SecureBytes(copying: Array(secret.utf8)),
            PasswordHash.verify(bytes, against: client.secretHash)
        else { throw NICFailure("1010") }
        return client
    }

    /// POST /eivital/v1.04/auth.
    public func authenticate(
        clientID: String?, clientSecret: String?, gstin headerGSTIN: String?, data: String?
    ) throws -> NICAPI.AuthData {
        try transaction {
            guard let headerGSTIN, !headerGSTIN.isEmpty else { throw NICFailure("1004") }
            let client = try client(id: clientID, secret: clientSecret)
            let nic = try nic()
            // Data = base64(RSA(base64(JSON))).
            guard let data, let encrypted = Foundation.Data(base64Encoded: data),
                let inner = try? NICCrypto.rsaDecrypt(Array(encrypted), privateKeyPEM: nic.privateKeyPEM),
                let json = Foundation.Data(base64Encoded: Foundation.Data(inner))
            else { throw NICFailure("1013") }
            guard let login = try? JSONDecoder().decode(NICAPI.Login.self, from: json) else { throw NICFailure("1007") }
            guard let userName = login.UserName, !userName.isEmpty else { throw NICFailure("1006") }
            guard let appKeyText = login.AppKey, let appKey = Foundation.Data(base64Encoded: appKeyText),
                appKey.count == 32
            else { throw NICFailure("1016") }
            guard
                let index = state.users.firstIndex(where: {
                    $0.userID.lowercased() == userName.lowercased() && $0.kind == "api"
                })
            else { throw NICFailure("1017") }
            let password = try SecureBytes(copying: Array((login.Password ?? "").utf8))
            do {
                _ = try authenticate(state.users[index].userID, password)
            } catch let failure as PortalFailure where failure.code == "account-locked" {
                throw NICFailure("1008")
            } catch {
                throw NICFailure("1019")
            }
            let user = state.users[index]
            guard user.gstin == headerGSTIN.uppercased() else { throw NICFailure("1015") }
            let pan = String(Array(user.gstin)[2..<12])
            let mapped = user.gsp == nil ? (client.gsp == nil && client.pan == pan) : client.gsp == user.gsp
            guard mapped else { throw NICFailure("1018") }
            guard taxpayers[user.gstin]?.status == "active" else { throw NICFailure("1014") }

            let now = clock.now()
            var nicState = state.nic!
            nicState.tokens.removeAll { $0.expiresAt <= now }
            var token = nicState.tokens.first { $0.userID == user.userID && $0.clientID == client.clientID }
            let lastTenMinutes = token.map { now >= $0.expiresAt.adding(seconds: -600) } ?? false
            if token == nil || (login.ForceRefreshAccessToken == true && lastTenMinutes) {
                nicState.tokens.removeAll { $0.userID == user.userID && $0.clientID == client.clientID }
                let fresh = NICState.Token(
                    token: Hex.encode(SystemRandom().bytes(count: 20)), userID: user.userID, gstin: user.gstin,
                    clientID: client.clientID,
                    sek: Foundation.Data(SystemRandom().bytes(count: 32)).base64EncodedString(),
                    expiresAt: now.adding(seconds: 3600))
                nicState.tokens.append(fresh)
                token = fresh
            }
            state.nic = nicState
            changed()
            let sek = Foundation.Data(base64Encoded: token!.sek)!
            let sealedSek = try NICCrypto.aesEncrypt(Array(sek), key: Array(appKey))
            return NICAPI.AuthData(
                ClientId: client.clientID, UserName: user.userID, AuthToken: token!.token,
                Sek: Foundation.Data(sealedSek).base64EncodedString(), TokenExpiry: Self.istString(token!.expiresAt))
        }
    }

    /// GET /eivital/v1.04/Master/gstin/{gstin}: the taxpayer's details, encrypted under the session key.
    public func gstinDetails(
        clientID: String?, clientSecret: String?, gstin headerGSTIN: String?, userName: String?, authToken: String?,
        target: String
    ) throws -> String {
        try transaction {
            guard let headerGSTIN, !headerGSTIN.isEmpty else { throw NICFailure("1004") }
            let client = try client(id: clientID, secret: clientSecret)
            let now = clock.now()
            guard
                let token = state.nic?.tokens.first(where: {
                    ConstantTime.equals(Array($0.token.utf8), Array((authToken ?? "").utf8))
                }),
                token.expiresAt > now, token.clientID == client.clientID,
                token.userID.lowercased() == (userName ?? "").lowercased()
            else { throw NICFailure("1005") }
            // A live token used with another GSTIN in the header: NIC says 1015, not 1005.
            guard token.gstin == headerGSTIN.uppercased() else { throw NICFailure("1015") }
            guard let taxpayer = taxpayers[target.uppercased()] else { throw NICFailure("3028") }
            let details = Self.masterDetails(taxpayer)
            let json = try JSONSerialization.data(withJSONObject: details, options: [.sortedKeys])
            let sealed = try NICCrypto.aesEncrypt(Array(json), key: Array(Foundation.Data(base64Encoded: token.sek)!))
            return Foundation.Data(sealed).base64EncodedString()
        }
    }

    /// The 15 fields NIC documents for GetGSTINDetails, StateCode a number as in NIC's sample. The sandbox's
    /// taxpayers have no street address: the address fields are made up from the names, as test data.
    static func masterDetails(_ taxpayer: Taxpayer) -> [String: Any] {
        let gstin = try? GSTIN(parsing: taxpayer.gstin, environment: .sandbox)
        let stateCode = Int(gstin?.state.code ?? "0") ?? 0
        return [
            "Gstin": taxpayer.gstin, "TradeName": taxpayer.tradeName ?? taxpayer.legalName,
            "LegalName": taxpayer.legalName, "AddrBnm": (taxpayer.tradeName ?? taxpayer.legalName) + " House",
            "AddrBno": "\(10 + stateCode)", "AddrFlno": "Ground Floor", "AddrSt": "Station Road",
            "AddrLoc": gstin?.state.name ?? "", "StateCode": stateCode, "AddrPncd": 100_000 + stateCode * 1_000 + 1,
            "TxpType": "REG", "Status": taxpayer.status == "active" ? "ACT" : "CNL", "BlkStatus": "U",
            "DtReg": "2017-07-01", "DtDReg": NSNull(),
        ]
    }

    /// "yyyy-MM-dd HH:mm:ss" in IST (UTC+05:30), as NIC writes TokenExpiry.
    static func istString(_ time: Timestamp) -> String {
        let ist = time.adding(seconds: 19_800).description  // 2026-11-26T11:09:25Z
        return String(ist.prefix(10)) + " " + String(ist.dropFirst(11).prefix(8))
    }
}
