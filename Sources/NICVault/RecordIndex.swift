import Foundation
import GST
import SealedFile
import Sodium

/// What nicvault keeps in a version 2 vault (docs/format.md, "Payload, version 2"): one record per credential (with
/// its history), one per API client, one for the log, and an index sealed in the manifest that says which record
/// is which, with the vault's settings and recipients. A command decodes the index and only the records it reads.
///
/// A version 1 vault opens through the same face: its whole payload is decoded at once, and its first save
/// writes version 2.
final class RecordIndex: @unchecked Sendable {
    enum Entry: Equatable {
        case credential(CredentialKey)
        case client(name: String, environment: Environment)
        case log
    }

    /// What a save writes, with the index it describes (so the saved vault needs no decoding of its own index).
    struct Written {
        let contents: VaultChange.Contents
        let entries: [Entry]
        let settings: VaultSettings
        let recipients: [RecipientLabel]?
        let schema: Int
    }

    /// The index of a vault just saved from `written` (its own index not decoded again).
    static func saved(_ opened: OpenedVault, written: Written, known: VaultPayload? = nil) throws -> RecordIndex {
        guard let records = opened.records, records.records.count == written.entries.count else {
            return try RecordIndex(opened, known: known)
        }
        return RecordIndex(records: records, written: written, known: known)
    }

    private init(records: RecordSet, written: Written, known: VaultPayload?) {
        set = records
        entries = written.entries
        settings = written.settings
        recipients = written.recipients
        schema = written.schema
        whole = known
    }

    /// The version 2 records; nil for a version 1 vault (everything is then in `whole`).
    let set: RecordSet?
    let entries: [Entry]
    let settings: VaultSettings
    let recipients: [RecipientLabel]?
    let schema: Int
    /// Where each entry is, built when first asked (a save that only writes needs none).
    private var positionsStorage: [Entry: Int]?
    /// What the scans before the table found (nil: absent), so that asking again costs no scan.
    private var scanned: [Entry: Int?] = [:]
    private let lock = NSLock()
    private var whole: VaultPayload?

    /// An index of nothing: the contents it makes are all new records (a new vault).
    init() {
        set = nil
        entries = []
        settings = VaultSettings()
        recipients = nil
        schema = VaultPayload.currentSchema
        positionsStorage = [:]
    }

    /// `known`: the payload these contents were just sealed from, so that it need not be decrypted again.
    init(_ opened: OpenedVault, known: VaultPayload? = nil) throws {
        switch opened.contents {
        case .payload(let bytes):
            let payload = try VaultPayload.decode(bytes)
            set = nil
            whole = payload
            entries = payload.credentials.map { .credential($0.key) }
            settings = payload.settings
            recipients = payload.recipients
            schema = payload.schema
        case .records(let records):
            set = records
            var decoded = (entries: [Entry](), settings: VaultSettings(), recipients: [RecipientLabel]?.none, schema: 0)
            try records.withIndex { try Self.decodeIndex($0, into: &decoded) }
            guard decoded.entries.count == records.records.count else {
                throw VaultError.payloadUnreadable(
                    "the index names \(decoded.entries.count) records, the vault holds \(records.records.count)")
            }
            (entries, settings, recipients, schema) = decoded
        }
        if let known { whole = known }
    }

