import GST

/// The GSTIN's main portal user, who makes API users and changes their passwords.
public struct MainUser: Sendable {
    public var userID: String
    public var password: Secret
    public init(userID: String, password: Secret) {
        self.userID = userID
        self.password = password
    }

    /// The login of a main user's credential.
    public init(_ credential: Credential) {
        self.init(userID: credential.userID, password: credential.password)
    }
}

/// Where an OTP comes from (the terminal, stdin, the sandbox outbox), per try.
public typealias OTPSource = @Sendable (OTPChallenge, Int) async throws -> String

/// Verifies an OTP, asking again after a wrong one while the portal leaves tries (three at most).
func verifyOTP(
    _ challenge: OTPChallenge, driver: any PortalDriver, code otpCode: OTPSource, progress: (String) -> Void
) async throws -> Verification {
    guard driver.needsOTPCode else { return try await driver.verifyOTP(challenge, code: "") }
    var attempt = 1
    while true {
        let code = try await otpCode(challenge, attempt)
        do {
            return try await driver.verifyOTP(challenge, code: code)
        } catch PortalError.refused(let code, let message, let problems, let left, let retry)
            where code == "wrong-otp" && (left ?? 0) > 0
        {
            progress("wrong OTP; \(left ?? 0) tries left")
            attempt += 1
            if attempt > 3 {
                throw PortalError.refused(
                    code: code, message: message, problems: problems, attemptsLeft: left, retryAfter: retry)
            }
        }
    }
}

/// API Registration on the portal: the main user's session, a verified OTP, and the GSP checked against the
/// portal's list. Nothing is changed on the portal by these steps.
struct APIRegistration {
    let session: PortalSession
    let verification: Verification

    static func open(
        _ main: MainUser?, gstin: GSTIN, driver: any PortalDriver, otpCode: OTPSource, progress: (String) -> Void
    ) async throws -> APIRegistration {
        guard let main else {
            throw PortalError.refused(
                code: "main-user-needed",
                message:
                    "an API user is made and changed by the GSTIN's main portal user; register or add the portal login of "
                    + "\(gstin.value) first")
        }
        let session = try await driver.openMainSession(userID: main.userID, password: main.password)
        progress("logged in as the main user \(main.userID)")
        let challenge = try await driver.sendAPIUserOTP(session, gstin: gstin)
        progress("OTP sent to \(challenge.sentTo)")
        let verification = try await verifyOTP(challenge, driver: driver, code: otpCode, progress: progress)
        progress("OTP verified")
        return APIRegistration(session: session, verification: verification)
    }

    /// The GSP as the portal's list spells it ("Direct" for none); refused when the list does not have it.
    static func gsp(_ requested: String?, driver: any PortalDriver) async throws -> String {
        let wanted = requested ?? "Direct"
        let list = try await driver.gspList()
        guard !list.isEmpty else { return wanted }  // assisted: the person picks from the portal's drop-down
        guard let listed = list.first(where: { $0.lowercased() == wanted.lowercased() }) else {
            throw PortalError.refused(
                code: "unknown-gsp", message: "\(wanted) is not in the portal's list of GSPs", problems: list)
        }
        return listed
    }
}
