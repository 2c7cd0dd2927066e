import CPosix

#if canImport(Glibc)
    import Glibc
#endif

/// A failed system call, with the path and errno, phrased for the person who must fix it.
public struct FileSystemError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What was being done: "write", "fsync", "rename", ...
    public let operation: String
    /// The file or folder concerned.
    public let path: String
    /// The errno value.
    public let code: Int32

    public init(operation: String, path: String, code: Int32) {
        self.operation = operation
        self.path = path
        self.code = code
    }

    /// True when the disk (or quota) is full.
    public var isDiskFull: Bool { code == ENOSPC || code == EDQUOT }

    public var description: String {
        let reason = String(cString: strerror(code))
        let advice: String
        switch code {
        case ENOSPC, EDQUOT: advice = "free some disk space and run the command again"
        case EACCES, EPERM: advice = "check the owner and permissions of the folder"
        case EROFS: advice = "the file system is read-only"
        case EIO: advice = "the disk reported an I/O error; check it before trusting new writes"
        default: advice = "run the command again; if it keeps failing, check the disk"
        }
        return "\(operation) \(path) failed: \(reason); \(advice)"
    }
}

/// The file-system calls a save is made of. Production uses `POSIXFileSystem`; tests wrap it to fail
/// any single step and check that the vault survives.
public protocol FileSystem: Sendable {
    /// The whole file, or nil when it does not exist.
    func read(_ path: String) throws(FileSystemError) -> [UInt8]?
    /// The permission bits, or nil when the path does not exist.
    func mode(of path: String) throws(FileSystemError) -> UInt32?
    /// Creates a new file (O_EXCL) with `mode` and returns its descriptor.
    func createExclusive(_ path: String, mode: UInt32) throws(FileSystemError) -> Int32
    /// Writes all of `bytes`.
    func write(_ fd: Int32, _ bytes: ArraySlice<UInt8>, path: String) throws(FileSystemError)
    /// Writes `count` bytes of `source` from `offset` (a save's kept records, from the file it replaces). By
    /// default they are read and written a window at a time.
    func copy(_ source: any ReadableFile, at offset: Int, count: Int, to fd: Int32, path: String)
        throws(FileSystemError)
    /// fsync.
    func sync(_ fd: Int32, path: String) throws(FileSystemError)
    /// close (errors ignored: the data was already synced).
    func close(_ fd: Int32)
    /// Atomically replaces `to` with `from`.
    func rename(_ from: String, to: String) throws(FileSystemError)
    /// A hard link `to` of `from`.
    func link(_ from: String, to: String) throws(FileSystemError)
    /// fsync of a folder, so that a rename in it is durable.
    func syncDirectory(_ path: String) throws(FileSystemError)
    /// Removes a file; a missing file is not an error.
    func remove(_ path: String)
    /// Creates a folder and its missing parents with `mode`.
    func makeDirectories(_ path: String, mode: UInt32) throws(FileSystemError)
    /// Sets permission bits.
    func setMode(_ path: String, mode: UInt32) throws(FileSystemError)
    /// The file opened for reads at offsets, or nil when it does not exist. By default its bytes read whole.
    func openForReading(_ path: String) throws(FileSystemError) -> (any ReadableFile)?
}

extension FileSystem {
    public func openForReading(_ path: String) throws(FileSystemError) -> (any ReadableFile)? {
        try read(path).map { MemoryFile($0) }
    }

    public func copy(_ source: any ReadableFile, at offset: Int, count: Int, to fd: Int32, path: String)
        throws(FileSystemError)
    {
        try copyThroughMemory(source, at: offset, count: count, to: fd, path: path)
    }

    /// `copy` as reads of `source` and writes, a window at a time.
    func copyThroughMemory(_ source: any ReadableFile, at offset: Int, count: Int, to fd: Int32, path: String)
        throws(FileSystemError)
    {
        let windowSize = 1 << 20
        var done = 0
        while done < count {
            let want = min(windowSize, count - done)
            let window = try source.read(at: offset + done, count: want)
            // The file being replaced is shorter than its own header said: nothing to copy from.
            guard window.count == want else { throw FileSystemError(operation: "read", path: path, code: EIO) }
            try write(fd, window[...], path: path)
            done += want
        }
    }
}

/// The real file system through Glibc.
public struct POSIXFileSystem: FileSystem {
    public init() {}

    public func openForReading(_ path: String) throws(FileSystemError) -> (any ReadableFile)? {
        try DescriptorFile(path)
    }

