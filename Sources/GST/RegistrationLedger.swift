/// What the flows for an API user ask of the vault: the GSTIN's main user, its committed portal login in an
/// environment, which makes API users and changes their passwords (nil when there is none, or it is pending).
public protocol MainUserLedger: AnyObject {
    func mainUser(of gstin: GSTIN, environment: Environment) throws -> Credential?
}

/// Where a registration keeps its credential while the portal is being asked: staged before the portal
/// creates the user, committed once it has, dropped only when it clearly has not. The vault implements it; the
/// registration flow uses it without knowing anything of files.
public protocol RegistrationLedger: MainUserLedger {
    /// How often a new credential is rotated when the registration does not say.
    var defaultRotationDays: Int { get }
    /// Stores `credential` with `pendingSince` set. Fails when the (environment, GSTIN, kind) is taken.
    func stage(_ credential: Credential) throws -> Credential
    /// Starts a pending registration over with a new user id and password: the earlier attempt's user id and
    /// password go to history as never confirmed (a late answer may still have created that user).
    func restage(_ key: CredentialKey, userID: String, password: Secret) throws -> Credential
    /// The portal said the user id was taken: the pending credential gets the next candidate.
    func changePendingUserID(_ key: CredentialKey, to userID: String) throws -> Credential
    /// The portal created the user: the credential is no longer pending.
    func commitPending(_ key: CredentialKey) throws -> Credential
    /// The portal clearly refused the attempt: the credential is removed, or, when an earlier attempt is kept
    /// unconfirmed in its history, goes back to that attempt (still pending).
    func dropPending(_ key: CredentialKey) throws
    /// The portal did not know the pending user when asked: it stays pending (a late answer may still create
    /// it), and the check is noted.
    func notePendingUnknown(_ key: CredentialKey) throws -> Credential
    /// An earlier, unconfirmed attempt (user id and password) is the one the portal has: it becomes the
    /// credential, committed.
    func adoptPending(_ key: CredentialKey, userID: String, password: Secret) throws -> Credential
}

/// Where a rotation keeps its new password while the portal is being asked: staged (beside the current one)
/// before the portal is asked to change it, committed once the portal accepts it, moved to history (never
/// confirmed) when it does not.
public protocol RotationLedger: MainUserLedger {
    /// Stages `password` on the credential if it is still at `expectedVersion` and has nothing staged.
    func stageRotation(_ key: CredentialKey, expectedVersion: Int, password: Secret) throws -> Credential
    /// The staged password becomes current; the old one goes to history.
    func commitRotation(_ key: CredentialKey) throws -> Credential
    /// The staged password goes to history, marked never confirmed; the current one stays.
    func dropRotation(_ key: CredentialKey) throws -> Credential
    /// A password from history that was never confirmed is the one the portal has (a late answer): it becomes
    /// current; the current one and any staged one go to history.
    func adoptUnconfirmed(_ key: CredentialKey, password: Secret) throws -> Credential
    /// The credential as stored now.
    func current(_ key: CredentialKey) throws -> Credential
    /// The credential as stored now, refused when it has no staged rotation to settle.
    func pendingRotation(_ key: CredentialKey) throws -> Credential
}
