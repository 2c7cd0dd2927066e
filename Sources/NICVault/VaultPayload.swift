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

/// One vault-level event: when, what was done, and to what (a GSTIN with kind and environment, or a client).
public struct VaultLogEntry: Codable, Sendable, Equatable {
    public var at: Timestamp
    public var action: String
    public var subject: String

    public init(at: Timestamp, action: String, subject: String) {
        self.at = at
        self.action = action
        self.subject = subject
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

    /// Appends an event to the vault's log (at most `logLimit`, oldest dropped first).
    public mutating func appendLog(_ entry: VaultLogEntry) {
        var entries = log ?? []
        entries.append(entry)
        if entries.count > Self.logLimit { entries.removeFirst(entries.count - Self.logLimit) }
        log = entries
    }

    /// How many vault-level events are kept.
    public static let logLimit = 1000

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
