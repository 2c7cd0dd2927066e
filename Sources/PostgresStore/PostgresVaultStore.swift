import Foundation
import NIOCore
import PostgresNIO
import SealedFile
import Sodium

/// A vault kept in PostgreSQL (docs/postgresql.md): the bytes of a version 2 file in rows. One row holds the
/// header and the sealed manifest, one row per sealed record holds its bytes, and an append-only table notes each
/// save (generation, how many records and bytes, when). Nothing is in clear but ids, versions, lengths and
/// times; the database can make an open fail, but a record or manifest swapped, replayed, dropped or rolled back
/// is refused as the file's would be (the same checks, the same client-side rollback memory).
///
/// An open reads the vault row and a listing of the record rows (id, version, length); a record's bytes are read
/// when a command reads that record. Every save is one transaction that locks the vault row (`SELECT ... FOR
/// UPDATE`), lists the vault again if it moved on since the open, applies the change to it as it is now, writes
/// only the records whose version changed, and commits: a second writer waits, then applies its change to the
/// result, as two writers of one file do under its lock.
public struct PostgresVaultStore: VaultStorage {
    /// The schema version this build creates and reads (`nicvault store init` migrates up to it).
    public static let schemaVersion = 1

    public let url: StoreURL
    public let checks: OpenChecks
    public let flowLockFolder: String
    let password: String?
    /// One connection for the whole command (opened on first use, closed at exit).
    let links = LinkCache()
    /// The record rows this command read one by one, by id and version: a save that runs after another
    /// writer's (the vault listed again under the lock) does not read again those it read before.
    let fetched = FetchedRows()

    public init(url: StoreURL, checks: OpenChecks, flowLockFolder: String, password: String?) {
        self.url = url
        self.checks = checks
        self.flowLockFolder = flowLockFolder
        self.password = password
    }

    public var location: String { url.description }
    public var backupLocation: String? { nil }

    // MARK: Schema

    /// The statements of each schema version, in order. Applied by `initialize()`, never edited once released.
    static let migrations: [[PostgresQuery]] = [
        [
            """
            CREATE TABLE nicvault_vault (
                id bytea PRIMARY KEY CHECK (length(id) = 16),
                generation bigint NOT NULL CHECK (generation >= 1),
                header bytea NOT NULL,
                manifest bytea NOT NULL,
                record_order bytea NOT NULL,
                saved_at timestamptz NOT NULL DEFAULT now())
            """,
            """
            CREATE TABLE nicvault_record (
                vault_id bytea NOT NULL REFERENCES nicvault_vault (id) ON DELETE CASCADE,
                id bytea NOT NULL CHECK (length(id) = 16),
                version bigint NOT NULL,
                sealed bytea NOT NULL,
                PRIMARY KEY (vault_id, id))
            """,
            """
            CREATE TABLE nicvault_audit (
                seq bigserial PRIMARY KEY,
                vault_id bytea NOT NULL,
                generation bigint NOT NULL,
                records_written integer NOT NULL,
                bytes_written bigint NOT NULL,
                saved_at timestamptz NOT NULL DEFAULT now())
            """,
        ]
    ]

    /// Creates the schema, or migrates it to this build's version; refuses a newer one. Returns (before, after).
    @discardableResult
    public func initialize() throws -> (from: Int, to: Int) {
        try withLink { link in
            try link.transaction {
                try link.query("CREATE TABLE IF NOT EXISTS nicvault_schema (version integer NOT NULL)")
                try link.query("LOCK TABLE nicvault_schema IN EXCLUSIVE MODE")
                let rows = try link.query("SELECT version FROM nicvault_schema")
                let current = try rows.first.map { Int(try $0.integer(0)) } ?? 0
                if rows.isEmpty { try link.query("INSERT INTO nicvault_schema (version) VALUES (0)") }
                guard current <= Self.schemaVersion else { throw Self.newerSchema(current) }
                for version in current..<Self.schemaVersion {
                    for statement in Self.migrations[version] { try link.query(statement) }
                }
                let target = Int64(Self.schemaVersion)
                try link.query("UPDATE nicvault_schema SET version = \(target)")
                return (current, Self.schemaVersion)
            }
        }
    }

