/// Where time comes from, so tests can drive due dates and expiry without sleeping.
public protocol Clock: Sendable {
    func now() -> Timestamp
}

/// The system clock.
public struct SystemClock: Clock {
    public init() {}
    public func now() -> Timestamp { Timestamp.current() }
}

/// Portal login (a web user) or API user.
public enum CredentialKind: String, Codable, Sendable, CaseIterable, Comparable {
    case portal
    case api

    public static func < (a: CredentialKind, b: CredentialKind) -> Bool { a.rawValue < b.rawValue }

    /// Whether a credential of this kind is made through a GSP: API users only (NIC's portal makes a portal
    /// login for the taxpayer alone). `gspForAPIUsersOnly` says so.
    public var goesThroughGSP: Bool { self == .api }
    public static let gspForAPIUsersOnly = "a GSP applies to API users only"
}

/// What names one credential: at most one per environment, GSTIN and kind.
public struct CredentialKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let environment: Environment
    public let gstin: GSTIN
    public let kind: CredentialKind

    public init(environment: Environment, gstin: GSTIN, kind: CredentialKind) {
        self.environment = environment
        self.gstin = gstin
        self.kind = kind
    }

    public var description: String { "\(gstin) \(kind.rawValue) (\(environment.rawValue))" }

    public static func < (a: CredentialKey, b: CredentialKey) -> Bool {
        (a.gstin, a.environment, a.kind) < (b.gstin, b.environment, b.kind)
    }
}

/// A password that was current once, with when it stopped being current; or one that was sent to the portal
/// but never confirmed there (a dropped rotation or an abandoned registration), kept because the portal may
/// hold it after all (a late answer).
public struct RetiredPassword: Sendable, Equatable, Codable {
    public let password: Secret
    public let retiredAt: Timestamp
    /// True when the portal never confirmed this password: it may still be the live one.
    public let unconfirmed: Bool
    /// The user id it goes with, when it differs from the credential's (an abandoned registration).
    public let userID: String?

    public init(password: Secret, retiredAt: Timestamp, unconfirmed: Bool = false, userID: String? = nil) {
        self.password = password
        self.retiredAt = retiredAt
        self.unconfirmed = unconfirmed
        self.userID = userID
    }

    enum CodingKeys: String, CodingKey { case password, retiredAt, unconfirmed, userID }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        password = try c.decode(Secret.self, forKey: .password)
        retiredAt = try c.decode(Timestamp.self, forKey: .retiredAt)
        unconfirmed = try c.decodeIfPresent(Bool.self, forKey: .unconfirmed) ?? false
        userID = try c.decodeIfPresent(String.self, forKey: .userID)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(password, forKey: .password)
        try c.encode(retiredAt, forKey: .retiredAt)
        if unconfirmed { try c.encode(true, forKey: .unconfirmed) }
        try c.encodeIfPresent(userID, forKey: .userID)
    }
}

/// One change of a credential, for `nicvault history`.
public struct CredentialEvent: Sendable, Equatable, Codable {
    /// The credential version the change produced.
    public let version: Int
    public let at: Timestamp
    /// What changed, in words ("registered", "password rotated", ...). Never a secret.
    public let change: String

    public init(version: Int, at: Timestamp, change: String) {
        self.version = version
        self.at = at
        self.change = change
    }
}

/// A password waiting for the portal to accept it (rotation or registration in flight).
public struct StagedPassword: Sendable, Equatable, Codable {
    public let password: Secret
    public let stagedAt: Timestamp

    public init(password: Secret, stagedAt: Timestamp) {
        self.password = password
        self.stagedAt = stagedAt
    }
}

/// The NIC credentials of one GSTIN for one kind in one environment, with their history.
public struct Credential: Sendable, Equatable, Codable {
    /// How many retired passwords are kept.
    public static let historyLimit = 10
    /// Default rotation interval: NIC publishes no expiry, so 90 days is a policy, configurable per credential.
    public static let defaultRotationDays = 90

