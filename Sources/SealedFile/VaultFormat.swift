import Sodium

/// The header of a version 1 vault file. Everything in it is authenticated as associated data of the payload.
public struct VaultHeader: Sendable {
    /// "NICVAULT".
    public static let magic: [UInt8] = Array("NICVAULT".utf8)
    /// The only format version this build reads and writes.
    public static let version: UInt16 = 1
    /// Random identifier of the vault, fixed at creation.
    public static let vaultIDByteCount = 16
    /// The most key slots a header may carry.
    public static let maximumSlotCount = 16
    /// Largest sealed payload accepted (1 GiB): a guard against absurd lengths.
    public static let maximumCiphertextLength: UInt64 = 1 << 30
    /// Length of the header checksum (BLAKE2b-256).
    public static let checksumByteCount = 32

    /// Random 16 bytes naming the vault for rollback memory and sessions.
    public var vaultID: [UInt8]
    /// Goes up by one on every save; the first save is generation 1.
    public var generation: UInt64
    /// The wrappings of the vault key, in file order.
    public var slots: [any KeySlot]
    /// Nonce of the payload, fresh on every save.
    public var payloadNonce: [UInt8]
    /// Length of the sealed payload that follows the header (padded plaintext + 16-byte tag).
    public var ciphertextLength: UInt64

    /// A header for sealing: `payloadNonce` and `ciphertextLength` are filled in by `VaultFormat.seal`.
    public init(
        vaultID: [UInt8], generation: UInt64, slots: [any KeySlot], payloadNonce: [UInt8] = [],
        ciphertextLength: UInt64 = 0
    ) {
        self.vaultID = vaultID
        self.generation = generation
        self.slots = slots
        self.payloadNonce = payloadNonce
        self.ciphertextLength = ciphertextLength
    }

    /// The vault id as lower-case hex.
    public var vaultIDHex: String { Hex.encode(vaultID) }

    /// The passphrase slot, if the vault has one.
    public var passphraseSlot: PassphraseSlot? { slots.lazy.compactMap { $0 as? PassphraseSlot }.first }

    /// The recipient slots.
    public var recipientSlots: [RecipientSlot] { slots.compactMap { $0 as? RecipientSlot } }

    /// The header bytes, ending with the checksum.
    public func serialized() -> [UInt8] {
        var writer = ByteWriter()
        writer.raw(Self.magic)
        writer.u16(Self.version)
        writer.raw(vaultID)
        writer.u64(generation)
        writer.u8(UInt8(slots.count))
        for slot in slots {
            writer.u8(type(of: slot).typeCode)
            writer.u16(UInt16(slot.body.count))
            writer.raw(slot.body)
        }
        writer.raw(payloadNonce)
        writer.u64(ciphertextLength)
        writer.raw(BLAKE2b.hash(writer.bytes, outputByteCount: Self.checksumByteCount))
        return writer.bytes
    }

    /// Checks the rules a writer must follow, so that a vault this library writes always opens.
    func validateForWriting() throws(SealedFileError) {
        guard vaultID.count == Self.vaultIDByteCount else { throw .invalidArgument("vault id must be 16 bytes") }
        guard generation >= 1 else { throw .invalidArgument("generation starts at 1") }
        guard (1...Self.maximumSlotCount).contains(slots.count) else {
            throw .invalidArgument("a vault needs 1 to \(Self.maximumSlotCount) key slots")
        }
        guard slots.filter({ $0 is PassphraseSlot }).count <= 1 else {
            throw .invalidArgument("at most one passphrase slot")
        }
        let recipients = recipientSlots.map(\.recipient)
        guard Set(recipients).count == recipients.count else { throw .invalidArgument("a recipient appears twice") }
    }
}

/// A vault file split into its parts; nothing in it is trusted until `VaultFormat.open` authenticates it.
public struct ParsedVaultFile: Sendable {
    /// The parsed header.
    public let header: VaultHeader
    /// The exact header bytes, used as associated data.
    public let headerBytes: [UInt8]
    /// The sealed payload.
    public let ciphertext: [UInt8]
}

