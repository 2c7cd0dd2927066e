/// How a credential stands: one definition for `list`, `show`, `list --due` and `rotate --due`.
public enum CredentialStatus: String, Codable, Sendable {
    /// Not due for at least `Credential.dueSoonDays`.
    case ok
    /// Due within `Credential.dueSoonDays`: shown, not rotated by `rotate --due`.
    case dueSoon = "due-soon"
    /// The due date has passed: `list --due` shows it and `rotate --due` rotates it.
    case due
    /// A registration or a rotation is unsettled (`--resume`); neither listed as due nor rotated.
    case pending

    /// The words a person reads.
    public var label: String { self == .dueSoon ? "due soon" : rawValue }
}

extension Credential {
    /// How many days before its due date a credential shows as "due soon".
    public static let dueSoonDays = 7

    /// The status at `now`.
    public func status(at now: Timestamp) -> CredentialStatus {
        if pendingSince != nil || staged != nil { return .pending }
        if isDue(at: now) { return .due }
        if isDue(at: now.adding(days: Self.dueSoonDays)) { return .dueSoon }
        return .ok
    }

    /// Whole days since the last rotation (or creation).
    public func daysSinceRotation(at now: Timestamp) -> Int {
        Int((now.secondsSince1970 - (rotatedAt ?? createdAt).secondsSince1970) / 86_400)
    }
}

/// A state as every JSON output writes it: `{"code": "29", "name": "Karnataka"}`.
public struct StateRef: Encodable, Sendable, Equatable {
    public var code: String
    public var name: String
    public init(_ state: StateCode) {
        code = state.code
        name = state.name
    }
}

/// One credential as `list` prints it (never a password).
public struct CredentialSummary: Encodable, Sendable {
    public var gstin: String
    public var state: StateRef
    public var legalName: String
    public var kind: String
    public var environment: String
    public var userID: String
    public var gsp: String?
    public var daysSinceRotation: Int
    public var dueDate: String
    public var status: CredentialStatus
    public var pendingSince: String?
    public var rotationPendingSince: String?

    public init(_ c: Credential, now: Timestamp) {
        gstin = c.gstin.value
        state = StateRef(c.state)
        legalName = c.legalName
        kind = c.kind.rawValue
        environment = c.environment.rawValue
        userID = c.userID
        gsp = c.gsp
        daysSinceRotation = c.daysSinceRotation(at: now)
        dueDate = c.dueAt.dateString
        status = c.status(at: now)
        pendingSince = c.pendingSince?.description
        rotationPendingSince = c.staged?.stagedAt.description
    }

    /// The status column: the pending step with its time, else the status.
    public var statusText: String {
        if let since = pendingSince { return "registration pending since \(since)" }
        if let since = rotationPendingSince { return "rotation pending since \(since)" }
        return status.label
    }
}

/// One credential as `show` prints it; the password only when asked for.
public struct CredentialDetails: Encodable, Sendable {
    public var gstin: String
    public var state: StateRef
    public var legalName: String
    public var tradeName: String?
    public var kind: String
    public var environment: String
    public var gsp: String?
    public var irp: String
    public var userID: String
    public var password: String?
    public var client: String?
    public var createdAt: String
    public var rotatedAt: String?
    public var rotationDays: Int
    public var dueDate: String
    public var status: CredentialStatus
    public var pendingSince: String?
    public var stagedPassword: Bool
    public var retiredPasswords: Int
    public var version: Int

    public init(_ c: Credential, now: Timestamp, revealPassword: Bool) {
        gstin = c.gstin.value
        state = StateRef(c.state)
        legalName = c.legalName
        tradeName = c.tradeName
        kind = c.kind.rawValue
        environment = c.environment.rawValue
        gsp = c.gsp
        irp = c.irp
        userID = c.userID
        password = revealPassword ? c.password.unsafeStringValue() : nil
        client = c.client
        createdAt = c.createdAt.description
        rotatedAt = c.rotatedAt?.description
        rotationDays = c.rotationDays
        dueDate = c.dueAt.dateString
        status = c.status(at: now)
        pendingSince = c.pendingSince?.description
        stagedPassword = c.staged != nil
        retiredPasswords = c.retired.count
        version = c.version
    }

    /// The raw values `show --field NAME` prints.
    public var fields: [String: String?] {
        [
            "gstin": gstin, "userID": userID, "userid": userID, "password": password, "legalName": legalName,
            "tradeName": tradeName, "kind": kind, "environment": environment, "gsp": gsp, "irp": irp,
            "client": client, "dueDate": dueDate,
        ]
    }
}