    private func position(of entry: Entry) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        // The first few entries asked for are scanned for (a command that reads or changes one record does not
        // hash 100,000 entries), each once.
        if positionsStorage == nil, let found = scanned[entry] { return found }
        if positionsStorage == nil && scanned.count < 4 {
            let found = entries.firstIndex(of: entry)
            scanned[entry] = found
            return found
        }
        if positionsStorage == nil {
            var positions: [Entry: Int] = [:]
            positions.reserveCapacity(entries.count)
            // The first position of an entry, as the scan above finds it.
            for (position, entry) in entries.enumerated() where positions[entry] == nil { positions[entry] = position }
            positionsStorage = positions
        }
        return positionsStorage![entry]
    }

    /// Where a damaged record found while reading is reported: nil for a file (whose own advice is to restore
    /// its .bak), the store's location for a database (restore the database instead).
    private var damagedStore: String?
    /// Guards `damagedStore` alone: records are opened while `lock` is held (`payload()`), and a damaged one
    /// must be reported from there too.
    private let damageLock = NSLock()

    func reportsDamage(in store: any VaultStorage) {
        damageLock.withLock { damagedStore = store.backupLocation == nil ? store.location : nil }
    }

    /// Opens records, a damaged one reported as its store would report it.
    private func opening<R>(_ body: () throws -> R) throws -> R {
        guard let location = damageLock.withLock({ damagedStore }) else { return try body() }
        return try StoreError.reportingDamage(in: location, body)
    }

    /// The keys of every credential, without decrypting one.
    var credentialKeys: [CredentialKey] {
        entries.compactMap { if case .credential(let key) = $0 { key } else { nil } }
    }

    /// One credential, decrypting only its record.
    func credential(_ key: CredentialKey) throws -> Credential? {
        guard let set else { return whole?.credentials.first { $0.key == key } }
        guard let position = position(of: .credential(key)) else { return nil }
        return try Self.decodeRecord(try opening { try set.open(position) }) { try $0.credential() }
    }

    /// One API client, decrypting only its record.
    func client(named name: String, environment: Environment) throws -> APIClient? {
        guard let set else { return whole?.clients.first { $0.name == name && $0.environment == environment } }
        guard let position = position(of: .client(name: name, environment: environment)) else { return nil }
        return try Self.decodeRecord(try opening { try set.open(position) }) { try $0.client() }
    }

    /// The log, decrypting only its record.
    func log() throws -> [VaultLogEntry]? {
        guard let set else { return whole?.log }
        guard let position = position(of: .log) else { return nil }
        return try Self.decodeRecord(try opening { try set.open(position) }) { try $0.array { try $0.logEntry() } }
    }

    /// The contents after one credential changed (nil: removed) and the log became `log`: every other record is
    /// kept as sealed, nothing else is decrypted. Version 2 only. A changed credential and the log stay where they
    /// are (a new credential goes last), so that when no record came or went the index is the same bytes, not
    /// written again (100,000 entries).
    func contents(setting key: CredentialKey, to credential: Credential?, log: [VaultLogEntry]) throws -> Written {
        guard let set else { throw VaultError.payloadUnreadable("a version 1 vault changes as a whole") }
        var writer = JSONWriter()
        defer { wipe(&writer.out) }
        var credentialRange: Range<Int>?
        if let credential {
            writer.credential(credential)
            credentialRange = 0..<writer.out.count
        }
        let logStart = writer.out.count
        writer.list(log) { $0.logEntry($1) }
        let plaintext = try writer.out.withUnsafeBytes { try SecureBytes(copying: $0) }
        // Every other record is kept, in runs of the opened set's own records.
        var replacing: [Int: [RecordWrite]] = [:]
        let logRange = logStart..<writer.out.count
        let credentialPosition = position(of: .credential(key))
        if let credentialPosition {
            let id = Array(set.records[credentialPosition].id)
            replacing[credentialPosition] =
                credentialRange.map { [.seal(id: id, plaintext: plaintext, range: $0)] } ?? []
        }
        let logPosition = position(of: .log)
        if let logPosition {
            let id = Array(set.records[logPosition].id)
            replacing[logPosition] = [.seal(id: id, plaintext: plaintext, range: logRange)]
        }
        var records = RecordWrite.keeping(set.records, replacing: replacing)
        let credentialFound = credentialPosition != nil
        let logFound = logPosition != nil
        var newEntries = entries
        if let credentialPosition, credentialRange == nil { newEntries.remove(at: credentialPosition) }
        if let credentialRange, !credentialFound {
            newEntries.append(.credential(key))
            records.append(.seal(id: RecordSet.newID(), plaintext: plaintext, range: credentialRange))
        }
        if !logFound {
            newEntries.append(.log)
            records.append(.seal(id: RecordSet.newID(), plaintext: plaintext, range: logRange))
        }
        let index: SavedIndex
        if credentialFound == (credentialRange != nil) && logFound {
            index = .unchanged(of: set)  // the same entries in the same order, the same settings and recipients
        } else {
            var payload = VaultPayload(settings: settings)
            payload.schema = schema
            payload.recipients = recipients
            index = .new(try Self.encodeIndex(newEntries, payload))
        }
        return Written(
            contents: .records(index: index, records: records), entries: newEntries, settings: settings,
            recipients: recipients, schema: schema)
    }

    /// The credentials whose key passes `filter`, in key order, each made into what `transform` makes of it on
    /// the thread that decoded it, decrypting only their records (sorted as keys and positions, then decoded in
    /// that order: sorting 100,000 decoded credentials costs more than decoding them, and looking each key up
    /// again costs a table of 100,000).
    func credentials<T: Sendable>(
        sortedWhere filter: (CredentialKey) -> Bool, _ transform: @escaping @Sendable (Credential) -> T
    ) throws -> [T] {
        guard set != nil else {
            return (whole?.credentials ?? []).filter { filter($0.key) }.sorted { $0.key < $1.key }.map(transform)
        }
        var wanted: [(key: CredentialKey, position: Int)] = []
        for (position, entry) in entries.enumerated() {
            if case .credential(let key) = entry, filter(key) { wanted.append((key, position)) }
        }
        return try decoded(Self.inKeyOrder(wanted)) { record -> T? in
            if case .credential(let credential) = record { transform(credential) } else { nil }
        }
    }

    /// Every API client, decrypting only their records.
    func clients() throws -> [APIClient] {
        guard set != nil else { return whole?.clients ?? [] }
        let positions = entries.indices.filter { if case .client = entries[$0] { true } else { false } }
        return try decoded(positions) { record -> APIClient? in
            if case .client(let client) = record { client } else { nil }
        }
    }

    /// The positions of `wanted` sorted by key (ties in position order). Keys are compared as two integers each
    /// (a stored GSTIN is 15 ASCII bytes, so its bytes sort as the string does; then the environment and the
    /// kind, each by its word): sorting 100,000 keys as strings cost about 40 ms of a `list`.
    static func inKeyOrder(_ wanted: [(key: CredentialKey, position: Int)]) -> [Int] {
        var packed = wanted.map { (order: $0.key.packedOrder, position: $0.position) }
        packed.sort { ($0.order.0, $0.order.1, $0.position) < ($1.order.0, $1.order.1, $1.position) }
        return packed.map(\.position)
    }

    /// Everything, decoded once and kept (the version 1 payload as it was read).
    func payload() throws -> VaultPayload {
        lock.lock()
        defer { lock.unlock() }
        if let whole { return whole }
        guard let set else { return VaultPayload() }
        var payload = VaultPayload(settings: settings)
        payload.schema = schema
        payload.recipients = recipients
        for record in try decoded(Array(set.records.indices), { $0 }) {
            switch record {
            case .credential(let credential): payload.credentials.append(credential)
            case .client(let client): payload.clients.append(client)
            case .log(let log): payload.log = log
            }
        }
        whole = payload
        return payload
    }

    /// One decoded record.
    private enum Decoded: Sendable {
        case credential(Credential)
        case client(APIClient)
        case log([VaultLogEntry])
    }

    /// The records at `positions`, decrypted, decoded and transformed in that order (those `transform` makes nil
    /// left out, on the thread that decoded them). Records are independent, so
    /// a large set is split into one contiguous slice per core, each decrypted a megabyte at a time into its own
    /// locked buffer (100,000 credentials: about 450 ms on one core).
    private func decoded<T: Sendable>(_ positions: [Int], _ transform: @escaping @Sendable (Decoded) -> T?) throws
        -> [T]
    {
        guard let stored = set else { return [] }
        let entries = self.entries
        return try opening {
            // Records a store reads when asked for are read here, all at once, not from each slice's thread; one
            // slice reads its own (without copying the set's list of every record for one or two of them).
            let set = Self.workers(positions.count) > 1 ? try stored.reading(positions) : stored
            return try Self.inSlices(positions.count) { slice in
                let positions = Array(positions[slice])
                var records: [T] = []
                records.reserveCapacity(positions.count)
                try set.forEachChunk(of: positions) { chunk, raw, ranges in
                    for (position, range) in zip(positions[chunk], ranges) {
                        let record = try Self.decode(
                            UnsafeRawBufferPointer(rebasing: raw[range]), as: entries[position])
                        if let made = transform(record) { records.append(made) }
                    }
                }
                return records
            }
        }
    }

    /// One record's plaintext as what its index entry names (a credential must be the one the entry names).
    private static func decode(_ plaintext: UnsafeRawBufferPointer, as entry: Entry) throws -> Decoded {
        var reader = JSONScanner(plaintext)
        return try payloadError {
            let record: Decoded
            switch entry {
            case .credential(let key):
                let credential = try reader.credential()
                guard credential.key == key else { throw VaultError.payloadUnreadable("a record under another name") }
                record = .credential(credential)
            case .client: record = .client(try reader.client())
            case .log: record = .log(try reader.array { try $0.logEntry() })
            }
            try reader.end()
            return record
        }
    }

    /// `body` over `0..<count` in one contiguous slice per core (one slice for a small count), the results
    /// joined in order; the first error thrown wins.
    static func inSlices<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Range<Int>) throws -> [T]) throws
        -> [T]
    {
        let workers = workers(count)
        guard workers > 1 else { return try body(0..<count) }
        let slots = Slots<Result<[T], any Error>>(count: workers)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let slice = (count * worker / workers)..<(count * (worker + 1) / workers)
            slots[worker] = Result { try body(slice) }
        }
        var joined: [T] = []
        joined.reserveCapacity(count)
        for result in slots.values { joined += try result!.get() }
        return joined
    }

    /// How many threads `inSlices` uses for `count` items.
    static func workers(_ count: Int) -> Int {
        count < 1024 ? 1 : max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8))
    }

    /// One result per worker, each written by its own worker only.
    private final class Slots<Value>: @unchecked Sendable {
        private var storage: [Value?]
        private let lock = NSLock()
        init(count: Int) { storage = Array(repeating: nil, count: count) }
        subscript(index: Int) -> Value? {
            get { lock.withLock { storage[index] } }
            set { lock.withLock { storage[index] = newValue } }
        }
        var values: [Value?] { lock.withLock { storage } }
    }
    /// The version 2 contents of `payload`: records whose value is what this index holds are kept as sealed (same
    /// id, same version, same bytes); changed ones keep their id and are sealed again; new ones get a new id.
    func contents(of payload: VaultPayload, random: some RandomSource = SystemRandom()) throws -> Written {
        let original = set == nil ? nil : try self.payload()
        var kept: [Entry: Int] = [:]  // where each record kept as sealed is in the opened set
        if set != nil, let original {
            var newCredentials: [CredentialKey: Credential] = [:]
            for credential in payload.credentials { newCredentials[credential.key] = credential }
            var credentials = original.credentials.makeIterator()
            var clients = original.clients.makeIterator()
            for (position, entry) in entries.enumerated() {
                switch entry {
                case .credential(let key):
                    if let old = credentials.next(), newCredentials[key] == old { kept[entry] = position }
                case .client(let name, let environment):
                    let new = payload.clients.first { $0.name == name && $0.environment == environment }
                    if let old = clients.next(), new == old { kept[entry] = position }
                case .log:
                    if original.log == payload.log { kept[entry] = position }
                }
            }
        }
        var ids: [Entry: [UInt8]] = [:]
        if let set { for (entry, record) in zip(entries, set.records) { ids[entry] = record.recordID.bytes } }

        var newEntries: [Entry] = []
        var writer = JSONWriter()
        var fresh: [(entry: Entry, range: Range<Int>)] = []
        func add(_ entry: Entry, _ write: (inout JSONWriter) -> Void) {
            newEntries.append(entry)
            guard kept[entry] == nil else { return }
            let start = writer.out.count
            write(&writer)
            fresh.append((entry, start..<writer.out.count))
        }
        for credential in payload.credentials { add(.credential(credential.key)) { $0.credential(credential) } }
        for client in payload.clients {
            add(.client(name: client.name, environment: client.environment)) { $0.client(client) }
        }
        if let log = payload.log { add(.log) { $0.list(log) { $0.logEntry($1) } } }
        defer { wipe(&writer.out) }
        let plaintext = try writer.out.withUnsafeBytes { try SecureBytes(copying: $0) }
        var freshByEntry: [Entry: Range<Int>] = [:]
        for item in fresh { freshByEntry[item.entry] = item.range }
        var records: [RecordWrite] = []
        for entry in newEntries {
            if let position = kept[entry], let set {
                RecordWrite.append(keeping: position, of: set.records, to: &records)
            } else {
                records.append(
                    .seal(
                        id: ids[entry] ?? RecordSet.newID(using: random), plaintext: plaintext,
                        range: freshByEntry[entry]))
            }
        }
        return Written(
            contents: .records(index: .new(try Self.encodeIndex(newEntries, payload)), records: records),
            entries: newEntries,
            settings: payload.settings, recipients: payload.recipients, schema: payload.schema)
    }

    // MARK: The index

    static func encodeIndex(_ entries: [Entry], _ payload: VaultPayload) throws -> SecureBytes {
        var writer = JSONWriter()
        writer.out.append(0x7b)
        writer.key("records", first: true)
        writer.list(entries) { writer, entry in
            switch entry {
            case .credential(let key):
                writer.list(["credential", key.environment.rawValue, key.gstin.value, key.kind.rawValue]) {
                    $0.string($1)
                }
            case .client(let name, let environment):
                writer.list(["client", environment.rawValue, name]) { $0.string($1) }
            case .log: writer.list(["log"]) { $0.string($1) }
            }
        }
        if let recipients = payload.recipients {
            writer.key("recipients")
            writer.list(recipients) { $0.recipientLabel($1) }
        }
        writer.key("schema")
        writer.number(payload.schema)
        writer.key("settings")
        writer.out.append(0x7b)
        writer.key("defaultRotationDays", first: true)
        writer.number(payload.settings.defaultRotationDays)
        writer.out.append(0x7d)
        writer.out.append(0x7d)
        defer { wipe(&writer.out) }
        return try writer.out.withUnsafeBytes { try SecureBytes(copying: $0) }
    }

    static func decodeIndex(
        _ raw: UnsafeRawBufferPointer,
        into decoded: inout (entries: [Entry], settings: VaultSettings, recipients: [RecipientLabel]?, schema: Int)
    ) throws {
        do {
            var reader = JSONScanner(raw)
            var sawRecords = false
            try payloadError {
                try reader.object { key, reader in
                    switch key {
                    case "schema": decoded.schema = try reader.integer()
                    case "records":
                        sawRecords = true
                        decoded.entries = try reader.array { try $0.indexEntry() }
                    case "recipients":
                        decoded.recipients = try reader.nullable { try $0.array { try $0.recipientLabel() } }
                    case "settings":
                        try reader.object { key, reader in
                            if key == "defaultRotationDays" {
                                decoded.settings.defaultRotationDays = try reader.integer()
                            } else {
                                try reader.skipValue()
                            }
                        }
                    default: try reader.skipValue()
                    }
                }
                try reader.end()
            }
            guard decoded.schema == VaultPayload.currentSchema else {
                throw VaultError.unsupportedSchema(decoded.schema)
            }
            guard sawRecords else { throw VaultError.payloadUnreadable("the index lists no records") }
        }
    }

    static func decodeRecord<T>(_ bytes: SecureBytes, _ read: (inout JSONScanner) throws -> T) throws -> T {
        try bytes.withUnsafeBytes { raw in
            var reader = JSONScanner(raw)
            return try payloadError {
                let value = try read(&reader)
                try reader.end()
                return value
            }
        }
    }

    /// A record that does not decode is reported as an unreadable payload, never as a crash.
    private static func payloadError<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as VaultError {
            throw error
        } catch let error as JSONScanner.Failure {
            throw VaultError.payloadUnreadable(String(describing: error))
        }
    }
}

