import GST

/// One record read from an import file: where it was (a line of a CSV, an entry of a JSON file), and the
/// credential, or what is wrong with it.
public struct ImportRow: Sendable {
    /// 1-based: the line of a CSV file, the position of an entry in a JSON file.
    public var line: Int
    public var credential: ExistingCredential?
    /// A complete record (nicvault's own json export): imported as it is, history and events included.
    public var record: Credential?
    /// The rules the row breaks (never its password).
    public var problems: [String]

    public init(line: Int, credential: ExistingCredential? = nil, record: Credential? = nil, problems: [String] = []) {
        self.line = line
        self.credential = credential
        self.record = record
        self.problems = problems
    }
}

/// What an import will do, decided before anything is written: every row is checked first, and a file with
/// any bad row changes nothing.
public struct ImportPlan: Sendable {
    public enum Action: Sendable, Equatable {
        case add
        /// What differs from what is stored: "password", "user id", ...
        case update([String])
        case unchanged
    }

    public struct Entry: Sendable {
        public let line: Int
        public let key: CredentialKey
        public let action: Action
        let row: ImportRow
    }

    public private(set) var entries: [Entry] = []
    /// Every bad row: its line and the rules it breaks.
    public private(set) var problems: [(line: Int, problem: String)] = []
    /// API clients the file brings that the vault lacks (json).
    public private(set) var clients: [APIClient] = []
    /// Warnings about rows that are imported all the same (a password NIC would refuse).
    public private(set) var warnings: [(line: Int, warning: String)] = []

    public var isValid: Bool { problems.isEmpty }
    public var changes: Int { entries.filter { $0.action != .unchanged }.count }

    /// Checks `rows` against each other and against `vault`.
    public init(
        rows: [ImportRow], clients fileClients: [APIClient] = [], vault: Vault,
        progress: (Int, Int) -> Void = { _, _ in }
    ) throws {
        let payload = try vault.payload
        var stored: [CredentialKey: Credential] = [:]
        for credential in payload.credentials { stored[credential.key] = credential }
        var seen: [CredentialKey: Int] = [:]
        for client in fileClients
        where !payload.clients.contains(where: {
            $0.name == client.name && $0.environment == client.environment
        }) {
            clients.append(client)
        }
        for (done, row) in rows.enumerated() {
            progress(done + 1, rows.count)
            if !row.problems.isEmpty {
                problems += row.problems.map { (row.line, $0) }
                continue
            }
            guard let key = row.record?.key ?? row.credential?.key else { continue }
            if let first = seen[key] {
                problems.append((row.line, "\(key) is also on line \(first)"))
                continue
            }
            seen[key] = row.line
            let clientName = row.record?.client ?? row.credential?.client
            if let clientName,
                !(payload.clients + clients).contains(where: {
                    $0.name == clientName && $0.environment == key.environment
                })
            {
                problems.append((row.line, "no API client named \(clientName) in \(key.environment.rawValue)"))
                continue
            }
            if let credential = row.credential {
                warnings += credential.warnings.map { (row.line, $0) }
            }
            entries.append(
                Entry(line: row.line, key: key, action: Self.action(for: row, against: stored[key]), row: row))
        }
    }

    static func action(for row: ImportRow, against stored: Credential?) -> Action {
        guard let stored else { return .add }
        var changes: [String] = []
        let userID = row.record?.userID ?? row.credential!.userID
        let password = row.record?.password ?? row.credential!.password
        if password != stored.password { changes.append("password") }
        if userID != stored.userID { changes.append("user id") }
        if let credential = row.credential {
            if credential.kind == .api, let gsp = credential.gsp, gsp != stored.gsp { changes.append("GSP") }
            if let client = credential.client, client != stored.client { changes.append("API client") }
            if let days = credential.rotationDays, days != stored.rotationDays { changes.append("rotation interval") }
        }
        return changes.isEmpty ? .unchanged : .update(changes)
    }
}

extension Vault {
    /// Carries out a valid plan in one save (nothing when it changes nothing: no new generation). Added rows
    /// say "added (imported)" in their history; an update keeps the old password in history.
    @discardableResult
    public mutating func apply(_ plan: ImportPlan) throws -> Int {
        guard plan.isValid else { throw VaultError.nothingToChange("the import file has bad rows") }
        guard plan.changes > 0 || !plan.clients.isEmpty else { return 0 }
        let time = now
        try modify(audit: ("imported", "\(plan.changes) credential(s), \(plan.clients.count) API client(s)")) {
            payload in
            payload.clients += plan.clients
            // Each stored credential's position by key, made once: looking each row up by a scan made an import
            // of 10,000 rows into a new vault take seconds, and one of 100,000 take minutes.
            var positions = [CredentialKey: Int](minimumCapacity: payload.credentials.count + plan.entries.count)
            for (position, credential) in payload.credentials.enumerated() where positions[credential.key] == nil {
                positions[credential.key] = position
            }
            for entry in plan.entries where entry.action != .unchanged {
                let index = positions[entry.key]
                switch (entry.action, index) {
                case (.add, nil):
                    if let record = entry.row.record {
                        positions[entry.key] = payload.credentials.count
                        payload.credentials.append(record)
                    } else if let existing = entry.row.credential {
                        positions[entry.key] = payload.credentials.count
                        payload.credentials.append(
                            existing.record(
                                now: time, defaultRotationDays: payload.settings.defaultRotationDays,
                                change: "added (imported)"))
                    }
                case (.update(let changes), let index?):
                    var credential = payload.credentials[index]
                    let password = entry.row.record?.password ?? entry.row.credential!.password
                    if password != credential.password {
                        credential.acceptLivePassword(password, at: time)
                    }
                    credential.userID = entry.row.record?.userID ?? entry.row.credential!.userID
                    if let existing = entry.row.credential {
                        if existing.kind == .api, let gsp = existing.gsp { credential.gsp = gsp }
                        if let client = existing.client { credential.client = client }
                        if let days = existing.rotationDays { credential.rotationDays = days }
                    }
                    credential.note("updated by import: " + changes.joined(separator: ", "), at: time)
                    credential.version += 1
                    payload.credentials[index] = credential
                case (.add, _?):
                    // Added by another process since the plan was made: nothing is overwritten.
                    throw VaultError.alreadyExists("a credential for \(entry.key)")
                default:
                    throw VaultError.notFound(entry.key.description)
                }
            }
        }
        return plan.changes
    }
}
