import Foundation
import NICVault
import SealedFile
import Sodium

#if canImport(Glibc)
    import Glibc
#endif

/// Age identity files: read (refusing one that others can read) and written (0600, never over another file).
enum IdentityFile {
    static func read(_ path: String) throws -> X25519PrivateKey {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw CLIError(
                "cannot read the identity file \(path): \(String(cString: strerror(errno)))", code: Exit.wrongPassphrase
            )
        }
        if (info.st_mode & S_IFMT) == S_IFREG && info.st_mode & 0o077 != 0 {
            throw CLIError(
                "refusing the identity file \(path): others can read it; run: chmod 600 '\(path)'", code: Exit.failure)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIError("cannot read the identity file \(path)", code: Exit.wrongPassphrase)
        }
        return try Recipients.parseIdentity(String(decoding: data, as: UTF8.self))
    }

    /// Writes a new identity, refusing to replace any file.
    static func write(_ text: String, to path: String) throws {
        let folder = Path.directory(of: path)
        try? FileManager.default.createDirectory(
            atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw CLIError(
                "cannot create \(path): \(String(cString: strerror(errno))) (an identity is never overwritten)",
                code: errno == EEXIST ? Exit.conflict : Exit.failure)
        }
        defer { close(fd) }
        var bytes = Array(text.utf8)
        defer { wipe(&bytes) }
        guard Glibc.write(fd, bytes, bytes.count) == bytes.count, fsync(fd) == 0 else {
            throw CLIError("could not write \(path): \(String(cString: strerror(errno)))", code: Exit.failure)
        }
    }
}
