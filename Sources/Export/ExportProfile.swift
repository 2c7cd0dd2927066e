import Foundation
import GST
import NICCrypto
import NICVault
import PortalWire
import Sodium

/// Why an export was refused.
public enum ExportError: Error, Equatable, Sendable, CustomStringConvertible {
    case nothingSelected
    case mixedEnvironments
    case oneCredentialOnly(profile: String, count: Int)
    case clientMissing(credential: String, profile: String)
    case companyMissing
    case notRepresentable(key: String, credential: String, reason: String)
    /// The tool authenticates API users only, through one GSP.
    case needsAPIUser(credential: String, profile: String, gsp: String)
    /// An API user made through another GSP: the tool's GSP would answer NIC's 1018.
    case wrongGSP(credential: String, profile: String, has: String, needs: String)
    case encryptNeedsNICAuth
    case encryptNeedsPublicKey

    public var description: String {
        switch self {
        case .nothingSelected: "no credential matches; see: nicvault list"
        case .encryptNeedsNICAuth: "--encrypt applies to --profile nic-auth"
        case .encryptNeedsPublicKey:
            "--encrypt needs NIC's public key: --public-key FILE, or a client added with --public-key"
        case .mixedEnvironments:
            "the selection holds sandbox and production credentials; export one environment at a time with --env"
        case .oneCredentialOnly(let profile, let count):
            "the \(profile) profile takes one credential, and \(count) match; name the GSTIN and --kind"
        case .clientMissing(let credential, let profile):
            "\(credential) has no API client, which the \(profile) profile needs; add one with "
                + "nicvault client add NAME --env ENV, then link it: nicvault set GSTIN --client NAME"
        case .companyMissing: "the india-compliance profile needs --company (the ERPNext Company name)"
        case .notRepresentable(let key, let credential, let reason):
            "\(key) of \(credential) cannot be written as dotenv exactly (\(reason)); "
                + "use --profile env, or nicvault exec, which pass any value"
        case .needsAPIUser(let credential, let profile, let gsp):
            "\(credential) is a portal login; \(profile) needs an API user made through \(gsp) (API Registration "
                + "on the portal), stored with --kind api; export with --kind api"
        case .wrongGSP(let credential, let profile, let has, let needs):
            "\(credential) was made through \(has), but \(profile) authenticates through \(needs) (NIC would answer "
                + "1018); make an API user through \(needs) on the portal and add it"
        }
    }
}

/// The formats nicvault exports, one per consumer (docs/export.md).
public enum ExportProfile: String, CaseIterable, Sendable {
    case json
    case env
    case dotenv
    case gstIRN = "gst-irn"
    case indiaCompliance = "india-compliance"
    case odoo
    case nicAuth = "nic-auth"

    /// Profiles that describe exactly one credential.
    public var takesOneCredential: Bool { [.env, .dotenv, .gstIRN, .nicAuth].contains(self) }
    /// Profiles that cannot work without an API client id and secret.
    public var needsClient: Bool { [.gstIRN, .nicAuth].contains(self) }

    /// The GSP a tool authenticates through (nic-domain.md, corrections), as people write its name, and the
    /// words that recognise it in a stored GSP name. India Compliance (ERPNext) goes through Adaequare; Odoo 17
    /// and later through BVM IT Consulting Services, Odoo 16 and older through Tera Software.
    public var toolGSP: (name: String, accepts: [String])? {
        switch self {
        case .indiaCompliance: ("Adaequare", ["adaequare"])
        case .odoo: ("BVM IT Consulting Services (Odoo 17+) or Tera Software (Odoo 16)", ["bvm", "tera"])
        default: nil
        }
    }
}

/// One credential with the API client it refers to, if any.
public struct ExportItem: Sendable {
    public let credential: Credential
    public let client: APIClient?

    public init(credential: Credential, client: APIClient?) {
        self.credential = credential
        self.client = client
    }
}

/// Extra inputs some profiles take.
public struct ExportOptions: Sendable {
    /// PEM of NIC's public key, for gst-irn's PUBLIC_KEY.
    public var publicKeyPEM: String?
    /// ERPNext Company name for india-compliance (else the credential's legal name is refused: too risky to guess).
    public var company: String?
    /// Where the AppKey of nic-auth comes from.
    public var random: any RandomSource = SystemRandom()
    /// nic-auth only: also encrypt the body as NIC requires, ready to post, with `publicKeyPEM`, else the
    /// public key stored with the credential's client.
    public var encrypt = false