extension RecordIndex.Entry: Hashable {}

extension JSONScanner {
    /// `["credential", environment, GSTIN, kind]`, `["client", environment, name]` or `["log"]`, read field
    /// by field (an open of 100,000 credentials reads 100,000 of them).
    mutating func indexEntry() throws -> RecordIndex.Entry {
        try expect(0x5b)
        // Words compared as bytes, the GSTIN checked as bytes: 100,000 entries make no `String` but the GSTINs.
        guard let tag = try oneOf(Self.indexTags) else { throw fail("unknown index entry") }
        func environment() throws -> Environment? {
            try expect(0x2c)
            return try oneOf(Self.environments).map { Environment.allCases[$0] }
        }
        let entry: RecordIndex.Entry
        switch tag {
        case 0:
            let environment = try environment()
            try expect(0x2c)
            let gstin = try withStringBytes { bytes in try GSTIN(storedUTF8: bytes) }
            try expect(0x2c)
            let kind = try oneOf(Self.kinds).map { CredentialKind.allCases[$0] }
            guard let environment, let kind else { throw fail("index entry with an unknown environment or kind") }
            entry = .credential(CredentialKey(environment: environment, gstin: gstin, kind: kind))
        case 1:
            guard let environment = try environment() else { throw fail("unknown environment") }
            try expect(0x2c)
            entry = .client(name: try string(), environment: environment)
        default: entry = .log
        }
        guard peek() == 0x5d else {
            throw fail(
                "index entry \(String(decoding: Self.indexTags[tag], as: UTF8.self)) with more fields than it has")
        }
        try expect(0x5d)
        return entry
    }

