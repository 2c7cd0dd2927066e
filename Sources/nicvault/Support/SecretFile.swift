import Foundation
import SealedFile
import Sodium

#if canImport(Glibc)
    import Glibc
#endif

/// NIC's public key in a PEM file, for --public-key (client add, export, exec).
enum PublicKeyFile {
    static func read(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path),
            let text = String(data: data, encoding: .utf8), text.contains("-----BEGIN PUBLIC KEY-----")
        else { throw CLIError("\(path) is not a PEM public key", code: Exit.usage) }
        // Stored and exported the same way whoever reads it (client add, export, exec).
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// Files that hold secrets: 0600, never through a symlink, never over a file others can read.
enum SecretFile {
    static func write(_ secret: SecureBytes, to path: String) throws {
        var info = stat()
        let folder = Path.directory(of: path)
        var folderInfo = stat()
        guard stat(folder, &folderInfo) == 0, (folderInfo.st_mode & S_IFMT) == S_IFDIR else {
            throw CLIError(
                "the folder \(folder) does not exist; create it first, or give another path", code: Exit.usage)
        }
        if lstat(path, &info) == 0 {
            switch info.st_mode & S_IFMT {
            case S_IFREG: break
            case S_IFLNK:
                throw CLIError("refusing to write through the symlink \(path); give the real path", code: Exit.usage)
            default:
                // A FIFO, a device or a folder would be replaced by a regular file: never do that silently.
                throw CLIError(
                    "refusing to replace \(path): it is not a regular file (a FIFO, a device or a folder); give the "
                        + "path of a file, or leave out --output to write to stdout", code: Exit.usage)
            }
            if info.st_mode & 0o077 != 0 {
                throw CLIError(
                    "refusing to overwrite \(path): others can read it (mode \(String(info.st_mode & 0o777, radix: 8))); "
                        + "remove it or run: chmod 600 '\(path)'", code: Exit.usage)
            }
        }
        var bytes = secret.withUnsafeBytes { Array($0) }
        defer { wipe(&bytes) }  // sodium_memzero: a store the optimiser cannot drop
        try AtomicFile.replace(path, with: bytes, backup: nil, fileSystem: POSIXFileSystem())
    }
}
