import Sodium

/// The header of a vault file, version 1 or 2. Everything in it is authenticated as associated data of what it
/// seals: version 1's whole payload, version 2's manifest (which in turn names every record by hash).
public struct VaultHeader: Sendable {
    /// "NICVAULT".
    public static let magic: [UInt8] = Array("NICVAULT".utf8)
    /// The format version this build writes.
    public static let version: UInt16 = 2
    /// The format versions this build reads.
    public static let readableVersions: ClosedRange<UInt16> = 1...2
    /// Random identifier of the vault, fixed at creation.
    public static let vaultIDByteCount = 16
    /// The most key slots a header may carry.
    public static let maximumSlotCount = 16
    /// Largest sealed payload (version 1) or manifest (version 2) accepted (1 GiB): a guard against absurd lengths.
    public static let maximumCiphertextLength: UInt64 = 1 << 30
    /// Largest records section of a version 2 file (64 GiB).
    public static let maximumRecordsLength: UInt64 = 1 << 36
    /// Length of the header checksum (BLAKE2b-256).
    public static let checksumByteCount = 32
    /// Length of the key commitment (version 2).
    public static let commitmentByteCount = 32

    /// 1 or 2.
    public var formatVersion: UInt16
    /// Random 16 bytes naming the vault for rollback memory and sessions.
    public var vaultID: [UInt8]
    /// Goes up by one on every save; the first save is generation 1.
    public var generation: UInt64
    /// The wrappings of the vault key, in file order.
    public var slots: [any KeySlot]
    /// Version 2: BLAKE2b-256 keyed with the vault key over the vault id (`KeyCommitment`).
    public var keyCommitment: [UInt8]
    /// Nonce of the payload (version 1) or the manifest (version 2), fresh on every save.
    public var payloadNonce: [UInt8]
    /// Length of the sealed payload (version 1) or manifest (version 2) that follows the header.
    public var ciphertextLength: UInt64
    /// Version 2: how many records follow the manifest.
    public var recordCount: UInt32
    /// Version 2: the byte length of the records section.
    public var recordsLength: UInt64

    /// A header for sealing: the nonce, lengths and commitment are filled in by `VaultFormat.seal`.
    public init(
        vaultID: [UInt8], generation: UInt64, slots: [any KeySlot], payloadNonce: [UInt8] = [],
        ciphertextLength: UInt64 = 0, formatVersion: UInt16 = 1
    ) {
        self.formatVersion = formatVersion
        self.vaultID = vaultID
        self.generation = generation
        self.slots = slots
        self.payloadNonce = payloadNonce
        self.ciphertextLength = ciphertextLength
        keyCommitment = []
        recordCount = 0
        recordsLength = 0
    }

    /// The vault id as lower-case hex.
    public var vaultIDHex: String { Hex.encode(vaultID) }

    /// The passphrase slot, if the vault has one.
    public var passphraseSlot: PassphraseSlot? { slots.lazy.compactMap { $0 as? PassphraseSlot }.first }

    /// The recipient slots.
    public var recipientSlots: [RecipientSlot] { slots.compactMap { $0 as? RecipientSlot } }

    /// The whole file's length as this header describes it.
    public var fileLength: Int {
        serialized().count + Int(ciphertextLength) + Int(formatVersion >= 2 ? recordsLength : 0)
    }

    /// The header bytes, ending with the checksum.
    public func serialized() -> [UInt8] {
        var writer = ByteWriter()
        writer.raw(Self.magic)
        writer.u16(formatVersion)
        writer.raw(vaultID)
        writer.u64(generation)
        writer.u8(UInt8(slots.count))
        for slot in slots {
            writer.u8(type(of: slot).typeCode)
            writer.u16(UInt16(slot.body.count))
            writer.raw(slot.body)
        }
        if formatVersion >= 2 { writer.raw(keyCommitment) }
        writer.raw(payloadNonce)
        writer.u64(ciphertextLength)
        if formatVersion >= 2 {
            writer.u32(recordCount)
            writer.u64(recordsLength)
        }
        writer.raw(BLAKE2b.hash(writer.bytes, outputByteCount: Self.checksumByteCount))
        return writer.bytes
    }

