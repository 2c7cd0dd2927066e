// The sandbox portal's JSON API, spoken by the sandbox (server) and the sandbox driver (client).

/// Request and response bodies of the sandbox portal's JSON API (docs/sandbox-portal.md).
public enum PortalAPI {
    public struct TaxpayerResponse: Codable, Sendable {
        public var gstin: String
        public var legalName: String
        public var tradeName: String?
        public var status: String
        public var stateCode: String
        public var state: String
        public var mobile: String
        public var email: String

        public init(
            gstin: String, legalName: String, tradeName: String? = nil, status: String, stateCode: String,
            state: String, mobile: String, email: String
        ) {
            self.gstin = gstin
            self.legalName = legalName
            self.tradeName = tradeName
            self.status = status
            self.stateCode = stateCode
            self.state = state
            self.mobile = mobile
            self.email = email
        }
    }

    public struct OTPRequest: Codable, Sendable {
        public var gstin: String
        public init(gstin: String) {
            self.gstin = gstin
        }
    }
    public struct OTPResponse: Codable, Sendable {
        public var requestId: String
        public var sentTo: String
        public var expiresInSeconds: Int

        public init(requestId: String, sentTo: String, expiresInSeconds: Int) {
            self.requestId = requestId
            self.sentTo = sentTo
            self.expiresInSeconds = expiresInSeconds
        }
    }

    public struct VerifyRequest: Codable, Sendable {
        public var requestId: String
        public var otp: String

        public init(requestId: String, otp: String) {
            self.requestId = requestId
            self.otp = otp
        }
    }
    public struct VerifyResponse: Codable, Sendable {
        public var verificationToken: String
        public var expiresInSeconds: Int

        public init(verificationToken: String, expiresInSeconds: Int) {
            self.verificationToken = verificationToken
            self.expiresInSeconds = expiresInSeconds
        }
    }

    public struct CreateUserRequest: Codable, Sendable {
        public var verificationToken: String
        public var kind: String
        public var gsp: String?
        public var userId: String
        public var password: String

        public init(verificationToken: String, kind: String, gsp: String? = nil, userId: String, password: String) {
            self.verificationToken = verificationToken
            self.kind = kind
            self.gsp = gsp
            self.userId = userId
            self.password = password
        }
    }
    public struct UserResponse: Codable, Sendable {
        public var userId: String
        public var gstin: String
        public var kind: String?
        public var gsp: String?
        /// The web session of a main (portal) user's log-in: what API Registration needs.
        public var session: String?

        public init(userId: String, gstin: String, kind: String? = nil, gsp: String? = nil, session: String? = nil) {
            self.userId = userId
            self.gstin = gstin
            self.kind = kind
            self.gsp = gsp
            self.session = session
        }
    }

    /// API Registration → User Credentials: the OTP to the registered mobile, asked by the logged-in main user.
    public struct SessionRequest: Codable, Sendable {
        public var session: String
        public init(session: String) { self.session = session }
    }

    /// Create API User: "Direct" or "Through GSP" with the GSP from the list, then the user name and password.
    public struct CreateAPIUserRequest: Codable, Sendable {
        public var session: String
        public var verificationToken: String
        public var gsp: String
        public var userId: String
        public var password: String

        public init(session: String, verificationToken: String, gsp: String, userId: String, password: String) {
            self.session = session
            self.verificationToken = verificationToken
            self.gsp = gsp
            self.userId = userId
            self.password = password
        }
    }

    /// The main user changes an API user's password (after an OTP); the old one is not asked.
    public struct ChangeAPIUserPasswordRequest: Codable, Sendable {
        public var session: String
        public var verificationToken: String
        public var userId: String
        public var newPassword: String

        public init(session: String, verificationToken: String, userId: String, newPassword: String) {
            self.session = session
            self.verificationToken = verificationToken
            self.userId = userId
            self.newPassword = newPassword
        }
    }

    /// The GSPs the portal's drop-down offers, "Direct" first.
    public struct GSPListResponse: Codable, Sendable {
        public var gsps: [String]
        public init(gsps: [String]) { self.gsps = gsps }
    }

    public struct LoginRequest: Codable, Sendable {
        public var userId: String
        public var password: String

        public init(userId: String, password: String) {
            self.userId = userId
            self.password = password
        }
    }

    public struct ChangePasswordRequest: Codable, Sendable {
        public var userId: String
        public var oldPassword: String
        public var newPassword: String

        public init(userId: String, oldPassword: String, newPassword: String) {
            self.userId = userId
            self.oldPassword = oldPassword
            self.newPassword = newPassword
        }
    }

    public struct StatusResponse: Codable, Sendable {
        public var status: String
        public init(status: String) {
            self.status = status
        }
    }

    public struct ClientRequest: Codable, Sendable {
        public var gstin: String
        public var gsp: String?

        public init(gstin: String, gsp: String? = nil) {
            self.gstin = gstin
            self.gsp = gsp
        }
    }

    public struct AuthRequest: Codable, Sendable {
        public var Data: String?
        public init(Data: String? = nil) {
            self.Data = Data
        }
    }

    public struct OutboxMessage: Codable, Sendable {
        public var id: Int
        public var gstin: String
        public var to: String
        public var text: String
        public var sentAt: String

        public init(id: Int, gstin: String, to: String, text: String, sentAt: String) {
            self.id = id
            self.gstin = gstin
            self.to = to
            self.text = text
            self.sentAt = sentAt
        }
    }
    public struct OutboxResponse: Codable, Sendable {
        public var messages: [OutboxMessage]
        public init(messages: [OutboxMessage]) {
            self.messages = messages
        }
    }

    public struct ErrorBody: Codable, Sendable {
        public var code: String
        public var message: String
        public var attemptsLeft: Int?
        public var retryAfterSeconds: Int?
        public var problems: [String]?

        public init(
            code: String, message: String, attemptsLeft: Int? = nil, retryAfterSeconds: Int? = nil,
            problems: [String]? = nil
        ) {
            self.code = code
            self.message = message
            self.attemptsLeft = attemptsLeft
            self.retryAfterSeconds = retryAfterSeconds
            self.problems = problems
        }
    }
    public struct ErrorResponse: Codable, Sendable {
        public var error: ErrorBody
        public init(error: ErrorBody) {
            self.error = error
        }
    }
}
