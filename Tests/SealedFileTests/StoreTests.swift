import Foundation
import SealedFile
import Sodium
import Testing

private let pass = "correct horse battery staple"

/// A store in a fresh folder with rollback memory beside it, and a vault created with a passphrase slot.
private func makeVault(
    in folder: TemporaryFolder, payload: String = "generation 1", fileSystem: any FileSystem = POSIXFileSystem()
) throws -> (VaultStore, OpenedVault) {
    let store = VaultStore(
        path: folder.file("vault/v.nicv"), fileSystem: fileSystem,
        rollbackMemory: RollbackMemory(directory: folder.file("state")), lockTimeout: 5)
    let opened = try store.create(payload: passphrase(payload)) { key, id in
        [try PassphraseSlot(wrapping: key, passphrase: passphrase(pass), parameters: .interactive, vaultID: id)]
    }
    return (store, opened)
}

private func save(_ store: VaultStore, _ opened: OpenedVault, _ text: String) throws -> OpenedVault {
    try store.update(opened) { _ in VaultChange(payload: passphrase(text)) }
}

@Suite("crash-safe store")
struct StoreTests {
    @Test func createOpenAndSaveRoundTrip() throws {
        let folder = TemporaryFolder()
        let (store, created) = try makeVault(in: folder)
        #expect(created.header.generation == 1)
        let opened = try store.open(with: .passphrase(passphrase(pass)))
        #expect(String(decoding: bytes(opened.payload!), as: UTF8.self) == "generation 1")
        let saved = try save(store, opened, "generation 2")
        #expect(saved.header.generation == 2)
        let again = try store.open(with: .passphrase(passphrase(pass)))
        #expect(String(decoding: bytes(again.payload!), as: UTF8.self) == "generation 2")
        // The previous generation is kept as the backup and opens on its own.
        let backup = try VaultFormat.open(readFile(store.backupPath), with: .passphrase(passphrase(pass)))
        #expect(backup.header.generation == 1)
    }

    @Test func filesAndFoldersArePrivate() throws {
        let folder = TemporaryFolder()
        let (store, opened) = try makeVault(in: folder)
        _ = try save(store, opened, "two")
        let fs = POSIXFileSystem()
        #expect(try fs.mode(of: store.path) == 0o600)
        #expect(try fs.mode(of: store.backupPath) == 0o600)
        #expect(try fs.mode(of: folder.file("vault")) == 0o700)
        #expect(try fs.mode(of: folder.file("state")) == 0o700)
    }

