import Foundation
import GST
import Logging
import Portal
import SandboxPortal
import SealedFile

/// The sandbox portal on an ephemeral loopback port, with a test clock and a state file.
public final class RunningPortal: Sendable {
    public let url: URL
    public let state: PortalState
    public let clock: TestClock
    private let task: Task<Void, any Error>

    private init(url: URL, state: PortalState, clock: TestClock, task: Task<Void, any Error>) {
        self.url = url
        self.state = state
        self.clock = clock
        self.task = task
    }

    public static func start(
        stateFile: String? = nil, clock: TestClock = TestClock(), saves: any FileSystem = POSIXFileSystem()
    ) async throws -> RunningPortal {
        var quiet = Logger(label: "test.portal")
        quiet.logLevel = .critical
        let state = try PortalState(
            taxpayers: try Seed.load(json: Seed.builtIn), stateFile: stateFile, clock: clock, logger: quiet,
            saveFileSystem: saves)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = SandboxPortalApp.application(state: state, logger: quiet) { port in
            continuation.yield(port)
            continuation.finish()
        }
        let task = Task { try await app.run() }
        var iterator = ports.makeAsyncIterator()
        let port = await iterator.next()!
        return RunningPortal(url: URL(string: "http://127.0.0.1:\(port)")!, state: state, clock: clock, task: task)
    }

    public var driver: SandboxDriver { SandboxDriver(baseURL: url, timeout: 5) }

    public func stop() { task.cancel() }
}

/// Runs the OTP part of the flow and returns a verification.
public func verified(_ driver: SandboxDriver, _ id: GSTIN) async throws -> Verification {
    let challenge = try await driver.sendOTP(id)
    let code = try await driver.otpFromOutbox(challenge, gstin: id)
    return try await driver.verifyOTP(challenge, code: code)
}

/// The refusal code of a portal error, or nil.
public func refusalCode(_ body: () async throws -> Void) async -> String? {
    do {
        try await body()
        return nil
    } catch let error as PortalError {
        return error.code ?? "\(error)"
    } catch {
        return "\(error)"
    }
}

/// Passes every step to the sandbox, but can lose the answer of user creation or of a password change after
/// the portal has acted on it: what a timeout after the request was sent looks like.
public struct LossyDriver: PortalDriver {
    public let inner: SandboxDriver
    public var loseCreateAnswer = false
    public var loseChangeAnswer = false

    public init(inner: SandboxDriver, loseCreateAnswer: Bool = false, loseChangeAnswer: Bool = false) {
        self.inner = inner
        self.loseCreateAnswer = loseCreateAnswer
        self.loseChangeAnswer = loseChangeAnswer
    }

    public var name: String { "lossy " + inner.name }
    public var needsOTPCode: Bool { true }
    public func lookUp(_ gstin: GSTIN) async throws -> TaxpayerDetails { try await inner.lookUp(gstin) }
    public func sendOTP(_ gstin: GSTIN) async throws -> OTPChallenge { try await inner.sendOTP(gstin) }
    public func verifyOTP(_ challenge: OTPChallenge, code: String) async throws -> Verification {
        try await inner.verifyOTP(challenge, code: code)
    }
    public func createUser(
        _ verification: Verification, gstin: GSTIN, kind: CredentialKind, gsp: String?, userID: String, password: Secret
    ) async throws {
        try await inner.createUser(verification, gstin: gstin, kind: kind, gsp: gsp, userID: userID, password: password)
        if loseCreateAnswer { throw PortalError.timedOut(portal: inner.baseURL.absoluteString, seconds: 1) }
    }
    public func checkLogin(userID: String, password: Secret) async throws -> LoginOutcome {
        try await inner.checkLogin(userID: userID, password: password)
    }
    public func openMainSession(userID: String, password: Secret) async throws -> PortalSession {
        try await inner.openMainSession(userID: userID, password: password)
    }
    public func gspList() async throws -> [String] { try await inner.gspList() }
    public func sendAPIUserOTP(_ session: PortalSession, gstin: GSTIN) async throws -> OTPChallenge {
        try await inner.sendAPIUserOTP(session, gstin: gstin)
    }
    public func createAPIUser(
        _ session: PortalSession, _ verification: Verification, gsp: String, userID: String, password: Secret
    ) async throws -> String {
        let made = try await inner.createAPIUser(session, verification, gsp: gsp, userID: userID, password: password)
        if loseCreateAnswer { throw PortalError.timedOut(portal: inner.baseURL.absoluteString, seconds: 1) }
        return made
    }
    public func changeAPIUserPassword(
        _ session: PortalSession, _ verification: Verification, userID: String, new: Secret
    ) async throws {
        try await inner.changeAPIUserPassword(session, verification, userID: userID, new: new)
        if loseChangeAnswer { throw PortalError.timedOut(portal: inner.baseURL.absoluteString, seconds: 1) }
    }
    public func changePassword(userID: String, old: Secret, new: Secret) async throws {
        try await inner.changePassword(userID: userID, old: old, new: new)
        if loseChangeAnswer { throw PortalError.timedOut(portal: inner.baseURL.absoluteString, seconds: 1) }
    }
}

