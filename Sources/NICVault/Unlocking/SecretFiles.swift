import Foundation
import SealedFile
import Sodium

#if canImport(Glibc)
    import Glibc
#endif

/// Age identity files: read (refusing one that others can read) and written (0600, never over another file).
public enum IdentityFile {
    public static func read(_ path: String) throws -> X25519PrivateKey {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw UnlockError(
                "cannot read the identity file \(path): \(String(cString: strerror(errno)))", kind: .cannotUnlock)
        }
        if (info.st_mode & S_IFMT) == S_IFREG && info.st_mode & 0o077 != 0 {
            throw UnlockError(
                "refusing the identity file \(path): others can read it; run: chmod 600 '\(path)'", kind: .failed)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw UnlockError("cannot read the identity file \(path)", kind: .cannotUnlock)
        }
        return try Recipients.parseIdentity(String(decoding: data, as: UTF8.self))
    }

    /// Writes a new identity, refusing to replace any file.
    public static func write(_ text: String, to path: String) throws {
        let folder = Path.directory(of: path)
        try? FileManager.default.createDirectory(
            atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw UnlockError(
                "cannot create \(path): \(String(cString: strerror(errno))) (an identity is never overwritten)",
                kind: errno == EEXIST ? .exists : .failed)
        }
        defer { close(fd) }
        var bytes = Array(text.utf8)
        defer { wipe(&bytes) }
        guard Glibc.write(fd, bytes, bytes.count) == bytes.count, fsync(fd) == 0 else {
            throw UnlockError("could not write \(path): \(String(cString: strerror(errno)))", kind: .failed)
        }
    }
}

/// NIC's public key in a PEM file, for --public-key (client add, export, exec).
public enum PublicKeyFile {
    public static func read(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path),
            let text = String(data: data, encoding: .utf8), text.contains("-----BEGIN PUBLIC KEY-----")
        else { throw UnlockError("\(path) is not a PEM public key", kind: .invalid) }
        // Stored and exported the same way whoever reads it (client add, export, exec).
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// Files that hold secrets: 0600, never through a symlink, never over a file others can read.
public enum SecretFile {
    public static func write(_ secret: SecureBytes, to path: String) throws {
        func refuse(_ text: String) -> UnlockError { UnlockError(text, kind: .invalid) }
        var info = stat()
        let folder = Path.directory(of: path)
        var folderInfo = stat()
        guard stat(folder, &folderInfo) == 0, (folderInfo.st_mode & S_IFMT) == S_IFDIR else {
            throw refuse("the folder \(folder) does not exist; create it first, or give another path")
        }
        if lstat(path, &info) == 0 {
            switch info.st_mode & S_IFMT {
            case S_IFREG: break
            case S_IFLNK: throw refuse("refusing to write through the symlink \(path); give the real path")
            default:
                // A FIFO, a device or a folder would be replaced by a regular file: never do that silently.
                throw refuse(
                    "refusing to replace \(path): it is not a regular file (a FIFO, a device or a folder); give the "
                        + "path of a file, or leave out --output to write to stdout")
            }
            if info.st_mode & 0o077 != 0 {
                throw refuse(
                    "refusing to overwrite \(path): others can read it (mode \(String(info.st_mode & 0o777, radix: 8))); "
                        + "remove it or run: chmod 600 '\(path)'")
            }
        }
        var bytes = secret.withUnsafeBytes { Array($0) }
        defer { wipe(&bytes) }  // sodium_memzero: a store the optimiser cannot drop
        try AtomicFile.replace(path, with: bytes, backup: nil, fileSystem: POSIXFileSystem())
    }
}
