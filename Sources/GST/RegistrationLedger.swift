/// Where a registration keeps its credential while the portal is being asked: staged before the portal
/// creates the user, committed once it has, dropped when it clearly has not. The vault implements it; the
/// registration flow uses it without knowing anything of files.
public protocol RegistrationLedger: AnyObject {
    /// Stores `credential` with `pendingSince` set. Fails when the (environment, GSTIN, kind) is taken.
    func stage(_ credential: Credential) throws -> Credential
    /// The portal said the user id was taken: the pending credential gets the next candidate.
    func changePendingUserID(_ key: CredentialKey, to userID: String) throws -> Credential
    /// The portal created the user: the credential is no longer pending.
    func commitPending(_ key: CredentialKey) throws -> Credential
    /// The portal refused: the pending credential is removed.
    func dropPending(_ key: CredentialKey) throws
}

/// Where a rotation keeps its new password while the portal is being asked: staged (beside the current one)
/// before the portal is asked to change it, committed once the portal accepts it, dropped when it refuses.
public protocol RotationLedger: AnyObject {
    /// Stages `password` on the credential if it is still at `expectedVersion` and has nothing staged.
    func stageRotation(_ key: CredentialKey, expectedVersion: Int, password: Secret) throws -> Credential
    /// The staged password becomes current; the old one goes to history.
    func commitRotation(_ key: CredentialKey) throws -> Credential
    /// The staged password is dropped; the current one stays.
    func dropRotation(_ key: CredentialKey) throws -> Credential
}