    static func newerSchema(_ version: Int) -> StoreError {
        .database(
            "the store's schema is version \(version), newer than this nicvault's \(schemaVersion): upgrade nicvault")
    }

    /// Refuses a store without the schema, or with another version of it.
    func checkSchema(_ link: PostgresLink) throws {
        // Once per connection: a command opens, reads and saves through one.
        guard !link.schemaChecked else { return }
        let rows = try schemaQuery(link, "SELECT version FROM nicvault_schema")
        try acceptSchema(rows.first.map { Int(try $0.integer(0)) } ?? 0, on: link)
    }

    /// Runs a statement that reads `nicvault_schema`; a store without that table is told to run `store init`.
    private func schemaQuery(_ link: PostgresLink, _ statement: PostgresQuery) throws -> [PostgresRow] {
        do {
            return try link.query(statement)
        } catch {
            // "No schema" only when the server says the table is not there; a store that stopped answering
            // says so in its own words.
            let missing = try? link.query("SELECT to_regclass('nicvault_schema') IS NULL").first?.bool(0)
            guard missing == true else { throw error }
            throw StoreError.database(
                "\(location) has no nicvault schema (\(PostgresLink.reason(error))); run: nicvault store init")
        }
    }

    private func acceptSchema(_ version: Int, on link: PostgresLink) throws {
        if version > Self.schemaVersion { throw Self.newerSchema(version) }
        if version < Self.schemaVersion {
            throw StoreError.database("the store's schema is version \(version); run: nicvault store init")
        }
        link.schemaChecked = true
    }

    /// The vault row's id and header, nil when the store holds no vault; on a connection whose schema is not
    /// checked yet, the schema's version comes in the same statement (one round trip, not two: `show` with a
    /// session asks for the header, then opens).
    func vaultHead(_ link: PostgresLink) throws -> (id: ByteBuffer, header: ByteBuffer)? {
        let row: PostgresRow?
        let first: Int
        if link.schemaChecked {
            row = try link.query("SELECT id, header FROM nicvault_vault").first
            first = 0
        } else {
            let rows = try schemaQuery(
                link, "SELECT s.version, v.id, v.header FROM nicvault_schema s LEFT JOIN nicvault_vault v ON true")
            try acceptSchema(rows.first.map { Int(try $0.integer(0)) } ?? 0, on: link)
            row = rows.first
            first = 1
        }
        // No vault: no row, or the LEFT JOIN's NULLs.
        guard let row, !row.isNull(first) else { return nil }
        let id = try row.bytes(first)
        link.vaultID = id
        link.head = (id, try row.bytes(first + 1))
        return link.head
    }

