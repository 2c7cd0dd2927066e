import GST
import PortalWire

/// The person at the terminal, for the assisted driver: it tells them what to do and asks what happened.
public protocol Conversation: Sendable {
    /// Shows a line of instructions.
    func say(_ text: String)
    /// Asks for one line of text.
    func ask(_ question: String) throws -> String
    /// Asks a yes/no question.
    func confirm(_ question: String) throws -> Bool
    /// Shows a secret only when the person asks for it (they type "show"), then hides the prompt.
    func offerSecret(_ label: String, _ secret: Secret) throws
}

/// The real NIC portal, which has a captcha and no registration API: nicvault tells the person each step,
/// generates what they must type, and records what they say the portal answered. It never claims to have
/// talked to NIC itself.
public struct AssistedDriver: PortalDriver {
    public let portalURL: String
    let conversation: any Conversation

    public init(portalURL: String = NICEndpoints.productionPortal, conversation: any Conversation) {
        self.portalURL = portalURL
        self.conversation = conversation
    }

    public var name: String { "assisted registration on \(portalURL)" }
    public var needsOTPCode: Bool { false }

    public func lookUp(_ gstin: GSTIN) async throws -> TaxpayerDetails {
        conversation.say("1. Open \(portalURL) and choose Registration > e-Invoice Registration (the portal login).")
        conversation.say("2. Enter the GSTIN \(gstin.value) and the captcha, then Go.")
        let legal = try conversation.ask("Legal name the portal shows (empty if it shows an error): ")
        guard !legal.isEmpty else { throw PortalError.stoppedByUser("the portal did not show the GSTIN's details") }
        let trade = try conversation.ask("Trade name (empty if none): ")
        let mobile = try conversation.ask("Last 4 digits of the mobile it shows: ")
        return TaxpayerDetails(
            gstin: gstin.value, legalName: legal, tradeName: trade.isEmpty ? nil : trade, state: gstin.state.name,
            maskedMobile: "******" + mobile.suffix(4), maskedEmail: "")
    }

    public func sendOTP(_ gstin: GSTIN) async throws -> OTPChallenge {
        conversation.say("3. Click Send OTP. It goes to the mobile registered on the GST portal.")
        guard try conversation.confirm("Did the portal say the OTP was sent?") else {
            throw PortalError.stoppedByUser("sending the OTP")
        }
        return OTPChallenge(requestID: "assisted", sentTo: "the registered mobile")
    }

    public func verifyOTP(_ challenge: OTPChallenge, code: String) async throws -> Verification {
        conversation.say("4. Type the OTP from the SMS into the portal and click Verify OTP.")
        guard try conversation.confirm("Did the portal accept the OTP?") else {
            throw PortalError.stoppedByUser("verifying the OTP")
        }
        return Verification(token: "assisted")
    }

    public func createUser(
        _ verification: Verification, gstin: GSTIN, kind: CredentialKind, gsp: String?, userID: String, password: Secret
    ) async throws {
        conversation.say("5. Enter the user id: \(userID)")
        try conversation.offerSecret("password (type it twice on the portal)", password)
        conversation.say("6. Click Save (Submit).")
        let answer = try conversation.ask("What did the portal answer? [s]aved, [t]aken (user id exists), [o]ther: ")
        switch answer.lowercased().first {
        case "s": return
        case "t": throw PortalError.refused(code: "user-id-taken", message: "the portal says \(userID) exists")
        default:
            let message = try conversation.ask("What did it say? ")
            throw PortalError.refused(code: "assisted-refused", message: message.isEmpty ? "refused" : message)
        }
    }

    public func changePassword(userID: String, old: Secret, new: Secret) async throws {
        conversation.say("1. Log in at \(portalURL) with the user id \(userID) and the current password.")
        try conversation.offerSecret("current password", old)
        conversation.say(
            "2. Open User Credentials > Change Password (for an API user: API Registration > Change Password).")
        conversation.say("3. Enter the current password, then the new one twice.")
        try conversation.offerSecret("new password", new)
        try askWhetherChanged()
    }

    public func openMainSession(userID: String, password: Secret) async throws -> PortalSession {
        conversation.say("1. Open \(portalURL) and log in as the main user \(userID) (the GSTIN's portal login).")
        try conversation.offerSecret("main user's password", password)
        guard try conversation.confirm("Are you logged in?") else { throw PortalError.stoppedByUser("the log-in") }
        return PortalSession(token: "assisted")
    }

    public func gspList() async throws -> [String] { [] }  // the person picks from the portal's own drop-down

    public func sendAPIUserOTP(_ session: PortalSession, gstin: GSTIN) async throws -> OTPChallenge {
        conversation.say("2. Open API Registration > User Credentials (Create API User, or Change Password).")
        conversation.say("3. Click Send OTP: it goes to the mobile registered for \(gstin.value).")
        guard try conversation.confirm("Did the portal say the OTP was sent?") else {
            throw PortalError.stoppedByUser("sending the OTP")
        }
        return OTPChallenge(requestID: "assisted", sentTo: "the registered mobile")
    }

    public func createAPIUser(
        _ session: PortalSession, _ verification: Verification, gsp: String, userID: String, password: Secret
    ) async throws -> String {
        conversation.say(
            "5. Choose " + (gsp.lowercased() == "direct" ? "Direct" : "Through GSP, and pick \(gsp) from the list")
                + ".")
        conversation.say("6. Enter the API user name \(userID), then the password twice, and Submit.")
        try conversation.offerSecret("password", password)
        let answer = try conversation.ask("What did the portal answer? [s]aved, [t]aken (user name exists), [o]ther: ")
        switch answer.lowercased().first {
        case "s":
            let shown = try conversation.ask(
                "The API user name exactly as the portal shows it now (Enter if \(userID)): ")
            let actual = shown.isEmpty ? userID : shown
            if actual != userID {
                conversation.say(
                    "note: the portal shows \(actual), not \(userID) (production adds API_); nicvault stores \(actual)."
                )
            }
            return actual
        case "t": throw PortalError.refused(code: "user-id-taken", message: "the portal says \(userID) exists")
        default:
            let message = try conversation.ask("What did it say? ")
            throw PortalError.refused(code: "assisted-refused", message: message.isEmpty ? "refused" : message)
        }
    }

    public func changeAPIUserPassword(
        _ session: PortalSession, _ verification: Verification, userID: String, new: Secret
    ) async throws {
        conversation.say("5. Choose Change Password for the API user \(userID); enter the new password twice; Submit.")
        try conversation.offerSecret("new password", new)
        try askWhetherChanged()
    }

    /// What the portal answered a password change: changed, a refusal, or no answer (kept as a lost answer).
    func askWhetherChanged() throws {
        let answer = try conversation.ask("What did the portal answer? [c]hanged, [r]efused, [n]o answer / not sure: ")
        switch answer.lowercased().first {
        case "c": return
        case "r":
            let message = try conversation.ask("What did it say? ")
            throw PortalError.refused(code: "assisted-refused", message: message.isEmpty ? "refused" : message)
        default:
            throw PortalError.timedOut(portal: portalURL, seconds: 0)
        }
    }

    public func checkLogin(userID: String, password: Secret) async throws -> LoginOutcome {
        conversation.say("Log in at \(portalURL) with the user id \(userID) and the stored password.")
        try conversation.offerSecret("password", password)
        return try conversation.confirm("Did the log-in work?") ? .accepted : .rejected
    }
}
