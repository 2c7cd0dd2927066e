import SealedFile
import Sodium

/// The test vectors of docs/format-vectors.md, generated deterministically from fixed seeds, so that anyone
/// can regenerate them and the tests can check the document against the code.
public enum FormatVectors {
    /// The passphrase of every passphrase vector.
    public static let passphrase = "correct horse battery staple"
    /// The 32-byte seed of the recipient key pair (crypto_box_seed_keypair).
    public static let recipientSeed = [UInt8](repeating: 0x42, count: 32)
    /// The 32-byte seed of the sealed box's ephemeral key pair.
    public static let ephemeralSeed = [UInt8](repeating: 0x24, count: 32)

    /// The payload of an empty vault, as nicvault writes it.
    public static let emptyPayload =
        #"{"clients":[],"credentials":[],"schema":1,"settings":{"defaultRotationDays":90}}"#

    /// The payload of a vault with one sandbox portal credential.
    public static let oneCredentialPayload =
        #"{"clients":[],"credentials":[{"createdAt":"2026-11-26T00:00:00Z","environment":"sandbox","gstin":"27AAPFU0939F1ZV","irp":"NIC1","kind":"portal","legalName":"Demo Traders Private Limited","password":"Xk7@pQ2mRt9#vLw","retired":[],"rotationDays":90,"userID":"DEMOTRAD274821","version":1}],"schema":1,"settings":{"defaultRotationDays":90}}"#

    /// A vector that opens.
    public struct Positive: Sendable {
        public let name: String
        public let description: String
        public let bytes: [UInt8]
        public let payload: String
        public let vaultKey: [UInt8]
    }

    /// A vector that must be refused with `error`.
    public struct Negative: Sendable {
        public let name: String
        public let description: String
        public let bytes: [UInt8]
        public let passphrase: String
        public let error: SealedFileError
    }

    /// Seals `payload` deterministically; `seed` names the random stream.
    static func seal(
        payload: String, seed: String, parameters: Argon2idParameters = .interactive, recipient: Bool = false
    ) throws -> (bytes: [UInt8], key: [UInt8]) {
        let random = DeterministicRandom(label: seed)
        let key = try SymmetricKey(SecureBytes(copying: random.bytes(count: 32)))
        let vaultID = random.bytes(count: VaultHeader.vaultIDByteCount)
        var slots: [any KeySlot] = [
            try PassphraseSlot(
                wrapping: key, passphrase: SecureBytes(copying: Array(passphrase.utf8)), parameters: parameters,
                vaultID: vaultID, random: random)
        ]
        if recipient {
            let identity = try X25519PrivateKey(seed: SecureBytes(copying: recipientSeed))
            slots.append(
                try RecipientSlot(
                    wrapping: key, for: identity.publicKey, ephemeralSeed: SecureBytes(copying: ephemeralSeed)))
        }
        let header = VaultHeader(
            vaultID: vaultID, generation: 1, slots: slots, payloadNonce: [], ciphertextLength: 0)
        let bytes = try VaultFormat.seal(
            SecureBytes(copying: Array(payload.utf8)), key: key, header: header, random: random)
        return (bytes, key.withUnsafeBytes { Array($0) })
    }

    /// Replaces the header checksum after an edit, so that a vector reaches the check it is meant for.
    public static func rechecksum(_ bytes: [UInt8]) throws -> [UInt8] {
        // The checksum sits right before the ciphertext, whose length is the u64 before the checksum.
        var copy = bytes
        let parsedEnd = try headerLength(of: bytes)
        let checksumOffset = parsedEnd - VaultHeader.checksumByteCount
        copy.replaceSubrange(
            checksumOffset..<parsedEnd, with: BLAKE2b.hash(Array(bytes[0..<checksumOffset]), outputByteCount: 32))
        return copy
    }