    /// A session-level advisory lock on a connection of the flow's own (not the command's, which is dropped
    /// and made again after an error): the server releases it when that connection ends, so a killed process
    /// leaves nothing held.
    public func sharedFlowLock(_ name: [UInt8]) throws -> SharedFlowLock {
        let key = Int64(bitPattern: name.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        let link = try PostgresLink(url, password: password)
        do {
            guard try link.query("SELECT pg_try_advisory_lock(\(key))").first?.bool(0) == true else {
                link.close()
                return .busy
            }
        } catch {
            link.close()
            throw error
        }
        return .held(AdvisoryFlowLock(link: link, key: key))
    }

    func withLink<R>(_ body: (PostgresLink) throws -> R) throws -> R {
        try links.with(url, password: password, body)
    }

    // MARK: Reading

    /// The vault row: its id, its header and sealed manifest (the file's first bytes, in one array), and the
    /// record ids in the manifest's order (16 bytes each, one after another); nil when the store holds no vault.
    /// With `records`, the same statement (one snapshot, no transaction needed) also lists the record rows
    /// (ids, versions, lengths: `recordRows`).
    func vaultRow(_ link: PostgresLink, records: Bool = false) throws -> (
        id: ByteBuffer, prefix: [UInt8], order: [UInt8], rows: [RecordID: (version: UInt64, length: Int)]
    )? {
        let vaults = try link.query(
            records
                ? """
                SELECT v.id, v.header, v.manifest, v.record_order, (\(unescaped: Self.listing(bytes: false)) v.id)
                FROM nicvault_vault v
                """
                : "SELECT id, header, manifest, record_order FROM nicvault_vault")
        guard let row = vaults.first else { return nil }
        guard vaults.count == 1 else {
            throw StoreError.database("\(location) holds \(vaults.count) vaults; expected one")
        }
        let prefix = Array(try row.bytes(1).readableBytesView) + Array(try row.bytes(2).readableBytesView)
        let order = Array(try row.bytes(3).readableBytesView)
        let id = try row.bytes(0)
        link.vaultID = id
        var rows: [RecordID: (version: UInt64, length: Int)] = [:]
        if records {
            let all = try row.bytes(4)
            rows.reserveCapacity(all.readableBytes / 28)
            Self.eachRow(all, bytes: false) { id, version, length, _ in rows[id] = (version, length) }
        }
        return (id, prefix, order, rows)
    }

    /// A record row as `recordRows` reads it.
    typealias RecordRow = (version: UInt64, length: Int, sealed: ArraySlice<UInt8>)

    /// The statement that aggregates every record row of a vault into one value, up to the vault id it compares
    /// `vault_id` with.
    static func listing(bytes: Bool) -> String {
        """
        SELECT coalesce(string_agg(id || int8send(version) || int4send(length(sealed))\(bytes ? " || sealed" : ""),
            ''::bytea), ''::bytea) FROM nicvault_record WHERE vault_id =
        """
    }

    /// Every record row of a vault, read as one aggregated value (one row to receive, not one per record:
    /// 10,000 rows cost more than their 5 MB): id → version, length and, with `bytes`, the sealed bytes (empty
    /// without).
    static func recordRows(_ link: PostgresLink, vaultID: ByteBuffer, bytes: Bool) throws -> [RecordID: RecordRow] {
        let rows = try link.query(
            "\(unescaped: listing(bytes: bytes)) \(vaultID)")
        return parseRows(try rows.first?.bytes(0) ?? ByteBuffer(), bytes: bytes)
    }

    /// The aggregated value of `listing` as rows by id.
    static func parseRows(_ value: ByteBuffer, bytes: Bool) -> [RecordID: RecordRow] {
        var found = [RecordID: RecordRow](minimumCapacity: value.readableBytes / (bytes ? 512 : 28))
        eachRow(value, bytes: bytes) { id, version, length, sealed in found[id] = (version, length, sealed) }
        return found
    }

    /// Each row of the aggregated value of `listing`: its id, version, length and (with `bytes`) sealed bytes.
    static func eachRow(
        _ value: ByteBuffer, bytes: Bool, _ body: (RecordID, UInt64, Int, ArraySlice<UInt8>) -> Void
    ) {
        let all = Array(value.readableBytesView)
        var at = 0
        while all.count - at >= 28 {
            let version = all[(at + 16)..<(at + 24)].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let length = all[(at + 24)..<(at + 28)].reduce(0) { $0 << 8 | Int($1) }
            let end = at + 28 + (bytes ? length : 0)
            guard end <= all.count else { break }
            body(RecordID(all[at..<(at + 16)]), version, length, bytes ? all[(at + 28)..<end] : [])
            at = end
        }
    }

    /// The vault as file bytes (for `store copy`), read in the caller's transaction; nil when the store holds no
    /// vault. A missing row leaves the bytes short, and whoever opens them says so (damaged).
    func readVault(_ link: PostgresLink) throws -> [UInt8]? {
        guard let vault = try vaultRow(link) else { return nil }
        let rows = try Self.recordRows(link, vaultID: vault.id, bytes: true)
        var bytes = vault.prefix
        for at in stride(from: 0, to: vault.order.count - RecordSet.idByteCount + 1, by: RecordSet.idByteCount) {
            if let row = rows[RecordID(vault.order[at...])] { bytes += row.sealed }
        }
        return bytes
    }

    /// Locks the vault row and tells whether it still holds the header `records` came from (every save writes a
    /// new one: `RecordSet.isSealed(header:)`); the 1 MB sealed manifest of a large vault is not read under the lock.
    func unchanged(_ link: PostgresLink, since records: RecordSet) throws -> Bool {
        guard let row = try link.query("SELECT header FROM nicvault_vault FOR UPDATE").first else { return false }
        return records.isSealed(header: try row.bytes(0).readableBytesView)
    }

    public func exists() throws -> Bool {
        try withLink { try vaultHead($0) != nil }
    }

    public func currentHeader() throws -> VaultHeader {
        try withLink { link in
            guard let head = try vaultHead(link) else { throw StoreError.vaultMissing(path: location) }
            return try VaultFormat.parseHeader(Array(head.header.readableBytesView))
        }
    }

    /// The vault's id and what this machine remembers of it, read before the vault itself: writers remember a
    /// generation only after it is committed, so the vault read next is never older than the memory read here
    /// (read after, a save committed in between would look like a rollback). The vault's id is known when this
    /// command has asked whether the vault exists or read its header (a session) on this connection.
    private func remembered(_ link: PostgresLink) throws -> (id: ByteBuffer, seen: RollbackMemory.Entry?) {
        let knownID: ByteBuffer
        if let id = link.vaultID, link.schemaChecked {
            knownID = id
        } else {
            guard let head = try vaultHead(link) else { throw StoreError.vaultMissing(path: location) }
            knownID = head.id
        }
        return (knownID, checks.rollbackMemory?.entry(for: Hex.encode(Array(knownID.readableBytesView))))
    }

    /// The vault row's header alone, unlocked and checked as `open` checks it (the rollback memory read before the
    /// row, as there), and a reader of one record row by id and version: `show`, `exec` and `history` through a
    /// lookup file send two small statements (the header, the record row) instead of reading the sealed manifest
    /// and listing every record row.
    public func openHeader(_ access: VaultAccess, acceptRollback: Bool) throws -> HeaderOpen? {
        let (header, id, seen): (VaultHeader, ByteBuffer, RollbackMemory.Entry?) = try withLink { link in
            func parsed(_ head: (id: ByteBuffer, header: ByteBuffer)) throws -> VaultHeader {
                try StoreError.reportingDamage(in: location) {
                    try VaultFormat.parseHeader(Array(head.header.readableBytesView))
                }
            }
            let (knownID, seen) = try remembered(link)
            let earlier = link.head
            link.head = nil
            // A header read before the rollback memory (to know the vault's id, or a session's) serves when it is
            // not behind what the memory says; behind, a save this machine made in between may explain it: read
            // it again, after the memory, as `open` does.
            if let earlier, earlier.id == knownID {
                let header = try parsed(earlier)
                if Self.isNotBehind(header, seen) { return (header, earlier.id, seen) }
            }
            guard let head = try vaultHead(link) else { throw StoreError.vaultMissing(path: location) }
            link.head = nil
            guard head.id == knownID else { throw StoreError.vaultReplaced(path: location) }
            return (try parsed(head), head.id, seen)
        }
        guard header.formatVersion >= 2 else { return nil }
        let key = try checks.key(access, for: header)
        try checks.checkAndRemember(header, bytes: [], seen: seen, acceptRollback: acceptRollback)
        let source = PostgresRecordSource(store: self, vaultID: id)
        return try HeaderOpen(header: header, key: key) { entry in
            Array(try source.read([(RecordID(entry.recordID), entry.version, nil)])[0])
        }
    }

    /// True when a header is at or past the generation `seen` remembers (the same file
    /// when equal): accepting it then is what reading it after the memory would do.
    static func isNotBehind(_ header: VaultHeader, _ seen: RollbackMemory.Entry?) -> Bool {
        let fingerprint = RollbackMemory.fingerprint(of: header, bytes: [])
        return
            (try? RollbackMemory.check(
                vaultID: header.vaultIDHex, generation: header.generation, fileHash: fingerprint, against: seen)) != nil
    }

    public func open(with unlocker: Unlocker, acceptRollback: Bool) throws -> OpenedVault {
        try open(acceptRollback: acceptRollback) { try checks.open($0, with: unlocker) }
    }

    public func open(with key: SymmetricKey, acceptRollback: Bool) throws -> OpenedVault {
        try open(acceptRollback: acceptRollback) { try VaultFormat.open($0, with: key) }
    }

    /// Opens the vault row and lists the record rows (ids, versions, lengths) in one statement (one snapshot);
    /// a record's bytes are read when a command asks for that record (fetched by id and version: a row changed
    /// since is "changed by another process, run it again"). `show` reads the vault row and one record row.
    private func open(acceptRollback: Bool, decrypt: (ParsedVaultFile) throws -> OpenedVault) throws -> OpenedVault {
        let ((prefix, listing), seen): (([UInt8], RecordListing), RollbackMemory.Entry?) = try withLink { link in
            let (knownID, seen) = try remembered(link)
            guard let (id, listed) = try readListing(link) else { throw StoreError.vaultMissing(path: location) }
            // Another vault was put in this store since (store copy after a drop): its memory was not read.
            guard id == knownID else { throw StoreError.vaultReplaced(path: location) }
            return (listed, seen)
        }
        let opened = try StoreError.reportingDamage(in: location) {
            try decrypt(try VaultFormat.parse(prefix: prefix, listing: listing))
        }
        try checks.checkAndRemember(opened.header, bytes: prefix, seen: seen, acceptRollback: acceptRollback)
        return opened
    }

    /// The vault row's header and sealed manifest, and what each record row is (id, version, length) in the
    /// manifest's order, without the records' bytes; nil when the store holds no vault. A missing row leaves the
    /// listing short, and the open says so (damaged).
    func readListing(_ link: PostgresLink) throws -> (id: ByteBuffer, listed: ([UInt8], RecordListing))? {
        guard let vault = try vaultRow(link, records: true) else { return nil }
        var ids: [UInt8] = []
        var versions: [UInt64] = []
        var lengths: [Int] = []
        ids.reserveCapacity(vault.order.count)
        versions.reserveCapacity(vault.rows.count)
        lengths.reserveCapacity(vault.rows.count)
        for at in stride(from: 0, to: vault.order.count - RecordSet.idByteCount + 1, by: RecordSet.idByteCount) {
            let id = vault.order[at..<(at + RecordSet.idByteCount)]
            guard let row = vault.rows[RecordID(id)] else { continue }
            ids += id
            versions.append(row.version)
            lengths.append(row.length)
        }
        let listing = RecordListing(
            ids: ids, versions: versions, lengths: lengths,
            source: PostgresRecordSource(store: self, vaultID: vault.id))
        return (vault.id, (vault.prefix, listing))
    }

    // MARK: Writing

    public func create(
        _ contents: VaultChange.Contents, random: some RandomSource,
        makeSlots: (SymmetricKey, [UInt8]) throws -> [any KeySlot]
    ) throws -> OpenedVault {
        guard case .records = contents else { throw StoreError.database("a PostgreSQL store holds format version 2") }
        let key = try SymmetricKey.random(using: random)
        let vaultID = random.bytes(count: VaultHeader.vaultIDByteCount)
        let header = VaultHeader(vaultID: vaultID, generation: 1, slots: try makeSlots(key, vaultID))
        let (bytes, opened) = try VaultChange(contents: contents).sealOpening(key: key, header: header, random: random)
        try intoEmptyStore { link in try write(link, opened, bytes: bytes, versions: nil) }
        try checks.remember(opened.header, bytes: bytes, force: true)
        return opened
    }

    public func update(
        _ opened: OpenedVault, acceptRollback: Bool, random: some RandomSource,
        change: (OpenedVault) throws -> VaultChange
    ) throws -> OpenedVault {
        let (saved, bytes): (OpenedVault, [UInt8]) = try withLink { link in
            try checkSchema(link)
            return try link.transaction {
                let current: OpenedVault
                let versions: [RecordID: UInt64]
                if let records = opened.records, try unchanged(link, since: records) {
                    // The vault row (locked now) is the one this command opened: its records are those it read
                    // (the manifest names each by id, version and hash), so none is read again.
                    current = try checks.stillOpened(opened, acceptRollback: acceptRollback)
                    versions = Dictionary(records.records.map { ($0.recordID, $0.version) }, uniquingKeysWith: { $1 })
                } else {
                    // Changed since the open (the row is locked now): list it again; only the records this change
                    // reads are read.
                    guard let (_, (prefix, listing)) = try readListing(link) else {
                        throw StoreError.vaultMissing(path: location)
                    }
                    current = try StoreError.reportingDamage(in: location) {
                        let parsed = try VaultFormat.parse(prefix: prefix, listing: listing)
                        return try checks.reopen(
                            parsed, bytes: prefix, as: opened, location: location,
                            seen: checks.rollbackMemory?.entry(for: parsed.header.vaultIDHex),
                            acceptRollback: acceptRollback)
                    }
                    versions = listing.versionsByID
                }
                let result = try change(current)
                guard case .records = result.contents else {
                    throw StoreError.database("a PostgreSQL store holds format version 2")
                }
                let (newBytes, saved) = try result.nextGeneration(of: current, random: random)
                // Most changes keep the records in their order: the row's list of ids (16 bytes a record) stays.
                let ids = { (vault: OpenedVault) in vault.records?.records.map(\.recordID) }
                try write(link, saved, bytes: newBytes, versions: versions, sameOrder: ids(current) == ids(saved))
                return (saved, newBytes)
            }
        }
        try checks.remember(saved.header, bytes: bytes, force: false)
        return saved
    }

    // MARK: Moving a vault (store copy)

    /// The vault's bytes exactly as stored (a version 2 file), without opening it.
    public func rawBytes() throws -> [UInt8] {
        try withLink { link in
            try checkSchema(link)
            return try link.transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") {
                guard let bytes = try readVault(link) else { throw StoreError.vaultMissing(path: location) }
                return bytes
            }
        }
    }

