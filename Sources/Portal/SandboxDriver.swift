import Foundation
import GST

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Speaks HTTP to the sandbox portal (`nicvault sandbox serve`, or the one `--portal sandbox` runs in process).
public struct SandboxDriver: PortalDriver {
    public let baseURL: URL
    public let timeout: Double
    private let session: URLSession

    public init(baseURL: URL, timeout: Double = 15) {
        self.baseURL = baseURL
        self.timeout = timeout
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout
        session = URLSession(configuration: configuration)
    }

    public var name: String { "sandbox portal at \(baseURL.absoluteString)" }
    public var needsOTPCode: Bool { true }

    struct TaxpayerBody: Decodable {
        var gstin: String
        var legalName: String
        var tradeName: String?
        var state: String
        var mobile: String
        var email: String
    }
    struct OTPBody: Decodable {
        var requestId: String
        var sentTo: String
    }
    struct VerifyBody: Decodable { var verificationToken: String }
    struct Empty: Decodable {}
    struct OutboxBody: Decodable {
        struct Message: Decodable {
            var id: Int
            var gstin: String
            var text: String
        }
        var messages: [Message]
    }
    struct ErrorBody: Decodable {
        struct Detail: Decodable {
            var code: String
            var message: String
            var attemptsLeft: Int?
            var retryAfterSeconds: Int?
            var problems: [String]?
        }
        var error: Detail
    }

    public func lookUp(_ gstin: GSTIN) async throws -> TaxpayerDetails {
        let body: TaxpayerBody = try await call("GET", "/api/v1/taxpayers/\(gstin.value)")
        return TaxpayerDetails(
            gstin: body.gstin, legalName: body.legalName, tradeName: body.tradeName, state: body.state,
            maskedMobile: body.mobile, maskedEmail: body.email)
    }

    public func sendOTP(_ gstin: GSTIN) async throws -> OTPChallenge {
        let mark = (try? await outbox(gstin: gstin, after: 0).map(\.id).max()) ?? 0
        let body: OTPBody = try await call("POST", "/api/v1/otp", json: ["gstin": gstin.value])
        return OTPChallenge(requestID: body.requestId, sentTo: body.sentTo, outboxMark: mark)
    }

    public func verifyOTP(_ challenge: OTPChallenge, code: String) async throws -> Verification {
        let body: VerifyBody = try await call(
            "POST", "/api/v1/otp/verify", json: ["requestId": challenge.requestID, "otp": code])
        return Verification(token: body.verificationToken)
    }

    public func createUser(
        _ verification: Verification, gstin: GSTIN, kind: CredentialKind, gsp: String?, userID: String, password: Secret
    ) async throws {
        var fields = [
            "verificationToken": verification.token, "kind": kind.rawValue, "userId": userID,
            "password": password.unsafeStringValue(),
        ]
        if let gsp { fields["gsp"] = gsp }
        let _: Empty = try await call("POST", "/api/v1/users", json: fields)
    }

    public func checkLogin(userID: String, password: Secret) async throws -> LoginOutcome {
        do {
            let _: Empty = try await call(
                "POST", "/api/v1/login", json: ["userId": userID, "password": password.unsafeStringValue()])
            return .accepted
        } catch PortalError.refused(let code, _, _, _, _) where code == "invalid-credentials" {
            return .rejected
        }
    }

    /// Changes a password on the sandbox portal (rotation).
    public func changePassword(userID: String, old: Secret, new: Secret) async throws {
        let _: Empty = try await call(
            "POST", "/api/v1/password",
            json: ["userId": userID, "oldPassword": old.unsafeStringValue(), "newPassword": new.unsafeStringValue()])
    }

    /// Messages of the sandbox outbox (sandbox only: the real portal sends SMS).
    public func outbox(gstin: GSTIN, after: Int) async throws -> [(id: Int, text: String)] {
        let body: OutboxBody = try await call("GET", "/sandbox/outbox?gstin=\(gstin.value)&after=\(after)")
        return body.messages.map { ($0.id, $0.text) }
    }

    /// Waits for the OTP of `challenge` to arrive in the sandbox outbox and returns its six digits.
    public func otpFromOutbox(_ challenge: OTPChallenge, gstin: GSTIN, wait: Double = 10) async throws -> String {
        let deadline = Date().addingTimeInterval(wait)
        while Date() < deadline {
            for message in try await outbox(gstin: gstin, after: challenge.outboxMark ?? 0).reversed() {
                let digits = message.text.prefix(6)
                if digits.count == 6, digits.allSatisfy(\.isNumber) { return String(digits) }
            }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        throw PortalError.badAnswer("no OTP for \(gstin) arrived in the sandbox outbox within \(Int(wait)) s")
    }

    private func call<T: Decodable>(_ method: String, _ path: String, json: [String: String]? = nil) async throws -> T {
        guard let url = URL(string: baseURL.absoluteString.trimmingCharacters(in: ["/"]) + path) else {
            throw PortalError.badAnswer("bad URL for \(path)")
        }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.timeoutInterval = timeout
        if let json {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
        }
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await session.data(for: request)
        } catch let error as URLError {
            throw PortalError(error, portal: baseURL, timeout: timeout)
        }
        guard let http = response as? HTTPURLResponse else { throw PortalError.badAnswer("not HTTP") }
        if (200..<300).contains(http.statusCode) {
            if T.self == Empty.self { return Empty() as! T }
            do {
                return try JSONDecoder().decode(T.self, from: data)
            } catch {
                throw PortalError.badAnswer("\(method) \(path) answered \(http.statusCode) with an unexpected body")
            }
        }
        // Only a 4xx with the portal's own error body is a refusal; a 5xx may come after the change was made.
        if (400..<500).contains(http.statusCode), let failure = try? JSONDecoder().decode(ErrorBody.self, from: data) {
            throw PortalError.refused(
                code: failure.error.code, message: failure.error.message, problems: failure.error.problems ?? [],
                attemptsLeft: failure.error.attemptsLeft, retryAfter: failure.error.retryAfterSeconds)
        }
        throw PortalError.answerLost(
            portal: baseURL.absoluteString, reason: "\(method) \(path) answered HTTP \(http.statusCode)")
    }
}

extension PortalError {
    /// What a failed HTTP exchange means. Only a connection that was never made proves the request was not
    /// sent; a time-out, a reset or a cut answer may come after the portal acted on it.
    init(_ error: URLError, portal: URL, timeout: Double) {
        switch error.code {
        case .timedOut:
            self = .timedOut(portal: portal.absoluteString, seconds: timeout)
        case .cannotConnectToHost, .cannotFindHost, .dnsLookupFailed, .notConnectedToInternet, .badURL,
            .unsupportedURL:
            self = .unreachable(portal: portal.absoluteString, reason: error.localizedDescription)
        default:
            self = .answerLost(portal: portal.absoluteString, reason: error.localizedDescription)
        }
    }
}
