import GST

/// How a resumed rotation ended.
public enum RotationResumeOutcome: Sendable, Equatable {
    /// The portal accepts the staged password: it is now current.
    case committed
    /// The portal still accepts the old password: the staged one went to history, marked never confirmed.
    case dropped
    /// The portal accepts a password that an earlier rotation never confirmed (a late answer): it is current.
    case adopted
}

/// Password rotation as a transaction: the new password is staged beside the current one before the portal is
/// asked, committed only once the portal accepts it, and never discarded: a password the portal did not confirm
/// goes to history marked "never confirmed", since a late answer may still have made it the live one.
public struct RotationFlow<Ledger: RotationLedger> {
    public let driver: any PortalDriver
    public let ledger: Ledger
    public var policy = PasswordPolicy.standard
    public var progress: (String) -> Void = { _ in }
    /// Called at "staged" and "submitted"; the crash tests kill the process there.
    public var checkpoint: (String) -> Void = { _ in }
    /// Most never-confirmed passwords tried when the portal refuses the known ones (each try may count as a
    /// failed log-in on the portal).
    public var maximumUnconfirmedTries = 2
    /// For API users: the GSTIN's main portal user, who changes their passwords (nil for the one the ledger
    /// keeps), and where OTPs come from.
    public var mainUser: MainUser?
    public var otpCode: OTPSource = { _, _ in "" }

    public init(driver: any PortalDriver, ledger: Ledger) {
        self.driver = driver
        self.ledger = ledger
    }

    /// Rotates `credential` (as read, with its version) and returns it with the new password current.
    public func rotate(_ credential: Credential) async throws -> Credential {
        // An API user's password is changed by the main user after an OTP: those steps change nothing, so they
        // come before the new password is staged.
        let api =
            credential.kind == .api
            ? try await APIRegistration.open(
                try mainUser
                    ?? ledger.mainUser(of: credential.gstin, environment: credential.environment).map(
                        MainUser.init),
                gstin: credential.gstin, driver: driver, otpCode: otpCode, progress: progress) : nil
        let newPassword = try policy.generate(avoiding: credential.passwordsToAvoid)
        let staged = try ledger.stageRotation(
            credential.key, expectedVersion: credential.version, password: newPassword)
        progress("\(credential.key): new password staged in the vault")
        checkpoint("staged")
        do {
            return try await submit(credential, staged: staged, newPassword: newPassword, api: api)
        } catch let error as PortalError where error.code == nil {
            // No answer that settles it: the rotation stays pending, and only --resume may settle it.
            throw LeftPending(.rotation, credential.key, cause: error)
        }
    }

    /// Asks the portal to change the staged password and commits it once a log-in confirms it.
    private func submit(
        _ credential: Credential, staged: Credential, newPassword: Secret,
        api: APIRegistration?
    ) async throws -> Credential {
        do {
            if let api {
                try await driver.changeAPIUserPassword(
                    api.session, api.verification, userID: staged.userID, new: newPassword)
            } else {
                try await driver.changePassword(userID: staged.userID, old: staged.password, new: newPassword)
            }
        } catch let error as PortalError where error.code != nil {
            // A clear refusal: the portal kept the old password. The staged one goes to history all the same.
            _ = try ledger.dropRotation(credential.key)
            progress("\(credential.key): the portal refused; the current password stays")
            if error.code == "invalid-credentials",
                let adopted = try await recoverUnconfirmed(credential.key, excluding: newPassword)
            {
                throw PortalError.refused(
                    code: "late-answer-recovered",
                    message:
                        "the portal had a password from an earlier rotation that was never confirmed (a late answer); "
                        + "it is current again (\(adopted.key)); run the rotation again")
            }
            throw error
        }
        checkpoint("submitted")
        // Confirm with a log-in before the old password goes to history.
        guard try await driver.checkLogin(userID: staged.userID, password: newPassword) == .accepted else {
            throw PortalError.badAnswer("the portal said the password changed but does not accept the new one")
        }
        let committed = try ledger.commitRotation(credential.key)
        progress("\(credential.key): rotated; the old password is in history")
        return committed
    }

    /// Settles a rotation left pending by a crash or a lost answer: whichever password the portal accepts wins.
    /// When it accepts none, every password is kept and the error says how to find out which one it has.
    public func resume(_ target: Credential) async throws -> RotationResumeOutcome {
        // As stored now (another process may have settled it); refused when nothing is staged.
        let credential = try ledger.pendingRotation(target.key)
        guard let staged = credential.staged else { throw PortalError.badAnswer("no rotation is pending") }
        if try await driver.checkLogin(userID: credential.userID, password: staged.password) == .accepted {
            _ = try ledger.commitRotation(credential.key)
            progress("\(credential.key): the portal accepts the new password; committed")
            return .committed
        }
        if try await driver.checkLogin(userID: credential.userID, password: credential.password) == .accepted {
            _ = try ledger.dropRotation(credential.key)
            progress(
                "\(credential.key): the portal still has the old password; the staged one went to history "
                    + "(never confirmed)")
            return .dropped
        }
        if try await recoverUnconfirmed(credential.key) != nil { return .adopted }
        throw PortalError.refused(
            code: "password-unknown",
            message:
                "the portal accepts none of the passwords nicvault holds for \(credential.userID) (current, staged, "
                + "and any never confirmed); every one is kept. Find out which one it has: nicvault verify "
                + "\(credential.gstin.value) (API users), or log in at the portal; then record it with: nicvault update "
                + "\(credential.gstin.value)")
    }

    /// Tries the never-confirmed passwords in history; the one the portal accepts becomes current.
    func recoverUnconfirmed(_ key: CredentialKey, excluding refused: Secret? = nil) async throws -> Credential? {
        let stored = try ledger.current(key)
        let candidates = stored.unconfirmedPasswords.filter {
            $0.userID == stored.userID && $0.password != refused
        }
        for candidate in candidates.prefix(maximumUnconfirmedTries) {
            if try await driver.checkLogin(userID: candidate.userID, password: candidate.password) == .accepted {
                let adopted = try ledger.adoptUnconfirmed(key, password: candidate.password)
                progress("\(key): the portal has a password that was never confirmed (a late answer); it is current")
                return adopted
            }
        }
        return nil
    }
}