    /// Stores the bytes of a version 2 file as they are (same vault id, generation, records and log) in a store
    /// that holds no vault yet.
    public func importRaw(_ bytes: [UInt8]) throws {
        let parsed = try VaultFormat.parse(bytes)
        guard parsed.header.formatVersion >= 2 else {
            throw StoreError.database("the vault is format version 1: run nicvault upgrade on it first")
        }
        let records = try RecordSet.framing(of: parsed)
        try intoEmptyStore { link in
            try write(link, parsed.header, bytes: bytes, records: records, versions: nil)
        }
    }

    /// Runs `insert` in a transaction that holds the vault table and refuses a store that holds a vault already.
    private func intoEmptyStore(_ insert: (PostgresLink) throws -> Void) throws {
        try withLink { link in
            try checkSchema(link)
            try link.transaction {
                try link.query("LOCK TABLE nicvault_vault IN EXCLUSIVE MODE")
                guard try link.query("SELECT id FROM nicvault_vault").isEmpty else {
                    throw StoreError.vaultExists(path: location)
                }
                try insert(link)
            }
        }
    }

    private func write(
        _ link: PostgresLink, _ saved: OpenedVault, bytes: [UInt8], versions: [RecordID: UInt64]?,
        sameOrder: Bool = false
    ) throws {
        guard let records = saved.records else { throw StoreError.database("a PostgreSQL store holds version 2") }
        try write(
            link, saved.header, bytes: bytes, records: records.records.map { ($0.recordID, $0.version, $0.framed) },
            versions: versions, sameOrder: sameOrder)
    }

