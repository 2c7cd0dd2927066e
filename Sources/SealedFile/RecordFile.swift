import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A file read at offsets: a version 2 vault's records stay in the file until a command asks for them.
public protocol ReadableFile: AnyObject, Sendable {
    /// The file's size when it was opened.
    var size: Int { get }
    /// Up to `buffer.count` bytes from `offset` (fewer at the end of the file): how many were read.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(FileSystemError) -> Int
}

extension ReadableFile {
    /// Up to `count` bytes from `offset`.
    func read(at offset: Int, count: Int) throws(FileSystemError) -> [UInt8] {
        var failure: FileSystemError?
        // Not zero-filled first: the read writes every byte it counts.
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            do throws(FileSystemError) {
                initialized = try read(into: UnsafeMutableRawBufferPointer(buffer), at: offset)
            } catch {
                failure = error
                initialized = 0
            }
        }
        if let failure { throw failure }
        return bytes
    }
}

/// An open descriptor, closed when the last reader lets it go. A save replaces the vault by a rename, so the
/// descriptor keeps reading the generation it was opened on.
final class DescriptorFile: ReadableFile {
    let fd: Int32
    let path: String
    let size: Int

    init?(_ path: String) throws(FileSystemError) {
        fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw FileSystemError(operation: "open", path: path, code: errno)
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            _ = Glibc.close(fd)
            throw FileSystemError(operation: "stat", path: path, code: code)
        }
        self.path = path
        size = Int(info.st_size)
    }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(FileSystemError) -> Int {
        var done = 0
        while done < buffer.count {
            let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw FileSystemError(operation: "read", path: path, code: errno)
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    deinit { _ = Glibc.close(fd) }
}

/// A file's bytes already in memory (a `FileSystem` that only reads whole files: the tests' fault injectors).
final class MemoryFile: ReadableFile {
    let bytes: [UInt8]
    var size: Int { bytes.count }

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(FileSystemError) -> Int {
        let count = max(0, min(buffer.count, bytes.count - offset))
        if count > 0 {
            bytes.withUnsafeBytes {
                buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + count)]))
            }
        }
        return count
    }
}

/// The records section of a version 2 file, left in the file: walked once at the open for each record's framing
/// (id, version, length: step 10 of docs/format.md, checked against the manifest by `RecordSet`), read when a
/// command asks for records.
final class FileRecordSource: RecordSource {
    let file: any ReadableFile
    /// Where the records section starts in the file.
    private let start: Int
    private let ids: [UInt8]
    private let offsets: [Int]
    private let lengths: [Int]
    /// Each record's position by id, made the first time a record is asked for by id alone.
    private let positions = Mutex<[RecordID: Int]?>(nil)

    private init(file: any ReadableFile, start: Int, ids: [UInt8], offsets: [Int], lengths: [Int]) {
        self.file = file
        self.start = start
        self.ids = ids
        self.offsets = offsets
        self.lengths = lengths
    }

    /// Walks the framing of the `count` records the header announces in `file` from `start` to its end, reading a
    /// window at a time (the records' bytes are not kept). Damage does not throw here: the listing carries it to
    /// its position, so that the checks keep the order of docs/format.md (a wrong passphrase is told before a
    /// damaged record).
    static func listing(of file: any ReadableFile, from start: Int, count: Int) throws -> RecordListing {
        let end = file.size
        var ids: [UInt8] = []
        var versions: [UInt64] = []
        var offsets: [Int] = []
        var lengths: [Int] = []
        ids.reserveCapacity(count * RecordSet.idByteCount)
        versions.reserveCapacity(count)
        offsets.reserveCapacity(count)
        lengths.reserveCapacity(count)
        let windowSize = 1 << 20
        var window = [UInt8](repeating: 0, count: windowSize)
        var windowStart = start
        var windowCount = 0
        var offset = start
        var damage: RecordListing.Damage?
        for position in 0..<count {
            let framing = RecordSet.framingByteCount
            if offset + framing > windowStart + windowCount {
                windowStart = offset
                windowCount = try window.withUnsafeMutableBytes { buffer in
                    try file.read(into: buffer, at: offset)
                }
            }
            let at = offset - windowStart
            guard end - offset >= framing, at + framing <= windowCount else {
                damage = .init(position: position, reason: "record \(position + 1) of \(count) is cut short")
                break
            }
            // Read through the window's buffer: slices of it would be retained and released 300,000 times.
            let (version, length) = window.withUnsafeBufferPointer { bytes in
                (RecordSet.bigEndian(bytes, at + 16), Int(RecordSet.bigEndian32(bytes, at + 48)))
            }
            guard length >= RecordSet.minimumBucket + 16, end - offset - framing >= length else {
                damage = .init(position: position, reason: "record \(position + 1) of \(count) is cut short")
                break
            }
            window.withUnsafeBufferPointer { ids.append(contentsOf: UnsafeBufferPointer(rebasing: $0[at..<(at + 16)])) }
            versions.append(version)
            offsets.append(offset)
            lengths.append(framing + length)
            offset += framing + length
        }
        if damage == nil, offset != end {
            damage = .init(position: count, reason: "\(end - offset) bytes after the last record")
        }
        let source = FileRecordSource(file: file, start: start, ids: ids, offsets: offsets, lengths: lengths)
        return RecordListing(ids: ids, versions: versions, lengths: lengths, source: source, damage: damage)
    }

    func read(_ records: [(id: RecordID, version: UInt64, position: Int?)]) throws -> [ArraySlice<UInt8>] {
        let found = try records.map { record in
            // At the position this source listed (the id must be the one found there), else found by its id.
            let position = try record.position ?? self.position(of: record.id)
            guard offsets.indices.contains(position), id(at: position) == record.id else {
                throw SealedFileError.recordDamaged("a record the manifest names is not in the file")
            }
            return position
        }
        // A few records one by one; many in one read of the section.
        if found.count <= 16 {
            return try found.map { try file.read(at: offsets[$0], count: lengths[$0])[...] }
        }
        let end = (offsets.last ?? start) + (lengths.last ?? 0)
        let section = try file.read(at: start, count: end - start)
        guard section.count == end - start else { throw SealedFileError.recordDamaged("the file is cut short") }
        // Slices of the one read: no array per record.
        return found.map { section[(offsets[$0] - start)..<(offsets[$0] - start + lengths[$0])] }
    }

    /// The offset in the file of the record at `position` of the walk.
    func offset(at position: Int) -> Int? { offsets.indices.contains(position) ? offsets[position] : nil }

    /// The id of the record at `position` of the walk.
    private func id(at position: Int) -> RecordID {
        RecordID(ids[(position * RecordSet.idByteCount)..<((position + 1) * RecordSet.idByteCount)])
    }

    private func position(of id: RecordID) throws -> Int {
        let found = positions.withLock { positions in
            if positions == nil {
                var all = [RecordID: Int](minimumCapacity: offsets.count)
                for position in offsets.indices { all[self.id(at: position)] = position }
                positions = all
            }
            return positions?[id]
        }
        guard let found else { throw SealedFileError.recordDamaged("a record the manifest names is not in the file") }
        return found
    }
}