/// The real file system, whose renames fail while `fail` is set: a state save that cannot complete.
public final class FailingSaves: FileSystem, @unchecked Sendable {
    private let lock = NSLock()
    private var failing = false
    public var fail: Bool {
        get { lock.withLock { failing } }
        set { lock.withLock { failing = newValue } }
    }
    private let real = POSIXFileSystem()
    public init() {}

    public func read(_ path: String) throws(FileSystemError) -> [UInt8]? { try real.read(path) }
    public func mode(of path: String) throws(FileSystemError) -> UInt32? { try real.mode(of: path) }
    public func createExclusive(_ path: String, mode: UInt32) throws(FileSystemError) -> Int32 {
        try real.createExclusive(path, mode: mode)
    }
    public func write(_ fd: Int32, _ bytes: ArraySlice<UInt8>, path: String) throws(FileSystemError) {
        try real.write(fd, bytes, path: path)
    }
    public func sync(_ fd: Int32, path: String) throws(FileSystemError) { try real.sync(fd, path: path) }
    public func close(_ fd: Int32) { real.close(fd) }
    public func rename(_ from: String, to: String) throws(FileSystemError) {
        if fail { throw FileSystemError(operation: "rename", path: to, code: ENOSPC) }
        try real.rename(from, to: to)
    }
    public func link(_ from: String, to: String) throws(FileSystemError) { try real.link(from, to: to) }
    public func syncDirectory(_ path: String) throws(FileSystemError) { try real.syncDirectory(path) }
    public func remove(_ path: String) { real.remove(path) }
    public func makeDirectories(_ path: String, mode: UInt32) throws(FileSystemError) {
        try real.makeDirectories(path, mode: mode)
    }
    public func setMode(_ path: String, mode: UInt32) throws(FileSystemError) { try real.setMode(path, mode: mode) }
}

/// Makes an API user as NIC does: the main (portal) user `main` logs in, asks for API Registration's OTP (read
/// from the outbox), and creates the API user, "Direct" or through `gsp` from the portal's list.
public func makeAPIUser(
    _ driver: SandboxDriver, _ id: GSTIN, main: (userID: String, password: Secret), gsp: String?, userID: String,
    password: Secret
) async throws {
    let session = try await driver.openMainSession(userID: main.userID, password: main.password)
    let challenge = try await driver.sendAPIUserOTP(session, gstin: id)
    let code = try await driver.otpFromOutbox(challenge, gstin: id)
    let verification = try await driver.verifyOTP(challenge, code: code)
    _ = try await driver.createAPIUser(session, verification, gsp: gsp ?? "Direct", userID: userID, password: password)
}

/// Makes the GSTIN's main portal user, then an API user through it.
public func makeMainAndAPIUser(
    _ driver: SandboxDriver, _ id: GSTIN, gsp: String?, userID: String, password: Secret
) async throws {
    let main = (userID: "MAIN" + userID.prefix(8), password: try Secret(utf8Bytes: Array("Main@Pass2024xy".utf8)))
    try await driver.createUser(
        try await verified(driver, id), gstin: id, kind: .portal, gsp: nil, userID: main.userID, password: main.password
    )
    try await makeAPIUser(driver, id, main: main, gsp: gsp, userID: userID, password: password)
}
