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