    public var environment: Environment
    public var gstin: GSTIN
    public var kind: CredentialKind
    public var legalName: String
    public var tradeName: String?
    /// The GSP an API user was made through; nil for portal users and direct API users.
    public var gsp: String?
    /// The e-invoice registration portal, NIC1 unless stated.
    public var irp: String
    public var userID: String
    public var password: Secret
    public var staged: StagedPassword?
    /// Set while a registration is in flight: the credential was stored before the portal was asked to create it,
    /// and it is not known yet whether the portal did. `register --resume` settles it.
    public var pendingSince: Timestamp?
    /// Newest first, at most `historyLimit`.
    public var retired: [RetiredPassword]
    /// The API client record (by name) this credential authenticates with.
    public var client: String?
    public var createdAt: Timestamp
    public var rotatedAt: Timestamp?
    public var rotationDays: Int
    /// Goes up by one on every change; used for check-and-set.
    public var version: Int
    /// What changed and when, oldest first (at most `eventLimit`).
    public var events: [CredentialEvent]

    /// How many events are kept.
    public static let eventLimit = 100

    /// Notes a change that will produce version `version + 1`.
    public mutating func note(_ change: String, at time: Timestamp) {
        events.append(CredentialEvent(version: version + 1, at: time, change: change))
        if events.count > Self.eventLimit { events.removeFirst(events.count - Self.eventLimit) }
    }

    public init(
        environment: Environment, gstin: GSTIN, kind: CredentialKind, legalName: String, tradeName: String? = nil,
        gsp: String? = nil, irp: String = "NIC1", userID: String, password: Secret, client: String? = nil,
        createdAt: Timestamp, rotationDays: Int = Credential.defaultRotationDays
    ) {
        self.environment = environment
        self.gstin = gstin
        self.kind = kind
        self.legalName = legalName
        self.tradeName = tradeName
        self.gsp = gsp
        self.irp = irp
        self.userID = userID
        self.password = password
        staged = nil
        pendingSince = nil
        retired = []
        self.client = client
        self.createdAt = createdAt
        rotatedAt = nil
        self.rotationDays = rotationDays
        version = 1
        events = []
    }

    public var key: CredentialKey { CredentialKey(environment: environment, gstin: gstin, kind: kind) }

    /// The state, derived from the GSTIN.
    public var state: StateCode { gstin.state }

    /// When the password should next change: the last rotation (or creation) plus the interval.
    public var dueAt: Timestamp { (rotatedAt ?? createdAt).adding(days: rotationDays) }

    /// True when the due date has passed.
    public func isDue(at now: Timestamp) -> Bool { now >= dueAt }

    /// Every password this credential has had that it must never get again: current, staged and retired.
    public var passwordsToAvoid: [Secret] {
        [password] + (staged.map { [$0.password] } ?? []) + retired.map(\.password)
    }

    /// Makes `newPassword` current, retiring the old one (history capped at `historyLimit`).
    public mutating func replacePassword(with newPassword: Secret, at now: Timestamp) {
        retire(RetiredPassword(password: password, retiredAt: now))
        password = newPassword
        staged = nil
        rotatedAt = now
    }

    /// Takes a password the portal holds already (changed outside nicvault, or found live there): the current
    /// one and any staged one go to history (the staged one never confirmed), and a pending registration is
    /// settled by it.
    public mutating func acceptLivePassword(_ live: Secret, at now: Timestamp) {
        retireStaged(at: now)
        replacePassword(with: live, at: now)
        pendingSince = nil
    }

    /// Moves the staged password to history, marked as never confirmed by the portal: a late answer may
    /// still have made it the live one, so it is kept, never discarded.
    public mutating func retireStaged(at now: Timestamp) {
        guard let staged else { return }
        retire(RetiredPassword(password: staged.password, retiredAt: now, unconfirmed: true))
        self.staged = nil
    }

    /// Adds a password to history, newest first. Past `historyLimit` the oldest confirmed ones go first; a
    /// never-confirmed one goes only when nothing else is left to drop.
    public mutating func retire(_ entry: RetiredPassword) {
        retired.insert(entry, at: 0)
        while retired.count > Self.historyLimit {
            if let index = retired.lastIndex(where: { !$0.unconfirmed }) {
                retired.remove(at: index)
            } else {
                retired.removeLast()
            }
        }
    }

