import Foundation
import GST
import Logging
import SealedFile
import Sodium

#if canImport(Glibc)
    import Glibc
#endif

/// A refusal, as the portal words it: an HTTP status, a stable code and a message, plus optional details.
public struct PortalFailure: Error, Sendable, Equatable {
    public let statusCode: Int
    public let code: String
    public let message: String
    public var attemptsLeft: Int?
    public var retryAfterSeconds: Int?
    public var problems: [String]?

    init(_ status: Int, _ code: String, _ message: String) {
        self.statusCode = status
        self.code = code
        self.message = message
    }
}

/// The rules the sandbox enforces; tests shorten nothing here, they move the clock instead.
public struct PortalRules: Sendable {
    public var otpLifetimeSeconds: Int64 = 600
    public var otpWrongTriesAllowed = 3
    public var otpSendsPerWindow = 3
    public var otpSendWindowSeconds: Int64 = 1800
    public var verificationLifetimeSeconds: Int64 = 900
    public var loginFailuresBeforeLock = 5
    public var lockSeconds: Int64 = 900
    /// NIC 3023: a new password must differ from the current one; NIC documents no longer history.
    public var passwordHistory = 1
    public var passwordPolicy = PasswordPolicy.standard
    /// Argon2id cost of the stored password hashes (OWASP's 19 MiB, 2 passes: a sandbox, not a vault).
    public var hashParameters = Argon2idParameters(opsLimit: 2, memLimit: 19 << 20)

    public init() {}
}

/// Everything the sandbox remembers between runs. Passwords only as Argon2id hash strings.
struct PortalStateFile: Codable {
    struct OTP: Codable {
        var requestID: String
        var gstin: String
        var code: String
        var createdAt: Timestamp
        var wrongTries: Int
        var verified: Bool
    }

    struct Verification: Codable {
        var token: String
        var gstin: String
        var expiresAt: Timestamp
    }

    struct User: Codable {
        var userID: String
        var gstin: String
        var kind: String
        var gsp: String?
        var passwordHash: String
        /// The hashes of the passwords before the current one, newest first.
        var previousHashes: [String]
        var failedLogins: Int
        var lockedUntil: Timestamp?
        var createdAt: Timestamp
        var passwordChangedAt: Timestamp?
    }

    struct Message: Codable {
        var id: Int
        var gstin: String
        var to: String
        var text: String
        var sentAt: Timestamp
        /// Set on a message that carries a secret (an API client secret): its text is kept only until it is
        /// read once, then replaced by `redactedText`.
        var readOnce: Bool?
        var redactedText: String?
    }

    var format = 1
    var otps: [OTP] = []
    var sends: [String: [Timestamp]] = [:]
    var verifications: [Verification] = []
    var users: [User] = []
    var outbox: [Message] = []
    var nextMessageID = 1
    /// Web sessions of main users (a log-in), which API Registration needs. Optional: older state files lack it.
    var sessions: [Session]?

    struct Session: Codable {
        var token: String
        var userID: String
        var gstin: String
        var expiresAt: Timestamp
    }
    /// NIC API state (RSA key pair, issued clients, tokens), made on first use.
    var nic: NICState?
}

