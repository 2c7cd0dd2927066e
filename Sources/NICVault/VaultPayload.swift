import Foundation
import GST
import Sodium

/// Vault-wide settings kept in the payload.
public struct VaultSettings: Codable, Sendable, Equatable {
    /// Rotation interval given to new credentials, in days.
    public var defaultRotationDays: Int

    public init(defaultRotationDays: Int = Credential.defaultRotationDays) {
        self.defaultRotationDays = defaultRotationDays
    }
}

/// One change of the vault, in a hash-chained log: when, what, to what (a GSTIN with kind and environment, a
/// client, a recipient), through which slot the vault was opened ("passphrase", a recipient's label, "session"),
/// by which user on which host. `hash` chains it to the entry before (see `VaultPayload.appendAudit`). Never a
/// secret.
public struct VaultLogEntry: Codable, Sendable, Equatable {
    /// True when the entry is about the credential `key` (its subject starts with it).
    public func isAbout(_ key: CredentialKey) -> Bool { subject.hasPrefix(key.description) }

    /// True when the entry names `gstin` (one of its credentials, or an event about several).
    public func mentions(_ gstin: GSTIN) -> Bool { subject.contains(gstin.value) }

    public var at: Timestamp
    public var action: String
    public var subject: String
    public var by: String?
    public var user: String?
    public var host: String?
    public var hash: String?

    public init(
        at: Timestamp, action: String, subject: String, by: String? = nil, user: String? = nil, host: String? = nil,
        hash: String? = nil
    ) {
        self.at = at
        self.action = action
        self.subject = subject
        self.by = by
        self.user = user
        self.host = host
        self.hash = hash
    }

    /// BLAKE2b-256 of the previous entry's hash and this entry's fields, hex.
    public func chainHash(after previous: String) -> String {
        let fields = [previous, at.description, action, subject, by ?? "", user ?? "", host ?? ""]
        return Hex.encode(BLAKE2b.hash(Array(fields.joined(separator: "\n").utf8), outputByteCount: 32))
    }
}

/// A recipient of the vault (a job's machine, a colleague) with the name people know it by.
public struct RecipientLabel: Codable, Sendable, Equatable {
    /// `age1...`.
    public var recipient: String
    public var label: String
    public var addedAt: Timestamp

    public init(recipient: String, label: String, addedAt: Timestamp) {
        self.recipient = recipient
        self.label = label
        self.addedAt = addedAt
    }
}

/// What the sealed file holds: JSON, versioned by `schema` (see docs/format.md, "Payload").
public struct VaultPayload: Codable, Sendable, Equatable {
    /// The payload schema this build reads and writes.
    public static let currentSchema = 1

    public var schema: Int
    public var credentials: [Credential]
    public var clients: [APIClient]
    public var settings: VaultSettings
    /// What happened to records that are no longer in the vault (a removal), oldest first; nil while empty.
    /// Never a secret.
    public var log: [VaultLogEntry]?
    /// The names of the vault's X25519 recipients (`age1...` with a label); nil while there are none.
    public var recipients: [RecipientLabel]?

    public init(credentials: [Credential] = [], clients: [APIClient] = [], settings: VaultSettings = VaultSettings()) {
        schema = Self.currentSchema
        self.credentials = credentials
        self.clients = clients
        self.settings = settings
    }

    /// Appends an event to the vault's log, chained to the one before (at most `logLimit`, oldest dropped first).
    public mutating func appendLog(_ entry: VaultLogEntry) { log = Self.appending(entry, to: log) }

    /// `log` with `entry` chained after its last entry, at most `logLimit` long.
    static func appending(_ entry: VaultLogEntry, to log: [VaultLogEntry]?) -> [VaultLogEntry] {
        var entries = log ?? []
        var chained = entry
        chained.hash = entry.chainHash(after: entries.last?.hash ?? "")
        entries.append(chained)
        if entries.count > Self.logLimit { entries.removeFirst(entries.count - Self.logLimit) }
        return entries
    }

    /// Where the chain breaks: the index of the first entry whose hash does not follow from the one before
    /// (the first kept entry is the anchor: older ones may have been dropped past `logLimit`); nil when intact.
    public var firstBrokenLogEntry: Int? { Self.firstBroken(in: log ?? []) }

    /// Where the chain of `entries` breaks (as `firstBrokenLogEntry`); nil when intact.
    public static func firstBroken(in entries: [VaultLogEntry]) -> Int? {
        guard entries.count > 1 else { return nil }
        for index in 1..<entries.count
        where entries[index].hash != entries[index].chainHash(after: entries[index - 1].hash ?? "") {
            return index
        }
        return nil
    }

    /// How many vault-level events are kept.
    public static let logLimit = 10_000

    /// The credentials that authenticate with the API client `name` of `environment`.
    public func credentials(usingClient name: String, environment: Environment) -> [Credential] {
        credentials.filter { $0.client == name && $0.environment == environment }
    }

    /// The index of a client that may be removed: it exists and no credential uses it.
    func removableClient(named name: String, environment: Environment) throws -> Int {
        guard let index = clients.firstIndex(where: { $0.name == name && $0.environment == environment }) else {
            throw VaultError.clientNotFound(name)
        }
        let users = credentials(usingClient: name, environment: environment)
        guard users.isEmpty else { throw VaultError.clientInUse(name, by: users.map(\.key.description)) }
        return index
    }

    /// The JSON bytes in locked memory (PayloadSchema; the writer's own buffer is wiped before it is released).
    public func sealedBytes() throws -> SecureBytes { try PayloadSchema.encode(self) }

    /// Decodes the JSON straight from locked memory (PayloadSchema: about ten times faster than Foundation's
    /// JSONDecoder on Linux, and passwords never become a `String`).
    public static func decode(_ bytes: SecureBytes) throws -> VaultPayload {
        do {
            return try PayloadSchema.decode(bytes)
        } catch let error as VaultError {
            throw error
        } catch {
            throw VaultError.payloadUnreadable(String(describing: error))
        }
    }
}
