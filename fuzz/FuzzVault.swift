// libFuzzer target over the vault file and session file parsers and openers (make fuzz). Built by fuzz/build.sh with
// swiftc -sanitize=fuzzer,address; libFuzzer supplies main.
import SealedFile
import Sodium

#if canImport(Glibc)
    import Glibc
#endif

/// A fixed key and passphrase, so inputs mutated from the seed corpus reach the decryption steps.
let fuzzKey = try! SymmetricKey(SecureBytes(copying: [UInt8](repeating: 0x42, count: 32)))
let fuzzPassphrase = try! SecureBytes(copying: Array("correct horse battery staple".utf8))

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzVault(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // The session file's reader too: parsed or refused with a SessionFileError, and a parsed one writes back
    // the same bytes.
    if let session = try? SessionFile.parse(bytes) {
        precondition(session.serialized() == bytes, "session file does not round-trip")
        _ = try? session.open(sessionKey: fuzzKey, id: [UInt8](repeating: 0, count: 16))
    }
    // The file store leaves a version 2 file's records in the file and reads them when asked: for every input it
    // must come to the same end as the reader of whole files (opened, or refused for the same reason).
    let whole = outcome { try VaultFormat.open(bytes, with: fuzzKey) }
    let stored = outcome { try storeFile(bytes).open(with: fuzzKey, acceptRollback: true) }
    precondition(whole == stored, "the file store says \(stored), the whole-file reader \(whole)")
    // Every input must be parsed or refused with a SealedFileError: never a crash, never a hang.
    guard let parsed = try? VaultFormat.parse(bytes) else { return 0 }
    // A parsed header serializes back to the same bytes (the format is canonical).
    precondition(parsed.header.serialized() == parsed.headerBytes, "header does not round-trip")
    openEveryRecord(try? VaultFormat.open(parsed, with: fuzzKey))
    // Opening with the passphrase runs Argon2id only at INTERACTIVE cost: anything above would just be slow.
    if let slot = parsed.header.passphraseSlot, slot.parameters == .interactive {
        openEveryRecord(try? VaultFormat.open(bytes, with: .passphrase(fuzzPassphrase)))
    }
    return 0
}

/// Version 2: every record is opened as a command would (refused with a SealedFileError, never a crash).
func openEveryRecord(_ opened: OpenedVault?) {
    guard let records = opened?.records else { return }
    for position in records.records.indices { _ = try? records.open(position) }
    _ = try? records.open(Array(records.records.indices))
}

/// Where `storeFile` writes: memory-backed storage, one file (and its lock file) per fuzzing process, removed at
/// exit.
let storePath: String = {
    let path = "/dev/shm/nicvault-fuzz-\(getpid()).nicv"
    atexit {
        let path = "/dev/shm/nicvault-fuzz-\(getpid()).nicv"
        unlink(path)
        unlink(path + ".lock")
    }
    return path
}()

/// `bytes` as a vault file, for the file store to open.
func storeFile(_ bytes: [UInt8]) throws -> VaultStore {
    let path = storePath
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    precondition(fd >= 0, "cannot write \(path)")
    if !bytes.isEmpty { precondition(write(fd, bytes, bytes.count) == bytes.count) }
    close(fd)
    return VaultStore(path: path, rollbackMemory: nil)
}

/// How an open ended, every record opened: "opened" with each record's outcome, or the error's case.
func outcome(_ open: () throws -> OpenedVault) -> String {
    do {
        let opened = try open()
        guard let records = opened.records else { return "opened v1" }
        return "opened: " + records.records.indices.map { position in
            do {
                return "\(try records.open(position).count)"
            } catch {
                return caseName(error)
            }
        }.joined(separator: ",")
    } catch {
        return caseName(error)
    }
}

/// An error's case and the words it carries (the same refusal must say the same thing either way).
func caseName(_ error: any Error) -> String { "\(type(of: error)).\(error)" }
