import NICVault
import SealedFile
import Sodium

/// The version 2 vectors of docs/format-vectors-v2.md: files that open (with the index and every record's
/// plaintext a reader must find) and files that must be refused, one or more per error label.
public enum FormatVectorsV2 {
    public static let passphrase = FormatVectors.passphrase
    /// Seeds of the two recipients' key pairs (crypto_box_seed_keypair) and of the sealed boxes' ephemeral keys.
    public static let recipientSeeds = [[UInt8](repeating: 0x42, count: 32), [UInt8](repeating: 0x43, count: 32)]
    public static let ephemeralSeed = [UInt8](repeating: 0x24, count: 32)

    public static let emptyIndex = #"{"records":[],"schema":1,"settings":{"defaultRotationDays":90}}"#
    public static let oneCredentialIndex =
        #"{"records":[["credential","sandbox","27AAPFU0939F1ZV","portal"]],"schema":1,"settings":{"defaultRotationDays":90}}"#
    public static let credentialRecord =
        #"{"createdAt":"2026-11-26T00:00:00Z","environment":"sandbox","gstin":"27AAPFU0939F1ZV","irp":"NIC1","kind":"portal","legalName":"Demo Traders Private Limited","password":"Xk7@pQ2mRt9#vLw","retired":[],"rotationDays":90,"userID":"DEMOTRAD274821","version":1}"#

    /// A vector that opens.
    public struct Positive: Sendable {
        public let name: String
        public let description: String
        public let bytes: [UInt8]
        /// "passphrase: ..." or "identity: AGE-SECRET-KEY-1..."
        public let unlock: String
        public let vaultKey: [UInt8]
        public let index: String
        public let records: [String]
    }

    /// A vector that must be refused with `error`.
    public struct Negative: Sendable {
        public let name: String
        public let description: String
        public let bytes: [UInt8]
        public let unlock: String
        public let error: SealedFileError
    }

    static func identity(_ number: Int) throws -> X25519PrivateKey {
        try X25519PrivateKey(seed: SecureBytes(copying: recipientSeeds[number]))
    }

    /// The age encoding of recipient `number`'s private key.
    public static func ageIdentity(_ number: Int) throws -> String {
        try identity(number).withRawBytes { Bech32.encode(hrp: "age-secret-key-", data: $0).uppercased() }
    }

    /// How a vector is opened, parsed from its `unlock` line.
    public static func unlocker(_ unlock: String) throws -> Unlocker {
        if unlock.hasPrefix("identity: ") {
            let key = try AgeKeys.parseIdentityFile(String(unlock.dropFirst("identity: ".count)))
            return .identity(key)
        }
        return .passphrase(try SecureBytes(copying: Array(unlock.dropFirst("passphrase: ".count).utf8)))
    }

    struct Sealed {
        var bytes: [UInt8]
        var key: SymmetricKey
        var header: VaultHeader
    }

    /// Seals a version 2 file deterministically: `records` are new plaintexts (or kept records).
    static func seal(
        seed: String, index: String, records: [RecordWrite], generation: UInt64 = 1, passphraseSlot: Bool = true,
        recipients: [Int] = [], random: DeterministicRandom? = nil, key: SymmetricKey? = nil, vaultID: [UInt8]? = nil
    ) throws -> Sealed {
        let random = random ?? DeterministicRandom(label: seed)
        let key = try key ?? SymmetricKey(SecureBytes(copying: random.bytes(count: 32)))
        let vaultID = vaultID ?? random.bytes(count: VaultHeader.vaultIDByteCount)
        var slots: [any KeySlot] = []
        if passphraseSlot {
            slots.append(
                try PassphraseSlot(
                    wrapping: key, passphrase: SecureBytes(copying: Array(passphrase.utf8)), parameters: .interactive,
                    vaultID: vaultID, random: random))
        }
        for number in recipients {
            slots.append(
                try RecipientSlot(
                    wrapping: key, for: try identity(number).publicKey,
                    ephemeralSeed: SecureBytes(copying: ephemeralSeed)))
        }
        let header = VaultHeader(vaultID: vaultID, generation: generation, slots: slots, formatVersion: 2)
        let bytes = try VaultFormat.seal(
            index: SecureBytes(copying: Array(index.utf8)), records: records, key: key, header: header, random: random)
        return Sealed(bytes: bytes, key: key, header: try VaultFormat.parse(bytes).header)
    }

