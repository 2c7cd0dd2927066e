// libFuzzer target over the vault file and session file parsers and openers (make fuzz). Built by fuzz/build.sh with
// swiftc -sanitize=fuzzer,address; libFuzzer supplies main.
import SealedFile
import Sodium

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
