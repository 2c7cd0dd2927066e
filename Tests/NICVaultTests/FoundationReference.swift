import Foundation
import NICVault
import Sodium

/// Foundation's JSON coder over the payload's Codable conformance: the reference the fast codec
/// (PayloadSchema) is compared with, byte for byte and record for record.
extension VaultPayload {
    func sealedBytesWithFoundation() throws -> SecureBytes {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(self)
        defer { data.withUnsafeMutableBytes { wipe($0) } }
        return try data.withUnsafeBytes { try SecureBytes(copying: $0) }
    }

    static func decodeWithFoundation(_ bytes: SecureBytes) throws -> VaultPayload {
        try bytes.withUnsafeBytes { raw in
            let data = Data(
                bytesNoCopy: UnsafeMutableRawPointer(mutating: raw.baseAddress!), count: raw.count, deallocator: .none)
            return try JSONDecoder().decode(VaultPayload.self, from: data)
        }
    }
}
