import GST

/// What to register.
public struct RegistrationRequest: Sendable {
    public var gstin: GSTIN
    public var environment: Environment
    public var kind: CredentialKind
    /// The GSP an API user is made through; nil for portal users and direct API users.
    public var gsp: String?
    /// A user id the person chose; nil to have candidates proposed.
    public var userID: String?
    public var client: String?
    /// Days between rotations; nil for the vault's default.
    public var rotationDays: Int?
    /// For an API user: the GSTIN's main portal user, who makes it; nil for the one the ledger keeps.
    public var mainUser: MainUser?
    /// For an API user: the names stored with the main user's credential (the portal's details page is theirs);
    /// nil for those the ledger keeps.
    public var names: (legal: String, trade: String?)?

    public init(
        gstin: GSTIN, environment: Environment, kind: CredentialKind, gsp: String? = nil, userID: String? = nil,
        client: String? = nil, rotationDays: Int? = nil, mainUser: MainUser? = nil,
        names: (legal: String, trade: String?)? = nil
    ) {
        self.mainUser = mainUser
        self.names = names
        self.gstin = gstin
        self.environment = environment
        self.kind = kind
        self.gsp = gsp
        self.userID = userID
        self.client = client
        self.rotationDays = rotationDays
    }
}

extension RegistrationRequest {
    /// What makes a request impossible before anything is asked, as a sentence; nil when there is nothing: a GSP
    /// for a kind not made through one (`CredentialKind.goesThroughGSP`).
    public static func problem(kind: CredentialKind, gsp: String?) -> String? {
        !kind.goesThroughGSP && gsp != nil
            ? CredentialKind.gspForAPIUsersOnly + " (--kind api); a portal login has none" : nil
    }
}

/// A registration request that cannot be made (`RegistrationRequest.problem`); nothing was asked or stored.
public struct RegistrationRequestError: Error, Equatable, CustomStringConvertible {
    public let description: String
}

/// How a resumed registration ended.
public enum ResumeOutcome: Sendable, Equatable {
    /// The portal knows the user: the credential is committed.
    case committed
    /// The portal does not know the user yet: the credential stays pending (a late answer may still create
    /// it); resume again later, or start over with `register --restart`.
    case stillPending
}

/// The NIC registration flow: details, OTP, user id and password, with the credential staged in the ledger
/// before the portal is asked to create it. A crash or a lost answer after staging leaves a pending
/// credential, which `resume` settles; nothing the portal may have accepted is ever lost.
public struct RegistrationFlow<Ledger: RegistrationLedger> {
    public let driver: any PortalDriver
    public let ledger: Ledger
    public let clock: any Clock
    public var policy = PasswordPolicy.standard
    public var userIDs = UserIDGenerator()
    /// Most user id candidates tried before giving up.
    public var maximumCandidates = 5
    /// Progress lines for stderr.
    public var progress: (String) -> Void = { _ in }
    /// Where the OTP comes from (terminal, stdin, or the sandbox outbox).
    public var otpCode: OTPSource = { _, _ in "" }
    /// Called at "staged" and "submitted"; the crash tests kill the process there.
    public var checkpoint: (String) -> Void = { _ in }

    public init(driver: any PortalDriver, ledger: Ledger, clock: any Clock) {
        self.driver = driver
        self.ledger = ledger
        self.clock = clock
    }

    /// Runs the whole flow and returns the committed credential. With `restarting`, a pending registration is
    /// started over under the same record: its earlier user id and password stay in history, never confirmed.
    public func register(_ request: RegistrationRequest, restarting: Credential? = nil) async throws -> Credential {
        if let problem = RegistrationRequest.problem(kind: request.kind, gsp: request.gsp) {
            throw RegistrationRequestError(description: problem)
        }
        if request.kind == .api { return try await registerAPIUser(request, restarting: restarting) }
        let details = try await driver.lookUp(request.gstin)
        progress(
            "\(details.gstin): \(details.legalName)" + (details.tradeName.map { " (\($0))" } ?? "")
                + ", \(details.state), mobile \(details.maskedMobile)")
        let challenge = try await driver.sendOTP(request.gstin)
        progress("OTP sent to \(challenge.sentTo)")
        let verification = try await verifyOTP(challenge, driver: driver, code: otpCode, progress: progress)
        progress("OTP verified")
        return try await create(
            request, legalName: details.legalName, tradeName: details.tradeName, restarting: restarting
        ) { userID, password in
            try await driver.createUser(
                verification, gstin: request.gstin, kind: request.kind, gsp: request.gsp, userID: userID,
                password: password)
            return userID
        }
    }

