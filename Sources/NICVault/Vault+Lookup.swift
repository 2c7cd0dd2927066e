import GST
import SealedFile
import Sodium

/// What `Vault.readOne` found: the credential (and the API client it names) read by itself through the lookup
/// file, or the vault opened in full when the lookup file could not answer.
public enum OneRead: Sendable {
    /// The credential, its API client (when it names one), and the vault's log when it was asked for.
    case lookedUp(Credential, client: APIClient?, log: [VaultLogEntry]?)
    case vault(Vault)
}

extension OneRead {
    /// The credential this read was for, the vault's log (`withLog`; empty otherwise), and the time to judge the
    /// credential at: as looked up, or found in the vault opened in full (a clear error when none or several match).
    public func credential(
        gstin: GSTIN, kind: CredentialKind?, environment: Environment?, withLog: Bool = false,
        clock: any Clock = SystemClock()
    ) throws -> (credential: Credential, log: [VaultLogEntry], now: Timestamp) {
        switch self {
        case .lookedUp(let credential, _, let log): (credential, log ?? [], clock.now())
        case .vault(let vault):
            (
                try vault.credential(gstin: gstin, kind: kind, environment: environment),
                withLog ? try vault.logEntries() : [], vault.now
            )
        }
    }
}

extension Vault {
    /// The one credential of `gstin` that matches the filters, for a command that reads nothing else (`show`,
    /// `exec`, `history`): the header is opened and unlocked, and when the lookup file at `lookup` describes this
    /// very header, the credential's record (and its client's, and the log's `withLog`) is read alone, without
    /// the sealed manifest or a walk of the records (docs/format.md, "The lookup file"). Otherwise the vault is
    /// opened in full with the key already unlocked (no second key derivation), the lookup file is written for the
    /// next command, and the caller goes on as with `open`: every error (none, several, a typo) is told by that
    /// path.
    public static func readOne(
        store: any VaultStorage, access: VaultAccess, lookup: String, gstin: GSTIN, kind: CredentialKind?,
        environment: Environment?, withLog: Bool = false, acceptRollback: Bool = false,
        clock: any Clock = SystemClock()
    ) throws -> OneRead {
        guard let header = try store.openHeader(access, acceptRollback: acceptRollback) else {
            // Not a version 2 file as long as its header says: the full open tells what it is.
            return .vault(try open(store: store, access: access, acceptRollback: acceptRollback, clock: clock))
        }
        let lookupKey = try LookupTable.key(from: header.key)
        let reader = LookupTable.reader(lookup, header: header.header, key: lookupKey)
        // Any failure on the way (a record that is not the one named, a database row changed since the header was
        // read) is left to the full open, which tells it as it always has, or finds the newer generation.
        if let reader, let found = try? lookedUp(gstin, kind, environment, withLog: withLog, in: reader, header) {
            return .lookedUp(found.credential, client: found.client, log: found.log)
        }
        let vault = try open(store: store, key: header.key, acceptRollback: acceptRollback, clock: clock)
        if reader == nil {
            // Best effort: a cache that cannot be written costs the next command a full open, nothing else.
            if let bytes = vault.lookupBytes(key: lookupKey) { try? LookupTable.write(bytes, to: lookup) }
        }
        return .vault(vault)
    }

    /// The credential (its client, and the log when asked) read through `reader`; nil when the lookup file does
    /// not name exactly one credential for the choice, or lacks a record it names (its client, the log).
    private static func lookedUp(
        _ gstin: GSTIN, _ kind: CredentialKind?, _ environment: Environment?, withLog: Bool,
        in reader: LookupTable.Reader, _ header: HeaderOpen
    ) throws -> (credential: Credential, client: APIClient?, log: [VaultLogEntry]?)? {
        let keys = (environment.map { [$0] } ?? Environment.allCases).flatMap { env in
            (kind.map { [$0] } ?? CredentialKind.allCases).map {
                CredentialKey(environment: env, gstin: gstin, kind: $0)
            }
        }
        let found = keys.compactMap { key in reader.find(RecordIndex.lookupName(.credential(key))).map { (key, $0) } }
        guard found.count == 1, let (key, entry) = found.first else { return nil }
        let credential = try RecordIndex.decodeRecord(try header.record(entry)) { try $0.credential() }
        guard credential.key == key else { throw VaultError.payloadUnreadable("a record under another name") }
        var log: [VaultLogEntry]?
        if withLog {
            guard let entry = reader.find(RecordIndex.lookupName(.log)) else { return nil }
            log = try RecordIndex.decodeRecord(try header.record(entry)) { try $0.array { try $0.logEntry() } }
        }
        guard let name = credential.client else { return (credential, nil, log) }
        guard let clientEntry = reader.find(RecordIndex.lookupName(.client(name: name, environment: key.environment)))
        else { return nil }
        let client = try RecordIndex.decodeRecord(try header.record(clientEntry)) { try $0.client() }
        guard client.name == name, client.environment == key.environment else {
            throw VaultError.payloadUnreadable("a record under another name")
        }
        return (credential, client, log)
    }

    /// Opens with a passphrase or identity, or with the key itself (a session).
    public static func open(
        store: any VaultStorage, access: VaultAccess, acceptRollback: Bool = false, clock: any Clock = SystemClock()
    ) throws -> Vault {
        switch access {
        case .unlocker(let unlocker):
            try open(store: store, unlocker: unlocker, acceptRollback: acceptRollback, clock: clock)
        case .key(let key): try open(store: store, key: key, acceptRollback: acceptRollback, clock: clock)
        }
    }

    /// The lookup file of this vault as opened from its store (every record's place and its name's tag, under
    /// `key`, the lookup key of this vault's key); nil when its records were not listed from a store (a vault saved
    /// by this process).
    func lookupBytes(key: SymmetricKey) -> [UInt8]? {
        guard let set = index.set, let locations = set.locations, locations.count == index.entries.count else {
            return nil
        }
        let named = zip(index.entries, locations).map { (RecordIndex.lookupName($0), $1) }
        return LookupTable.serialize(named, header: opened.header, key: key)
    }
}

extension RecordIndex {
    /// A record's name in the lookup file: what its index entry says of it, as bytes.
    static func lookupName(_ entry: Entry) -> [UInt8] {
        var name: [UInt8] = []
        func add(_ parts: String...) {
            for (index, part) in parts.enumerated() {
                if index > 0 { name.append(0) }
                name += part.utf8
            }
        }
        switch entry {
        case .credential(let key): add("credential", key.environment.rawValue, key.gstin.value, key.kind.rawValue)
        case .client(let client, let environment): add("client", environment.rawValue, client)
        case .log: add("log")
        }
        return name
    }
}
