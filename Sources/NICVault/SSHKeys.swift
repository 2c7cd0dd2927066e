import Foundation
import Sodium

/// OpenSSH's ssh-ed25519 keys as recipients and identities, converted to X25519 as age and sops do. Only
/// unencrypted private keys: a passphrase-protected identity file is not supported.
public enum SSHKeys {
    /// `ssh-ed25519 AAAA... [comment]` as an X25519 recipient.
    public static func parseRecipient(_ line: String) -> X25519PublicKey? {
        let parts = line.split(separator: " ")
        guard parts.count >= 2, parts[0] == "ssh-ed25519", let blob = Data(base64Encoded: String(parts[1])) else {
            return nil
        }
        var reader = SSHReader(Array(blob))
        guard let type = reader.string(), type == Array("ssh-ed25519".utf8), let key = reader.string(), key.count == 32
        else { return nil }
        return try? Ed25519Conversion.publicKey(key)
    }

    /// An unencrypted `-----BEGIN OPENSSH PRIVATE KEY-----` file holding one ssh-ed25519 key, as an X25519
    /// identity.
    public static func parseIdentity(_ text: String) throws -> X25519PrivateKey {
        let body = text.split(whereSeparator: \.isNewline).filter { !$0.hasPrefix("-----") }.joined()
        guard var blob = Data(base64Encoded: body).map(Array.init) else {
            throw VaultError.badIdentity("not an OpenSSH private key")
        }
        defer { wipe(&blob) }
        var reader = SSHReader(blob)
        guard reader.take(15) == Array("openssh-key-v1\0".utf8) else {
            throw VaultError.badIdentity("not an OpenSSH private key")
        }
        guard reader.string() == Array("none".utf8), reader.string() == Array("none".utf8) else {
            throw VaultError.badIdentity("the OpenSSH key is protected by a passphrase, which nicvault does not read")
        }
        _ = reader.string()  // KDF options
        guard reader.u32() == 1, reader.string() != nil, var secret = reader.string() else {
            throw VaultError.badIdentity("the OpenSSH file does not hold exactly one key")
        }
        defer { wipe(&secret) }
        var inner = SSHReader(secret)
        guard let check1 = inner.u32(), inner.u32() == check1 else {
            throw VaultError.badIdentity("the OpenSSH key's check numbers differ")
        }
        guard inner.string() == Array("ssh-ed25519".utf8), inner.string()?.count == 32, var ed = inner.string(),
            ed.count == 64
        else { throw VaultError.badIdentity("only ssh-ed25519 keys can be identities") }
        defer { wipe(&ed) }
        return try Ed25519Conversion.privateKey(SecureBytes(copying: ed))
    }
}

/// SSH's wire format: big-endian u32 lengths before strings.
struct SSHReader {
    let bytes: [UInt8]
    var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func take(_ count: Int) -> [UInt8]? {
        guard count >= 0, offset + count <= bytes.count else { return nil }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    mutating func u32() -> UInt32? { take(4).map { $0.reduce(0) { $0 << 8 | UInt32($1) } } }

    mutating func string() -> [UInt8]? { u32().flatMap { take(Int($0)) } }
}

/// Recipients and identities in any of the forms nicvault takes.
public enum Recipients {
    /// `age1...` or `ssh-ed25519 AAAA...`.
    public static func parse(_ text: String) -> X25519PublicKey? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.hasPrefix("ssh-ed25519 ") ? SSHKeys.parseRecipient(trimmed) : AgeKeys.parseRecipient(trimmed)
    }

    /// The entry of `labels` whose recipient is `key` (how a slot or an identity is named to people).
    public static func entry(for key: X25519PublicKey, in labels: [RecipientLabel]) -> RecipientLabel? {
        labels.first { parse($0.recipient) == key }
    }

    /// `age1...` or an `ssh-ed25519 AAAA... [comment]` line, refused with what to give; with the text a vault keeps
    /// for an ssh key (its type and key, without the comment), nil for age.
    public static func parseOrExplain(_ text: String) throws -> (key: X25519PublicKey, sshText: String?) {
        guard let key = parse(text) else { throw VaultError.badRecipient }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let ssh = trimmed.hasPrefix("ssh-ed25519 ")
        return (key, ssh ? trimmed.split(separator: " ").prefix(2).joined(separator: " ") : nil)
    }

    /// An age identity file, or an unencrypted OpenSSH ed25519 private key.
    public static func parseIdentity(_ text: String) throws -> X25519PrivateKey {
        text.contains("BEGIN OPENSSH PRIVATE KEY")
            ? try SSHKeys.parseIdentity(text) : try AgeKeys.parseIdentityFile(text)
    }
}