    @Test func createRefusesAnExistingVault() throws {
        let folder = TemporaryFolder()
        let (store, _) = try makeVault(in: folder)
        let before = readFile(store.path)
        #expect(throws: StoreError.vaultExists(path: store.path)) {
            try store.create(payload: passphrase("other")) { key, _ in
                [try RecipientSlot(wrapping: key, for: X25519PrivateKey().publicKey)]
            }
        }
        #expect(readFile(store.path) == before)
    }

    @Test func wrongPassphraseLeavesVaultUntouched() throws {
        let folder = TemporaryFolder()
        let (store, _) = try makeVault(in: folder)
        let before = readFile(store.path)
        #expect(throws: SealedFileError.wrongPassphrase) {
            try store.open(with: .passphrase(passphrase("nope nope nope")))
        }
        #expect(readFile(store.path) == before)
    }

    @Test(arguments: SaveStep.allCases)
    func saveFailingAtAnyStepLeavesAnOpenableGeneration(step: SaveStep) throws {
        let folder = TemporaryFolder()
        let (store, opened) = try makeVault(in: folder)
        let second = try save(store, opened, "generation 2")
        let code = step == .sync || step == .syncDirectory ? EIO : ENOSPC
        let faulty = VaultStore(
            path: store.path, fileSystem: FaultyFileSystem(failing: step, code: code),
            rollbackMemory: store.rollbackMemory, lockTimeout: 5)
        do {
            _ = try faulty.update(second) { _ in VaultChange(payload: passphrase("generation 3")) }
            Issue.record("the injected \(step) failure was not reported")
        } catch let error as StoreError {
            switch error {
            case .io(let cause), .notDurable(let cause):
                #expect(cause.code == code)
                #expect(error.description.contains(store.path) || error.description.contains(folder.file("vault")))
            default: Issue.record("unexpected \(error)")
            }
        }
        let now = try store.open(with: .passphrase(passphrase(pass)))
        let text = String(decoding: bytes(now.payload!), as: UTF8.self)
        if step == .syncDirectory {
            #expect(text == "generation 3" && now.header.generation == 3)  // in place, only durability unknown
        } else {
            #expect(text == "generation 2" && now.header.generation == 2)
        }
        // No temporary file is left behind.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.file("vault")).filter {
            $0.contains(".tmp-") || $0.contains(".bak-tmp-")
        }
        #expect(leftovers.isEmpty)
    }

    /// The copy a save makes of the records it keeps: in the kernel on one file system, through memory across
    /// two (copy_file_range refuses that), the same bytes either way; a source shorter than asked is an error,
    /// never a short file.
    @Test func aCopyIsTheSameBytesOnOneFileSystemOrAcrossTwoAndRefusesAShortSource() throws {
        let folder = TemporaryFolder()
        let content = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        let real = POSIXFileSystem()
        var sources = [folder.file("source")]
        // /dev/shm is a tmpfs where there is one: another file system than the temporary folder's disk.
        var shm = stat()
        var here = stat()
        if stat("/dev/shm", &shm) == 0, stat(folder.path, &here) == 0, shm.st_dev != here.st_dev {
            sources.append("/dev/shm/nicvault-copy-test-\(getpid())")
        }
        defer { if sources.count > 1 { unlink(sources[1]) } }
        for (number, source) in sources.enumerated() {
            try Data(content).write(to: URL(fileURLWithPath: source))
            let file = try #require(try real.openForReading(source))
            let target = folder.file("copy-\(number)")
            let fd = try real.createExclusive(target, mode: 0o600)
            try real.write(fd, [9, 9][...], path: target)
            try real.copy(file, at: 1000, count: 250_000, to: fd, path: target)
            real.close(fd)
            #expect(readFile(target) == [9, 9] + Array(content[1000..<251_000]))
            let short = folder.file("short-\(number)")
            let shortFD = try real.createExclusive(short, mode: 0o600)
            defer { real.close(shortFD) }
            #expect(throws: FileSystemError.self) {
                try real.copy(file, at: 200_000, count: 200_000, to: shortFD, path: short)
            }
        }
    }

    @Test func diskFullMessageSaysWhatToDo() {
        let error = StoreError.io(FileSystemError(operation: "write", path: "/x/v.nicv", code: ENOSPC))
        #expect(error.description.contains("free some disk space"))
        #expect(error.description.contains("unchanged"))
    }

    @Test func rolledBackFileIsRefusedUnlessAccepted() throws {
        let folder = TemporaryFolder()
        let (store, opened) = try makeVault(in: folder)
        let old = readFile(store.path)
        _ = try save(store, opened, "generation 2")
        // An attacker (or a careless restore) puts generation 1 back.
        try Data(old).write(to: URL(fileURLWithPath: store.path))
        #expect(throws: StoreError.self) { try store.open(with: .passphrase(passphrase(pass))) }
        do {
            _ = try store.open(with: .passphrase(passphrase(pass)))
        } catch let error as StoreError {
            #expect(error.description.contains("--accept-rollback"))
            guard case .rollback(_, let found, let remembered) = error else { throw error }
            #expect(found == 1 && remembered == 2)
        }
        let accepted = try store.open(with: .passphrase(passphrase(pass)), acceptRollback: true)
        #expect(accepted.header.generation == 1)
        // Once accepted, it opens without the flag.
        #expect(try store.open(with: .passphrase(passphrase(pass))).header.generation == 1)
    }

    @Test func sameGenerationWithOtherBytesIsRefused() throws {
        let folder = TemporaryFolder()
        let (store, opened) = try makeVault(in: folder)
        // Re-seal generation 1 with other contents under the same key and id: a fork.
        let forked = try VaultFormat.seal(passphrase("forked"), key: opened.key, header: opened.header)
        try Data(forked).write(to: URL(fileURLWithPath: store.path))
        #expect(throws: StoreError.forked(vaultID: opened.header.vaultIDHex, generation: 1)) {
            try store.open(with: .passphrase(passphrase(pass)))
        }
    }

    @Test func aVaultCopiedByItsBytesIsTheSameVaultAndNeverOverwritesOne() throws {
        let folder = TemporaryFolder()
        let (store, _) = try makeVault(in: folder)
        let bytes = try store.rawBytes()
        let copy = VaultStore(path: folder.file("copy.nicv"), rollbackMemory: nil)
        try copy.importRaw(bytes)
        #expect(try copy.rawBytes() == bytes)
        #expect(
            try copy.open(with: .passphrase(passphrase(pass))).header.vaultID == (try store.currentHeader()).vaultID)
        #expect(throws: StoreError.vaultExists(path: copy.path)) { try copy.importRaw(bytes) }
        let other = VaultStore(path: folder.file("other.nicv"), rollbackMemory: nil)
        #expect(throws: SealedFileError.self) { try other.importRaw(Array("not a vault".utf8)) }
        #expect(try !other.exists())
        #expect(throws: StoreError.vaultMissing(path: other.path)) { try other.rawBytes() }
    }

    @Test func readableVaultOrBackupIsRefusedWithTheFix() throws {
        let folder = TemporaryFolder()
        let (store, opened) = try makeVault(in: folder)
        _ = try save(store, opened, "two")
        chmod(store.path, 0o644)
        #expect(throws: StoreError.unsafePermissions(path: store.path, mode: 0o644)) {
            try store.open(with: .passphrase(passphrase(pass)))
        }
        #expect(StoreError.unsafePermissions(path: store.path, mode: 0o644).description.contains("chmod 600"))
        chmod(store.path, 0o600)
        chmod(store.backupPath, 0o640)
        #expect(throws: StoreError.unsafePermissions(path: store.backupPath, mode: 0o640)) {
            try store.open(with: .passphrase(passphrase(pass)))
        }
    }

    @Test func updateSeesChangesMadeSinceOpening() throws {
        let folder = TemporaryFolder()
        let (store, opened) = try makeVault(in: folder, payload: "a")
        // Two snapshots of generation 1; each appends a letter. The second must see the first's change.
        _ = try store.update(opened) { current in
            VaultChange(payload: passphrase(String(decoding: bytes(current.payload!), as: UTF8.self) + "b"))
        }
        let last = try store.update(opened) { current in
            VaultChange(payload: passphrase(String(decoding: bytes(current.payload!), as: UTF8.self) + "c"))
        }
        #expect(String(decoding: bytes(last.payload!), as: UTF8.self) == "abc")
        #expect(last.header.generation == 3)
    }

    @Test func concurrentWritersLoseNoChange() async throws {
        let folder = TemporaryFolder()
        let (store, opened) = try makeVault(in: folder, payload: "")
        // Each writer has its own lock descriptor, as separate processes would.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<4 {
                group.addTask {
                    for change in 0..<10 {
                        _ = try store.update(opened) { current in
                            VaultChange(
                                payload: passphrase(
                                    String(decoding: bytes(current.payload!), as: UTF8.self) + "\(writer).\(change);"))
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let final = try store.open(with: .passphrase(passphrase(pass)))
        #expect(final.header.generation == 41)
        let entries = String(decoding: bytes(final.payload!), as: UTF8.self).split(separator: ";")
        #expect(entries.count == 40)
        #expect(Set(entries).count == 40)
    }

    @Test func busyLockTimesOutAsLocked() throws {
        let folder = TemporaryFolder()
        let (store, opened) = try makeVault(in: folder)
        let holder = try FileLock(path: store.lockPath, timeout: 1)
        let impatient = VaultStore(path: store.path, rollbackMemory: store.rollbackMemory, lockTimeout: 0.2)
        #expect(throws: StoreError.locked(path: store.lockPath, seconds: 0.2)) {
            try impatient.update(opened) { _ in VaultChange(payload: passphrase("x")) }
        }
        holder.release()
        #expect(try impatient.update(opened) { _ in VaultChange(payload: passphrase("x")) }.header.generation == 2)
    }

    @Test func replacedVaultIsNotOverwritten() throws {
        let folder = TemporaryFolder()
        let (store, opened) = try makeVault(in: folder)
        let other = TemporaryFolder()
        let (otherStore, _) = try makeVault(in: other, payload: "someone else's")
        let foreign = readFile(otherStore.path)
        try Data(foreign).write(to: URL(fileURLWithPath: store.path))
        #expect(throws: StoreError.vaultReplaced(path: store.path)) { try save(store, opened, "mine") }
        #expect(readFile(store.path) == foreign)
    }

    @Test func missingVaultSaysHowToCreateOne() {
        let folder = TemporaryFolder()
        let store = VaultStore(path: folder.file("none.nicv"), rollbackMemory: nil)
        #expect(throws: StoreError.vaultMissing(path: folder.file("none.nicv"))) {
            try store.open(with: .passphrase(passphrase(pass)))
        }
        #expect(StoreError.vaultMissing(path: "x").description.contains("nicvault init"))
    }

    @Test func recipientSlotsCanBeAddedAndRemoved() throws {
        let folder = TemporaryFolder()
        let (store, opened) = try makeVault(in: folder)
        let machine = try X25519PrivateKey()
        let added = try store.update(opened) { current in
            VaultChange(
                payload: current.payload!,
                slots: current.header.slots + [try RecipientSlot(wrapping: current.key, for: machine.publicKey)])
        }
        #expect(added.header.recipientSlots.count == 1)
        #expect(try store.open(with: .identity(machine)).header.generation == 2)
        _ = try store.update(added) { current in
            VaultChange(payload: current.payload!, slots: current.header.slots.filter { $0 is PassphraseSlot })
        }
        #expect(throws: SealedFileError.notARecipient) { try store.open(with: .identity(machine)) }
    }
}
