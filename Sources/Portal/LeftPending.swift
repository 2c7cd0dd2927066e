import GST

/// A registration or rotation that stopped after its password was staged, without an answer that settles it (no
/// answer in time, a lost answer, a portal that could not be reached, a person who stopped the assisted flow):
/// the credential stays pending with every password kept, and only `--resume` against the same portal settles
/// it. Running the command again as it was would be refused, so the message says what to run instead.
public struct LeftPending: Error, Sendable, CustomStringConvertible {
    public enum Flow: Sendable { case registration, rotation }

    public let flow: Flow
    public let key: CredentialKey
    /// Why the flow stopped.
    public let cause: PortalError

    public init(_ flow: Flow, _ key: CredentialKey, cause: PortalError) {
        self.flow = flow
        self.key = key
        self.cause = cause
    }

    public var description: String {
        let (command, kept) =
            switch flow {
            case .registration:
                ("register", "its user id and password kept (the portal may have created the user)")
            case .rotation:
                ("rotate", "the current and the new password both kept (the portal may have the new one)")
            }
        let what = flow == .registration ? "registration" : "rotation"
        return "\(cause.fact); the \(what) of \(key) stays pending, \(kept). Settle it against the same portal "
            + "with: nicvault \(command) \(key.gstin.value) --kind \(key.kind.rawValue) --env "
            + "\(key.environment.rawValue) --resume"
    }
}
