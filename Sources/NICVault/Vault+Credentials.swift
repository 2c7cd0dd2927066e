import GST

/// Look-ups and check-and-set changes of credentials and API clients.
extension Vault {
    /// The time now, from the vault's clock.
    public var now: Timestamp { clock.now() }

    /// Credentials matching every filter given, in GSTIN order.
    /// Only the records that match are decrypted (the index knows each record's GSTIN, kind and environment).
    public func credentials(
        gstin: GSTIN? = nil, kind: CredentialKind? = nil, environment: Environment? = nil
    ) throws -> [Credential] {
        try index.credentials(sortedWhere: Self.matching(gstin, kind, environment)) { $0 }
    }

    /// What `list` prints of the credentials `credentials(...)` returns, in the same order, made where they are
    /// decoded (on every core for a large vault) without keeping the credentials.
    public func summaries(
        gstin: GSTIN? = nil, kind: CredentialKind? = nil, environment: Environment? = nil
    ) throws -> [CredentialSummary] {
        let now = self.now
        return try index.credentials(sortedWhere: Self.matching(gstin, kind, environment)) {
            CredentialSummary($0, now: now)
        }
    }

    private static func matching(_ gstin: GSTIN?, _ kind: CredentialKind?, _ environment: Environment?)
        -> (CredentialKey) -> Bool
    {
        { key in
            (gstin == nil || key.gstin == gstin) && (kind == nil || key.kind == kind)
                && (environment == nil || key.environment == environment)
        }
    }

    /// The one credential of `gstin` that matches the filters; a clear error when there is none or several.
    public func credential(gstin: GSTIN, kind: CredentialKind? = nil, environment: Environment? = nil) throws
        -> Credential
    {
        let matches = try credentials(gstin: gstin, kind: kind, environment: environment)
        guard let first = matches.first else {
            let filters = [kind?.rawValue, environment?.rawValue].compactMap { $0 }
            let what = gstin.value + (filters.isEmpty ? "" : " (" + filters.joined(separator: ", ") + ")")
            // One character away from a stored GSTIN: a typo, most likely.
            let stored = Set(index.credentialKeys.map(\.gstin.value))
            if let near = stored.sorted().first(where: { Self.oneCharacterApart($0, gstin.value) }) {
                throw VaultError.notFoundDidYouMean(what, near)
            }
            throw VaultError.notFound(what)
        }
        guard matches.count == 1 else {
            throw VaultError.ambiguous(
                gstin: gstin.value, matches: matches.map { "\($0.kind.rawValue) in \($0.environment.rawValue)" })
        }
        return first
    }

    /// The GSTIN's main user: its committed portal login in `environment`, which makes and changes API users.
    public func mainUser(of gstin: GSTIN, environment: Environment) throws -> Credential? {
        guard let main = try index.credential(CredentialKey(environment: environment, gstin: gstin, kind: .portal)),
            main.pendingSince == nil
        else { return nil }
        return main
    }