    /// Checks the rules a writer must follow, so that a vault this library writes always opens.
    func validateForWriting() throws(SealedFileError) {
        guard Self.readableVersions.contains(formatVersion) else { throw .invalidArgument("format version 1 or 2") }
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
    /// The sealed payload (version 1) or manifest (version 2), sharing the file's storage.
    public let ciphertext: ArraySlice<UInt8>
    /// Version 2: the records section, exactly `header.recordsLength` bytes (shares the file's storage); empty
    /// when `listing` stands for it.
    public let records: ArraySlice<UInt8>
    /// Version 2 from a store that reads records when they are asked for: what it holds of each record.
    public var listing: RecordListing? = nil
}

/// What an opened vault holds: version 1's one payload, or version 2's manifest index and sealed records.
public enum VaultContents: Sendable {
    case payload(SecureBytes)
    case records(RecordSet)
}

/// A vault whose header and payload (version 1) or manifest (version 2) have been authenticated and decrypted.
public struct OpenedVault: Sendable {
    /// The authenticated header.
    public let header: VaultHeader
    /// The vault key (kept so that later saves need no key derivation).
    public let key: SymmetricKey
    /// The payload or the records.
    public let contents: VaultContents

    public init(header: VaultHeader, key: SymmetricKey, contents: VaultContents) {
        self.header = header
        self.key = key
        self.contents = contents
    }

    /// Version 1's plaintext payload, without padding, in locked memory; nil for version 2.
    public var payload: SecureBytes? {
        if case .payload(let payload) = contents { return payload }
        return nil
    }

