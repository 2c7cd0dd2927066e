import Sodium

/// The highest generation (and that file's hash) seen for each vault id, kept in the user's state folder.
/// It lets nicvault refuse a vault file that went back in time, which the file alone cannot show.
public struct RollbackMemory: Sendable {
    /// One file per vault id lives here (0700).
    public let directory: String
    private let fileSystem: any FileSystem

    /// A memory kept in `directory`.
    public init(directory: String, fileSystem: any FileSystem = POSIXFileSystem()) {
        self.directory = directory
        self.fileSystem = fileSystem
    }

    /// What is remembered of a vault: its highest generation seen and the hash of that file.
    public struct Entry: Equatable, Sendable {
        public let generation: UInt64
        public let fileHash: String
    }

    private func entryPath(_ vaultID: String) -> String { Path.join(directory, vaultID) }

    /// The remembered entry for a vault id, or nil when none (or an unreadable one) is kept.
    public func entry(for vaultID: String) -> Entry? {
        guard let bytes = try? fileSystem.read(entryPath(vaultID)) else { return nil }
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
        guard lines.count == 3, lines[0] == "nicvault-seen v1", let generation = UInt64(lines[1]) else { return nil }
        return Entry(generation: generation, fileHash: String(lines[2]))
    }

    /// Throws when the file is older than what was seen, or the same generation with other bytes.
    public static func check(vaultID: String, generation: UInt64, fileHash: String, against seen: Entry?)
        throws(StoreError)
    {
        guard let seen else { return }
        if generation < seen.generation {
            throw .rollback(vaultID: vaultID, found: generation, remembered: seen.generation)
        }
        if generation == seen.generation && seen.fileHash != fileHash {
            throw .forked(vaultID: vaultID, generation: generation)
        }
    }

    /// Remembers `generation` when it is the highest seen, or always when `force` is set
    /// (the user accepted an older vault on purpose).
    public func record(vaultID: String, generation: UInt64, fileHash: String, force: Bool = false) throws {
        try fileSystem.makeDirectories(directory, mode: 0o700)
        let lock = try FileLock(path: entryPath(vaultID) + ".lock", timeout: 10)
        defer { lock.release() }
        if !force, let seen = entry(for: vaultID), seen.generation >= generation { return }
        let text = "nicvault-seen v1\n\(generation)\n\(fileHash)\n"
        try AtomicFile.replace(
            entryPath(vaultID), with: Array(text.utf8), backup: nil, fileSystem: fileSystem)
    }

    /// The hash that identifies one exact vault file.
    public static func hash(of bytes: [UInt8]) -> String { Hex.encode(BLAKE2b.hash(bytes, outputByteCount: 32)) }

    /// What is remembered of a file: the hash of the whole file (version 1), or of its header alone (version 2,
    /// whose header is the manifest's associated data and whose manifest names every record by hash: one header
    /// cannot go with two different contents without the key). A 100,000-credential file is not hashed again.
    public static func fingerprint(of header: VaultHeader, bytes: [UInt8]) -> String {
        header.formatVersion >= 2 ? hash(of: header.serialized()) : hash(of: bytes)
    }
}

/// Writes a file so that a crash at any instant leaves the old or the new contents, never a mix.
public enum AtomicFile {
    /// Temp file (0600, same folder, O_EXCL), write, fsync, then optionally hard-link the current file
    /// to `backup`, rename over the target and fsync the folder.
    public static func replace(
        _ path: String, with bytes: [UInt8], backup: String?, fileSystem: any FileSystem
    ) throws(StoreError) {
        try replace(path, with: [.bytes(bytes[...])], backup: backup, fileSystem: fileSystem)
    }

    /// As `replace(_:with:backup:fileSystem:)`, the new file written from `pieces` in order.
    public static func replace(
        _ path: String, with pieces: [FilePiece], backup: String?, fileSystem: any FileSystem
    ) throws(StoreError) {
        let directory = Path.directory(of: path)
        let name = Path.fileName(of: path)
        let suffix = Hex.encode(SystemRandom().bytes(count: 6))
        let temporary = Path.join(directory, ".\(name).tmp-\(suffix)")
        do throws(FileSystemError) {
            let fd = try fileSystem.createExclusive(temporary, mode: 0o600)
            do throws(FileSystemError) {
                for piece in pieces {
                    switch piece {
                    case .bytes(let bytes): try fileSystem.write(fd, bytes, path: temporary)
                    case .copy(let source, let offset, let count):
                        try fileSystem.copy(source, at: offset, count: count, to: fd, path: temporary)
                    }
                }
                try fileSystem.sync(fd, path: temporary)
            } catch {
                fileSystem.close(fd)
                throw error
            }
            fileSystem.close(fd)
            if let backup, try fileSystem.mode(of: path) != nil {
                let backupTemporary = Path.join(directory, ".\(name).bak-tmp-\(suffix)")
                do throws(FileSystemError) {
                    try fileSystem.link(path, to: backupTemporary)
                    try fileSystem.rename(backupTemporary, to: backup)
                } catch {
                    fileSystem.remove(backupTemporary)
                    throw error
                }
            }
            try fileSystem.rename(temporary, to: path)
        } catch {
            fileSystem.remove(temporary)
            throw .io(error)
        }
        do {
            try fileSystem.syncDirectory(directory)
        } catch {
            throw .notDurable(error)
        }
    }
}

/// Part of a file being written: bytes in memory, or `count` bytes of a file being replaced from `offset`.
public enum FilePiece: Sendable {
    case bytes(ArraySlice<UInt8>)
    case copy(from: any ReadableFile, offset: Int, count: Int)

    public var count: Int {
        switch self {
        case .bytes(let bytes): bytes.count
        case .copy(_, _, let count): count
        }
    }
}