/// A vault whose payload has been authenticated and decrypted.
public struct OpenedVault: Sendable {
    /// The authenticated header.
    public let header: VaultHeader
    /// The vault key (kept so that later saves need no key derivation).
    public let key: SymmetricKey
    /// The plaintext payload, without padding, in locked memory.
    public let payload: SecureBytes
}

/// Version 1 of the vault file format: parse, open and seal. It knows bytes and keys, nothing of GSTINs.
public enum VaultFormat {
    /// The number of leading bytes `peek` needs: magic, version, vault id and generation.
    public static var peekByteCount: Int { VaultHeader.magic.count + 2 + VaultHeader.vaultIDByteCount + 8 }

    /// The vault id and generation a file claims, from its first `peekByteCount` bytes, without checking the
    /// rest (for a quick look at a backup; nothing is trusted from it but a reason to refuse).
    public static func peek(_ prefix: [UInt8]) -> (vaultID: [UInt8], generation: UInt64)? {
        guard prefix.count >= peekByteCount, Array(prefix.prefix(VaultHeader.magic.count)) == VaultHeader.magic else {
            return nil
        }
        var reader = ByteReader(prefix)
        guard (try? reader.raw(VaultHeader.magic.count)) != nil, (try? reader.u16()) == VaultHeader.version,
            let id = try? reader.raw(VaultHeader.vaultIDByteCount), let generation = try? reader.u64()
        else { return nil }
        return (id, generation)
    }

    /// Splits `bytes` into header and payload, checking every length and the header checksum.
    /// Only the magic and the version are looked at before the checksum is verified.
    public static func parse(_ bytes: [UInt8]) throws(SealedFileError) -> ParsedVaultFile {
        var reader = ByteReader(bytes)
        let magicCount = VaultHeader.magic.count
        if bytes.count < magicCount {
            guard Array(bytes) == Array(VaultHeader.magic.prefix(bytes.count)), !bytes.isEmpty else {
                throw .notAVault
            }
            throw .truncated(needed: magicCount + 2, actual: bytes.count)
        }
        guard try reader.raw(magicCount) == VaultHeader.magic else { throw .notAVault }
        let version = try reader.u16()
        guard version == VaultHeader.version else { throw .unsupportedVersion(version) }

        let vaultID = try reader.raw(VaultHeader.vaultIDByteCount)
        let generation = try reader.u64()
        let slotCount = Int(try reader.u8())
        var rawSlots: [(type: UInt8, body: [UInt8])] = []
        for _ in 0..<slotCount {
            let type = try reader.u8()
            let length = Int(try reader.u16())
            rawSlots.append((type, try reader.raw(length)))
        }
        let payloadNonce = try reader.raw(XChaCha20Poly1305.nonceByteCount)
        let ciphertextLength = try reader.u64()
        let checksumOffset = reader.offset
        let checksum = try reader.raw(VaultHeader.checksumByteCount)
        let expected = bytes.withUnsafeBytes { all in
            BLAKE2b.hash(
                UnsafeRawBufferPointer(rebasing: all[0..<checksumOffset]),
                outputByteCount: VaultHeader.checksumByteCount)
        }
        guard checksum == expected else { throw .headerChecksumMismatch }
        let headerBytes = Array(bytes[0..<reader.offset])

        // The checksum passed: the fields are as written. Now the semantic rules.
        guard generation >= 1 else { throw .malformedHeader("generation 0") }
        guard (1...VaultHeader.maximumSlotCount).contains(slotCount) else {
            throw .malformedHeader("\(slotCount) key slots, expected 1 to \(VaultHeader.maximumSlotCount)")
        }
        var slots: [any KeySlot] = []
        for (type, body) in rawSlots {
            switch type {
            case PassphraseSlot.typeCode:
                guard body.count == PassphraseSlot.bodyByteCount else {
                    throw .malformedHeader(
                        "passphrase slot of \(body.count) bytes, expected \(PassphraseSlot.bodyByteCount)")
                }
                let slot = try PassphraseSlot(parsing: body)
                try KDFLimits.check(slot.parameters)
                slots.append(slot)
            case RecipientSlot.typeCode:
                guard body.count == RecipientSlot.bodyByteCount else {
                    throw .malformedHeader(
                        "recipient slot of \(body.count) bytes, expected \(RecipientSlot.bodyByteCount)")
                }
                slots.append(try RecipientSlot(parsing: body))
            default:
                throw .unknownSlotType(type)
            }
        }
        let header = VaultHeader(
            vaultID: vaultID, generation: generation, slots: slots, payloadNonce: payloadNonce,
            ciphertextLength: ciphertextLength)
        if slots.filter({ $0 is PassphraseSlot }).count > 1 { throw .malformedHeader("two passphrase slots") }
        let recipients = header.recipientSlots.map(\.recipient)
        if Set(recipients).count != recipients.count { throw .malformedHeader("a recipient appears twice") }

        let minimum = UInt64(Padding.minimumBucket + XChaCha20Poly1305.tagByteCount)
        guard ciphertextLength >= minimum, ciphertextLength <= VaultHeader.maximumCiphertextLength else {
            throw .malformedHeader("payload length \(ciphertextLength) out of range")
        }
        let length = Int(ciphertextLength)
        if reader.remaining < length { throw .truncated(needed: reader.offset + length, actual: bytes.count) }
        if reader.remaining > length { throw .trailingBytes(count: reader.remaining - length) }
        return ParsedVaultFile(header: header, headerBytes: headerBytes, ciphertext: try reader.raw(length))
    }

