import Foundation
import GST
import NICVault
import SealedFile
import Sodium

// The helpers of `make bench` (scripts/bench.sh):
//   nicvault-bench argon2 OPS MEM            one bare Argon2id derivation at those parameters (the baseline)
//   nicvault-bench generate N VAULT PASSFILE  a vault of N sandbox credentials, built in one save
// Not a user command: it exists so the benchmarks measure nicvault against libsodium in the same run.

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data(("nicvault-bench: " + message + "\n").utf8))
    exit(64)
}

let arguments = CommandLine.arguments.dropFirst()
do {
    switch arguments.first {
    case "argon2":
        let values = arguments.dropFirst().compactMap { UInt64($0) }
        guard values.count == 2 else { fail("usage: argon2 OPS MEM") }
        let passphrase = try SecureBytes(copying: Array("benchmark passphrase".utf8))
        _ = try Argon2id.deriveKey(
            from: passphrase, salt: Array(repeating: 7, count: 16),
            parameters: Argon2idParameters(opsLimit: values[0], memLimit: values[1]))
    case "generate":
        let rest = Array(arguments.dropFirst())
        guard rest.count == 3, let count = Int(rest[0]) else { fail("usage: generate N VAULT PASSFILE") }
        let passphrase = try String(contentsOfFile: rest[2], encoding: .utf8).trimmingCharacters(in: .newlines)
        let home = ProcessInfo.processInfo.environment["XDG_STATE_HOME"] ?? NSTemporaryDirectory()
        let store = VaultStore(path: rest[1], rollbackMemory: RollbackMemory(directory: home + "/nicvault/generations"))
        var vault = try Vault.create(
            store: store, passphrase: SecureBytes(copying: Array(passphrase.utf8)), parameters: .moderate)
        let states = StateCode.all.map(\.code).filter { $0 != "25" }
        let now = vault.now
        let policy = PasswordPolicy.standard
        var credentials: [Credential] = []
        credentials.reserveCapacity(count)
        for index in 0..<count {
            // Distinct sandbox GSTINs: a state code, a PAN-like body from the index, entity 1, Z, check character.
            let digits = String(format: "%09d", index)
            let letters = digits.prefix(5).map { Character(UnicodeScalar(65 + Int(String($0))!)!) }
            let body = states[index % states.count] + String(letters) + digits.suffix(4) + "A1Z"
            let gstin = try GSTIN(parsing: body + String(GSTIN.checkCharacter(for: body)), environment: .sandbox)
            var credential = Credential(
                environment: .sandbox, gstin: gstin, kind: .portal,
                legalName: "Benchmark Taxpayer \(index) Private Limited",
                tradeName: "Bench \(index)", userID: "BENCH\(index)", password: try policy.generate(), createdAt: now)
            credential.events = [CredentialEvent(version: 1, at: now, change: "added")]
            credentials.append(credential)
        }
        try vault.modify { $0.credentials = credentials }
        print("\(count) credentials in \(rest[1])")
    case "phases":
        // Where the time of opening a big vault goes, once the key is known (as with a session).
        let rest = Array(arguments.dropFirst())
        guard rest.count == 2 else { fail("usage: phases VAULT PASSFILE") }
        let passphrase = try String(contentsOfFile: rest[1], encoding: .utf8).trimmingCharacters(in: .newlines)
        let bytes = try POSIXFileSystem().read(rest[0])!
        let key = try VaultFormat.open(bytes, with: .passphrase(SecureBytes(copying: Array(passphrase.utf8)))).key
        func clock() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e6 }
        let store = VaultStore(path: rest[0], rollbackMemory: nil)
        for _ in 0..<3 {
            let t0 = clock()
            let read = try POSIXFileSystem().read(rest[0])!
            let t1 = clock()
            let parsed = try VaultFormat.parse(read)
            let tp = clock()
            let opened = try VaultFormat.open(parsed, with: key)
            let t2 = clock()
            print(String(format: "parse alone %.1f ms", tp - t1))
            let vault = try Vault.open(store: store, key: key)
            let t3 = clock()
            let payload = try vault.payload
            let t4 = clock()
            _ = try payload.sealedBytes()
            let t5 = clock()
            print(
                String(
                    format: "read %.1f ms, parse+manifest %.1f ms (format %d), open with index %.1f ms, "
                        + "every record decrypted and decoded %.1f ms (%d credentials), encode as one payload %.1f ms",
                    t1 - t0, t2 - t1, Int(opened.header.formatVersion), t3 - t2, t4 - t3, payload.credentials.count,
                    t5 - t4))
        }
    default:
        fail("usage: nicvault-bench argon2 OPS MEM | generate N VAULT PASSFILE")
    }
} catch {
    fail("\(error)")
}
