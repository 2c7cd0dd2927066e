/// The routes of the sandbox portal: the router serves exactly these, the clients call them, and the OpenAPI
/// test checks `docs/sandbox-portal.openapi.json` against them.
public enum PortalRoute: String, CaseIterable, Sendable {
    case health, taxpayer, otp, otpVerify, users, login, password, outbox, publicKey, clients, nicAuth, nicGSTIN
    case gsps, apiUserOTP, apiUsers, apiUserPassword, checkLogin

    public var method: String {
        switch self {
        case .health, .taxpayer, .outbox, .publicKey, .nicGSTIN, .gsps: "GET"
        default: "POST"
        }
    }

    /// The path as OpenAPI writes it (`{gstin}` for a parameter).
    public var path: String {
        switch self {
        case .health: "/health"
        case .taxpayer: "/api/v1/taxpayers/{gstin}"
        case .otp: "/api/v1/otp"
        case .otpVerify: "/api/v1/otp/verify"
        case .users: "/api/v1/users"
        case .login: "/api/v1/login"
        case .password: "/api/v1/password"
        case .outbox: "/sandbox/outbox"
        case .publicKey: "/sandbox/public-key"
        case .clients: "/api/v1/clients"
        case .nicAuth: "/eivital/v1.04/auth"
        case .nicGSTIN: "/eivital/v1.04/Master/gstin/{gstin}"
        case .gsps: "/api/v1/gsps"
        case .apiUserOTP: "/api/v1/api-users/otp"
        case .apiUsers: "/api/v1/api-users"
        case .apiUserPassword: "/api/v1/api-users/password"
        case .checkLogin: "/sandbox/check-login"
        }
    }

    /// The path as a router writes it (`:gstin`).
    public var routerPath: String { path.replacingOccurrences(of: "{gstin}", with: ":gstin") }

    /// The path with its parameter filled in.
    public func path(gstin: String) -> String { path.replacingOccurrences(of: "{gstin}", with: gstin) }
}
