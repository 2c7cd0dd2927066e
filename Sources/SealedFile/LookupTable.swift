import Sodium

#if canImport(Glibc)
    import Glibc
#endif

/// Where each record of one generation of a version 2 vault is, so that a command reading one record (`show`,
/// `exec`, `history`) needs neither the sealed manifest nor a walk of the records (docs/format.md, "The lookup
/// file"). It is a cache kept outside the vault, rebuilt from a full open whenever it does not describe the vault's
/// current header: deleting it costs one full open, and nothing in it is trusted but what a holder of the vault key
/// wrote.
///
/// ```
/// lookup = "NVLOOKUP" || version u16 = 1 || vault id (16) || header checksum (32) || count u32
///          || count × entry, sorted by tag
/// entry  = tag (16) || record id (16) || version u64 || hash (32) || offset u64 || length u32 || mac (16)
/// tag    = BLAKE2b-128 keyed with the lookup key over 0x01 || the record's name (the caller's bytes)
/// mac    = BLAKE2b-128 keyed with the lookup key over 0x02 || header checksum || the entry before its mac
/// lookup key = crypto_kdf_derive_from_key(32, subkey id 3, context "nvlookup", vault key)
/// ```
///
/// A tag hides the name (a GSTIN) from anyone without the key; a mac binds the entry to the one header whose
/// sealed manifest named that record with that hash, so an entry copied from another generation, vault or
/// position does not verify. An entry that is missing or does not verify is a miss: the caller opens the vault
/// in full, which tells every error as before.
public enum LookupTable {
    public static let magic: [UInt8] = Array("NVLOOKUP".utf8)
    public static let version: UInt16 = 1
    static let headerByteCount = 8 + 2 + 16 + 32 + 4
    static let entryByteCount = 16 + 16 + 8 + 32 + 8 + 4 + 16
    static let tagByteCount = 16

    /// One record's place: its name's tag, its id, version and hash as the manifest names them, and where its
    /// framed bytes are in the vault file.
    public struct Entry: Sendable, Equatable {
        public let tag: [UInt8]
        public let recordID: [UInt8]
        public let version: UInt64
        public let hash: [UInt8]
        public let offset: UInt64
        public let length: UInt32
    }

    /// The key of tags and macs, derived from the vault key.
    public static func key(from vaultKey: SymmetricKey) throws -> SymmetricKey {
        try SubkeyDerivation.derive(from: vaultKey, id: 3, context: "nvlookup")
    }

    /// The tag of a record's name.
    public static func tag(_ name: [UInt8], key: SymmetricKey) -> [UInt8] {
        BLAKE2b.keyedHash([0x01] + name, key: key, outputByteCount: tagByteCount)
    }

    static func mac(_ entryBytes: ArraySlice<UInt8>, headerChecksum: [UInt8], key: SymmetricKey) -> [UInt8] {
        BLAKE2b.keyedHash([0x02] + headerChecksum + entryBytes, key: key, outputByteCount: 16)
    }

    /// The lookup file's bytes for `header` (checked by a full open) and the named records of the file it was
    /// opened from. Written into one buffer, tags sorted as two integers each (100,000 records: no array per entry).
    public static func serialize(
        _ named: [(name: [UInt8], location: RecordLocation)], header: VaultHeader, key: SymmetricKey
    ) -> [UInt8] {
        let checksum = header.checksum
        var scratch: [UInt8] = []
        var tag = [UInt8](repeating: 0, count: tagByteCount)
        func word(_ bytes: [UInt8], _ at: Int) -> UInt64 { (at..<(at + 8)).reduce(0) { $0 << 8 | UInt64(bytes[$1]) } }
        var order: [(high: UInt64, low: UInt64, position: Int)] = []
        order.reserveCapacity(named.count)
        for (position, item) in named.enumerated() {
            scratch.removeAll(keepingCapacity: true)
            scratch.append(0x01)
            scratch += item.name
            scratch.withUnsafeBytes { message in
                tag.withUnsafeMutableBytes { BLAKE2b.keyedHash(message, key: key, into: $0) }
            }
            order.append((word(tag, 0), word(tag, 8), position))
        }
        order.sort { ($0.high, $0.low) < ($1.high, $1.low) }
        var writer = ByteWriter()
        writer.reserve(headerByteCount + named.count * entryByteCount)
        writer.raw(magic)
        writer.u16(version)
        writer.raw(header.vaultID)
        writer.raw(checksum)
        writer.u32(UInt32(named.count))
        // The mac's message: 0x02, the header checksum, then the entry before its mac.
        var message = [0x02] + checksum + [UInt8](repeating: 0, count: entryByteCount - 16)
        let entryStart = message.count - (entryByteCount - 16)
        var mac = [UInt8](repeating: 0, count: 16)
        for (high, low, position) in order {
            let location = named[position].location
            let start = writer.bytes.count
            writer.u64(high)
            writer.u64(low)
            writer.record(location.id, version: location.version, digest: location.digest)
            writer.u64(UInt64(location.offset))
            writer.u32(UInt32(location.length))
            message.replaceSubrange(entryStart..., with: writer.bytes[start...])
            message.withUnsafeBytes { bytes in
                mac.withUnsafeMutableBytes { BLAKE2b.keyedHash(bytes, key: key, into: $0) }
            }
            writer.raw(mac)
        }
        return writer.bytes
    }

