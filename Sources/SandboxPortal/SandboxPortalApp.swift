import Foundation
import GST
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PortalWire
import Sodium

extension PortalFailure: HTTPResponseError {
    public var status: HTTPResponse.Status { .init(code: statusCode) }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = PortalAPI.ErrorResponse(
            error: .init(
                code: code, message: message, attemptsLeft: attemptsLeft, retryAfterSeconds: retryAfterSeconds,
                problems: problems))
        return try jsonResponse(body, status: .init(code: statusCode))
    }
}

func jsonResponse(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let data = try encoder.encode(value)
    return Response(
        status: status, headers: [.contentType: "application/json"],
        body: .init(byteBuffer: ByteBuffer(bytes: data)))
}

/// Builds the sandbox portal: a router of small handlers over one `PortalState` actor.
public enum SandboxPortalApp {
    /// The router with every route of the portal.
    public static func router(state: PortalState) -> Router<BasicRequestContext> {
        let router = Router()
        var served: Set<PortalRoute> = []
        func serve(
            _ route: PortalRoute,
            _ handler: @Sendable @escaping (Request, BasicRequestContext) async throws -> Response
        ) {
            served.insert(route)
            router.on(RouterPath(stringLiteral: route.routerPath), method: .init(rawValue: route.method)!, use: handler)
        }
        serve(.health) { _, _ in try jsonResponse(PortalAPI.StatusResponse(status: "ok")) }

        serve(.taxpayer) { _, context in
            let text = try context.parameters.require("gstin")
            let taxpayer = try await state.lookUp(text)
            let gstin = try GSTIN(parsing: taxpayer.gstin, environment: .sandbox)
            return try jsonResponse(
                PortalAPI.TaxpayerResponse(
                    gstin: taxpayer.gstin, legalName: taxpayer.legalName, tradeName: taxpayer.tradeName,
                    status: taxpayer.status, stateCode: gstin.state.code, state: gstin.state.name,
                    mobile: taxpayer.maskedMobile, email: taxpayer.maskedEmail))
        }

        serve(.otp) { request, context in
            let body = try await decode(PortalAPI.OTPRequest.self, request, context)
            let sent = try await state.sendOTP(body.gstin)
            return try jsonResponse(
                PortalAPI.OTPResponse(
                    requestId: sent.requestID, sentTo: sent.sentTo,
                    expiresInSeconds: Int(state.rules.otpLifetimeSeconds)))
        }

        serve(.otpVerify) { request, context in
            let body = try await decode(PortalAPI.VerifyRequest.self, request, context)
            let token = try await state.verifyOTP(requestID: body.requestId, code: body.otp)
            return try jsonResponse(
                PortalAPI.VerifyResponse(
                    verificationToken: token, expiresInSeconds: Int(state.rules.verificationLifetimeSeconds)))
        }

        serve(.users) { request, context in
            let body = try await decode(PortalAPI.CreateUserRequest.self, request, context)
            let password = try SecureBytes(copying: Array(body.password.utf8))
            let created = try await state.createUser(
                token: body.verificationToken, kind: body.kind, gsp: body.gsp, userID: body.userId, password: password)
            return try jsonResponse(
                PortalAPI.UserResponse(userId: created.userID, gstin: created.gstin, kind: body.kind, gsp: body.gsp),
                status: .created)
        }

        serve(.login) { request, context in
            let body = try await decode(PortalAPI.LoginRequest.self, request, context)
            let user = try await state.logIn(
                userID: body.userId, password: SecureBytes(copying: Array(body.password.utf8)))
            return try jsonResponse(
                PortalAPI.UserResponse(
                    userId: body.userId, gstin: user.gstin, kind: user.kind, gsp: user.gsp, session: user.session))
        }

        serve(.checkLogin) { request, context in
            let body = try await decode(PortalAPI.LoginRequest.self, request, context)
            let user = try await state.checkCredentials(
                userID: body.userId, password: SecureBytes(copying: Array(body.password.utf8)))
            return try jsonResponse(PortalAPI.UserResponse(userId: body.userId, gstin: user.gstin, kind: user.kind))
        }

        serve(.gsps) { _, _ in try jsonResponse(PortalAPI.GSPListResponse(gsps: PortalState.gspList)) }

        serve(.apiUserOTP) { request, context in
            let body = try await decode(PortalAPI.SessionRequest.self, request, context)
            let sent = try await state.sendAPIUserOTP(session: body.session)
            return try jsonResponse(
                PortalAPI.OTPResponse(
                    requestId: sent.requestID, sentTo: sent.sentTo,
                    expiresInSeconds: Int(state.rules.otpLifetimeSeconds)))
        }

        serve(.apiUsers) { request, context in
            let body = try await decode(PortalAPI.CreateAPIUserRequest.self, request, context)
            let created = try await state.createAPIUser(
                session: body.session, token: body.verificationToken, gsp: body.gsp, userID: body.userId,
                password: SecureBytes(copying: Array(body.password.utf8)))
            return try jsonResponse(
                PortalAPI.UserResponse(userId: created.userID, gstin: created.gstin, kind: "api", gsp: body.gsp),
                status: .created)
        }

        serve(.apiUserPassword) { request, context in
            let body = try await decode(PortalAPI.ChangeAPIUserPasswordRequest.self, request, context)
            try await state.changeAPIUserPassword(
                session: body.session, token: body.verificationToken, userID: body.userId,
                new: SecureBytes(copying: Array(body.newPassword.utf8)))
            return try jsonResponse(PortalAPI.StatusResponse(status: "changed"))
        }

        serve(.password) { request, context in
            let body = try await decode(PortalAPI.ChangePasswordRequest.self, request, context)
            try await state.changePassword(
                userID: body.userId, old: SecureBytes(copying: Array(body.oldPassword.utf8)),
                new: SecureBytes(copying: Array(body.newPassword.utf8)))
            return try jsonResponse(PortalAPI.StatusResponse(status: "changed"))
        }

        serve(.outbox) { request, _ in
            let gstin = request.uri.queryParameters.get("gstin").map { $0.uppercased() }
            let after = request.uri.queryParameters.get("after").flatMap { Int($0) } ?? 0
            let messages = try await state.outbox(gstin: gstin, after: after).map {
                PortalAPI.OutboxMessage(
                    id: $0.id, gstin: $0.gstin, to: $0.to, text: $0.text, sentAt: $0.sentAt.description)
            }
            return try jsonResponse(PortalAPI.OutboxResponse(messages: messages))
        }
        serve(.publicKey) { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/x-pem-file"],
                body: .init(byteBuffer: ByteBuffer(string: try await state.publicKeyPEM())))
        }