    /// Writes the vault row and the records whose version is not the stored one, removes the others, and notes
    /// the save in the audit table: a save of a vault that exists is one statement (one round trip while the
    /// vault row is locked), whatever it writes. With `sameOrder` (the records are in the order the row lists),
    /// the row's list of record ids is left as it is.
    private func write(
        _ link: PostgresLink, _ vaultHeader: VaultHeader, bytes: [UInt8],
        records: [(id: RecordID, version: UInt64, framed: ArraySlice<UInt8>)], versions: [RecordID: UInt64]?,
        sameOrder: Bool = false
    ) throws {
        let headerLength = vaultHeader.serialized().count
        let manifestEnd = headerLength + Int(vaultHeader.ciphertextLength)
        let id = ByteBuffer(bytes: vaultHeader.vaultID)
        let header = ByteBuffer(bytes: bytes[0..<headerLength])
        let manifest = ByteBuffer(bytes: bytes[headerLength..<manifestEnd])
        let generation = Int64(vaultHeader.generation)
        var order: ByteBuffer?
        if !sameOrder {
            var ids: [UInt8] = []
            ids.reserveCapacity(records.count * RecordSet.idByteCount)
            for record in records { ids += record.id.bytes }
            order = ByteBuffer(bytes: ids)
        }
        var writtenIDs: [ByteBuffer] = []
        var writtenVersions: [Int64] = []
        var writtenBytes: [ByteBuffer] = []
        var total = Int64(manifestEnd)
        var stillStored = 0
        for record in records {
            if let stored = versions?[record.id] {
                stillStored += 1
                if stored == record.version { continue }
            }
            writtenIDs.append(ByteBuffer(bytes: record.id.bytes))
            writtenVersions.append(Int64(record.version))
            writtenBytes.append(ByteBuffer(bytes: record.framed))
            total += Int64(record.framed.count)
        }
        var gone: [ByteBuffer] = []
        if let versions, versions.count > stillStored {
            // Some stored record is not among these (removed): which, by id.
            let kept = Set(records.map(\.id))
            gone = versions.keys.filter { !kept.contains($0) }.map { ByteBuffer(bytes: $0.bytes) }
        }
        let count = Int32(writtenIDs.count)
        // The records, the removals, the audit line and the vault row in one statement: its parts see one
        // snapshot, and the records' reference to the vault row (a new vault's is inserted by this statement) is
        // checked at its end. The row exists and is locked (`unchanged`, `readListing`) when it is updated.
        let vaultRow =
            versions == nil
            ? "INSERT INTO nicvault_vault (id, generation, header, manifest, record_order) SELECT * FROM v"
            : """
            UPDATE nicvault_vault t SET generation = v.generation, header = v.header, manifest = v.manifest,
                record_order = coalesce(v.record_order, t.record_order), saved_at = now()
            FROM v WHERE t.id = v.id
            """
        try link.query(
            """
            WITH v (id, generation, header, manifest, record_order) AS (
                VALUES (\(id)::bytea, \(generation)::int8, \(header)::bytea, \(manifest)::bytea, \(order)::bytea)),
            written AS (
                INSERT INTO nicvault_record (vault_id, id, version, sealed)
                SELECT \(id), r.id, r.version, r.sealed
                FROM unnest(\(writtenIDs)::bytea[], \(writtenVersions)::int8[], \(writtenBytes)::bytea[])
                    AS r (id, version, sealed)
                ON CONFLICT (vault_id, id) DO UPDATE SET version = EXCLUDED.version, sealed = EXCLUDED.sealed),
            gone AS (DELETE FROM nicvault_record WHERE vault_id = \(id) AND id = ANY(\(gone)::bytea[])),
            noted AS (
                INSERT INTO nicvault_audit (vault_id, generation, records_written, bytes_written)
                VALUES (\(id), \(generation), \(count), \(total)))
            \(unescaped: vaultRow)
            """)
    }
}

