import GST

/// How a resumed rotation ended.
public enum RotationResumeOutcome: Sendable, Equatable {
    /// The portal accepts the staged password: it is now current.
    case committed
    /// The portal still accepts the old password: the staged one was dropped.
    case dropped
}

/// Password rotation as a transaction: the new password is staged beside the current one before the portal is
/// asked, committed only once the portal accepts it, and neither is ever discarded before the portal has
/// shown which one is live.
public struct RotationFlow<Ledger: RotationLedger> {
    public let driver: any PortalDriver
    public let ledger: Ledger
    public var policy = PasswordPolicy.standard
    public var progress: (String) -> Void = { _ in }
    /// Called at "staged" and "submitted"; the crash tests kill the process there.
    public var checkpoint: (String) -> Void = { _ in }

    public init(driver: any PortalDriver, ledger: Ledger) {
        self.driver = driver
        self.ledger = ledger
    }

    /// Rotates `credential` (as read, with its version) and returns it with the new password current.
    public func rotate(_ credential: Credential) async throws -> Credential {
        let newPassword = try policy.generate(avoiding: credential.passwordsToAvoid)
        let staged = try ledger.stageRotation(
            credential.key, expectedVersion: credential.version, password: newPassword)
        progress("\(credential.key): new password staged in the vault")
        checkpoint("staged")
        do {
            try await driver.changePassword(userID: staged.userID, old: staged.password, new: newPassword)
        } catch let error as PortalError where error.code != nil {
            // A clear refusal: the portal kept the old password.
            _ = try ledger.dropRotation(credential.key)
            progress("\(credential.key): the portal refused; the staged password was dropped, the current one kept")
            throw error
        }
        checkpoint("submitted")
        // Confirm with a log-in before the old password goes to history.
        guard try await driver.checkLogin(userID: staged.userID, password: newPassword) == .accepted else {
            throw PortalError.badAnswer(
                "the portal said the password changed but does not accept the new one; both are kept: "
                    + "run nicvault rotate \(credential.gstin.value) --resume later")
        }
        let committed = try ledger.commitRotation(credential.key)
        progress("\(credential.key): rotated; the old password is in history")
        return committed
    }

    /// Settles a rotation left pending by a crash or a lost answer: whichever password the portal accepts wins.
    public func resume(_ credential: Credential) async throws -> RotationResumeOutcome {
        guard let staged = credential.staged else { throw PortalError.badAnswer("no rotation is pending") }
        if try await driver.checkLogin(userID: credential.userID, password: staged.password) == .accepted {
            _ = try ledger.commitRotation(credential.key)
            progress("\(credential.key): the portal accepts the new password; committed")
            return .committed
        }
        if try await driver.checkLogin(userID: credential.userID, password: credential.password) == .accepted {
            _ = try ledger.dropRotation(credential.key)
            progress("\(credential.key): the portal still has the old password; the staged one was dropped")
            return .dropped
        }
        throw PortalError.refused(
            code: "invalid-credentials",
            message:
                "the portal accepts neither the current nor the staged password of \(credential.userID); both are kept")
    }
}
