import Foundation
import GST
import PortalWire

/// What `verify` proved: NIC accepted the user for the GSTIN, and the session key read the GSTIN back.
public struct VerificationResult: Sendable {
    public let userID: String
    public let gstin: String
    /// As NIC writes it: "yyyy-MM-dd HH:mm:ss" in IST.
    public let tokenExpiry: String
    public let legalName: String
    public let status: String
}

/// Proves a stored API credential against NIC's auth API (v1.04), or a sandbox portal that speaks it.
public struct CredentialVerifier: Sendable {
    /// The base URL (`/eivital/v1.04/auth` is appended).
    public let baseURL: URL
    /// True for a sandbox portal, which serves its public key when the client has none stored.
    public let isSandboxPortal: Bool
    public let timeout: Double

    public init(baseURL: URL, isSandboxPortal: Bool, timeout: Double) {
        self.baseURL = baseURL
        self.isSandboxPortal = isSandboxPortal
        self.timeout = timeout
    }

    /// NIC's own API for production credentials.
    public static func nic(production: Bool, timeout: Double) -> CredentialVerifier {
        CredentialVerifier(
            baseURL: URL(string: NICEndpoints.api(production: production))!, isSandboxPortal: false, timeout: timeout)
    }

    /// Authenticates `credential` with `client` and reads its GSTIN back under the session key.
    public func verify(_ credential: Credential, client: APIClient) async throws -> VerificationResult {
        var publicKey = client.publicKeyPEM
        if publicKey == nil && isSandboxPortal { publicKey = try await sandboxPublicKey() }
        guard let publicKey else { throw VerifierError.noPublicKey(client: client.name) }
        let api = NICAuthClient(baseURL: baseURL, timeout: timeout)
        let session = try await api.authenticate(
            gstin: credential.gstin, userName: credential.userID, password: credential.password,
            clientID: client.clientID, clientSecret: client.clientSecret, publicKeyPEM: publicKey)
        let details = try await api.gstinDetails(
            credential.gstin, session: session, gstin: credential.gstin, clientSecret: client.clientSecret)
        return VerificationResult(
            userID: credential.userID, gstin: credential.gstin.value, tokenExpiry: session.tokenExpiry,
            legalName: details["LegalName"] ?? "?", status: details["Status"] ?? "?")
    }

    /// The sandbox portal's RSA public key (PEM).
    func sandboxPublicKey() async throws -> String {
        let http = JSONHTTPClient(baseURL: baseURL, timeout: timeout)
        guard let answer = try? await http.exchange("GET", PortalRoute.publicKey.path), answer.status == 200 else {
            throw VerifierError.publicKeyUnavailable(portal: baseURL.absoluteString)
        }
        return String(decoding: answer.body, as: UTF8.self)
    }
}

/// Why a credential could not be put to the test at all.
public enum VerifierError: Error, Sendable, CustomStringConvertible {
    case noPublicKey(client: String)
    case publicKeyUnavailable(portal: String)

    public var description: String {
        switch self {
        case .noPublicKey(let client):
            "no NIC public key is stored with client \(client); download it from the portal and add the client "
                + "again with --public-key FILE"
        case .publicKeyUnavailable(let portal): "could not fetch the sandbox portal's public key from \(portal)"
        }
    }
}