/// The store's connection, made once per process and reused by each operation; a connection that failed is
/// dropped so that the next operation connects again.
final class LinkCache: @unchecked Sendable {
    /// Recursive: a record read while a change runs (inside the save's transaction) uses the same connection.
    private let lock = NSRecursiveLock()
    private var link: PostgresLink?

    func with<R>(_ url: StoreURL, password: String?, _ body: (PostgresLink) throws -> R) throws -> R {
        lock.lock()
        defer { lock.unlock() }
        // A connection the server closed since the last operation (a restart, a failover, a terminated backend)
        // is replaced before anything is sent on it: nothing of this operation was lost with it.
        if let stale = link, stale.connection.isClosed {
            stale.close()
            link = nil
        }
        let current = try link ?? PostgresLink(url, password: password)
        link = current
        do {
            return try body(current)
        } catch {
            switch error {
            case StoreError.database, StoreError.databaseUnanswered:
                current.close()
                link = nil
            default: break
            }
            throw error
        }
    }

    deinit { link?.close() }
}

/// A flow lock held as a PostgreSQL advisory lock by a connection of its own.
final class AdvisoryFlowLock: FlowLockHolder {
    private var link: PostgresLink?
    private let key: Int64

    init(link: PostgresLink, key: Int64) {
        self.link = link
        self.key = key
    }

