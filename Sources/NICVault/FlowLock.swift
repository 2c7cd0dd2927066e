import GST
import SealedFile
import Sodium

#if canImport(Glibc)
    import Glibc
#endif

/// Held by the one process that runs a portal flow (a rotation or a registration) on one credential, from
/// before it stages anything until it ends: a second process that would stage, resume or drop the same
/// credential meanwhile is refused, since it cannot know whether the first one's request is still on its way
/// to the portal. It is an `flock`, so the kernel releases it when the holder dies (kill -9 included), and a
/// crashed flow can be resumed at once.
///
/// The lock files live in a 0700 folder beside the vault, named by a hash of the vault id and the credential
/// (no GSTIN in clear); each holds the pid of its holder, for the message. They are never deleted, so two
/// processes can never lock different inodes.
///
/// A store that several machines share (PostgreSQL) adds its own lock, seen by every machine (an advisory lock
/// held by a connection of the flow's own, which the server drops when the process dies): a rotation on one
/// machine and a resume of the same credential on another cannot run at once.
public final class FlowLock {
    private var fd: Int32
    private var shared: (any FlowLockHolder)?

    private init(fd: Int32) { self.fd = fd }

    /// Takes the flow lock of `key` in `vault`, or throws `VaultError.flowInProgress` when another process
    /// holds it.
    public static func acquire(_ key: CredentialKey, in vault: Vault) throws -> FlowLock {
        let folder = vault.store.flowLockFolder
        do {
            try POSIXFileSystem().makeDirectories(folder, mode: 0o700)
        } catch {
            throw StoreError.io(error)
        }
        let hash = BLAKE2b.hash(
            Array((vault.opened.header.vaultIDHex + "/" + key.description).utf8), outputByteCount: 16)
        let path = Path.join(folder, Hex.encode(hash) + ".lock")
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw StoreError.io(FileSystemError(operation: "open flow lock", path: path, code: errno))
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            var buffer = [UInt8](repeating: 0, count: 32)
            let n = pread(fd, &buffer, buffer.count, 0)
            close(fd)
            guard code == EWOULDBLOCK else {
                throw StoreError.io(FileSystemError(operation: "lock", path: path, code: code))
            }
            let holder =
                n > 0 ? Int32(String(decoding: buffer[0..<n], as: UTF8.self).split(separator: "\n").first ?? "") : nil
            throw VaultError.flowInProgress(key.description, pid: holder)
        }
        let text = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pwrite(fd, text, text.count, 0)
        let lock = FlowLock(fd: fd)
        switch try vault.store.sharedFlowLock(hash) {
        case .notShared: break
        case .held(let holder): lock.shared = holder
        case .busy:
            lock.release()
            throw VaultError.flowInProgress(key.description, pid: nil)
        }
        return lock
    }

    /// Releases the lock now (it is released at deinit and at process exit anyway).
    public func release() {
        shared?.release()
        shared = nil
        if fd >= 0 {
            _ = ftruncate(fd, 0)
            _ = flock(fd, LOCK_UN)
            _ = close(fd)
            fd = -1
        }
    }

    deinit { release() }
}
