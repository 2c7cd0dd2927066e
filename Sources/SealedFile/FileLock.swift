#if canImport(Glibc)
    import Glibc
#endif

/// A `flock` on a lock file beside the vault, held until `release` or deinit: exclusive for writers,
/// shared for readers (so a reader sees the vault and the rollback memory of one and the same save).
/// The lock file itself is never deleted, so two processes can never lock different inodes.
public final class FileLock {
    private var fd: Int32

    /// Waits up to `timeout` seconds for the lock; throws `StoreError.locked` when it stays busy.
    public init(path: String, timeout: Double, shared: Bool = false, readOnly: Bool = false) throws {
        let fd =
            readOnly ? Glibc.open(path, O_RDONLY | O_CLOEXEC) : Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StoreError.io(FileSystemError(operation: "open lock", path: path, code: errno)) }
        let deadline = Monotonic.now() + timeout
        var delay: UInt32 = 1_000
        while flock(fd, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0 {
            let code = errno
            guard code == EWOULDBLOCK || code == EINTR else {
                _ = Glibc.close(fd)
                throw StoreError.io(FileSystemError(operation: "lock", path: path, code: code))
            }
            if Monotonic.now() >= deadline {
                _ = Glibc.close(fd)
                throw StoreError.locked(path: path, seconds: timeout)
            }
            usleep(delay)
            delay = min(delay * 2, 50_000)
        }
        self.fd = fd
    }

    /// A shared lock for a reader, or nil when the lock file cannot be made or opened because the folder or
    /// file system is read-only (`skipped` is told why): a folder where no file can be made has no writer.
    public static func sharedIfPossible(path: String, timeout: Double, skipped: (String) -> Void) throws -> FileLock? {
        do {
            return try FileLock(path: path, timeout: timeout, shared: true)
        } catch StoreError.io(let error) where [EACCES, EPERM, EROFS].contains(error.code) {
            // An existing lock file we may only read still serves for a shared lock.
            let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
            if fd >= 0 {
                _ = Glibc.close(fd)
                if let lock = try? FileLock(path: path, timeout: timeout, shared: true, readOnly: true) { return lock }
            }
            skipped(String(cString: strerror(error.code)))
            return nil
        }
    }

    /// Releases the lock now.
    public func release() {
        if fd >= 0 {
            _ = flock(fd, LOCK_UN)
            _ = Glibc.close(fd)
            fd = -1
        }
    }

    deinit { release() }
}

/// Seconds on the monotonic clock.
public enum Monotonic {
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