    /// An API user, as NIC makes it: the main user logs in, API Registration → User Credentials → Create API
    /// User, an OTP, "Direct" or a GSP from the portal's list, then the user name and password.
    func registerAPIUser(_ request: RegistrationRequest, restarting: Credential?) async throws -> Credential {
        let gsp = try await APIRegistration.gsp(request.gsp, driver: driver)
        // The vault's main user, asked for only when the request leaves out its login or its names.
        let main =
            request.mainUser == nil || request.names == nil
            ? try ledger.mainUser(of: request.gstin, environment: request.environment) : nil
        let api = try await APIRegistration.open(
            request.mainUser ?? main.map(MainUser.init), gstin: request.gstin, driver: driver, otpCode: otpCode,
            progress: progress)
        var named = request
        named.gsp = gsp == "Direct" ? nil : gsp
        let names = request.names ?? main.map { ($0.legalName, $0.tradeName) } ?? (request.gstin.value, nil)
        return try await create(named, legalName: names.legal, tradeName: names.trade, restarting: restarting) {
            userID, password in
            try await driver.createAPIUser(api.session, api.verification, gsp: gsp, userID: userID, password: password)
        }
    }

    /// Stages the credential, asks the portal to create it (`submit` returns the user id the portal shows), and
    /// commits; a taken user id moves to the next candidate.
    func create(
        _ request: RegistrationRequest, legalName: String, tradeName: String?, restarting: Credential?,
        submit: (String, Secret) async throws -> String
    ) async throws -> Credential {
        if let chosen = request.userID {
            let problems = UserIDRules.problems(with: chosen)
            guard problems.isEmpty else {
                throw PortalError.refused(
                    code: "invalid-user-id", message: "\(chosen) is not a valid user id", problems: problems)
            }
        }
        let name = tradeName ?? legalName
        let userID = request.userID ?? userIDs.candidate(name: name, state: request.gstin.state)
        let password = try policy.generate()
        var credential = Credential(
            environment: request.environment, gstin: request.gstin, kind: request.kind, legalName: legalName,
            tradeName: tradeName, gsp: request.gsp, userID: userID, password: password, client: request.client,
            createdAt: clock.now(), rotationDays: request.rotationDays ?? ledger.defaultRotationDays)
        if let restarting {
            credential = try ledger.restage(restarting.key, userID: userID, password: password)
        } else {
            credential = try ledger.stage(credential)
        }
        progress("staged \(credential.key) with user id \(userID) in the vault")
        checkpoint("staged")

        do {
            return try await submitCandidates(
                request, credential: credential, userID: userID, name: name, password: password, submit: submit)
        } catch let error as PortalError where error.answerLost || isUnreachable(error) {
            // No answer that settles it (none in time, a lost one, no connection): the credential stays pending,
            // and only --resume may settle it.
            throw LeftPending(.registration, credential.key, cause: error)
        }
    }

    /// Submits the staged credential, moving to the next user id candidate while the portal says one is taken.
    private func submitCandidates(
        _ request: RegistrationRequest, credential staged: Credential, userID first: String, name: String,
        password: Secret, submit: (String, Secret) async throws -> String
    ) async throws -> Credential {
        var credential = staged
        var userID = first
        for attempt in 1...maximumCandidates {
            do {
                let shown = try await submit(userID, password)
                checkpoint("submitted")
                if shown != userID {
                    // The portal names the user otherwise (production adds API_ to API users): its name wins.
                    progress("the portal shows the user id as \(shown), not \(userID); stored as \(shown)")
                    credential = try ledger.changePendingUserID(credential.key, to: shown)
                    userID = shown
                }
                let committed = try ledger.commitPending(credential.key)
                progress("the portal created user \(userID); saved")
                return committed
            } catch let error as PortalError
                where error.code == "user-id-taken" && request.userID == nil
                && attempt < maximumCandidates
            {
                let next = userIDs.candidate(name: name, state: request.gstin.state)
                progress("user id \(userID) is taken; trying \(next)")
                credential = try ledger.changePendingUserID(credential.key, to: next)
                userID = next
            } catch let error as PortalError where !error.answerLost && !isUnreachable(error) {
                // A clear refusal (or a person who stopped before the step): the portal did not create the user.
                try ledger.dropPending(credential.key)
                throw error
            }
            // Anything else (no answer, a crash) leaves the credential pending for `resume`.
        }
        try ledger.dropPending(credential.key)
        throw PortalError.refused(
            code: "user-id-taken", message: "\(maximumCandidates) user id candidates were all taken")
    }

    /// Settles a pending registration by asking the portal whether the staged user id and password work, then
    /// any earlier attempt kept unconfirmed. Nothing is removed: a user the portal does not know yet may still
    /// be created by a late answer.
    public func resume(_ pending: Credential) async throws -> ResumeOutcome {
        if try await driver.checkLogin(userID: pending.userID, password: pending.password) == .accepted {
            _ = try ledger.commitPending(pending.key)
            progress("the portal accepts \(pending.userID): the registration is committed")
            return .committed
        }
        for earlier in pending.unconfirmedPasswords.prefix(2) {
            if try await driver.checkLogin(userID: earlier.userID, password: earlier.password) == .accepted {
                _ = try ledger.adoptPending(pending.key, userID: earlier.userID, password: earlier.password)
                progress("the portal accepts \(earlier.userID) from an earlier attempt: the registration is committed")
                return .committed
            }
        }
        _ = try ledger.notePendingUnknown(pending.key)
        progress(
            "the portal does not know \(pending.userID) with that password yet; the registration stays pending, "
                + "since a late answer may still create it")
        return .stillPending
    }

    private func isUnreachable(_ error: PortalError) -> Bool {
        if case .unreachable = error { true } else { false }
    }
}