    /// The lookup file at `path` when it describes `header` (this vault, this generation, these very header bytes);
    /// nil when it is missing, damaged, or describes anything else.
    public static func reader(_ path: String, header: VaultHeader, key: SymmetricKey) -> Reader? {
        guard let file = try? DescriptorFile(path), file.size >= headerByteCount,
            let head = try? file.read(at: 0, count: headerByteCount), head.count == headerByteCount
        else { return nil }
        var reader = ByteReader(head)
        let checksum = header.checksum
        guard (try? reader.raw(magic.count)) == magic, (try? reader.u16()) == version,
            (try? reader.raw(16)) == header.vaultID, (try? reader.raw(32)) == checksum,
            let count = try? reader.u32(), file.size == headerByteCount + Int(count) * entryByteCount
        else { return nil }
        return Reader(file: file, count: Int(count), headerChecksum: checksum, key: key)
    }

    /// A lookup file that describes the header it was asked for.
    public struct Reader {
        let file: DescriptorFile
        let count: Int
        let headerChecksum: [UInt8]
        let key: SymmetricKey

        /// The verified entry for `name`, or nil when there is none or it does not verify. Reads the entries a
        /// binary search visits, not the whole file.
        public func find(_ name: [UInt8]) -> Entry? {
            let wanted = tag(name, key: key)
            var low = 0
            var high = count
            while low < high {
                let middle = (low + high) / 2
                guard let bytes = try? file.read(at: headerByteCount + middle * entryByteCount, count: entryByteCount),
                    bytes.count == entryByteCount
                else { return nil }
                let found = Array(bytes[0..<tagByteCount])
                if found == wanted { return verified(bytes, headerChecksum: headerChecksum, key: key) }
                if found.lexicographicallyPrecedes(wanted) { low = middle + 1 } else { high = middle }
            }
            return nil
        }
    }

    /// Writes `bytes` as the lookup file at `path` (a new 0600 file renamed into place, in a 0700 folder). Not
    /// synced: a lookup file cut short by a crash does not describe any header and is rebuilt.
    public static func write(_ bytes: [UInt8], to path: String, fileSystem: any FileSystem = POSIXFileSystem())
        throws(FileSystemError)
    {
        try fileSystem.makeDirectories(Path.directory(of: path), mode: 0o700)
        let temporary = path + ".tmp-\(getpid())"
        fileSystem.remove(temporary)
        let fd = try fileSystem.createExclusive(temporary, mode: 0o600)
        defer { fileSystem.remove(temporary) }
        do {
            try fileSystem.write(fd, bytes[...], path: temporary)
        } catch {
            fileSystem.close(fd)
            throw error
        }
        fileSystem.close(fd)
        try fileSystem.rename(temporary, to: path)
    }

    private static func verified(_ bytes: [UInt8], headerChecksum: [UInt8], key: SymmetricKey) -> Entry? {
        let macStart = entryByteCount - 16
        let expected = mac(bytes[0..<macStart], headerChecksum: headerChecksum, key: key)
        guard ConstantTime.equals(expected, Array(bytes[macStart...])) else { return nil }
        var reader = ByteReader(bytes)
        guard let tag = try? reader.raw(16), let id = try? reader.raw(16), let version = try? reader.u64(),
            let hash = try? reader.raw(32), let offset = try? reader.u64(), let length = try? reader.u32()
        else { return nil }
        return Entry(tag: tag, recordID: id, version: version, hash: hash, offset: offset, length: length)
    }
}

/// Where a record of a vault file is, with what the manifest names it by (held as integers: a lookup file of
/// 100,000 records makes 100,000 of these).
public struct RecordLocation: Sendable {
    let id: RecordID
    public let version: UInt64
    let digest: Digest256
    public let offset: Int
    public let length: Int

    public var recordID: [UInt8] { id.bytes }
    public var hash: [UInt8] { digest.bytes }
}

extension VaultHeader {
    /// The header's checksum (its last 32 bytes as written).
    public var checksum: [UInt8] { Array(serialized().suffix(Self.checksumByteCount)) }
}
