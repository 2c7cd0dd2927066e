import Foundation
import GST
import Sodium

/// Bech32 (BIP 173), as age writes its keys: lower-case `hrp1data...checksum`, without BIP 173's 90-character
/// limit. Only what age's encodings need.
public enum Bech32 {
    static let charset = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8)

    static func polymod(_ values: [UInt8]) -> UInt32 {
        let generator: [UInt32] = [0x3b6a_57b2, 0x2650_8e6d, 0x1ea1_19fa, 0x3d42_33dd, 0x2a14_62b3]
        var check: UInt32 = 1
        for value in values {
            let top = check >> 25
            check = (check & 0x1ff_ffff) << 5 ^ UInt32(value)
            for i in 0..<5 where (top >> UInt32(i)) & 1 == 1 { check ^= generator[i] }
        }
        return check
    }

    static func expand(_ hrp: [UInt8]) -> [UInt8] { hrp.map { $0 >> 5 } + [0] + hrp.map { $0 & 31 } }

    /// 8-bit bytes to 5-bit groups (padding the last one) or back (no padding allowed).
    static func regroup(_ data: [UInt8], from: Int, to: Int, pad: Bool) -> [UInt8]? {
        var accumulator = 0
        var bits = 0
        var out: [UInt8] = []
        let mask = (1 << to) - 1
        for value in data {
            guard Int(value) >> from == 0 else { return nil }
            accumulator = accumulator << from | Int(value)
            bits += from
            while bits >= to {
                bits -= to
                out.append(UInt8((accumulator >> bits) & mask))
            }
        }
        if pad {
            if bits > 0 { out.append(UInt8((accumulator << (to - bits)) & mask)) }
        } else if bits >= from || (accumulator << (to - bits)) & mask != 0 {
            return nil
        }
        return out
    }

    public static func encode(hrp: String, data: [UInt8]) -> String {
        let prefix = Array(hrp.lowercased().utf8)
        let groups = regroup(data, from: 8, to: 5, pad: true)!
        let check = polymod(expand(prefix) + groups + [0, 0, 0, 0, 0, 0]) ^ 1
        let checksum = (0..<6).map { UInt8((check >> UInt32(5 * (5 - $0))) & 31) }
        return hrp.lowercased() + "1" + String(decoding: (groups + checksum).map { charset[Int($0)] }, as: UTF8.self)
    }

    /// The human-readable part (lower case) and the bytes; nil for anything that is not valid bech32.
    public static func decode(_ text: String) -> (hrp: String, data: [UInt8])? {
        guard text == text.lowercased() || text == text.uppercased() else { return nil }
        let lower = Array(text.lowercased().utf8)
        guard let separator = lower.lastIndex(of: UInt8(ascii: "1")), separator > 0, lower.count - separator > 6
        else { return nil }
        let hrp = Array(lower[..<separator])
        var values: [UInt8] = []
        for byte in lower[(separator + 1)...] {
            guard let index = charset.firstIndex(of: byte) else { return nil }
            values.append(UInt8(index))
        }
        guard polymod(expand(hrp) + values) == 1,
            let data = regroup(Array(values.dropLast(6)), from: 5, to: 8, pad: false)
        else { return nil }
        return (String(decoding: hrp, as: UTF8.self), data)
    }
}

/// age's encodings of X25519 keys: recipients `age1...`, identities `AGE-SECRET-KEY-1...` (upper case), so a user
/// can bring the age key they already have.
public enum AgeKeys {
    public static func recipient(_ key: X25519PublicKey) -> String {
        Bech32.encode(hrp: "age", data: key.rawRepresentation)
    }

    public static func parseRecipient(_ text: String) -> X25519PublicKey? {
        guard let (hrp, data) = Bech32.decode(text.trimmingCharacters(in: .whitespaces)), hrp == "age", data.count == 32
        else { return nil }
        return try? X25519PublicKey(rawRepresentation: data)
    }

    /// The identity line of a new key, and the file age-keygen would write.
    public static func identityFile(_ key: X25519PrivateKey, created: Timestamp) throws -> String {
        let line = try key.withRawBytes { Bech32.encode(hrp: "age-secret-key-", data: $0).uppercased() }
        return "# created: \(created)\n# public key: \(recipient(key.publicKey))\n\(line)\n"
    }

    /// The first identity in an age identity file (comments and blank lines skipped).
    public static func parseIdentityFile(_ text: String) throws -> X25519PrivateKey {
        for line in text.split(whereSeparator: \.isNewline) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, !trimmed.hasPrefix("#") else { continue }
            guard let (hrp, data) = Bech32.decode(trimmed), hrp == "age-secret-key-", data.count == 32 else {
                throw VaultError.badIdentity("not an age identity (AGE-SECRET-KEY-1...)")
            }
            var bytes = data
            defer { wipe(&bytes) }
            return try X25519PrivateKey(rawRepresentation: SecureBytes(copying: bytes))
        }
        throw VaultError.badIdentity("no identity in the file")
    }
}
