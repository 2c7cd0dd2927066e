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

    /// The JSON bytes in locked memory; the encoder's own buffer is wiped before it is released.
    public func sealedBytes() throws -> SecureBytes {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var data = try encoder.encode(self)
        defer { data.withUnsafeMutableBytes { wipe($0) } }
        return try data.withUnsafeBytes { try SecureBytes(copying: $0) }
    }

    /// Decodes the JSON straight from locked memory.
    public static func decode(_ bytes: SecureBytes) throws -> VaultPayload {
        let schema: Int
        do {
            schema = try bytes.withUnsafeBytes { raw in
                let data = Data(
                    bytesNoCopy: UnsafeMutableRawPointer(mutating: raw.baseAddress!), count: raw.count,
                    deallocator: .none)
                return try JSONDecoder().decode(SchemaProbe.self, from: data).schema
            }
        } catch {
            throw VaultError.payloadUnreadable(String(describing: error))
        }
        guard schema == currentSchema else { throw VaultError.unsupportedSchema(schema) }
        do {
            return try bytes.withUnsafeBytes { raw in
                let data = Data(
                    bytesNoCopy: UnsafeMutableRawPointer(mutating: raw.baseAddress!), count: raw.count,
                    deallocator: .none)
                return try JSONDecoder().decode(VaultPayload.self, from: data)
            }
        } catch {
            throw VaultError.payloadUnreadable(String(describing: error))
        }
    }

    private struct SchemaProbe: Decodable { let schema: Int }
}