    func release() {
        guard let link else { return }
        _ = try? link.query("SELECT pg_advisory_unlock(\(key))")
        link.close()
        self.link = nil
    }

    deinit { release() }
}

/// Reads the records a command asks for, by id and version, from the vault's rows: one statement per record for
/// a few, all rows in one aggregated value for many.
final class PostgresRecordSource: RecordSource, @unchecked Sendable {
    private let store: PostgresVaultStore
    private let vaultID: ByteBuffer

    init(store: PostgresVaultStore, vaultID: ByteBuffer) {
        self.store = store
        self.vaultID = vaultID
    }

    func read(_ records: [(id: RecordID, version: UInt64, position: Int?)]) throws -> [ArraySlice<UInt8>] {
        let rows: [RecordID: (version: UInt64, sealed: ArraySlice<UInt8>)] = try store.withLink { link in
            guard records.count <= 16 else {
                return try PostgresVaultStore.recordRows(link, vaultID: vaultID, bytes: true).mapValues {
                    ($0.version, $0.sealed)
                }
            }
            var rows: [RecordID: (version: UInt64, sealed: ArraySlice<UInt8>)] = [:]
            for record in records {
                if let sealed = store.fetched.row(record.id, version: record.version) {
                    rows[record.id] = (record.version, sealed)
                    continue
                }
                let id = ByteBuffer(bytes: record.id.bytes)
                let found = try link.query(
                    "SELECT version, sealed FROM nicvault_record WHERE vault_id = \(vaultID) AND id = \(id)")
                if let row = found.first {
                    rows[record.id] = (
                        UInt64(bitPattern: try row.integer(0)), Array(try row.bytes(1).readableBytesView)[...]
                    )
                }
            }
            store.fetched.add(rows)
            return rows
        }
        return try records.map { record in
            // Changed (or removed) since this command listed it: another writer's doing; run it again.
            guard let row = rows[record.id], row.version == record.version else {
                throw StoreError.vaultReplaced(path: store.location)
            }
            return row.sealed
        }
    }
}

/// Record rows read by id, with their version (sealed bytes only, checked against the manifest whenever they are
/// opened): a record at a version is the same bytes for as long as it exists, so a command reads each once.
final class FetchedRows: @unchecked Sendable {
    private let lock = NSLock()
    private var read: [RecordID: (version: UInt64, sealed: ArraySlice<UInt8>)] = [:]

    /// The sealed bytes of the row read for `id`, when it was read at `version`.
    func row(_ id: RecordID, version: UInt64) -> ArraySlice<UInt8>? {
        lock.withLock { read[id].flatMap { $0.version == version ? $0.sealed : nil } }
    }

    func add(_ rows: [RecordID: (version: UInt64, sealed: ArraySlice<UInt8>)]) {
        lock.withLock { read.merge(rows) { $1 } }
    }
}
