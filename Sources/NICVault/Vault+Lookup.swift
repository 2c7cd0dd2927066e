import GST
import SealedFile
import Sodium

/// What `Vault.readOne` found: the credential (and the API client it names) read by itself through the lookup
/// file, or the vault opened in full when the lookup file could not answer.
public enum OneRead: Sendable {
    case lookedUp(Credential, client: APIClient?)
    case vault(Vault)
}

extension Vault {
    /// The one credential of `gstin` that matches the filters, for a command that reads nothing else (`show`,
    /// `exec`): the header is opened and unlocked, and when the lookup file at `lookup` describes this very
    /// header, the credential's record (and its client's) is read alone, without the sealed manifest or a walk of
    /// the records (docs/format.md, "The lookup file"). Otherwise the vault is opened in full with the key already
    /// unlocked (no second key derivation), the lookup file is written for the next command, and the caller goes
    /// on as with `open`: every error (none, several, a typo) is told by that path.
    public static func readOne(
        store: VaultStore, access: VaultAccess, lookup: String, gstin: GSTIN, kind: CredentialKind?,
        environment: Environment?, acceptRollback: Bool = false, clock: any Clock = SystemClock()
    ) throws -> OneRead {
        guard let header = try store.openHeader(access, acceptRollback: acceptRollback) else {
            // Not a version 2 file as long as its header says: the full open tells what it is.
            return .vault(try open(store: store, access: access, acceptRollback: acceptRollback, clock: clock))
        }
        let lookupKey = try LookupTable.key(from: header.key)
        let reader = LookupTable.reader(lookup, header: header.header, key: lookupKey)
        if let reader {
            let keys = (environment.map { [$0] } ?? Environment.allCases).flatMap { env in
                (kind.map { [$0] } ?? CredentialKind.allCases).map {
                    CredentialKey(environment: env, gstin: gstin, kind: $0)
                }
            }
            let found = keys.compactMap { key in reader.find(RecordIndex.lookupName(.credential(key))).map { (key, $0) }
            }
            if found.count == 1, let (key, entry) = found.first {
                let credential = try RecordIndex.decodeRecord(try header.record(entry)) { try $0.credential() }
                guard credential.key == key else { throw VaultError.payloadUnreadable("a record under another name") }
                guard let name = credential.client else { return .lookedUp(credential, client: nil) }
                let clientName = RecordIndex.lookupName(.client(name: name, environment: credential.environment))
                if let clientEntry = reader.find(clientName) {
                    let client = try RecordIndex.decodeRecord(try header.record(clientEntry)) { try $0.client() }
                    guard client.name == name, client.environment == credential.environment else {
                        throw VaultError.payloadUnreadable("a record under another name")
                    }
                    return .lookedUp(credential, client: client)
                }
            }
        }
        let vault = try open(store: store, key: header.key, acceptRollback: acceptRollback, clock: clock)
        if reader == nil {
            // Best effort: a cache that cannot be written costs the next command a full open, nothing else.
            if let bytes = try? vault.lookupBytes() { try? LookupTable.write(bytes, to: lookup) }
        }
        return .vault(vault)
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

    /// The lookup file of this vault as opened from a file (every record's place and its name's tag); nil when
    /// its records were not read from a file (a vault saved by this process, or kept in a database).
    func lookupBytes() throws -> [UInt8]? {
        guard let set = index.set, let locations = set.fileLocations, locations.count == index.entries.count else {
            return nil
        }
        let named = zip(index.entries, locations).map { (RecordIndex.lookupName($0), $1) }
        return LookupTable.serialize(named, header: opened.header, key: try LookupTable.key(from: opened.key))
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