    public init(publicKeyPEM: String? = nil, company: String? = nil) {
        self.publicKeyPEM = publicKeyPEM
        self.company = company
    }
}

/// Renders a selection of credentials in a profile's format.
public struct Exporter: Sendable {
    public let profile: ExportProfile
    public let options: ExportOptions

    public init(profile: ExportProfile, options: ExportOptions = ExportOptions()) {
        self.profile = profile
        self.options = options
    }

    /// Checks the selection against the profile's rules.
    public func check(_ items: [ExportItem]) throws {
        guard !items.isEmpty else { throw ExportError.nothingSelected }
        if Set(items.map(\.credential.environment)).count > 1 { throw ExportError.mixedEnvironments }
        if profile.takesOneCredential && items.count != 1 {
            throw ExportError.oneCredentialOnly(profile: profile.rawValue, count: items.count)
        }
        if profile.needsClient, let missing = items.first(where: { $0.client == nil }) {
            throw ExportError.clientMissing(credential: missing.credential.key.description, profile: profile.rawValue)
        }
        if profile == .indiaCompliance && (options.company ?? "").isEmpty { throw ExportError.companyMissing }
        if options.encrypt {
            guard profile == .nicAuth else { throw ExportError.encryptNeedsNICAuth }
            guard encryptionKey(items) != nil else { throw ExportError.encryptNeedsPublicKey }
        }
        if let tool = profile.toolGSP {
            for item in items {
                let key = item.credential.key.description
                guard item.credential.kind == .api else {
                    throw ExportError.needsAPIUser(credential: key, profile: profile.rawValue, gsp: tool.name)
                }
                // An API user whose GSP was not recorded (added by hand) is let through: it may be the right one.
                if let gsp = item.credential.gsp, !tool.accepts.contains(where: { gsp.lowercased().contains($0) }) {
                    throw ExportError.wrongGSP(credential: key, profile: profile.rawValue, has: gsp, needs: tool.name)
                }
            }
        }
    }

    /// What the output leaves out that its reader may need, for the person running it (never a secret):
    /// gst-irn without NIC's public key; an API user without an API client in the NIC_* variables (NIC's auth
    /// asks for a client id and secret with every API log-in).
    public func notes(_ items: [ExportItem]) -> [String] {
        var notes: [String] = []
        if profile == .gstIRN && options.publicKeyPEM == nil {
            notes.append("warning: no --public-key; the gst-irn .env has no PUBLIC_KEY line")
        }
        if profile == .env || profile == .dotenv {
            for item in items where item.credential.kind == .api && item.client == nil {
                let c = item.credential
                notes.append(
                    "note: \(c.key) has no API client linked: NIC_CLIENT_ID and NIC_CLIENT_SECRET are left out "
                        + "(link one with: nicvault set \(c.gstin.value) --kind api --env \(c.environment.rawValue) "
                        + "--client NAME)")
            }
        }
        return notes
    }

    /// The public key nic-auth's --encrypt seals with: the one given, else the client's.
    func encryptionKey(_ items: [ExportItem]) -> String? {
        options.publicKeyPEM ?? items.first?.client?.publicKeyPEM
    }

    /// The environment variables of one credential, for `env`, `dotenv`, `gst-irn` and `exec`, in output order.
    public func variables(_ item: ExportItem) -> [(String, String)] {
        let c = item.credential
        switch profile {
        case .gstIRN:
            var pairs = [
                ("GSTIN", c.gstin.value), ("CLIENT_ID", item.client?.clientID ?? ""),
                ("CLIENT_SECRET", item.client?.clientSecret.unsafeStringValue() ?? ""), ("API_USERNAME", c.userID),
                ("API_PASSWORD", c.password.unsafeStringValue()),
            ]
            if let pem = options.publicKeyPEM { pairs.append(("PUBLIC_KEY", pem)) }
            return pairs
        default:
            var pairs = [
                ("NIC_GSTIN", c.gstin.value), ("NIC_USERNAME", c.userID),
                ("NIC_PASSWORD", c.password.unsafeStringValue()),
            ]
            if let client = item.client {
                pairs += [
                    ("NIC_CLIENT_ID", client.clientID), ("NIC_CLIENT_SECRET", client.clientSecret.unsafeStringValue()),
                ]
            }
            pairs += [
                ("NIC_ENVIRONMENT", c.environment.rawValue),
                ("NIC_AUTH_URL", NICEndpoints.auth(production: c.environment == .production)),
            ]
            return pairs
        }
    }