    /// The header length of a well-formed file, found by walking its slots.
    static func headerLength(of bytes: [UInt8]) throws -> Int {
        var offset = 8 + 2 + 16 + 8
        let slots = Int(bytes[offset])
        offset += 1
        for _ in 0..<slots {
            let length = Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2])
            offset += 3 + length
        }
        return offset + 24 + 8 + 32
    }

    public static func positives() throws -> [Positive] {
        let empty = try seal(payload: emptyPayload, seed: "nicvault vector 1: empty")
        let one = try seal(payload: oneCredentialPayload, seed: "nicvault vector 2: one credential")
        let both = try seal(payload: emptyPayload, seed: "nicvault vector 3: recipient", recipient: true)
        return [
            Positive(
                name: "empty", description: "An empty vault: one passphrase slot (INTERACTIVE), generation 1.",
                bytes: empty.bytes, payload: emptyPayload, vaultKey: empty.key),
            Positive(
                name: "one-credential", description: "One sandbox portal credential in the payload.",
                bytes: one.bytes, payload: oneCredentialPayload, vaultKey: one.key),
            Positive(
                name: "passphrase-and-recipient",
                description:
                    "A passphrase slot and an X25519 recipient slot; the recipient's key pair is "
                    + "crypto_box_seed_keypair(32 × 0x42).",
                bytes: both.bytes, payload: emptyPayload, vaultKey: both.key),
        ]
    }

    public static func negatives() throws -> [Negative] {
        let base = try positives()[0].bytes
        var flippedTag = base
        flippedTag[flippedTag.count - 1] ^= 0x01
        var flippedHeader = base
        flippedHeader[33] ^= 0x01  // last byte of the generation
        var version3 = base
        version3[9] = 0x03
        var unknownSlot = base
        unknownSlot[35] = 0x07  // type of the first slot
        unknownSlot = try rechecksum(unknownSlot)
        // Parameters are refused before any key derivation, so these are edits of the base vector
        // (with the checksum recomputed) rather than vaults sealed at those costs.
        var weak = base
        weak.replaceSubrange(39..<43, with: [0, 0, 0, 1])  // opslimit u32 = 1
        weak = try rechecksum(weak)
        var greedy = base
        greedy.replaceSubrange(43..<51, with: UInt64(8 << 30).bigEndianBytes)  // memlimit u64 = 8 GiB
        greedy = try rechecksum(greedy)
        var wrongID = base
        wrongID[10] ^= 0x01  // vault id: the passphrase slot is bound to it
        wrongID = try rechecksum(wrongID)
        return [
            Negative(
                name: "truncated", description: "The empty vault without its last 100 bytes.",
                bytes: Array(base.dropLast(100)), passphrase: passphrase,
                error: .truncated(needed: base.count, actual: base.count - 100)),
            Negative(
                name: "trailing-bytes", description: "The empty vault with one 0x00 byte appended.",
                bytes: base + [0], passphrase: passphrase, error: .trailingBytes(count: 1)),
            Negative(
                name: "flipped-tag", description: "The last byte (in the payload tag) XOR 0x01.",
                bytes: flippedTag, passphrase: passphrase, error: .payloadDamaged),
            Negative(
                name: "flipped-header-byte", description: "Byte 33 (the generation) XOR 0x01.",
                bytes: flippedHeader, passphrase: passphrase, error: .headerChecksumMismatch),
            Negative(
                name: "wrong-passphrase", description: "The empty vault, opened with \"wrong horse battery staple\".",
                bytes: base, passphrase: "wrong horse battery staple", error: .wrongPassphrase),
            Negative(
                name: "unknown-version", description: "Byte 9 (format version, low byte) set to 3.",
                bytes: version3, passphrase: passphrase, error: .unsupportedVersion(3)),
            Negative(
                name: "unknown-slot-type",
                description: "Byte 35 (first slot type) set to 7, with the header checksum recomputed.",
                bytes: unknownSlot, passphrase: passphrase, error: .unknownSlotType(7)),
            Negative(
                name: "ops-below-interactive",
                description: "Bytes 39-42 (opslimit) set to 1, below INTERACTIVE; checksum recomputed.",
                bytes: weak, passphrase: passphrase,
                error: .kdfParametersOutOfRange(opsLimit: 1, memLimit: 64 << 20, reason: "fewer than 2 passes")),
            Negative(
                name: "memory-above-cap",
                description: "Bytes 43-50 (memlimit) set to 8 GiB, above the 4 GiB cap; checksum recomputed.",
                bytes: greedy, passphrase: passphrase,
                error: .kdfParametersOutOfRange(opsLimit: 2, memLimit: 8 << 30, reason: "more than 4 GiB of memory")),
            Negative(
                name: "slot-moved-to-another-vault",
                description: "Byte 10 (vault id) XOR 0x01, checksum recomputed: the slot no longer unwraps.",
                bytes: wrongID, passphrase: passphrase, error: .wrongPassphrase),
            Negative(
                name: "not-a-vault", description: "An age file header.",
                bytes: Array("age-encryption.org/v1\n-> X25519 abc\n".utf8), passphrase: passphrase, error: .notAVault),
        ]
    }

    /// The Markdown document with every vector in hex.
    public static func document() throws -> String {
        var out = """
            # nicvault format v1: test vectors

            Generated by `make vectors` (Sources/FormatVectors) from fixed seeds; the tests regenerate them and
            compare with this file byte for byte. Passphrase of every vector: `\(passphrase)` (UTF-8, no newline).
            Hex is split into lines of 64 characters; join the lines before decoding.

            ## Vectors that open

            """
        for vector in try positives() {
            out += "\n### \(vector.name)\n\n\(vector.description)\n\n"
            out += "- vault key: `\(Hex.encode(vector.vaultKey))`\n"
            out += "- payload (UTF-8): `\(vector.payload)`\n"
            out += "- file (\(vector.bytes.count) bytes):\n\n```hex\n\(wrapped(vector.bytes))\n```\n"
        }
        out += "\n## Vectors that must be refused\n\nEach names the error a reader must report.\n"
        for vector in try negatives() {
            out += "\n### \(vector.name)\n\n\(vector.description)\n\n"
            out += "- passphrase: `\(vector.passphrase)`\n- expected error: \(label(vector.error))\n"
            out += "- file (\(vector.bytes.count) bytes):\n\n```hex\n\(wrapped(vector.bytes))\n```\n"
        }
        return out
    }

    /// The error's name as docs/format.md lists it.
    public static func label(_ error: SealedFileError) -> String {
        switch error {
        case .notAVault: "`not-a-vault`"
        case .truncated: "`truncated`"
        case .unsupportedVersion: "`unsupported-version`"
        case .malformedHeader: "`malformed-header`"
        case .headerChecksumMismatch: "`header-checksum`"
        case .trailingBytes: "`trailing-bytes`"
        case .unknownSlotType: "`unknown-slot-type`"
        case .unsupportedKDF: "`unsupported-kdf`"
        case .kdfParametersOutOfRange: "`kdf-parameters-out-of-range`"
        case .noPassphraseSlot: "`no-passphrase-slot`"
        case .notARecipient: "`not-a-recipient`"
        case .wrongPassphrase: "`wrong-passphrase`"
        case .payloadDamaged: "`payload-damaged`"
        case .recipientSlotDamaged: "`recipient-slot-damaged`"
        case .paddingDamaged: "`padding-damaged`"
        case .keyCommitmentMismatch: "`key-commitment`"
        case .manifestDamaged: "`manifest-damaged`"
        case .recordDamaged: "`record-damaged`"
        case .invalidArgument: "`invalid-argument`"
        }
    }

    static func wrapped(_ bytes: [UInt8]) -> String {
        let text = Array(Hex.encode(bytes))
        return stride(from: 0, to: text.count, by: 64).map { String(text[$0..<min($0 + 64, text.count)]) }
            .joined(separator: "\n")
    }
}