    static let indexTags = ["credential", "client", "log"].map { Array($0.utf8) }
    static let environments = Environment.allCases.map { Array($0.rawValue.utf8) }
    static let kinds = CredentialKind.allCases.map { Array($0.rawValue.utf8) }
}

extension CredentialKey {
    /// The key as two integers that sort as the key does: the GSTIN's first 8 bytes, then its last 7, the
    /// environment's and the kind's rank by word (4 bits each: up to 16 of each). Every GSTIN is 15 ASCII
    /// letters and digits (each way of making one checks it), so its bytes sort as the string does.
    fileprivate var packedOrder: (UInt64, UInt64) {
        var text = gstin.value
        return text.withUTF8 { bytes in
            precondition(bytes.count == 15, "a GSTIN is 15 ASCII characters")
            let high = bytes[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let low = bytes[8..<15].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            return (high, low << 8 | Self.environments.rank(of: environment) << 4 | Self.kinds.rank(of: kind))
        }
    }

    private static let environments = Ranks(Environment.allCases)  // Ranks checks they fit in 4 bits
    private static let kinds = Ranks(CredentialKind.allCases)
}

/// Each case's place when the cases are sorted as `<` sorts them (found by equality: no hashing per key).
private struct Ranks<T: Comparable>: Sendable where T: Sendable {
    let cases: [T]
    let ranks: [UInt64]
    init(_ all: [T]) {
        cases = all
        let sorted = all.sorted()
        ranks = all.map { value in UInt64(sorted.firstIndex(of: value)!) }
        precondition(all.count <= 16, "a rank takes 4 bits of CredentialKey.packedOrder")
    }
    func rank(of value: T) -> UInt64 { ranks[cases.firstIndex(of: value)!] }
}