    /// Parses and opens with a passphrase or identity.
    public static func open(_ bytes: [UInt8], with unlocker: Unlocker) throws -> OpenedVault {
        try open(try parse(bytes), with: unlocker)
    }

    /// Opens a parsed file with a passphrase or identity.
    public static func open(_ parsed: ParsedVaultFile, with unlocker: Unlocker) throws -> OpenedVault {
        var key: SymmetricKey?
        for slot in parsed.header.slots {
            if let unwrapped = try slot.unwrap(with: unlocker, vaultID: parsed.header.vaultID) {
                key = unwrapped
                break
            }
        }
        guard let key else {
            switch unlocker {
            case .passphrase: throw SealedFileError.noPassphraseSlot
            case .identity: throw SealedFileError.notARecipient
            }
        }
        return try open(parsed, with: key)
    }

    /// Parses and opens with a vault key already known (no key derivation).
    public static func open(_ bytes: [UInt8], with key: SymmetricKey) throws -> OpenedVault {
        try open(try parse(bytes), with: key)
    }

    /// Authenticates and decrypts the payload of a parsed file.
    public static func open(_ parsed: ParsedVaultFile, with key: SymmetricKey) throws -> OpenedVault {
        let padded: SecureBytes
        do {
            padded = try XChaCha20Poly1305.open(
                parsed.ciphertext, using: key, nonce: parsed.header.payloadNonce, authenticating: parsed.headerBytes)
        } catch {
            throw SealedFileError.payloadDamaged
        }
        let length: Int
        do {
            length = try padded.withUnsafeBytes { try Padding.unpaddedLength(of: $0) }
        } catch {
            throw SealedFileError.paddingDamaged
        }
        return OpenedVault(header: parsed.header, key: key, payload: try padded.slice(0..<length))
    }

    /// Seals `payload` under `key` with the given header fields; `payloadNonce` and `ciphertextLength`
    /// of `header` are replaced (a fresh nonce from `random` unless the caller fixed one for a vector).
    public static func seal(
        _ payload: SecureBytes, key: SymmetricKey, header: VaultHeader, random: some RandomSource = SystemRandom()
    ) throws -> [UInt8] {
        var header = header
        try header.validateForWriting()
        let padded = try Padding.pad(payload)
        header.payloadNonce = XChaCha20Poly1305.randomNonce(using: random)
        header.ciphertextLength = UInt64(padded.count + XChaCha20Poly1305.tagByteCount)
        let headerBytes = header.serialized()
        let ciphertext = try XChaCha20Poly1305.seal(
            padded, using: key, nonce: header.payloadNonce, authenticating: headerBytes)
        return headerBytes + ciphertext
    }
}
