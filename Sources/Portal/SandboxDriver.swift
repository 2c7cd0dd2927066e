import Foundation
import GST
import PortalWire

/// Speaks HTTP to the sandbox portal (`nicvault sandbox serve`, or the one `--portal sandbox` runs in process).
public struct SandboxDriver: PortalDriver {
    public let baseURL: URL
    public let timeout: Double
    private let http: JSONHTTPClient

    public init(baseURL: URL, timeout: Double = 15) {
        self.baseURL = baseURL
        self.timeout = timeout
        http = JSONHTTPClient(baseURL: baseURL, timeout: timeout)
    }

    public var name: String { "sandbox portal at \(baseURL.absoluteString)" }
    public var needsOTPCode: Bool { true }

    public func lookUp(_ gstin: GSTIN) async throws -> TaxpayerDetails {
        let body: PortalAPI.TaxpayerResponse = try await call(
            .taxpayer, path: PortalRoute.taxpayer.path(gstin: gstin.value))
        return TaxpayerDetails(
            gstin: body.gstin, legalName: body.legalName, tradeName: body.tradeName, state: body.state,
            maskedMobile: body.mobile, maskedEmail: body.email)
    }

    public func sendOTP(_ gstin: GSTIN) async throws -> OTPChallenge {
        try await challenge(for: gstin) { try await call(.otp, PortalAPI.OTPRequest(gstin: gstin.value)) }
    }

    public func verifyOTP(_ challenge: OTPChallenge, code: String) async throws -> Verification {
        let body: PortalAPI.VerifyResponse = try await call(
            .otpVerify, PortalAPI.VerifyRequest(requestId: challenge.requestID, otp: code))
        return Verification(token: body.verificationToken)
    }

    public func createUser(
        _ verification: Verification, gstin: GSTIN, kind: CredentialKind, gsp: String?, userID: String, password: Secret
    ) async throws {
        let _: PortalAPI.UserResponse = try await call(
            .users,
            PortalAPI.CreateUserRequest(
                verificationToken: verification.token, kind: kind.rawValue, gsp: gsp, userId: userID,
                password: password.unsafeStringValue()))
    }

    /// Any user, portal or API (the sandbox's own check: on the real portal an API user is proved through
    /// NIC's auth API).
    public func checkLogin(userID: String, password: Secret) async throws -> LoginOutcome {
        do {
            let _: PortalAPI.UserResponse = try await call(
                .checkLogin, PortalAPI.LoginRequest(userId: userID, password: password.unsafeStringValue()))
            return .accepted
        } catch PortalError.refused(let code, _, _, _, _) where code == "invalid-credentials" {
            return .rejected
        }
    }

    public func openMainSession(userID: String, password: Secret) async throws -> PortalSession {
        let body: PortalAPI.UserResponse = try await call(
            .login, PortalAPI.LoginRequest(userId: userID, password: password.unsafeStringValue()))
        guard let session = body.session else { throw PortalError.badAnswer("the log-in gave no session") }
        return PortalSession(token: session)
    }

    public func gspList() async throws -> [String] {
        let body: PortalAPI.GSPListResponse = try await call(.gsps)
        return body.gsps
    }

    public func sendAPIUserOTP(_ session: PortalSession, gstin: GSTIN) async throws -> OTPChallenge {
        try await challenge(for: gstin) {
            try await call(.apiUserOTP, PortalAPI.SessionRequest(session: session.token))
        }
    }

    public func createAPIUser(
        _ session: PortalSession, _ verification: Verification, gsp: String, userID: String, password: Secret
    ) async throws -> String {
        let body: PortalAPI.UserResponse = try await call(
            .apiUsers,
            PortalAPI.CreateAPIUserRequest(
                session: session.token, verificationToken: verification.token, gsp: gsp, userId: userID,
                password: password.unsafeStringValue()))
        return body.userId
    }

    public func changeAPIUserPassword(
        _ session: PortalSession, _ verification: Verification, userID: String, new: Secret
    ) async throws {
        let _: PortalAPI.StatusResponse = try await call(
            .apiUserPassword,
            PortalAPI.ChangeAPIUserPasswordRequest(
                session: session.token, verificationToken: verification.token, userId: userID,
                newPassword: new.unsafeStringValue()))
    }

    /// Changes a password on the sandbox portal (rotation).
    public func changePassword(userID: String, old: Secret, new: Secret) async throws {
        let _: PortalAPI.StatusResponse = try await call(
            .password,
            PortalAPI.ChangePasswordRequest(
                userId: userID, oldPassword: old.unsafeStringValue(), newPassword: new.unsafeStringValue()))
    }

    /// Asks for an OTP, remembering the last outbox message before it so that the OTP can be found there.
    private func challenge(for gstin: GSTIN, send: () async throws -> PortalAPI.OTPResponse) async throws
        -> OTPChallenge
    {
        let mark = (try? await outbox(gstin: gstin, after: 0).map(\.id).max()) ?? 0
        let body = try await send()
        return OTPChallenge(requestID: body.requestId, sentTo: body.sentTo, outboxMark: mark)
    }

    /// Messages of the sandbox outbox (sandbox only: the real portal sends SMS).
    public func outbox(gstin: GSTIN, after: Int) async throws -> [(id: Int, text: String)] {
        let body: PortalAPI.OutboxResponse = try await call(
            .outbox, path: PortalRoute.outbox.path + "?gstin=\(gstin.value)&after=\(after)")
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

    private func call<T: Decodable>(_ route: PortalRoute, path: String? = nil) async throws -> T {
        try await call(route, path: path, body: nil)
    }

    private func call<T: Decodable>(_ route: PortalRoute, _ request: some Encodable) async throws -> T {
        try await call(route, path: nil, body: JSONHTTPClient.body(request))
    }

    private func call<T: Decodable>(_ route: PortalRoute, path: String?, body: Data?) async throws -> T {
        let path = path ?? route.path
        let answer: (status: Int, body: Data)
        do {
            answer = try await http.exchange(route.method, path, body: body)
        } catch {
            throw PortalError(error, portal: baseURL)
        }
        if (200..<300).contains(answer.status) {
            do {
                return try JSONDecoder().decode(T.self, from: answer.body)
            } catch {
                throw PortalError.badAnswer("\(route.method) \(path) answered \(answer.status) with an unexpected body")
            }
        }
        // Only a 4xx with the portal's own error body is a refusal; a 5xx may come after the change was made.
        if (400..<500).contains(answer.status),
            let failure = try? JSONDecoder().decode(PortalAPI.ErrorResponse.self, from: answer.body)
        {
            throw PortalError.refused(
                code: failure.error.code, message: failure.error.message, problems: failure.error.problems ?? [],
                attemptsLeft: failure.error.attemptsLeft, retryAfter: failure.error.retryAfterSeconds)
        }
        throw PortalError.answerLost(
            portal: baseURL.absoluteString, reason: "\(route.method) \(path) answered HTTP \(answer.status)")
    }
}

extension PortalError {
    /// What a failed HTTP exchange means. Only a connection that was never made proves the request was not
    /// sent; a time-out, a reset or a cut answer may come after the portal acted on it.
    init(_ error: HTTPExchangeError, portal: URL) {
        switch error {
        case .timedOut(let seconds): self = .timedOut(portal: portal.absoluteString, seconds: seconds)
        case .unreachable(let reason): self = .unreachable(portal: portal.absoluteString, reason: reason)
        case .lost(let reason): self = .answerLost(portal: portal.absoluteString, reason: reason)
        }
    }
}