    /// Version 2's records; nil for version 1.
    public var records: RecordSet? {
        if case .records(let records) = contents { return records }
        return nil
    }
}

/// The vault file format, versions 1 and 2 (docs/format.md): parse, open and seal. It knows bytes and keys,
/// nothing of GSTINs.
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
        guard (try? reader.raw(VaultHeader.magic.count)) != nil,
            let version = try? reader.u16(), VaultHeader.readableVersions.contains(version),
            let id = try? reader.raw(VaultHeader.vaultIDByteCount), let generation = try? reader.u64()
        else { return nil }
        return (id, generation)
    }

    /// Splits `bytes` into header and sealed parts, checking every length and the header checksum.
    /// Only the magic and the version are looked at before the checksum is verified.
    public static func parse(_ bytes: [UInt8]) throws(SealedFileError) -> ParsedVaultFile {
        try parse(bytes, headerOnly: false)
    }

    /// The header of a file given only its header bytes (a store that keeps the header apart), checked as
    /// `parse` checks it (checksum and rules), without the lengths of what follows.
    public static func parseHeader(_ bytes: [UInt8]) throws(SealedFileError) -> VaultHeader {
        try parse(bytes, headerOnly: true).header
    }

    /// A version 2 file from a store that keeps the header and sealed manifest (`prefix`) apart from records it
    /// reads when they are asked for: checked as `parse` checks a whole file, the listing's lengths standing
    /// for the records section.
    /// `recordsLength`: the records section's length where the store knows it apart from the listing (a file's
    /// size), so that a short or long file is told as `parse` tells it.
    public static func parse(prefix: [UInt8], listing: RecordListing, recordsLength: Int? = nil) throws(SealedFileError)
        -> ParsedVaultFile
    {
        var parsed = try parse(prefix, headerOnly: false, recordsElsewhere: recordsLength ?? listing.totalLength)
        guard parsed.header.formatVersion >= 2 else { throw .malformedHeader("version 1 in a store of records") }
        parsed.listing = listing
        return parsed
    }

    static func parse(_ bytes: [UInt8], headerOnly: Bool, recordsElsewhere: Int = 0) throws(SealedFileError)
        -> ParsedVaultFile
    {
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
        guard VaultHeader.readableVersions.contains(version) else { throw .unsupportedVersion(version) }

        let vaultID = try reader.raw(VaultHeader.vaultIDByteCount)
        let generation = try reader.u64()
        let slotCount = Int(try reader.u8())
        var rawSlots: [(type: UInt8, body: [UInt8])] = []
        for _ in 0..<slotCount {
            let type = try reader.u8()
            let length = Int(try reader.u16())
            rawSlots.append((type, try reader.raw(length)))
        }
        let commitment = version >= 2 ? try reader.raw(VaultHeader.commitmentByteCount) : []
        let payloadNonce = try reader.raw(XChaCha20Poly1305.nonceByteCount)
        let ciphertextLength = try reader.u64()
        let recordCount = version >= 2 ? try reader.u32() : 0
        let recordsLength = version >= 2 ? try reader.u64() : 0
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
        var header = VaultHeader(
            vaultID: vaultID, generation: generation, slots: try parseSlots(rawSlots), payloadNonce: payloadNonce,
            ciphertextLength: ciphertextLength, formatVersion: version)
        header.keyCommitment = commitment
        header.recordCount = recordCount
        header.recordsLength = recordsLength
        if header.slots.filter({ $0 is PassphraseSlot }).count > 1 {
            throw .malformedHeader("two passphrase slots")
        }
        let recipients = header.recipientSlots.map(\.recipient)
        if Set(recipients).count != recipients.count { throw .malformedHeader("a recipient appears twice") }

        let minimum = UInt64(Padding.minimumBucket + XChaCha20Poly1305.tagByteCount)
        guard ciphertextLength >= minimum, ciphertextLength <= VaultHeader.maximumCiphertextLength else {
            throw .malformedHeader("\(version >= 2 ? "manifest" : "payload") length \(ciphertextLength) out of range")
        }
        if version >= 2 {
            guard recordsLength <= VaultHeader.maximumRecordsLength,
                recordsLength >= UInt64(recordCount) * UInt64(RecordSet.minimumFramedLength)
            else { throw .malformedHeader("records length \(recordsLength) for \(recordCount) records") }
        }
        if headerOnly { return ParsedVaultFile(header: header, headerBytes: headerBytes, ciphertext: [], records: []) }
        let length = Int(ciphertextLength)
        let total = length + Int(recordsLength)
        let available = reader.remaining + recordsElsewhere
        if available < total { throw .truncated(needed: reader.offset + total, actual: bytes.count + recordsElsewhere) }
        if available > total { throw .trailingBytes(count: available - total) }
        let ciphertext = try reader.take(length)
        return ParsedVaultFile(
            header: header, headerBytes: headerBytes, ciphertext: ciphertext, records: bytes[reader.offset...])
    }

    /// Step 5c: each slot in file order.
    private static func parseSlots(_ rawSlots: [(type: UInt8, body: [UInt8])]) throws(SealedFileError) -> [any KeySlot]
    {
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
        return slots
    }

    /// Parses and opens with a passphrase or identity.
    public static func open(_ bytes: [UInt8], with unlocker: Unlocker) throws -> OpenedVault {
        try open(try parse(bytes), with: unlocker)
    }

    /// Opens a parsed file with a passphrase or identity.
    public static func open(_ parsed: ParsedVaultFile, with unlocker: Unlocker) throws -> OpenedVault {
        try open(parsed, with: try unwrapKey(of: parsed.header, with: unlocker))
    }

    /// The vault key from the first slot that `unlocker` opens (step 7), not yet checked against the commitment.
    public static func unwrapKey(of header: VaultHeader, with unlocker: Unlocker) throws -> SymmetricKey {
        for slot in header.slots {
            if let unwrapped = try slot.unwrap(with: unlocker, vaultID: header.vaultID) { return unwrapped }
        }
        switch unlocker {
        case .passphrase: throw SealedFileError.noPassphraseSlot
        case .identity: throw SealedFileError.notARecipient
        }
    }

    /// Step 8 of a version 2 file: the key must be the one the header commits to.
    public static func checkCommitment(of header: VaultHeader, to key: SymmetricKey) throws {
        guard ConstantTime.equals(KeyCommitment.compute(key: key, vaultID: header.vaultID), header.keyCommitment)
        else { throw SealedFileError.keyCommitmentMismatch }
    }

    /// Parses and opens with a vault key already known (no key derivation).
    public static func open(_ bytes: [UInt8], with key: SymmetricKey) throws -> OpenedVault {
        try open(try parse(bytes), with: key)
    }

    /// Authenticates and decrypts the payload (version 1), or checks the key commitment, opens the manifest and
    /// matches the records against it (version 2; the records themselves are opened one by one when needed).
    public static func open(_ parsed: ParsedVaultFile, with key: SymmetricKey) throws -> OpenedVault {
        if parsed.header.formatVersion >= 2 {
            try checkCommitment(of: parsed.header, to: key)
            let (manifest, length) = try openSealed(
                parsed, key: try RecordSet.manifestKey(from: key), damaged: .manifestDamaged)
            let records = try RecordSet(parsed: parsed, manifest: manifest, length: length, vaultKey: key)
            return OpenedVault(header: parsed.header, key: key, contents: .records(records))
        }
        let (padded, length) = try openSealed(parsed, key: key, damaged: .payloadDamaged)
        let payload = try padded.slice(0..<length)
        return OpenedVault(header: parsed.header, key: key, contents: .payload(payload))
    }

    /// Opens the part sealed with the header as associated data and checks its padding: the padded plaintext
    /// and the content's length.
    private static func openSealed(
        _ parsed: ParsedVaultFile, key: SymmetricKey, damaged: SealedFileError
    ) throws -> (SecureBytes, Int) {
        let padded: SecureBytes
        do {
            padded = try parsed.ciphertext.withUnsafeBytes {
                try XChaCha20Poly1305.open(
                    ciphertext: $0, using: key, nonce: parsed.header.payloadNonce, authenticating: parsed.headerBytes)
            }
        } catch {
            throw damaged
        }
        let length: Int
        do {
            length = try padded.withUnsafeBytes { try Padding.unpaddedLength(of: $0) }
        } catch {
            throw SealedFileError.paddingDamaged
        }
        return (padded, length)
    }

    /// Seals `payload` as a version 1 file under `key` with the given header fields; `payloadNonce` and
    /// `ciphertextLength` of `header` are replaced (a fresh nonce from `random` unless the caller fixed one for a
    /// vector). nicvault writes version 2 (`seal(index:records:...)`); this stays for vectors and tests.
    public static func seal(
        _ payload: SecureBytes, key: SymmetricKey, header: VaultHeader, random: some RandomSource = SystemRandom()
    ) throws -> [UInt8] {
        var header = header
        header.formatVersion = 1
        try header.validateForWriting()
        let padded = try Padding.pad(payload)
        header.payloadNonce = XChaCha20Poly1305.randomNonce(using: random)
        header.ciphertextLength = UInt64(padded.count + XChaCha20Poly1305.tagByteCount)
        let headerBytes = header.serialized()
        let ciphertext = try XChaCha20Poly1305.seal(
            padded, using: key, nonce: header.payloadNonce, authenticating: headerBytes)
        return headerBytes + ciphertext
    }

    /// Seals a version 2 file: `records` in the order given (kept ones copied as they are, new ones sealed at the
    /// header's generation), and a manifest naming each by id, version and hash, followed by `index` (the
    /// caller's own description of the records, sealed with them). The header's generation is the one written.
    public static func seal(
        index: SecureBytes, records: [RecordWrite], key: SymmetricKey, header: VaultHeader,
        random: some RandomSource = SystemRandom()
    ) throws -> [UInt8] {
        try sealOpening(index: index, records: records, key: key, header: header, random: random).bytes
    }

    /// As `seal(index:records:key:header:random:)`, with the file as opened: what was just sealed is known, so a
    /// save need not decrypt its own manifest again.
    public static func sealOpening(
        index: SecureBytes, records: [RecordWrite], key: SymmetricKey, header: VaultHeader,
        random: some RandomSource = SystemRandom()
    ) throws -> (bytes: [UInt8], opened: OpenedVault) {
        try sealOpening(index: .new(index), records: records, key: key, header: header, random: random)
    }

    /// As `sealOpening(index:records:key:header:random:)`, the index possibly the very one of the set changed.
    public static func sealOpening(
        index: SavedIndex, records: [RecordWrite], key: SymmetricKey, header: VaultHeader,
        random: some RandomSource = SystemRandom()
    ) throws -> (bytes: [UInt8], opened: OpenedVault) {
        var header = header
        header.formatVersion = 2
        try header.validateForWriting()
        var sealed = try RecordSet.seal(
            records, key: key, vaultID: header.vaultID, version: header.generation, random: random)
        let (padded, indexRange) = try RecordSet.paddedManifest(of: sealed, index: index)
        // Lengths summed through the array's buffer (100,000 records are not copied out one by one).
        let (recordsLength, inMemory) = sealed.withUnsafeBufferPointer { records in
            records.indices.reduce((0, 0)) { ($0.0 + records[$1].length, $0.1 + records[$1].framed.count) }
        }
        header.keyCommitment = KeyCommitment.compute(key: key, vaultID: header.vaultID)
        header.payloadNonce = XChaCha20Poly1305.randomNonce(using: random)
        header.ciphertextLength = UInt64(padded.count + XChaCha20Poly1305.tagByteCount)
        header.recordCount = UInt32(sealed.count)
        header.recordsLength = UInt64(recordsLength)
        let headerBytes = header.serialized()
        // A record kept unread (a store that reads records when asked) stays where it is and is not in `bytes`:
        // such a store writes only the header, the manifest and the new records.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(headerBytes.count + Int(header.ciphertextLength) + inMemory)
        bytes += headerBytes
        try padded.withUnsafeBytes {
            try XChaCha20Poly1305.seal(
                message: $0, using: try RecordSet.manifestKey(from: key), nonce: header.payloadNonce,
                authenticating: headerBytes, appendingTo: &bytes)
        }
        let manifestEnd = bytes.count
        for position in sealed.indices where !sealed[position].framed.isEmpty { bytes += sealed[position].framed }
        // Each record in memory now points into the file's bytes (changed in place: a record kept unread, nearly
        // all of them in a save of one change, stays as it is).
        var offset = manifestEnd
        for position in sealed.indices where !sealed[position].framed.isEmpty {
            let count = sealed[position].framed.count
            sealed[position] = sealed[position].with(framed: bytes[offset..<(offset + count)])
            offset += count
        }
        let set = try RecordSet(
            manifest: padded, indexRange: indexRange, records: sealed, vaultID: header.vaultID, vaultKey: key,
            source: (headerBytes, bytes[headerBytes.count..<manifestEnd]))
        return (bytes, OpenedVault(header: header, key: key, contents: .records(set)))
    }
}

/// The commitment a version 2 header carries to its vault key: BLAKE2b-256 keyed with the vault key over
/// "nicvault key commitment" and the vault id. Checked after a slot is unwrapped, so that two slots cannot
/// unwrap two different keys that both open the file.
public enum KeyCommitment {
    static let label = Array("nicvault key commitment".utf8)

    public static func compute(key: SymmetricKey, vaultID: [UInt8]) -> [UInt8] {
        BLAKE2b.keyedHash(label + vaultID, key: key, outputByteCount: VaultHeader.commitmentByteCount)
    }
}
