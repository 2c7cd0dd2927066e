import GST

/// Errors of the credential vault: each says what happened, to which credential, and what to do.
public enum VaultError: Error, Equatable, Sendable, CustomStringConvertible {
    case notFound(String)
    case notFoundDidYouMean(String, String)
    case ambiguous(gstin: String, matches: [String])
    /// What already exists, with its article: "a credential for 27AAPFU0939F1ZV portal (sandbox)".
    case alreadyExists(String)
    case conflict(String, expected: Int, actual: Int)
    case clientNotFound(String)
    case clientInUse(String, by: [String])
    case unsupportedSchema(Int)
    case payloadUnreadable(String)
    case passphraseTooShort(minimum: Int)
    case lastSlot
    /// A registration this command was settling is no longer pending (settled or removed by another process
    /// meanwhile); `noPendingRegistration` is the same found before anything started.
    case noLongerPending(String)
    case rotationBlocked(String, String)
    case noSuchRecipient
    case flowInProgress(String, pid: Int32?)
    case nothingToChange(String)
    case badIdentity(String)
    case noSuchRecipientLabel(String)
    case needsPassphrase(String)
    case noPendingRegistration(String)
    /// A credential, its pending registration's start, its GSTIN.
    case registrationPending(String, since: String, gstin: String)
    case noPendingRotation(String)
    case badClientName(String)
    case badRecipient
    /// A credential, its GSTIN and its environment.
    case noClientLinked(String, gstin: String, environment: String)

    public var description: String {
        switch self {
        case .notFound(let what): "no credential for \(what); see: nicvault list"
        case .notFoundDidYouMean(let what, let near): "no credential for \(what); did you mean \(near)?"
        case .ambiguous(let gstin, let matches):
            "\(gstin) has \(matches.count) credentials (\(matches.joined(separator: ", "))); "
                + "say which with --kind and --env"
        case .alreadyExists(let what): "\(what) already exists; nothing was changed"
        case .conflict(let what, let expected, let actual):
            "\(what) changed while this command ran (expected version \(expected), found \(actual)); "
                + "nothing was overwritten: run the command again"
        case .clientNotFound(let name): "no API client named \(name); add it with: nicvault client add \(name)"
        case .clientInUse(let name, let users):
            "API client \(name) is used by \(users.joined(separator: ", ")); unlink those credentials first"
        case .unsupportedSchema(let schema):
            "the vault contents use schema \(schema), which this nicvault does not read (it reads "
                + "\(VaultPayload.currentSchema)); upgrade nicvault"
        case .payloadUnreadable(let why):
            "the vault opened but its contents are unreadable (\(why)); restore the .bak backup"
        case .passphraseTooShort(let minimum):
            "the passphrase must be at least \(minimum) characters; nothing was changed"
        case .rotationBlocked(let what, let why):
            "cannot rotate \(what): \(why)"
        case .noLongerPending(let what):
            "\(what) is no longer pending: another process settled or removed it while this command ran; "
                + "nothing was changed here (see: nicvault show)"
        case .noPendingRegistration(let what): "no pending registration for \(what)"
        case .registrationPending(let what, let since, let gstin):
            "\(what) has a pending registration since \(since); settle it first: nicvault register \(gstin) --resume"
        case .noPendingRotation(let what): "\(what) has no pending rotation"
        case .badRecipient:
            "not a recipient: give age1... or an ssh-ed25519 public key line (\"ssh-ed25519 AAAA...\")"
        case .badClientName(let name): "\(name) is not a client name: letters, digits, - _ and . only"
        case .noClientLinked(let what, let gstin, let environment):
            "\(what) has no API client; add one with nicvault client add NAME --env \(environment), then "
                + "nicvault set \(gstin) --client NAME"
        case .lastSlot: "this is the vault's only key slot; add another before removing it"
        case .noSuchRecipient: "that public key is not a recipient of this vault"
        case .nothingToChange(let why): "\(why); nothing was changed"
        case .badIdentity(let why): "the identity file cannot be used: \(why)"
        case .noSuchRecipientLabel(let label): "no recipient labelled \(label); see: nicvault recipient list"
        case .needsPassphrase(let why): "\(why) needs the vault passphrase (it re-wraps the new vault key under it)"
        case .flowInProgress(let what, let pid):
            "another nicvault process" + (pid.map { " (pid \($0))" } ?? " (on this machine or another using the store)")
                + " is talking to the portal about \(what) "
                + "right now, and its request may still reach the portal; nothing was changed. Wait for it to end, "
                + "then run the command again (with --resume if it left the change pending)"
        }
    }
}
