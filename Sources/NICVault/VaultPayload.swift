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

/// What the sealed file holds: JSON, versioned by `schema` (see docs/format.md, "Payload").
public struct VaultPayload: Codable, Sendable, Equatable {
    /// The payload schema this build reads and writes.
    public static let currentSchema = 1

    public var schema: Int
    public var credentials: [Credential]
    public var clients: [APIClient]
    public var settings: VaultSettings

    public init(credentials: [Credential] = [], clients: [APIClient] = [], settings: VaultSettings = VaultSettings()) {
        schema = Self.currentSchema
        self.credentials = credentials
        self.clients = clients
        self.settings = settings
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