    static func oneCharacterApart(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).filter { $0 != $1 }.count == 1
    }

    /// Adds a new credential (version 1). Refuses a second credential for the same environment, GSTIN and kind.
    @discardableResult
    public mutating func add(_ credential: Credential) throws -> Credential {
        var added = credential
        added.version = 0
        added.note(credential.pendingSince == nil ? "added" : "registration staged", at: now)
        added.version = 1
        try modifyCredential(
            credential.key,
            audit: (credential.pendingSince == nil ? "added" : "registration staged", credential.key.description)
        ) { stored, index in
            guard stored == nil else { throw VaultError.alreadyExists("a credential for \(credential.key)") }
            if let client = credential.client {
                guard try index.client(named: client, environment: credential.environment) != nil else {
                    throw VaultError.clientNotFound(client)
                }
            }
            stored = added
        }
        return added
    }

    /// Changes a credential if its version is still `expectedVersion` (check-and-set under the vault lock);
    /// the version goes up by one. A change made meanwhile by another process is a `conflict`, never lost.
    @discardableResult
    public mutating func update(
        _ key: CredentialKey, expectedVersion: Int, note: String? = nil, _ change: (inout Credential) throws -> Void
    ) throws -> Credential {
        let time = now
        return try modifyCredential(key, audit: (note ?? "changed", key.description)) { stored, _ in
            guard let current = stored else { throw VaultError.notFound(key.description) }
            guard current.version == expectedVersion else {
                throw VaultError.conflict(key.description, expected: expectedVersion, actual: current.version)
            }
            var changed = current
            try change(&changed)
            // The identity of a credential is not changed through update.
            changed.environment = current.environment
            changed.gstin = current.gstin
            changed.kind = current.kind
            changed.version = current.version
            if let note { changed.note(note, at: time) }
            changed.version = current.version + 1
            stored = changed
            return changed
        }
    }

    /// Sets a credential's rotation interval (check-and-set on `expectedVersion`).
    @discardableResult
    public mutating func setRotationDays(_ key: CredentialKey, days: Int, expectedVersion: Int) throws -> Credential {
        try update(key, expectedVersion: expectedVersion, note: "rotation interval set to \(days) days") {
            $0.rotationDays = days
        }
    }

    /// Links a credential to the API client `name` of its environment (which must exist), or unlinks it (nil).
    @discardableResult
    public mutating func linkClient(_ key: CredentialKey, to name: String?, expectedVersion: Int) throws -> Credential {
        if let name { _ = try client(named: name, environment: key.environment) }
        let note = name.map { "linked to API client \($0)" } ?? "API client unlinked"
        return try update(key, expectedVersion: expectedVersion, note: note) { $0.client = name }
    }

    /// The credentials (of `kind` and `environment`, all when nil) whose interval is not `days`: those
    /// `setDefaultRotation(days:alsoFor:)` changes.
    public func credentials(notEvery days: Int, kind: CredentialKind?, environment: Environment?) throws
        -> [Credential]
    {
        try credentials(kind: kind, environment: environment).filter { $0.rotationDays != days }
    }

    /// Sets the interval new credentials get and gives it to `existing` too (in one save: their versions go up,
    /// their history says so).
    public mutating func setDefaultRotation(days: Int, alsoFor existing: [Credential]) throws {
        let keys = Set(existing.map(\.key))
        let time = now
        let subject = existing.isEmpty ? "vault" : "vault and \(existing.count) credential(s)"
        try modify(audit: ("default interval set to \(days) days", subject)) { payload in
            payload.settings.defaultRotationDays = days
            for index in payload.credentials.indices where keys.contains(payload.credentials[index].key) {
                payload.credentials[index].note("rotation interval set to \(days) days (all)", at: time)
                payload.credentials[index].rotationDays = days
                payload.credentials[index].version += 1
            }
        }
    }

    /// Removes a credential if its version is still `expectedVersion`.
    public mutating func remove(_ key: CredentialKey, expectedVersion: Int) throws {
        try modifyCredential(key, audit: ("removed", key.description)) { stored, _ in
            guard let actual = stored?.version else { throw VaultError.notFound(key.description) }
            guard actual == expectedVersion else {
                throw VaultError.conflict(key.description, expected: expectedVersion, actual: actual)
            }
            stored = nil
        }
    }

    /// The API client called `name` in `environment`.
    public func client(named name: String, environment: Environment) throws -> APIClient {
        guard let client = try index.client(named: name, environment: environment) else {
            throw VaultError.clientNotFound(name)
        }
        return client
    }

    /// Every API client, by environment then name, with the credentials that authenticate with it (in key
    /// order). Credentials are decoded for their link alone and not kept (`client list` at 100,000).
    public func clientsWithUsers() throws -> [(client: APIClient, users: [CredentialKey])] {
        let clients = try index.clients()
        guard !clients.isEmpty else { return [] }  // no credential to decode
        // Each credential's client named as the index names a client record.
        let links = try index.credentials(sortedWhere: { _ in true }) { credential in
            credential.client.map {
                (RecordIndex.Entry.client(name: $0, environment: credential.environment), credential.key)
            }
        }
        var users: [RecordIndex.Entry: [CredentialKey]] = [:]
        for case let (client, user)? in links { users[client, default: []].append(user) }
        return clients.sorted { ($0.environment, $0.name) < ($1.environment, $1.name) }.map {
            ($0, users[.client(name: $0.name, environment: $0.environment)] ?? [])
        }
    }

    /// The credentials that authenticate with the API client `name` of `environment`, in key order.
    public func users(ofClient name: String, environment: Environment) throws -> [CredentialKey] {
        try index.credentials(sortedWhere: { $0.environment == environment }) { credential in
            credential.client == name ? credential.key : nil
        }.compactMap { $0 }
    }

    /// The API client `credential` is linked to; refused, with what to do, when it has none.
    public func client(of credential: Credential) throws -> APIClient {
        guard let name = credential.client else {
            throw VaultError.noClientLinked(
                credential.key.description, gstin: credential.gstin.value,
                environment: credential.environment.rawValue)
        }
        return try client(named: name, environment: credential.environment)
    }

    /// Adds an API client record; the name must be a valid one (`APIClient.isValidName`), new in its environment.
    public mutating func addClient(_ client: APIClient) throws {
        guard APIClient.isValidName(client.name) else { throw VaultError.badClientName(client.name) }
        try modify(audit: ("API client added", "\(client.name) (\(client.environment.rawValue))")) { payload in
            guard !payload.clients.contains(where: { $0.name == client.name && $0.environment == client.environment })
            else { throw VaultError.alreadyExists("an API client \(client.name) (\(client.environment.rawValue))") }
            payload.clients.append(client)
        }
    }

    /// Removes an API client record that no credential refers to; the vault's log keeps the event.
    public mutating func removeClient(named name: String, environment: Environment) throws {
        try modify(audit: ("API client removed", "\(name) (\(environment.rawValue))")) { payload in
            payload.clients.remove(at: try payload.removableClient(named: name, environment: environment))
        }
    }

    /// The client, when it could be removed now (it exists and no credential uses it); else the reason.
    public func removableClient(named name: String, environment: Environment) throws -> APIClient {
        let payload = try self.payload
        return payload.clients[try payload.removableClient(named: name, environment: environment)]
    }

    /// Replaces an API client's id and secret (re-issued by NIC or the GSP); the version goes up.
    public mutating func updateClient(
        named name: String, environment: Environment, clientID: String, secret: Secret
    ) throws {
        try changeClient(named: name, environment: environment, action: "API client updated") {
            $0.clientID = clientID
            $0.clientSecret = secret
        }
    }

    /// Replaces the NIC public key (PEM) stored with an API client (NIC issued a new one, or the one stored was the
    /// other environment's); its id and secret stay.
    public mutating func replaceClientPublicKey(named name: String, environment: Environment, pem: String) throws {
        try changeClient(named: name, environment: environment, action: "API client public key replaced") {
            $0.publicKeyPEM = pem
        }
    }

    private mutating func changeClient(
        named name: String, environment: Environment, action: String, _ change: (inout APIClient) -> Void
    ) throws {
        try modify(audit: (action, "\(name) (\(environment.rawValue))")) { payload in
            guard let index = payload.clients.firstIndex(where: { $0.name == name && $0.environment == environment })
            else { throw VaultError.clientNotFound(name) }
            change(&payload.clients[index])
            payload.clients[index].version += 1
        }
    }
}