    /// The passwords sent to the portal but never confirmed there, newest first, with their user ids.
    public var unconfirmedPasswords: [(userID: String, password: Secret)] {
        retired.filter(\.unconfirmed).map { ($0.userID ?? userID, $0.password) }
    }

    enum CodingKeys: String, CodingKey {
        case environment, gstin, kind, legalName, tradeName, gsp, irp, userID, password, staged, pendingSince, retired,
            client
        case createdAt, rotatedAt, rotationDays, version, events
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        environment = try c.decode(Environment.self, forKey: .environment)
        let text = try c.decode(String.self, forKey: .gstin)
        do {
            gstin = try GSTIN(stored: text)
        } catch {
            throw DecodingError.dataCorruptedError(
                forKey: .gstin, in: c, debugDescription: "stored GSTIN \(text) is invalid: \(error)")
        }
        kind = try c.decode(CredentialKind.self, forKey: .kind)
        legalName = try c.decode(String.self, forKey: .legalName)
        tradeName = try c.decodeIfPresent(String.self, forKey: .tradeName)
        gsp = try c.decodeIfPresent(String.self, forKey: .gsp)
        irp = try c.decode(String.self, forKey: .irp)
        userID = try c.decode(String.self, forKey: .userID)
        password = try c.decode(Secret.self, forKey: .password)
        staged = try c.decodeIfPresent(StagedPassword.self, forKey: .staged)
        pendingSince = try c.decodeIfPresent(Timestamp.self, forKey: .pendingSince)
        retired = try c.decode([RetiredPassword].self, forKey: .retired)
        client = try c.decodeIfPresent(String.self, forKey: .client)
        createdAt = try c.decode(Timestamp.self, forKey: .createdAt)
        rotatedAt = try c.decodeIfPresent(Timestamp.self, forKey: .rotatedAt)
        rotationDays = try c.decode(Int.self, forKey: .rotationDays)
        version = try c.decode(Int.self, forKey: .version)
        events = try c.decodeIfPresent([CredentialEvent].self, forKey: .events) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(environment, forKey: .environment)
        try c.encode(gstin.value, forKey: .gstin)
        try c.encode(kind, forKey: .kind)
        try c.encode(legalName, forKey: .legalName)
        try c.encodeIfPresent(tradeName, forKey: .tradeName)
        try c.encodeIfPresent(gsp, forKey: .gsp)
        try c.encode(irp, forKey: .irp)
        try c.encode(userID, forKey: .userID)
        try c.encode(password, forKey: .password)
        try c.encodeIfPresent(staged, forKey: .staged)
        try c.encodeIfPresent(pendingSince, forKey: .pendingSince)
        try c.encode(retired, forKey: .retired)
        try c.encodeIfPresent(client, forKey: .client)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encodeIfPresent(rotatedAt, forKey: .rotatedAt)
        try c.encode(rotationDays, forKey: .rotationDays)
        try c.encode(version, forKey: .version)
        if !events.isEmpty { try c.encode(events, forKey: .events) }
    }
}

/// An API client id and secret, issued to a GSP or to a direct taxpayer (serving every GSTIN of one PAN),
/// stored once per name and environment and referred to by credentials.
public struct APIClient: Sendable, Equatable, Codable {
    /// What a client may be called (it is typed after --client and in export files): letters, digits, - _ and .
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.allSatisfy { $0.isLetter || $0.isNumber || "-_.".contains($0) }
    }

    public var name: String
    public var environment: Environment
    /// "direct", or the GSP's name.
    public var issuer: String
    public var clientID: String
    public var clientSecret: Secret
    /// NIC's RSA public key (PEM) for this client's environment, used to encrypt auth requests.
    public var publicKeyPEM: String?
    public var createdAt: Timestamp
    public var version: Int

    public init(
        name: String, environment: Environment, issuer: String, clientID: String, clientSecret: Secret,
        createdAt: Timestamp
    ) {
        self.name = name
        self.environment = environment
        self.issuer = issuer
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.createdAt = createdAt
        version = 1
    }
}
