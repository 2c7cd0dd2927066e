import Foundation
import SealedFile
import Sodium

/// A real temporary folder, removed at the end of the test.
final class TemporaryFolder {
    let path: String

    init() {
        var template = Array((NSTemporaryDirectory() + "/nicvault-test-XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed")
        path = String(cString: template.withUnsafeBufferPointer { $0.baseAddress! })
    }

    func file(_ name: String) -> String { path + "/" + name }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

func passphrase(_ text: String) -> SecureBytes { try! SecureBytes(copying: Array(text.utf8)) }

func bytes(_ secure: SecureBytes) -> [UInt8] { secure.withUnsafeBytes { Array($0) } }

func readFile(_ path: String) -> [UInt8] { try! POSIXFileSystem().read(path)! }

/// The steps of a save that `FaultyFileSystem` can make fail.
enum SaveStep: String, CaseIterable, Sendable {
    case create, write, shortWrite, sync, link, backupRename, rename, syncDirectory
}

/// The real file system, except that one chosen step fails with a chosen errno.
struct FaultyFileSystem: FileSystem {
    let real = POSIXFileSystem()
    let failing: SaveStep
    let code: Int32

    func read(_ path: String) throws(FileSystemError) -> [UInt8]? { try real.read(path) }
    func mode(of path: String) throws(FileSystemError) -> UInt32? { try real.mode(of: path) }

    func createExclusive(_ path: String, mode: UInt32) throws(FileSystemError) -> Int32 {
        if failing == .create { throw FileSystemError(operation: "create", path: path, code: code) }
        return try real.createExclusive(path, mode: mode)
    }

    func write(_ fd: Int32, _ bytes: ArraySlice<UInt8>, path: String) throws(FileSystemError) {
        if failing == .write { throw FileSystemError(operation: "write", path: path, code: code) }
        if failing == .shortWrite {
            // Half the bytes reach the file, then the disk fills up.
            try real.write(fd, bytes.prefix(bytes.count / 2), path: path)
            throw FileSystemError(operation: "write", path: path, code: code)
        }
        try real.write(fd, bytes, path: path)
    }

    func sync(_ fd: Int32, path: String) throws(FileSystemError) {
        if failing == .sync { throw FileSystemError(operation: "fsync", path: path, code: code) }
        try real.sync(fd, path: path)
    }

    func close(_ fd: Int32) { real.close(fd) }

    func rename(_ from: String, to: String) throws(FileSystemError) {
        if failing == .backupRename && to.hasSuffix(".bak") {
            throw FileSystemError(operation: "rename", path: to, code: code)
        }
        if failing == .rename && !to.hasSuffix(".bak") {
            throw FileSystemError(operation: "rename", path: to, code: code)
        }
        try real.rename(from, to: to)
    }

    func link(_ from: String, to: String) throws(FileSystemError) {
        if failing == .link { throw FileSystemError(operation: "link", path: to, code: code) }
        try real.link(from, to: to)
    }

    func syncDirectory(_ path: String) throws(FileSystemError) {
        if failing == .syncDirectory { throw FileSystemError(operation: "fsync folder", path: path, code: code) }
        try real.syncDirectory(path)
    }

    func remove(_ path: String) { real.remove(path) }
    func makeDirectories(_ path: String, mode: UInt32) throws(FileSystemError) {
        try real.makeDirectories(path, mode: mode)
    }
    func setMode(_ path: String, mode: UInt32) throws(FileSystemError) { try real.setMode(path, mode: mode) }
}

/// The real file system, counting the bytes a save writes from memory and those it copies from another file.
final class CountingFileSystem: FileSystem, @unchecked Sendable {
    private let real = POSIXFileSystem()
    private let lock = NSLock()
    private var counts = (written: 0, copied: 0)
    var written: Int { lock.withLock { counts.written } }
    var copied: Int { lock.withLock { counts.copied } }
    func reset() { lock.withLock { counts = (0, 0) } }

    func openForReading(_ path: String) throws(FileSystemError) -> (any ReadableFile)? {
        try real.openForReading(path)
    }
    func read(_ path: String) throws(FileSystemError) -> [UInt8]? { try real.read(path) }
    func mode(of path: String) throws(FileSystemError) -> UInt32? { try real.mode(of: path) }
    func createExclusive(_ path: String, mode: UInt32) throws(FileSystemError) -> Int32 {
        try real.createExclusive(path, mode: mode)
    }
    func write(_ fd: Int32, _ bytes: ArraySlice<UInt8>, path: String) throws(FileSystemError) {
        lock.withLock { counts.written += bytes.count }
        try real.write(fd, bytes, path: path)
    }
    func copy(_ source: any ReadableFile, at offset: Int, count: Int, to fd: Int32, path: String)
        throws(FileSystemError)
    {
        lock.withLock { counts.copied += count }
        try real.copy(source, at: offset, count: count, to: fd, path: path)
    }
    func sync(_ fd: Int32, path: String) throws(FileSystemError) { try real.sync(fd, path: path) }
    func close(_ fd: Int32) { real.close(fd) }
    func rename(_ from: String, to: String) throws(FileSystemError) { try real.rename(from, to: to) }
    func link(_ from: String, to: String) throws(FileSystemError) { try real.link(from, to: to) }
    func syncDirectory(_ path: String) throws(FileSystemError) { try real.syncDirectory(path) }
    func remove(_ path: String) { real.remove(path) }
    func makeDirectories(_ path: String, mode: UInt32) throws(FileSystemError) {
        try real.makeDirectories(path, mode: mode)
    }
    func setMode(_ path: String, mode: UInt32) throws(FileSystemError) { try real.setMode(path, mode: mode) }
}