    public func read(_ path: String) throws(FileSystemError) -> [UInt8]? {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw FileSystemError(operation: "open", path: path, code: errno)
        }
        defer { _ = Glibc.close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw FileSystemError(operation: "stat", path: path, code: errno) }
        // One read into room for the size fstat gave plus a page, so that a file that grew meanwhile is read
        // whole too; no zero fill, no reallocation on the way.
        var capacity = Int(info.st_size) + 4096
        var bytes: [UInt8] = []
        while true {
            var failure: Int32 = 0
            let previous = bytes
            bytes = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, count in
                count = previous.count
                if !previous.isEmpty {
                    previous.withUnsafeBufferPointer {
                        buffer.baseAddress!.initialize(from: $0.baseAddress!, count: $0.count)
                    }
                }
                while count < capacity {
                    let n = Glibc.read(fd, buffer.baseAddress! + count, capacity - count)
                    if n < 0 {
                        if errno == EINTR { continue }
                        failure = errno
                        return
                    }
                    if n == 0 { return }
                    count += n
                }
            }
            if failure != 0 { throw FileSystemError(operation: "read", path: path, code: failure) }
            if bytes.count < capacity { return bytes }
            capacity *= 2
        }
    }

    public func mode(of path: String) throws(FileSystemError) -> UInt32? {
        var info = stat()
        if stat(path, &info) != 0 {
            if errno == ENOENT { return nil }
            throw FileSystemError(operation: "stat", path: path, code: errno)
        }
        return UInt32(info.st_mode) & 0o7777
    }

    public func createExclusive(_ path: String, mode: UInt32) throws(FileSystemError) -> Int32 {
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(mode))
        guard fd >= 0 else { throw FileSystemError(operation: "create", path: path, code: errno) }
        // The umask may have removed bits but never adds any; make the mode exact anyway.
        _ = fchmod(fd, mode_t(mode))
        return fd
    }

    public func write(_ fd: Int32, _ bytes: ArraySlice<UInt8>, path: String) throws(FileSystemError) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, bytes.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileSystemError(operation: "write", path: path, code: errno)
            }
            done += n
        }
    }

    /// In the kernel (copy_file_range) when `source` is a descriptor, without the bytes passing through this
    /// process; through memory where the file systems cannot (another device, an old kernel).
    public func copy(_ source: any ReadableFile, at offset: Int, count: Int, to fd: Int32, path: String)
        throws(FileSystemError)
    {
        guard let file = source as? DescriptorFile else {
            return try copyThroughMemory(source, at: offset, count: count, to: fd, path: path)
        }
        var from = Int64(offset)
        var left = count
        while left > 0 {
            let n = nicvault_copy_file_range(file.fd, &from, fd, UInt(left))
            if n < 0 {
                let code = errno
                if code == EINTR { continue }
                if [EXDEV, ENOSYS, EOPNOTSUPP, EINVAL].contains(code) {
                    return try copyThroughMemory(source, at: Int(from), count: left, to: fd, path: path)
                }
                throw FileSystemError(operation: "write", path: path, code: code)
            }
            // The file being replaced is shorter than its own header said: nothing to copy from.
            if n == 0 { throw FileSystemError(operation: "read", path: file.path, code: EIO) }
            left -= n
        }
    }

    public func sync(_ fd: Int32, path: String) throws(FileSystemError) {
        guard fsync(fd) == 0 else { throw FileSystemError(operation: "fsync", path: path, code: errno) }
    }

    public func close(_ fd: Int32) { _ = Glibc.close(fd) }

    public func rename(_ from: String, to: String) throws(FileSystemError) {
        guard Glibc.rename(from, to) == 0 else { throw FileSystemError(operation: "rename", path: to, code: errno) }
    }

    public func link(_ from: String, to: String) throws(FileSystemError) {
        guard Glibc.link(from, to) == 0 else { throw FileSystemError(operation: "link", path: to, code: errno) }
    }

    public func syncDirectory(_ path: String) throws(FileSystemError) {
        let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError(operation: "open folder", path: path, code: errno) }
        defer { _ = Glibc.close(fd) }
        guard fsync(fd) == 0 else { throw FileSystemError(operation: "fsync folder", path: path, code: errno) }
    }

    public func remove(_ path: String) { _ = unlink(path) }

    public func makeDirectories(_ path: String, mode: UInt32) throws(FileSystemError) {
        if path.isEmpty || path == "/" { return }
        var info = stat()
        if stat(path, &info) == 0 { return }
        try makeDirectories(Path.directory(of: path), mode: mode)
        if mkdir(path, mode_t(mode)) != 0 && errno != EEXIST {
            throw FileSystemError(operation: "mkdir", path: path, code: errno)
        }
        _ = chmod(path, mode_t(mode))
    }

    public func setMode(_ path: String, mode: UInt32) throws(FileSystemError) {
        guard chmod(path, mode_t(mode)) == 0 else { throw FileSystemError(operation: "chmod", path: path, code: errno) }
    }
}

/// Small helpers on POSIX path strings.
public enum Path {
    /// The folder part of a path ("." for a bare name).
    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let head = String(path[..<slash])
        return head.isEmpty ? "/" : head
    }

    /// The last component of a path.
    public static func fileName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// Joins a folder and a name.
    public static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }
}