        serve(.clients) { request, context in
            let body = try await decode(PortalAPI.ClientRequest.self, request, context)
            try await state.issueClient(gstin: body.gstin, gsp: body.gsp)
            return try jsonResponse(PortalAPI.StatusResponse(status: "sent to the registered mobile"))
        }

        serve(.nicAuth) { request, context in
            let headers = request.headers
            let body = try? await request.decode(as: PortalAPI.AuthRequest.self, context: context)
            do {
                let data = try await state.authenticate(
                    clientID: header(headers, "client_id", "client-id"),
                    clientSecret: header(headers, "client_secret", "client-secret"),
                    gstin: header(headers, "Gstin", "gstin"), data: body?.Data)
                return try jsonResponse(NICAPI.Envelope(Status: 1, Data: data, ErrorDetails: nil, InfoDtls: nil))
            } catch let failure as NICFailure {
                return try nicFailure(failure)
            }
        }

        serve(.nicGSTIN) { request, context in
            let headers = request.headers
            do {
                let data = try await state.gstinDetails(
                    clientID: header(headers, "client_id", "client-id"),
                    clientSecret: header(headers, "client_secret", "client-secret"),
                    gstin: header(headers, "Gstin", "gstin"), userName: header(headers, "user_name", "user-name"),
                    authToken: header(headers, "AuthToken", "authtoken"),
                    target: try context.parameters.require("gstin"))
                return try jsonResponse(NICAPI.Envelope(Status: 1, Data: data, ErrorDetails: nil, InfoDtls: nil))
            } catch let failure as NICFailure {
                return try nicFailure(failure)
            }
        }
        // The router serves exactly the routes of the wire contract (which the OpenAPI test checks).
        precondition(served == Set(PortalRoute.allCases), "the router and PortalRoute disagree")
        return router
    }

    /// A header by either of the spellings in use (NIC documents client_id; open-source clients send client-id).
    static func header(_ fields: HTTPFields, _ names: String...) -> String? {
        for name in names {
            if let field = HTTPField.Name(name), let value = fields[field] { return value }
        }
        return nil
    }

    /// NIC answers refusals with HTTP 200 and Status 0.
    static func nicFailure(_ failure: NICFailure) throws -> Response {
        try jsonResponse(
            NICAPI.Envelope<String>(
                Status: 0, Data: nil,
                ErrorDetails: [NICAPI.ErrorDetail(ErrorCode: failure.code, ErrorMessage: failure.message)],
                InfoDtls: nil))
    }

    static func decode<T: Decodable>(_ type: T.Type, _ request: Request, _ context: BasicRequestContext) async throws
        -> T
    {
        do {
            return try await request.decode(as: type, context: context)
        } catch {
            throw PortalFailure(400, "bad-request", "the request body is not the JSON this route takes")
        }
    }

    /// True when `host` is reachable from this machine alone (127.0.0.0/8, ::1, localhost). Anything else exposes
    /// the OTPs of /sandbox/outbox and the registration of users to whoever can reach it.
    public static func isLoopback(_ host: String) -> Bool {
        ["::1", "localhost"].contains(host.lowercased()) || host.hasPrefix("127.")
    }

    /// Runs `app` (made by `application`) until it is stopped. An address it cannot listen on is told in a
    /// sentence with what to do, not in NIO's words (which name a system call).
    public static func serve(_ app: some ApplicationProtocol, host: String, port: Int) async throws {
        do {
            try await app.runService()
        } catch let error as IOError {
            throw ListenError(host: host, port: port, code: error.errnoCode)
        }
    }

    /// The application on `host`:`port` (0 for an ephemeral port); `onRunning` gets the bound port.
    public static func application(
        state: PortalState, host: String = "127.0.0.1", port: Int = 0, logger: Logger,
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        Application(
            router: router(state: state),
            configuration: .init(address: .hostname(host, port: port), serverName: "nicvault-sandbox-portal"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
            logger: logger)
    }
}

/// The sandbox portal could not listen where it was asked to.
public struct ListenError: Error, Equatable, CustomStringConvertible {
    public let host: String
    public let port: Int
    public let code: Int32

    public var description: String {
        let at = "cannot listen on \(host):\(port)"
        switch code {
        case EADDRINUSE:
            return "\(at): the port is in use (another sandbox portal?); give another with --port, or --port 0 "
                + "for a free one"
        case EADDRNOTAVAIL: return "\(at): \(host) is not an address of this machine; leave out --host for loopback"
        case EACCES: return "\(at): ports below 1024 need privileges; give one above 1024 with --port"
        default: return "\(at): \(String(cString: strerror(code)))"
        }
    }
}