    /// The exported bytes, in locked memory. They hold secrets: write them where they belong and drop them.
    public func bytes(_ items: [ExportItem]) throws -> SecureBytes {
        try check(items)
        if profile == .json {
            return try ExportDocument.json(
                environment: items[0].credential.environment, credentials: items.map(\.credential),
                clients: clients(of: items))
        }
        var text = try render(items)
        return try text.withUTF8 { try SecureBytes(copying: UnsafeRawBufferPointer($0)) }
    }

    /// Each API client the items use, once, in the order first used.
    private func clients(of items: [ExportItem]) -> [APIClient] {
        var clients: [APIClient] = []
        for item in items {
            if let client = item.client, !clients.contains(where: { $0.name == client.name }) {
                clients.append(client)
            }
        }
        return clients
    }

    /// The exported text. It holds secrets in a String, which cannot be wiped: prefer `bytes(_:)`.
    public func render(_ items: [ExportItem]) throws -> String {
        try check(items)
        switch profile {
        case .env:
            return variables(items[0]).map { "export \($0)=\(Quoting.shell($1))\n" }.joined()
        case .dotenv, .gstIRN:
            return try variables(items[0]).map { key, value in
                switch Quoting.dotenv(value) {
                case .success(let quoted): return "\(key)=\(quoted)\n"
                case .failure(let problem):
                    throw ExportError.notRepresentable(
                        key: key, credential: items[0].credential.key.description, reason: problem.reason)
                }
            }.joined()
        case .json:
            let document = try bytes(items)
            return document.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
        case .indiaCompliance:
            let rows = items.map {
                IndiaComplianceRow(
                    company: options.company ?? "", gstin: $0.credential.gstin.value, username: $0.credential.userID,
                    password: $0.credential.password.unsafeStringValue())
            }
            return try json(IndiaComplianceBody(credentials: rows))
        case .odoo:
            let records = items.map {
                OdooRecord(
                    match: ["vat": $0.credential.gstin.value],
                    values: .init(
                        l10n_in_edi_username: $0.credential.userID,
                        l10n_in_edi_password: $0.credential.password.unsafeStringValue(),
                        l10n_in_edi_production_env: $0.credential.environment == .production))
            }
            return try json(records)
        case .nicAuth:
            let item = items[0]
            let appKey = Data(options.random.bytes(count: 32)).base64EncodedString()
            let request = NICAuthRequest(
                url: NICEndpoints.auth(production: item.credential.environment == .production),
                headers: [
                    "Content-Type": "application/json", "client_id": item.client!.clientID,
                    "client_secret": item.client!.clientSecret.unsafeStringValue(),
                    "Gstin": item.credential.gstin.value,
                ],
                body: .init(
                    UserName: item.credential.userID, Password: item.credential.password.unsafeStringValue(),
                    AppKey: appKey, ForceRefreshAccessToken: false))
            guard options.encrypt, let pem = encryptionKey(items) else { return try json(request) }
            // {"Data": base64(RSA-PKCS#1-v1.5(base64(JSON)))}, with the AppKey beside it to decrypt the Sek.
            let plain = try JSONEncoder().encode(request.body)
            let sealed = try NICCrypto.rsaEncrypt(Array(plain.base64EncodedString().utf8), publicKeyPEM: pem)
            return try json(
                NICAuthEncrypted(
                    url: request.url, headers: request.headers, body: ["Data": Data(sealed).base64EncodedString()],
                    appKey: appKey))
        }
    }

    private func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
    }
}

struct IndiaComplianceRow: Encodable {
    var company: String
    var service = "e-Waybill / e-Invoice"
    var gstin: String
    var username: String
    var password: String
}

struct IndiaComplianceBody: Encodable { var credentials: [IndiaComplianceRow] }

struct OdooRecord: Encodable {
    struct Values: Encodable {
        // The exact field names of Odoo's res.company (l10n_in_edi).
        var l10n_in_edi_username: String
        var l10n_in_edi_password: String
        var l10n_in_edi_production_env: Bool
    }
    var model = "res.company"
    var match: [String: String]
    var values: Values
}

struct NICAuthEncrypted: Encodable {
    var method = "POST"
    var url: String
    var headers: [String: String]
    var body: [String: String]
    /// Keep it: the Sek in NIC's answer is encrypted under it.
    var appKey: String
}

struct NICAuthRequest: Encodable {
    struct Body: Encodable {
        // NIC's exact field names (v1.04 auth).
        var UserName: String
        var Password: String
        var AppKey: String
        var ForceRefreshAccessToken: Bool
    }
    var method = "POST"
    var url: String
    var headers: [String: String]
    var body: Body
}