/// The portal's state, guarded by one actor. Every request runs as a transaction (`transaction`): under a lock
/// on the state file, the state is read again from the file, so that processes sharing the file (`sandbox
/// serve` beside the in-process sandbox of each command) see each other's changes; a change is saved before it
/// is answered, and a change whose save fails is undone and answered 500.
public actor PortalState {
    let taxpayers: [String: Taxpayer]
    let rules: PortalRules
    let clock: any Clock
    let stateFile: String?
    let logger: Logger
    var state: PortalStateFile
    /// Set by `changed()` inside a transaction: the state must be saved.
    private var dirty = false
    /// Identity of the state file last read or written (inode, size, modification time), to skip re-reading
    /// a file nobody changed.
    private var fileStamp: [Int] = []
    /// The file system the state is saved through (tests fail a save on purpose).
    let saveFileSystem: any FileSystem

    public init(
        taxpayers: [Taxpayer], stateFile: String?, rules: PortalRules = PortalRules(), clock: any Clock = SystemClock(),
        logger: Logger = Logger(label: "nicvault.sandbox"), saveFileSystem: any FileSystem = POSIXFileSystem()
    ) throws {
        self.taxpayers = Dictionary(uniqueKeysWithValues: taxpayers.map { ($0.gstin, $0) })
        self.rules = rules
        self.clock = clock
        self.stateFile = stateFile
        self.logger = logger
        self.saveFileSystem = saveFileSystem
        if let stateFile, let data = FileManager.default.contents(atPath: stateFile) {
            state = try JSONDecoder().decode(PortalStateFile.self, from: data)
            fileStamp = Self.stamp(stateFile)
        } else {
            state = PortalStateFile()
        }
    }

    /// The portal over the taxpayers of the seed file `seedFile` (nil: the built-in ones), kept in `stateFile`.
    public init(seedFile: String?, stateFile: String, logger: Logger) throws {
        try self.init(taxpayers: try Seed.load(file: seedFile), stateFile: stateFile, logger: logger)
    }

    // MARK: Registration

    func taxpayer(_ text: String) throws(PortalFailure) -> Taxpayer {
        let gstin: GSTIN
        do {
            gstin = try GSTIN(parsing: text, environment: .sandbox)
        } catch {
            throw PortalFailure(400, "invalid-gstin", "\(text) is not a GSTIN: \(error)")
        }
        guard let taxpayer = taxpayers[gstin.value] else {
            throw PortalFailure(404, "gstin-not-found", "\(gstin) is not registered on the GST Common Portal")
        }
        guard taxpayer.status == "active" else {
            throw PortalFailure(403, "gstin-cancelled", "the registration of \(gstin) is cancelled; it cannot register")
        }
        return taxpayer
    }

    public func lookUp(_ gstin: String) throws(PortalFailure) -> Taxpayer { try taxpayer(gstin) }

    public func sendOTP(_ gstin: String) throws -> (requestID: String, sentTo: String) {
        try transaction {
            let taxpayer = try taxpayer(gstin)
            let now = clock.now()
            let window = now.adding(seconds: -rules.otpSendWindowSeconds)
            let recent = (state.sends[taxpayer.gstin] ?? []).filter { $0 > window }
            if recent.count >= rules.otpSendsPerWindow {
                var failure = PortalFailure(
                    429, "otp-resend-limit",
                    "\(rules.otpSendsPerWindow) OTPs were sent to this mobile in the last "
                        + "\(rules.otpSendWindowSeconds / 60) minutes; wait before asking again")
                failure.retryAfterSeconds = Int(
                    recent.min()!.adding(seconds: rules.otpSendWindowSeconds).secondsSince1970
                        - now.secondsSince1970)
                throw failure
            }
            let random = SystemRandom()
            let code = String(format: "%06d", random.uniform(1_000_000))
            let requestID = Hex.encode(random.bytes(count: 12))
            state.otps.removeAll { $0.gstin == taxpayer.gstin }  // a new OTP replaces the previous one
            state.otps.append(
                .init(
                    requestID: requestID, gstin: taxpayer.gstin, code: code, createdAt: now, wrongTries: 0,
                    verified: false)
            )
            state.sends[taxpayer.gstin] = recent + [now]
            let text =
                "\(code) is the OTP for e-invoice registration of \(taxpayer.gstin). Valid for \(rules.otpLifetimeSeconds / 60) minutes. Do not share it. - NIC (sandbox)"
            state.outbox.append(
                .init(
                    id: state.nextMessageID, gstin: taxpayer.gstin, to: taxpayer.maskedMobile, text: text, sentAt: now))
            state.nextMessageID += 1
            changed()
            logger.info("SMS to \(taxpayer.maskedMobile): \(text)")
            return (requestID, taxpayer.maskedMobile)
        }
    }

    public func verifyOTP(requestID: String, code: String) throws -> String {
        try transaction {
            guard let index = state.otps.firstIndex(where: { $0.requestID == requestID }) else {
                throw PortalFailure(404, "otp-request-not-found", "no such OTP request; ask for a new OTP")
            }
            let otp = state.otps[index]
            if otp.verified { throw PortalFailure(409, "otp-used", "this OTP was already used; ask for a new OTP") }
            if clock.now() >= otp.createdAt.adding(seconds: rules.otpLifetimeSeconds) {
                throw PortalFailure(410, "otp-expired", "the OTP has expired; ask for a new OTP")
            }
            if otp.wrongTries >= rules.otpWrongTriesAllowed {
                throw PortalFailure(429, "otp-attempts-exceeded", "too many wrong OTPs; ask for a new OTP")
            }
            guard ConstantTime.equals(Array(otp.code.utf8), Array(code.utf8)) else {
                state.otps[index].wrongTries += 1
                changed()
                let left = rules.otpWrongTriesAllowed - state.otps[index].wrongTries
                var failure = PortalFailure(
                    401, left > 0 ? "wrong-otp" : "otp-attempts-exceeded",
                    left > 0 ? "wrong OTP; \(left) tries left" : "wrong OTP; no tries left, ask for a new OTP")
                failure.attemptsLeft = left
                throw failure
            }
            state.otps[index].verified = true
            let token = Hex.encode(SystemRandom().bytes(count: 24))
            state.verifications.removeAll { $0.expiresAt <= clock.now() }
            state.verifications.append(
                .init(
                    token: token, gstin: otp.gstin,
                    expiresAt: clock.now().adding(seconds: rules.verificationLifetimeSeconds)))
            changed()
            return token
        }
    }

    public func createUser(token: String, kind: String, gsp: String?, userID: String, password: SecureBytes) throws
        -> (gstin: String, userID: String)
    {
        try transaction {
            let verification = try verified(token)
            guard kind == "portal" || kind == "api" else {
                throw PortalFailure(400, "invalid-kind", "kind must be portal or api")
            }
            guard kind == "portal" else {
                throw PortalFailure(
                    403, "api-user-by-main-user",
                    "an API user is made by the main user: log in, API Registration, User Credentials, Create API User")
            }
            return try addUser(
                gstin: verification.gstin, kind: kind, gsp: nil, userID: userID, password: password, token: token)
        }
    }

    /// The GSPs of the portal's drop-down (a handful of real ones, and the sandbox's own "Demo GSP"), "Direct"
    /// first.
    public static let gspList = [
        "Direct", "Adaequare Info Private Limited", "BVM IT Consulting Services India Private Limited",
        "Tera Software Limited", "Masters India IT Solutions Private Limited", "Cleartax (Defmacro Software)",
        "Demo GSP",
    ]

    /// Create API User, as the logged-in main user after an OTP: "Direct" or a GSP of the list.
    public func createAPIUser(session: String, token: String, gsp: String, userID: String, password: SecureBytes) throws
        -> (gstin: String, userID: String)
    {
        try transaction {
            let main = try mainSession(session)
            let verification = try verified(token)
            guard verification.gstin == main.gstin else {
                throw PortalFailure(401, "verification-expired", "the OTP was verified for another GSTIN")
            }
            guard let listed = Self.gspList.first(where: { $0.lowercased() == gsp.lowercased() }) else {
                var failure = PortalFailure(422, "unknown-gsp", "\(gsp) is not in the portal's list of GSPs")
                failure.problems = Self.gspList
                throw failure
            }
            return try addUser(
                gstin: main.gstin, kind: "api", gsp: listed == "Direct" ? nil : listed, userID: userID,
                password: password, token: token)
        }
    }

    /// The main user changes an API user's password after an OTP; NIC asks for no old password here.
    public func changeAPIUserPassword(session: String, token: String, userID: String, new: SecureBytes) throws {
        try transaction {
            let main = try mainSession(session)
            let verification = try verified(token)
            guard verification.gstin == main.gstin,
                let index = state.users.firstIndex(where: {
                    $0.userID.lowercased() == userID.lowercased() && $0.kind == "api" && $0.gstin == main.gstin
                })
            else { throw PortalFailure(404, "no-such-api-user", "\(main.gstin) has no API user \(userID)") }
            try setPassword(index, new)
            state.verifications.removeAll { $0.token == token }
            changed()
        }
    }

    /// The verification of `token`, if it is live.
    func verified(_ token: String) throws -> PortalStateFile.Verification {
        guard
            let verification = state.verifications.first(where: {
                ConstantTime.equals(Array($0.token.utf8), Array(token.utf8))
            }),
            verification.expiresAt > clock.now()
        else {
            throw PortalFailure(
                401, "verification-expired", "the OTP verification is missing or expired; verify a new OTP")
        }
        return verification
    }

    /// The main user's live web session.
    func mainSession(_ token: String) throws -> PortalStateFile.Session {
        guard
            let session = state.sessions?.first(where: { ConstantTime.equals(Array($0.token.utf8), Array(token.utf8)) }
            ),
            session.expiresAt > clock.now()
        else { throw PortalFailure(401, "session-expired", "log in to the portal again (the session ended)") }
        return session
    }

    /// Adds a user after the checks every creation shares, and uses up the verification.
    func addUser(gstin: String, kind: String, gsp: String?, userID: String, password: SecureBytes, token: String) throws
        -> (gstin: String, userID: String)
    {
        if state.users.contains(where: { $0.gstin == gstin && $0.kind == kind && $0.gsp == gsp }) {
            let what =
                kind == "portal"
                ? "a portal login" : "an API user" + (gsp.map { " through \($0)" } ?? " for direct access")
            throw PortalFailure(409, "already-registered", "\(gstin) already has \(what)")
        }
        let idProblems = UserIDRules.problems(with: userID)
        if !idProblems.isEmpty {
            var failure = PortalFailure(422, "invalid-user-id", "the user id breaks the portal's rules")
            failure.problems = idProblems
            throw failure
        }
        if state.users.contains(where: { $0.userID.lowercased() == userID.lowercased() }) {
            throw PortalFailure(409, "user-id-taken", "the user id \(userID) is already taken; choose another")
        }
        try checkPolicy(password)
        let hash = try PasswordHash.hash(password, parameters: rules.hashParameters)
        state.users.append(
            .init(
                userID: userID, gstin: gstin, kind: kind, gsp: gsp, passwordHash: hash, previousHashes: [],
                failedLogins: 0, lockedUntil: nil, createdAt: clock.now(), passwordChangedAt: nil))
        state.verifications.removeAll { $0.token == token }
        changed()
        logger.info("created \(kind) user \(userID) for \(gstin)")
        return (gstin, userID)
    }

    func checkPolicy(_ password: SecureBytes) throws {
        let text = password.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
        let problems = rules.passwordPolicy.problems(with: text)
        if !problems.isEmpty {
            var failure = PortalFailure(422, "weak-password", "the password breaks the portal's rules")
            failure.problems = problems
            throw failure
        }
    }

    /// Sets a user's new password: NIC's rule, and different from the current one (NIC 3023).
    func setPassword(_ index: Int, _ new: SecureBytes) throws {
        try checkPolicy(new)
        let user = state.users[index]
        let recent = [user.passwordHash] + user.previousHashes.prefix(max(0, rules.passwordHistory - 1))
        if recent.contains(where: { PasswordHash.verify(new, against: $0) }) {
            throw PortalFailure(
                422, "password-reused", "the new password must be different from the old password (NIC 3023)")
        }
        state.users[index].previousHashes = Array(recent.prefix(rules.passwordHistory))
        state.users[index].passwordHash = try PasswordHash.hash(new, parameters: rules.hashParameters)
        state.users[index].passwordChangedAt = clock.now()
    }

    // MARK: Log-in and password change

    func authenticate(_ userID: String, _ password: SecureBytes) throws -> Int {
        guard let index = state.users.firstIndex(where: { $0.userID.lowercased() == userID.lowercased() }) else {
            throw PortalFailure(401, "invalid-credentials", "invalid user id or password")
        }
        let now = clock.now()
        if let until = state.users[index].lockedUntil, until > now {
            var failure = PortalFailure(423, "account-locked", "too many failed log-ins; the account is locked")
            failure.retryAfterSeconds = Int(until.secondsSince1970 - now.secondsSince1970)
            throw failure
        }
        guard PasswordHash.verify(password, against: state.users[index].passwordHash) else {
            state.users[index].failedLogins += 1
            if state.users[index].failedLogins >= rules.loginFailuresBeforeLock {
                state.users[index].lockedUntil = now.adding(seconds: rules.lockSeconds)
                state.users[index].failedLogins = 0
            }
            changed()
            throw PortalFailure(401, "invalid-credentials", "invalid user id or password")
        }
        if state.users[index].failedLogins != 0 || state.users[index].lockedUntil != nil {
            state.users[index].failedLogins = 0
            state.users[index].lockedUntil = nil
            changed()
        }
        return index
    }

    /// The portal's web log-in: main (portal) users only; it opens a 30-minute session.
    public func logIn(userID: String, password: SecureBytes) throws -> (
        gstin: String, kind: String, gsp: String?, session: String
    ) {
        try transaction {
            let index = try authenticate(userID, password)
            let user = state.users[index]
            guard user.kind == "portal" else {
                throw PortalFailure(
                    403, "api-user-no-portal-login", "an API user cannot log in to the portal; it is for the API only")
            }
            let token = Hex.encode(SystemRandom().bytes(count: 24))
            var sessions = (state.sessions ?? []).filter { $0.expiresAt > clock.now() }
            sessions.append(
                .init(
                    token: token, userID: user.userID, gstin: user.gstin, expiresAt: clock.now().adding(seconds: 1800)))
            state.sessions = sessions
            changed()
            return (user.gstin, user.kind, user.gsp, token)
        }
    }

    /// Whether a user id and password are right, for any user (sandbox only: nicvault's check after a change;
    /// on the real portal an API user is checked through NIC's auth API).
    public func checkCredentials(userID: String, password: SecureBytes) throws -> (gstin: String, kind: String) {
        try transaction {
            let user = state.users[try authenticate(userID, password)]
            return (user.gstin, user.kind)
        }
    }

    /// A main user changes its own password (the old one is required).
    public func changePassword(userID: String, old: SecureBytes, new: SecureBytes) throws {
        try transaction {
            let index = try authenticate(userID, old)
            guard state.users[index].kind == "portal" else {
                throw PortalFailure(
                    403, "api-user-password-by-main-user",
                    "an API user's password is changed by the main user: API Registration, User Credentials, after an OTP"
                )
            }
            try setPassword(index, new)
            changed()
        }
    }

    /// API Registration's OTP, asked by a logged-in main user for its GSTIN.
    public func sendAPIUserOTP(session: String) throws -> (requestID: String, sentTo: String) {
        let gstin = try transaction { try mainSession(session).gstin }
        return try sendOTP(gstin)
    }

    // MARK: Outbox (sandbox only)

    /// The messages after `after`. A message that carries a secret is shown once: its text is then replaced.
    public func outbox(gstin: String?, after: Int) throws -> [(
        id: Int, gstin: String, to: String, text: String, sentAt: Timestamp
    )] {
        try transaction {
            var found: [(id: Int, gstin: String, to: String, text: String, sentAt: Timestamp)] = []
            for index in state.outbox.indices {
                let message = state.outbox[index]
                guard message.id > after && (gstin == nil || message.gstin == gstin) else { continue }
                found.append((message.id, message.gstin, message.to, message.text, message.sentAt))
                if message.readOnce == true {
                    state.outbox[index].text = message.redactedText ?? "(read once; no longer kept)"
                    state.outbox[index].readOnce = nil
                    state.outbox[index].redactedText = nil
                    changed()
                }
            }
            return found
        }
    }

    // MARK: Persistence

    /// Runs one request: under the state file's lock, with the state as the file has it now. A change marked
    /// with `changed()` is saved before the answer; a failed save undoes it (in memory too) and answers 500.
    /// A request that fails without marking a change leaves the state as it was.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        var lock: FileLock?
        if let stateFile {
            try makeFolder(for: stateFile)
            do {
                lock = try FileLock(path: stateFile + ".lock", timeout: 30)
            } catch {
                throw PortalFailure(503, "state-busy", "the sandbox state file \(stateFile) stayed locked: \(error)")
            }
            try reload(stateFile)
        }
        defer { lock?.release() }
        let before = state
        dirty = false
        let result: Result<T, any Error>
        do {
            result = .success(try body())
        } catch {
            result = .failure(error)
        }
        if dirty {
            dirty = false
            do {
                try save()
            } catch {
                state = before
                throw error
            }
        } else if case .failure = result {
            state = before
        }
        return try result.get()
    }

    /// Marks the state as changed: the transaction saves it before answering.
    func changed() { dirty = true }

    private func makeFolder(for stateFile: String) throws {
        let folder = (stateFile as NSString).deletingLastPathComponent
        guard !folder.isEmpty else { return }
        do {
            try FileManager.default.createDirectory(
                atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw PortalFailure(500, "state-not-saved", "could not create the sandbox state folder \(folder)")
        }
    }

    private static func stamp(_ path: String) -> [Int] {
        var info = stat()
        guard stat(path, &info) == 0 else { return [] }
        return [
            Int(info.st_ino), Int(info.st_size), Int(info.st_mtim.tv_sec), Int(info.st_mtim.tv_nsec),
        ]
    }

    /// Reads the state file again when another process changed it since this one last read or wrote it.
    private func reload(_ stateFile: String) throws {
        let current = Self.stamp(stateFile)
        guard !current.isEmpty, current != fileStamp else { return }
        guard let data = FileManager.default.contents(atPath: stateFile) else {
            throw PortalFailure(500, "state-unreadable", "cannot read the sandbox state file \(stateFile)")
        }
        do {
            state = try JSONDecoder().decode(PortalStateFile.self, from: data)
        } catch {
            throw PortalFailure(500, "state-unreadable", "the sandbox state file \(stateFile) is not valid")
        }
        fileStamp = current
    }

    private func save() throws {
        guard let stateFile else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(state)
        // Temp file, fsync and rename, so a crash leaves the old or the new state.
        do {
            try AtomicFile.replace(stateFile, with: Array(data), backup: nil, fileSystem: saveFileSystem)
        } catch {
            throw PortalFailure(500, "state-not-saved", "could not save the sandbox state file \(stateFile): \(error)")
        }
        fileStamp = Self.stamp(stateFile)
    }
}
