import GST

/// What the portal showed for a GSTIN at registration (mobile and e-mail masked, as the portal masks them).
public struct TaxpayerDetails: Sendable, Equatable, Codable {
    public var gstin: String
    public var legalName: String
    public var tradeName: String?
    public var state: String
    public var maskedMobile: String
    public var maskedEmail: String

    public init(
        gstin: String, legalName: String, tradeName: String?, state: String, maskedMobile: String, maskedEmail: String
    ) {
        self.gstin = gstin
        self.legalName = legalName
        self.tradeName = tradeName
        self.state = state
        self.maskedMobile = maskedMobile
        self.maskedEmail = maskedEmail
    }
}

/// An OTP the portal sent, to be verified.
public struct OTPChallenge: Sendable, Equatable {
    public var requestID: String
    public var sentTo: String
    /// The last outbox message id before this OTP was sent (sandbox only), so the OTP can be found there.
    public var outboxMark: Int?

    public init(requestID: String, sentTo: String, outboxMark: Int? = nil) {
        self.requestID = requestID
        self.sentTo = sentTo
        self.outboxMark = outboxMark
    }
}

/// Proof that the OTP was verified; it lets the flow create the user (and retry when a user id is taken).
public struct Verification: Sendable, Equatable {
    public var token: String
    public init(token: String) { self.token = token }
}

/// What the portal says about a stored user id and password.
public enum LoginOutcome: Sendable, Equatable {
    case accepted
    case rejected
}

/// A refusal or failure of the portal, worded for the person who must act on it.
public enum PortalError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The portal answered and said no. `code` is the portal's stable code.
    case refused(
        code: String, message: String, problems: [String] = [], attemptsLeft: Int? = nil, retryAfter: Int? = nil)
    /// No connection could be made: the request was never sent.
    case unreachable(portal: String, reason: String)
    /// The request was sent but its answer was lost (a 5xx, a reset connection, an answer cut short): the portal
    /// may have done what was asked.
    case answerLost(portal: String, reason: String)
    /// The portal did not answer in time.
    case timedOut(portal: String, seconds: Double)
    /// The portal answered something this client does not understand.
    case badAnswer(String)
    /// The person running the assisted flow stopped it.
    case stoppedByUser(String)

    /// True when the portal may have done what was asked even though no answer arrived.
    public var answerLost: Bool {
        switch self {
        case .timedOut, .badAnswer, .answerLost: true
        default: false
        }
    }

    public var code: String? { if case .refused(let code, _, _, _, _) = self { code } else { nil } }

    public var description: String {
        switch self {
        case .refused(let code, let message, let problems, let attemptsLeft, let retryAfter):
            var text = "the portal refused (\(code)): \(message)"
            if !problems.isEmpty { text += ": " + problems.joined(separator: "; ") }
            if let advice = Self.advice(code: code, attemptsLeft: attemptsLeft, retryAfter: retryAfter) {
                text += ". " + advice
            }
            return text
        case .unreachable: return fact + "; check the address, or start it with: nicvault sandbox serve"
        case .timedOut: return fact + "; try again later (--timeout sets the wait)"
        case .answerLost: return fact + "; it may have done what was asked"
        case .badAnswer, .stoppedByUser: return fact
        }
    }

    /// What happened, without the advice `description` adds (a flow left pending gives its own).
    public var fact: String {
        switch self {
        case .refused: return description
        case .unreachable(let portal, let reason): return "cannot reach the portal at \(portal) (\(reason))"
        case .timedOut(let portal, let seconds):
            return "the portal at \(portal) did not answer within \(Int(seconds)) s"
        case .answerLost(let portal, let reason): return "the answer of the portal at \(portal) was lost (\(reason))"
        case .badAnswer(let what): return "the portal's answer was not understood: \(what)"
        case .stoppedByUser(let step): return "stopped at: \(step); nothing more was sent"
        }
    }

    static func advice(code: String, attemptsLeft: Int?, retryAfter: Int?) -> String? {
        let wait = retryAfter.map { " (about \(max(1, $0 / 60)) minutes)" } ?? ""
        switch code {
        case "gstin-not-found": return "Check the GSTIN with: nicvault gstin GSTIN"
        case "gstin-cancelled": return "A cancelled registration cannot get e-invoice credentials"
        case "wrong-otp": return attemptsLeft.map { "\($0) tries left; run the command again" } ?? nil
        case "otp-expired", "otp-attempts-exceeded", "otp-used", "verification-expired":
            return "Run the command again to get a new OTP"
        case "otp-resend-limit": return "Wait before asking for another OTP\(wait)"
        case "account-locked": return "Wait until the lock ends\(wait) and try again"
        case "already-registered":
            return "If its credentials were made outside nicvault, recover them on the portal (Forgot password)"
        case "user-id-taken": return "Choose another user id, or leave out --user-id to have one proposed"
        case "invalid-credentials":
            return
                "The stored password is not the one the portal has; if it was changed elsewhere, record it with: nicvault update"
        case "password-reused": return "The portal remembers that password; run rotate again for a fresh one"
        default: return nil
        }
    }
}

/// The steps of the NIC portal's registration and log-in, whoever carries them out.
public protocol PortalDriver: Sendable {
    /// A short name for messages: "sandbox at http://127.0.0.1:PORT", "assisted".
    var name: String { get }
    /// True when nicvault must obtain the OTP and pass it on (sandbox); false when the person types it into
    /// the portal themselves (assisted).
    var needsOTPCode: Bool { get }
    func lookUp(_ gstin: GSTIN) async throws -> TaxpayerDetails
    func sendOTP(_ gstin: GSTIN) async throws -> OTPChallenge
    func verifyOTP(_ challenge: OTPChallenge, code: String) async throws -> Verification
    func createUser(
        _ verification: Verification, gstin: GSTIN, kind: CredentialKind, gsp: String?, userID: String, password: Secret
    ) async throws
    /// Does the portal accept this user id and password now?
    func checkLogin(userID: String, password: Secret) async throws -> LoginOutcome
    /// Changes the password on the portal (the old one is required).
    func changePassword(userID: String, old: Secret, new: Secret) async throws

    // API users, as NIC makes them: the main (portal) user logs in, asks for an OTP under API Registration →
    // User Credentials, then creates the API user ("Direct" or through a GSP from the portal's list), or changes
    // an API user's password. An API user cannot log in to the portal itself.

    /// Logs the main user in: the web session API Registration needs.
    func openMainSession(userID: String, password: Secret) async throws -> PortalSession
    /// The GSPs the portal offers, "Direct" first.
    func gspList() async throws -> [String]
    /// API Registration's OTP, sent to the GSTIN's registered mobile.
    func sendAPIUserOTP(_ session: PortalSession, gstin: GSTIN) async throws -> OTPChallenge
    /// Creates the API user; returns its user id exactly as the portal shows it (production may add `API_`).
    func createAPIUser(
        _ session: PortalSession, _ verification: Verification, gsp: String, userID: String, password: Secret
    ) async throws -> String
    /// The main user sets an API user's new password (no old password asked).
    func changeAPIUserPassword(
        _ session: PortalSession, _ verification: Verification, userID: String, new: Secret
    ) async throws
}

/// A main user's web session on the portal.
public struct PortalSession: Sendable, Equatable {
    public var token: String
    public init(token: String) { self.token = token }
}
