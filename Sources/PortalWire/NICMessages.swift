// NIC's auth API (v1.04) messages, spoken by the sandbox (server) and nicvault verify (client).

/// NIC's v1.04 auth API on the wire: the status envelope, the auth data, the error codes.
public enum NICAPI {
    /// `{"Status": 1|0, "Data": ..., "ErrorDetails": [...] | null, "InfoDtls": null}`.
    public struct Envelope<T: Codable & Sendable>: Codable, Sendable {
        public var Status: Int
        public var Data: T?
        public var ErrorDetails: [ErrorDetail]?
        public var InfoDtls: String?

        public init(Status: Int, Data: T? = nil, ErrorDetails: [ErrorDetail]? = nil, InfoDtls: String? = nil) {
            self.Status = Status
            self.Data = Data
            self.ErrorDetails = ErrorDetails
            self.InfoDtls = InfoDtls
        }

        enum CodingKeys: String, CodingKey { case Status, Data, ErrorDetails, InfoDtls }

        /// NIC writes every key, with null for what is absent.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(Status, forKey: .Status)
            try c.encode(Data, forKey: .Data)
            try c.encode(ErrorDetails, forKey: .ErrorDetails)
            try c.encode(InfoDtls, forKey: .InfoDtls)
        }
    }

    public struct ErrorDetail: Codable, Sendable, Equatable {
        public var ErrorCode: String
        public var ErrorMessage: String

        public init(ErrorCode: String, ErrorMessage: String) {
            self.ErrorCode = ErrorCode
            self.ErrorMessage = ErrorMessage
        }
    }

    public struct AuthData: Codable, Sendable {
        public var ClientId: String
        public var UserName: String
        public var AuthToken: String
        public var Sek: String
        public var TokenExpiry: String

        public init(ClientId: String, UserName: String, AuthToken: String, Sek: String, TokenExpiry: String) {
            self.ClientId = ClientId
            self.UserName = UserName
            self.AuthToken = AuthToken
            self.Sek = Sek
            self.TokenExpiry = TokenExpiry
        }
    }

    /// The login request before RSA encryption (base64 JSON inside `AuthRequest.Data`).
    public struct Login: Codable, Sendable {
        public var UserName: String?
        public var Password: String?
        public var AppKey: String?
        public var ForceRefreshAccessToken: Bool?

        public init(
            UserName: String? = nil, Password: String? = nil, AppKey: String? = nil,
            ForceRefreshAccessToken: Bool? = nil
        ) {
            self.UserName = UserName
            self.Password = Password
            self.AppKey = AppKey
            self.ForceRefreshAccessToken = ForceRefreshAccessToken
        }
    }

    /// NIC's credential error codes with their messages (nic-domain.md, section 2).
    public static let messages: [String: String] = [
        "1004": "Header GSTIN is required",
        "1005": "Invalid Token",
        "1006": "User Name is required",
        "1007": "Authentication failed. Pls. inform the helpdesk",
        "1008": "Invalid login credentials",
        "1010": "Invalid Client-ID/Client-Secret",
        "1011": "Client Id is required",
        "1012": "Client Secret is required",
        "1013": "Decryption of password failed",
        "1014": "Inactive User",
        "1015": "Invalid GSTIN for this user",
        "1016": "Decryption of App Key failed",
        "1017": "Incorrect user id/User does not exists",
        "1018": "Client Id is not mapped to this user",
        "1019": "Incorrect Password",
        "3028": "GSTIN is invalid",
    ]
}