/// Changes made on the portal by someone else, recorded.
extension Vault {
    /// Records a password (and a user id, if given) that was changed outside nicvault. The portal has already
    /// accepted it, so rules it breaks are warnings (returned), not refusals. The old password goes to history;
    /// a staged one too (never confirmed); a pending registration is settled by it.
    @discardableResult
    public mutating func recordOutsideChange(
        _ key: CredentialKey, expectedVersion: Int, password: Secret?, userID: String? = nil
    ) throws -> (credential: Credential, warnings: [String]) {
        let current = try credential(key)
        if password == nil && (userID == nil || userID == current.userID) {
            throw VaultError.nothingToChange("neither the password nor the user id differs from what is stored")
        }
        if let password {
            guard password.byteCount > 0 else { throw VaultError.nothingToChange("the password is empty") }
            if password == current.password && userID == nil {
                throw VaultError.nothingToChange("that is already the stored password")
            }
        }
        let warnings = ExistingCredential.warnings(userID: userID, password: password)
        let time = now
        let changed = password != nil && password != current.password
        let note =
            (changed ? "password updated (changed outside nicvault)" : "user id corrected")
            + (userID.map { ", user id \($0)" } ?? "")
        let updated = try update(key, expectedVersion: expectedVersion, note: note) { credential in
            if let password, changed {
                credential.acceptLivePassword(password, at: time)
            }
            if let userID { credential.userID = userID }
        }
        return (updated, warnings)
    }

    /// The credential stored under `key`.
    public func credential(_ key: CredentialKey) throws -> Credential {
        guard let found = try index.credential(key) else {
            throw VaultError.notFound(key.description)
        }
        return found
    }
}