    static func record(_ label: String, _ text: String) throws -> RecordWrite {
        .seal(
            id: BLAKE2b.hash(Array(label.utf8), outputByteCount: 16),
            plaintext: try SecureBytes(copying: Array(text.utf8)))
    }

    /// A log record of `count` entries: over 8 KiB from about 60 on.
    static func logRecord(_ count: Int) -> String {
        let entries = (1...count).map { n in
            #"{"action":"changed","at":"2026-11-26T00:00:00Z","by":"passphrase","host":"vectors","subject":"27AAPFU0939F1ZV portal (sandbox) change \#(n)","user":"nicvault"}"#
        }
        return "[" + entries.joined(separator: ",") + "]"
    }

    static func keyBytes(_ key: SymmetricKey) -> [UInt8] { key.withUnsafeBytes { Array($0) } }

    public static func positives() throws -> [Positive] {
        let pass = "passphrase: \(passphrase)"
        let empty = try seal(seed: "nicvault v2 vector: empty", index: emptyIndex, records: [])
        let one = try seal(
            seed: "nicvault v2 vector: one credential", index: oneCredentialIndex,
            records: [try record("credential 1", credentialRecord)])

        // Generation 3, made the way saves make it: generation 2 seals two records, generation 3 keeps the
        // credential as sealed (version 2) and seals a new log of 80 entries, over 8 KiB (version 3).
        let random = DeterministicRandom(label: "nicvault v2 vector: generation 3")
        let key = try SymmetricKey(SecureBytes(copying: random.bytes(count: 32)))
        let vaultID = random.bytes(count: 16)
        let twoIndex = oneCredentialIndex.replacingOccurrences(of: #""portal"]]"#, with: #""portal"],["log"]]"#)
        let second = try seal(
            seed: "", index: twoIndex,
            records: [try record("credential 1", credentialRecord), try record("log", logRecord(2))],
            generation: 2, random: random, key: key, vaultID: vaultID)
        let kept = try VaultFormat.open(second.bytes, with: key).records!.records[0]
        let long = logRecord(80)
        let third = try seal(
            seed: "", index: twoIndex, records: [.keep(kept), try record("log", long)], generation: 3, random: random,
            key: key, vaultID: vaultID)

        let recipientsOnly = try seal(
            seed: "nicvault v2 vector: recipients only", index: emptyIndex, records: [], passphraseSlot: false,
            recipients: [0, 1])
        return [
            Positive(
                name: "v2-empty",
                description: "An empty vault: one passphrase slot (INTERACTIVE), generation 1, no records.",
                bytes: empty.bytes, unlock: pass, vaultKey: keyBytes(empty.key), index: emptyIndex, records: []),
            Positive(
                name: "v2-one-credential", description: "One sandbox portal credential in one record.",
                bytes: one.bytes, unlock: pass, vaultKey: keyBytes(one.key), index: oneCredentialIndex,
                records: [credentialRecord]),
            Positive(
                name: "v2-generation-3",
                description:
                    "Generation 3: the credential record kept from generation 2 (version 2), a log record of "
                    + "\(long.utf8.count) bytes sealed at generation 3 (version 3, over 8 KiB).",
                bytes: third.bytes, unlock: pass, vaultKey: keyBytes(key), index: twoIndex,
                records: [credentialRecord, long]),
            Positive(
                name: "v2-recipients-only",
                description:
                    "No passphrase slot; two X25519 recipients (crypto_box_seed_keypair of 32 × 0x42 and 32 × 0x43), "
                    + "opened with the second one's age identity.",
                bytes: recipientsOnly.bytes, unlock: "identity: \(try ageIdentity(1))",
                vaultKey: keyBytes(recipientsOnly.key), index: emptyIndex, records: []),
        ]
    }

    /// The header length of a well-formed version 2 file.
    static func headerLength(of bytes: [UInt8]) -> Int {
        var offset = 8 + 2 + 16 + 8
        let slots = Int(bytes[offset])
        offset += 1
        for _ in 0..<slots {
            offset += 3 + (Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2]))
        }
        return offset + 32 + 24 + 8 + 4 + 8 + 32
    }

    /// Replaces the header checksum after an edit.
    static func rechecksum(_ bytes: [UInt8]) -> [UInt8] {
        var copy = bytes
        let end = headerLength(of: bytes)
        copy.replaceSubrange(end - 32..<end, with: BLAKE2b.hash(Array(bytes[0..<(end - 32)]), outputByteCount: 32))
        return copy
    }

    /// Rewrites a file's records section (and the record count and length in its header), checksum recomputed:
    /// what someone without the key can do to the records.
    static func withRecords(_ bytes: [UInt8], _ records: [ArraySlice<UInt8>], count: Int) throws -> [UInt8] {
        let parsed = try VaultFormat.parse(bytes)
        let end = parsed.headerBytes.count
        var copy = Array(bytes[0..<(end + parsed.ciphertext.count)])
        copy.replaceSubrange(
            (end - 44)..<(end - 32),
            with: UInt32(count).bigEndianBytes + UInt64(records.reduce(0) { $0 + $1.count }).bigEndianBytes)
        for record in records { copy += record }
        return rechecksum(copy)
    }

    public static func negatives() throws -> [Negative] {
        let pass = "passphrase: \(passphrase)"
        let positives = try positives()
        let base = positives[1].bytes
        let baseHeader = try VaultFormat.parse(base).headerBytes.count
        let slotStart = 35
        func edit(_ bytes: [UInt8], _ offset: Int, _ value: [UInt8], checksum: Bool = true) -> [UInt8] {
            var copy = bytes
            copy.replaceSubrange(offset..<(offset + value.count), with: value)
            return checksum ? rechecksum(copy) : copy
        }
        func flip(_ bytes: [UInt8], _ offset: Int) -> [UInt8] {
            var copy = bytes
            copy[offset] ^= 0x01
            return copy
        }

        // The generation-3 vector's records: version 2 (kept) and version 3.
        let third = positives[2].bytes
        let thirdRecords = try VaultFormat.open(
            third, with: try SymmetricKey(SecureBytes(copying: positives[2].vaultKey))
        ).records!.records
        let swapped = try withRecords(third, [thirdRecords[1].framed, thirdRecords[0].framed], count: 2)
        let dropped = try withRecords(third, [thirdRecords[0].framed], count: 1)
        // A record of generation 2 replayed in place of its generation 3 successor.
        let older = try olderLogRecord(positives[2])
        let replayed = try withRecords(third, [thirdRecords[0].framed, older], count: 2)

        // A manifest sealed under the right key whose padding is not canonical (0x80 missing).
        let badPadding = try sealWithBadPadding(positives[0])
        // A commitment to another key: the slot unwraps key A, the header commits to key B.
        let commitmentOffset = headerLength(of: base) - 32 - 8 - 4 - 8 - 24 - 32
        let forged = edit(base, commitmentOffset, BLAKE2b.hash(Array("another key".utf8), outputByteCount: 32))
        let recipientsOnly = positives[3].bytes
        let recipientSealedKey = slotStart + 3 + 32 + 10  // inside the first recipient slot's sealed box
        var damagedSlot = recipientsOnly
        damagedSlot[recipientSealedKey] ^= 0x01
        damagedSlot = rechecksum(damagedSlot)
        let identity0 = "identity: \(try ageIdentity(0))"

        return [
            Negative(
                name: "v2-truncated", description: "v2-one-credential without its last 100 bytes.",
                bytes: Array(base.dropLast(100)), unlock: pass,
                error: .truncated(needed: base.count, actual: base.count - 100)),
            Negative(
                name: "v2-trailing-bytes", description: "v2-one-credential with one 0x00 byte appended.",
                bytes: base + [0], unlock: pass, error: .trailingBytes(count: 1)),
            Negative(
                name: "v2-header-checksum", description: "Byte 33 (the generation) XOR 0x01.",
                bytes: flip(base, 33), unlock: pass, error: .headerChecksumMismatch),
            Negative(
                name: "v2-unknown-version", description: "Byte 9 (format version) set to 3.",
                bytes: edit(base, 9, [3], checksum: false), unlock: pass, error: .unsupportedVersion(3)),
            Negative(
                name: "v2-generation-zero", description: "Bytes 26-33 (generation) set to 0, checksum recomputed.",
                bytes: edit(base, 26, UInt64(0).bigEndianBytes), unlock: pass, error: .malformedHeader("generation 0")),
            Negative(
                name: "v2-records-too-short",
                description:
                    "The record count raised to 100, more than the records length can hold; checksum recomputed.",
                bytes: edit(base, baseHeader - 44, UInt32(100).bigEndianBytes), unlock: pass,
                error: .malformedHeader("records length")),
            Negative(
                name: "v2-unknown-slot-type", description: "Byte 35 (first slot type) set to 7, checksum recomputed.",
                bytes: edit(base, slotStart, [7]), unlock: pass, error: .unknownSlotType(7)),
            Negative(
                name: "v2-unsupported-kdf",
                description: "Byte 38 (the slot's KDF algorithm) set to 3, checksum recomputed.",
                bytes: edit(base, slotStart + 3, [3]), unlock: pass, error: .unsupportedKDF(3)),
            Negative(
                name: "v2-kdf-out-of-range", description: "Bytes 39-42 (opslimit) set to 1, checksum recomputed.",
                bytes: edit(base, slotStart + 4, [0, 0, 0, 1]), unlock: pass,
                error: .kdfParametersOutOfRange(opsLimit: 1, memLimit: 64 << 20, reason: "fewer than 2 passes")),
            Negative(
                name: "v2-wrong-passphrase",
                description: "v2-one-credential opened with \"wrong horse battery staple\".",
                bytes: base, unlock: "passphrase: wrong horse battery staple", error: .wrongPassphrase),
            Negative(
                name: "v2-no-passphrase-slot", description: "v2-recipients-only opened with the passphrase.",
                bytes: recipientsOnly, unlock: pass, error: .noPassphraseSlot),
            Negative(
                name: "v2-not-a-recipient",
                description: "v2-recipients-only opened with the identity of crypto_box_seed_keypair(32 × 0x44).",
                bytes: recipientsOnly, unlock: "identity: \(try outsiderIdentity())", error: .notARecipient),
            Negative(
                name: "v2-recipient-slot-damaged",
                description:
                    "v2-recipients-only with byte \(recipientSealedKey) (in the first slot's sealed box) XOR 0x01, "
                    + "checksum recomputed, opened with that slot's identity (32 × 0x42).",
                bytes: damagedSlot, unlock: identity0, error: .recipientSlotDamaged),
            Negative(
                name: "v2-key-commitment",
                description:
                    "The key commitment (bytes \(commitmentOffset)-\(commitmentOffset + 31)) replaced, checksum recomputed.",
                bytes: forged, unlock: pass, error: .keyCommitmentMismatch),
            Negative(
                name: "v2-manifest-damaged",
                description: "Byte \(baseHeader + 20) (in the sealed manifest) XOR 0x01.",
                bytes: flip(base, baseHeader + 20), unlock: pass, error: .manifestDamaged),
            Negative(
                name: "v2-padding-damaged",
                description: "v2-empty's manifest sealed again under its key without the 0x80 padding marker.",
                bytes: badPadding, unlock: pass, error: .paddingDamaged),
            Negative(
                name: "v2-record-damaged", description: "The last byte (in the record's tag) XOR 0x01.",
                bytes: flip(base, base.count - 1), unlock: pass, error: .recordDamaged("authentication")),
            Negative(
                name: "v2-records-swapped",
                description:
                    "v2-generation-3 with its two records in the other order (header fixed, checksum recomputed).",
                bytes: swapped, unlock: pass, error: .recordDamaged("swapped")),
            Negative(
                name: "v2-record-dropped",
                description:
                    "v2-generation-3 without its log record, count and length fixed and checksum recomputed: the "
                    + "header is the manifest's associated data, so the manifest no longer opens.",
                bytes: dropped, unlock: pass, error: .manifestDamaged),
            Negative(
                name: "v2-record-rolled-back",
                description:
                    "v2-generation-3 with its log record replaced by one of the same length sealed at generation 2 "
                    + "under the same key (header untouched): the manifest names version 3.",
                bytes: replayed, unlock: pass, error: .recordDamaged("rolled back")),
        ]
    }

    static func outsiderIdentity() throws -> String {
        try X25519PrivateKey(seed: SecureBytes(copying: [UInt8](repeating: 0x44, count: 32))).withRawBytes {
            Bech32.encode(hrp: "age-secret-key-", data: $0).uppercased()
        }
    }

    /// The generation 2 log record of the generation-3 vector, as generation 2 sealed it.
    static func olderLogRecord(_ third: Positive) throws -> ArraySlice<UInt8> {
        let random = DeterministicRandom(label: "nicvault v2 vector: generation 3")
        let key = try SymmetricKey(SecureBytes(copying: random.bytes(count: 32)))
        let vaultID = random.bytes(count: 16)
        let twoIndex = third.index
        let second = try seal(
            seed: "", index: twoIndex,
            records: [try record("credential 1", credentialRecord), try record("log", logRecord(80))],
            generation: 2, random: random, key: key, vaultID: vaultID)
        return try VaultFormat.open(second.bytes, with: key).records!.records[1].framed
    }

    /// `empty` with its manifest sealed again, under the right key and header, over bytes that end without 0x80.
    static func sealWithBadPadding(_ empty: Positive) throws -> [UInt8] {
        let key = try SymmetricKey(SecureBytes(copying: empty.vaultKey))
        let parsed = try VaultFormat.parse(empty.bytes)
        let manifestKey = try SubkeyDerivation.derive(from: key, id: 1, context: "nvmanife")
        var plain = UInt32(0).bigEndianBytes + Array(empty.index.utf8)
        plain += [UInt8](repeating: 0, count: 512 - plain.count)  // zeros, no 0x80 marker
        let sealed = try XChaCha20Poly1305.seal(
            SecureBytes(copying: plain), using: manifestKey, nonce: parsed.header.payloadNonce,
            authenticating: parsed.headerBytes)
        return parsed.headerBytes + sealed
    }

    /// A vector's heading, description and how it is opened.
    static func heading(_ name: String, _ description: String, unlock: String) -> String {
        let kind = unlock.hasPrefix("identity") ? "identity" : "passphrase"
        return
            "\n### \(name)\n\n\(description)\n\n- open with \(kind): `\(unlock.split(separator: " ", maxSplits: 1)[1])`\n"
    }

    /// The Markdown document with every vector in hex.
    public static func document() throws -> String {
        var out = """
            # nicvault format v2: test vectors

            Generated by `make vectors` (Sources/FormatVectors/FormatVectorsV2.swift) from fixed seeds; the tests
            regenerate them and compare with this file byte for byte. Each vector says how it is opened: with a
            passphrase (UTF-8, no newline) or an age identity. Hex is split into lines of 64 characters; join the
            lines before decoding. Record plaintexts are listed in file order.

            ## Vectors that open

            """
        for vector in try positives() {
            out += heading(vector.name, vector.description, unlock: vector.unlock)
            out += "- vault key: `\(Hex.encode(vector.vaultKey))`\n"
            out += "- index (UTF-8): `\(vector.index)`\n"
            for (number, record) in vector.records.enumerated() {
                out += "- record \(number + 1) (UTF-8, \(record.utf8.count) bytes): `\(record)`\n"
            }
            out += "- file (\(vector.bytes.count) bytes):\n\n```hex\n\(FormatVectors.wrapped(vector.bytes))\n```\n"
        }
        out += "\n## Vectors that must be refused\n\nEach names the error a reader must report.\n"
        for vector in try negatives() {
            out += heading(vector.name, vector.description, unlock: vector.unlock)
            out += "- expected error: \(FormatVectors.label(vector.error))\n"
            out += "- file (\(vector.bytes.count) bytes):\n\n```hex\n\(FormatVectors.wrapped(vector.bytes))\n```\n"
        }
        return out
    }
}

extension UInt32 {
    fileprivate var bigEndianBytes: [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: self >> (24 - 8 * $0)) } }
}
