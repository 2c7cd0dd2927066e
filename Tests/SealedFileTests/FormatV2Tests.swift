import FormatVectors
import Foundation
import SealedFile
import Sodium
import Testing

@Suite("vault format v2")
struct FormatV2Tests {
    @Test func vectorsDocumentMatchesTheCode() throws {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/format-vectors-v2.md")
        let written = try String(contentsOf: docs, encoding: .utf8)
        #expect(written == (try FormatVectorsV2.document()), "docs/format-vectors-v2.md is stale: run make vectors")
    }

    @Test func positiveVectorsOpenToTheirIndexAndRecords() throws {
        for vector in try FormatVectorsV2.positives() {
            let opened = try VaultFormat.open(vector.bytes, with: try FormatVectorsV2.unlocker(vector.unlock))
            let records = try #require(opened.records, "\(vector.name)")
            #expect(opened.header.formatVersion == 2)
            #expect(bytes(opened.key.secureBytes) == vector.vaultKey, "\(vector.name)")
            #expect(String(decoding: bytes(try records.index), as: UTF8.self) == vector.index, "\(vector.name)")
            let texts = try records.records.indices.map { String(decoding: bytes(try records.open($0)), as: UTF8.self) }
            #expect(texts == vector.records, "\(vector.name)")
        }
        let third = try FormatVectorsV2.positives()[2]
        let parsed = try VaultFormat.open(third.bytes, with: try FormatVectorsV2.unlocker(third.unlock))
        #expect(parsed.header.generation == 3)
        #expect(parsed.records?.records.map(\.version) == [2, 3])
    }

    @Test func negativeVectorsAreRefusedWithTheirLabel() throws {
        let vectors = try FormatVectorsV2.negatives()
        for vector in vectors {
            do {
                let opened = try VaultFormat.open(vector.bytes, with: try FormatVectorsV2.unlocker(vector.unlock))
                // Records are opened when read: a damaged one is refused then.
                if let records = opened.records { for index in records.records.indices { _ = try records.open(index) } }
                Issue.record("\(vector.name) opened")
            } catch let error as SealedFileError {
                #expect(FormatVectors.label(error) == FormatVectors.label(vector.error), "\(vector.name): \(error)")
            }
        }
        // Every label of docs/format.md that a file can cause has a version 2 vector.
        let labels = Set(vectors.map { FormatVectors.label($0.error) })
        for label in [
            "truncated", "trailing-bytes", "header-checksum", "unsupported-version", "malformed-header",
            "unknown-slot-type", "unsupported-kdf", "kdf-parameters-out-of-range", "wrong-passphrase",
            "no-passphrase-slot", "not-a-recipient", "recipient-slot-damaged", "key-commitment", "manifest-damaged",
            "padding-damaged", "record-damaged",
        ] {
            #expect(labels.contains("`\(label)`"), "no v2 vector for \(label)")
        }
    }

    @Test func everyByteFlipOfAVersion2FileIsRefusedAsDamage() throws {
        let vector = try FormatVectorsV2.positives()[1]
        let key = try SymmetricKey(SecureBytes(copying: vector.vaultKey))
        for index in stride(from: 0, to: vector.bytes.count, by: 3) {
            var copy = vector.bytes
            copy[index] ^= 0x10
            do {
                let opened = try VaultFormat.open(copy, with: key)
                if let records = opened.records { for index in records.records.indices { _ = try records.open(index) } }
                Issue.record("byte \(index) flipped and the vault still opened")
            } catch let error as SealedFileError {
                var acceptable = error.isDamage || error == .notAVault
                if case .unsupportedVersion = error { acceptable = index == 8 || index == 9 }
                #expect(acceptable, "byte \(index): \(error)")
            }
        }
    }

    @Test func keptRecordsStayByteForByteAndNewOnesTakeTheGeneration() throws {
        let folder = TemporaryFolder()
        let store = VaultStore(
            path: folder.file("v.nicv"), rollbackMemory: RollbackMemory(directory: folder.file("state")))
        let a = [UInt8](repeating: 1, count: 16)
        let b = [UInt8](repeating: 2, count: 16)
        let created = try store.create(
            .records(
                index: .new(passphrase("two")),
                records: [
                    .seal(id: a, plaintext: passphrase("record a")), .seal(id: b, plaintext: passphrase("record b")),
                ])
        ) { key, id in
            [
                try PassphraseSlot(
                    wrapping: key, passphrase: passphrase("correct horse"), parameters: .interactive, vaultID: id)
            ]
        }
        let first = try #require(created.records)
        let saved = try store.update(created) { current in
            let records = current.records!
            return VaultChange(
                index: try records.index,
                records: [.keep(records.records[0]), .seal(id: b, plaintext: passphrase("record b, changed"))])
        }
        let second = try #require(saved.records)
        #expect(second.records[0].framed == first.records[0].framed)
        #expect(second.records.map(\.version) == [1, 2])
        #expect(String(decoding: bytes(try second.open(1)), as: UTF8.self) == "record b, changed")
        // Re-keying seals every record again, the kept one included, under the new key.
        let rekeyed = try store.update(saved) { current in
            let newKey = try SymmetricKey.random()
            let slot = try PassphraseSlot(
                wrapping: newKey, passphrase: passphrase("correct horse"), parameters: .interactive,
                vaultID: current.header.vaultID)
            return VaultChange(
                index: try current.records!.index, records: current.records!.records.map { .keep($0) }, slots: [slot],
                newKey: newKey)
        }
        #expect(rekeyed.records!.records.map(\.version) == [3, 3])
        #expect(String(decoding: bytes(try rekeyed.records!.open(0)), as: UTF8.self) == "record a")
        #expect(throws: SealedFileError.keyCommitmentMismatch) {
            try VaultFormat.open(readFile(store.path), with: created.key)
        }
    }

    /// A save whose file still holds the header and manifest it opened reads only that prefix; one whose file
    /// moved on (another save) reads and opens it again and applies its change to it; permissions and the
    /// rollback memory are checked either way.
    @Test func aSaveReadsTheWholeFileOnlyWhenItMovedOn() throws {
        let folder = TemporaryFolder()
        let a = [UInt8](repeating: 1, count: 16)
        let (store, created) = try recordStore(in: folder, [(a, "0")], passphrase: "correct horse")
        func appending(_ text: String) -> (OpenedVault) throws -> VaultChange {
            { current in
                let old = String(decoding: bytes(try current.records!.open(0)), as: UTF8.self)
                return VaultChange(
                    index: try current.records!.index, records: [.seal(id: a, plaintext: passphrase(old + text))])
            }
        }
        let second = try store.update(created, change: appending("1"))
        // From the stale open: the file moved on, so the change applies to generation 2.
        let third = try store.update(created, change: appending("2"))
        #expect(third.header.generation == 3)
        #expect(String(decoding: bytes(try third.records!.open(0)), as: UTF8.self) == "012")
        #expect(second.header.generation == 2)
        // From the current open: the shortcut, and the file opens to what it wrote.
        let fourth = try store.update(third, change: appending("3"))
        let reopened = try store.open(with: .passphrase(passphrase("correct horse")))
        #expect(reopened.header.generation == 4 && fourth.header.generation == 4)
        #expect(String(decoding: bytes(try reopened.records!.open(0)), as: UTF8.self) == "0123")
        chmod(store.path, 0o644)
        #expect(throws: StoreError.unsafePermissions(path: store.path, mode: 0o644)) {
            try store.update(fourth, change: appending("4"))
        }
        chmod(store.path, 0o600)
        // A file put back to an older generation under the command: the rollback memory refuses the save.
        let older = try Data(contentsOf: URL(fileURLWithPath: store.backupPath))
        let current = try Data(contentsOf: URL(fileURLWithPath: store.path))
        try older.write(to: URL(fileURLWithPath: store.path))
        #expect(throws: StoreError.self) { try store.update(fourth, change: appending("4")) }
        try current.write(to: URL(fileURLWithPath: store.path))
        #expect(try store.update(fourth, change: appending("4")).header.generation == 5)
    }

    /// The file store reads a version 2 file's header and manifest and leaves the records in the file until they
    /// are asked for: every vector, positive or negative, opens (or is refused with its label) through it exactly
    /// as through the reader of whole files.
    @Test func theFileStoreReadsEveryVectorAsTheWholeFileReaderDoes() throws {
        let folder = TemporaryFolder()
        func write(_ bytes: [UInt8]) throws -> VaultStore {
            let path = folder.file("v.nicv")
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            chmod(path, 0o600)
            return VaultStore(path: path, rollbackMemory: nil)
        }
        for vector in try FormatVectorsV2.positives() {
            let opened = try write(vector.bytes).open(with: try FormatVectorsV2.unlocker(vector.unlock))
            let records = try #require(opened.records, "\(vector.name)")
            #expect(String(decoding: bytes(try records.index), as: UTF8.self) == vector.index, "\(vector.name)")
            let texts = try records.records.indices.map { String(decoding: bytes(try records.open($0)), as: UTF8.self) }
            #expect(texts == vector.records, "\(vector.name)")
        }
        for vector in try FormatVectorsV2.negatives() {
            do {
                let opened = try write(vector.bytes).open(with: try FormatVectorsV2.unlocker(vector.unlock))
                if let records = opened.records { for index in records.records.indices { _ = try records.open(index) } }
                Issue.record("\(vector.name) opened")
            } catch let error as SealedFileError {
                #expect(FormatVectors.label(error) == FormatVectors.label(vector.error), "\(vector.name): \(error)")
            }
        }
    }

    /// A version 2 file put back to an older generation is refused at the open ("went back in time"), now that
    /// the open reads only its header and manifest: the rollback memory is found by the parsed header's vault id.
    @Test func aVersion2FilePutBackIsRefusedAtTheOpen() throws {
        let folder = TemporaryFolder()
        let id = [UInt8](repeating: 7, count: 16)
        let (store, created) = try recordStore(in: folder, [(id, "first")], passphrase: "pw")
        let generationOne = readFile(store.path)
        _ = try store.update(created) { current in
            VaultChange(
                index: try current.records!.index, records: [.seal(id: id, plaintext: passphrase("second"))])
        }
        try Data(generationOne).write(to: URL(fileURLWithPath: store.path))
        do {
            _ = try store.open(with: .passphrase(passphrase("pw")))
            Issue.record("generation 1 put back opened")
        } catch let error as StoreError {
            guard case .rollback(_, let found, let remembered) = error else { throw error }
            #expect(found == 1 && remembered == 2)
        }
        #expect(try store.open(with: .passphrase(passphrase("pw")), acceptRollback: true).header.generation == 1)
    }

    /// A save from an open whose records were never read (they stay in the file) writes every record: the kept
    /// ones are read from the file the command opened. Before that, such a save wrote a file without them.
    @Test func aSaveKeepsTheRecordsItNeverRead() throws {
        let folder = TemporaryFolder()
        let ids = (1...3).map { [UInt8](repeating: UInt8($0), count: 16) }
        let (store, _) = try recordStore(
            in: folder, ids.enumerated().map { ($1, "record \($0)") }, passphrase: "pw")
        let opened = try store.open(with: .passphrase(passphrase("pw")))
        let saved = try store.update(opened) { current in
            let records = current.records!.records
            return VaultChange(
                index: try current.records!.index,
                records: [.keep(records[0]), .seal(id: ids[1], plaintext: passphrase("changed")), .keep(records[2])])
        }
        #expect(saved.header.generation == 2)
        let reopened = try store.open(with: .passphrase(passphrase("pw")))
        let texts = try (0..<3).map { String(decoding: bytes(try reopened.records!.open($0)), as: UTF8.self) }
        #expect(texts == ["record 0", "changed", "record 2"])
        #expect(reopened.records!.records.map(\.version) == [1, 2, 1])
    }

    /// A save copies the records it keeps from the file it replaces (in the kernel) and writes from memory only
    /// the header, the manifest and the records it sealed; the new file opens to every record, and a second save
    /// from the first one's result (whose kept records are still read from the replaced file) does too.
    @Test func aSaveCopiesTheRecordsItKeepsAndWritesOnlyWhatItSealed() throws {
        let folder = TemporaryFolder()
        let ids = (1...40).map { [UInt8](repeating: UInt8($0), count: 16) }
        let texts = ids.indices.map { "record \($0) " + String(repeating: "x", count: 900) }
        let (base, _) = try recordStore(in: folder, Array(zip(ids, texts)), passphrase: "pw")
        let counting = CountingFileSystem()
        let store = VaultStore(path: base.path, fileSystem: counting, rollbackMemory: base.rollbackMemory)
        let opened = try store.open(with: .passphrase(passphrase("pw")))
        let lengths = opened.records!.records.map(\.length)
        func changing(_ position: Int, to text: String) -> (OpenedVault) throws -> VaultChange {
            { current in
                let records = current.records!.records
                return VaultChange(
                    index: try current.records!.index,
                    records: records.indices.map {
                        $0 == position ? .seal(id: ids[$0], plaintext: passphrase(text)) : .keep(records[$0])
                    })
            }
        }
        let saved = try store.update(opened, change: changing(7, to: "changed"))
        let keptLength = lengths.reduce(0, +) - lengths[7]
        #expect(counting.copied == keptLength)
        let file = readFile(store.path)
        let manifestEnd = file.count - saved.records!.records.reduce(0) { $0 + $1.length }
        #expect(counting.written == file.count - keptLength)
        #expect(counting.written == manifestEnd + saved.records!.records[7].length)
        // The second save copies from the first file (now the backup), which its result still reads from.
        counting.reset()
        let again = try store.update(saved, change: changing(30, to: "changed too"))
        // The record the first save sealed is still in memory: written again, not copied.
        #expect(counting.copied == keptLength - lengths[30])
        let reopened = try VaultStore(path: store.path, rollbackMemory: base.rollbackMemory).open(
            with: .passphrase(passphrase("pw")))
        let read = try ids.indices.map { String(decoding: bytes(try reopened.records!.open($0)), as: UTF8.self) }
        var expected = texts
        expected[7] = "changed"
        expected[30] = "changed too"
        #expect(read == expected)
        #expect(reopened.records!.records.map(\.version) == ids.indices.map { $0 == 7 ? 2 : $0 == 30 ? 3 : 1 })
        #expect(again.header.generation == 3)
    }

    /// A save that copies kept records and fails at any step (the disk full in the middle of the copy included)
    /// leaves the generation it would have replaced, whole.
    @Test(arguments: SaveStep.allCases)
    func aSaveCopyingKeptRecordsFailingAtAnyStepLeavesTheLastGeneration(step: SaveStep) throws {
        let folder = TemporaryFolder()
        let ids = (1...12).map { [UInt8](repeating: UInt8($0), count: 16) }
        let texts = ids.indices.map { "record \($0) " + String(repeating: "y", count: 3000) }
        let (base, _) = try recordStore(in: folder, Array(zip(ids, texts)), passphrase: "pw")
        let code = step == .sync || step == .syncDirectory ? EIO : ENOSPC
        let faulty = VaultStore(
            path: base.path, fileSystem: FaultyFileSystem(failing: step, code: code),
            rollbackMemory: base.rollbackMemory, lockTimeout: 5)
        let opened = try base.open(with: .passphrase(passphrase("pw")))
        #expect(throws: StoreError.self) {
            try faulty.update(opened) { current in
                let records = current.records!.records
                return VaultChange(
                    index: try current.records!.index,
                    records: records.indices.map {
                        $0 == 5 ? .seal(id: ids[$0], plaintext: passphrase("changed")) : .keep(records[$0])
                    })
            }
        }
        let now = try base.open(with: .passphrase(passphrase("pw")))
        let read = try ids.indices.map { String(decoding: bytes(try now.records!.open($0)), as: UTF8.self) }
        var expected = texts
        if step == .syncDirectory { expected[5] = "changed" }  // renamed in place, only its durability unknown
        #expect(read == expected)
        #expect(now.header.generation == (step == .syncDirectory ? 2 : 1))
    }

    @Test func aRecordIDKeepsItsBytesAndAListingFindsVersionsByID() {
        let ids: [[UInt8]] = [Array(0..<16), Array(repeating: 0xFF, count: 16), (0..<16).map { UInt8($0 * 17) }]
        for id in ids { #expect(RecordID(id).bytes == id) }
        #expect(RecordID(ids[0]) != RecordID(ids[2]))
        // A slice that does not start at 0 reads from its own start.
        let flat = ids.flatMap { $0 }
        #expect(RecordID(flat[16..<32]) == RecordID(ids[1]))
        final class NoSource: RecordSource {
            func read(_ records: [(id: RecordID, version: UInt64, position: Int?)]) throws -> [ArraySlice<UInt8>] { [] }
        }
        let listing = RecordListing(ids: flat, versions: [3, 1, 2], lengths: [300, 200, 100], source: NoSource())
        #expect(listing.count == 3)
        #expect(listing.id(2).elementsEqual(ids[2]))
        #expect(listing.versionsByID == [RecordID(ids[0]): 3, RecordID(ids[1]): 1, RecordID(ids[2]): 2])
        #expect(listing.totalLength == 600)
    }
}

@Suite("records opened a chunk at a time")
struct RecordChunkTests {
    /// `forEachChunk` hands every record's plaintext once, in the order asked, whatever the chunk size: records
    /// smaller than a chunk share one, a record larger than the chunk gets one of its own.
    @Test func everyRecordComesOnceInOrderWhateverTheChunk() throws {
        let folder = TemporaryFolder()
        let texts = [10, 3000, 1, 200, 5000, 64, 700].enumerated().map { index, size in
            String(repeating: String(UnicodeScalar(UInt8(97 + index))), count: size)
        }
        let (_, opened) = try recordStore(
            in: folder, texts.enumerated().map { ([UInt8](repeating: UInt8($0.offset + 1), count: 16), $0.element) },
            passphrase: "correct horse")
        let records = try #require(opened.records)
        let order = [6, 0, 4, 1, 1, 3, 5, 2]
        for chunkBytes in [1, 256, 4096, 1 << 20] {
            var seen: [String] = []
            var chunks = 0
            try records.forEachChunk(of: order, chunkBytes: chunkBytes) { chunk, plaintexts, ranges in
                chunks += 1
                #expect(chunk.count == ranges.count)
                for range in ranges {
                    seen.append(String(decoding: UnsafeRawBufferPointer(rebasing: plaintexts[range]), as: UTF8.self))
                }
            }
            #expect(seen == order.map { texts[$0] }, "chunk \(chunkBytes)")
            // The buffer is never smaller than the largest record: below that, records share it as they fit.
            if chunkBytes == 1 { #expect(chunks > 1 && chunks < order.count) }
            if chunkBytes == 1 << 20 { #expect(chunks == 1) }
        }
    }
}

/// A version 2 vault in `folder` (rollback memory beside it) holding `records` (id, text), with one passphrase slot
/// at INTERACTIVE cost.
private func recordStore(
    in folder: TemporaryFolder, _ records: [(id: [UInt8], text: String)], passphrase pass: String
) throws -> (VaultStore, OpenedVault) {
    let store = VaultStore(path: folder.file("v.nicv"), rollbackMemory: RollbackMemory(directory: folder.file("state")))
    let created = try store.create(
        .records(
            index: .new(passphrase("index")), records: records.map { .seal(id: $0.id, plaintext: passphrase($0.text)) })
    ) { key, id in
        [try PassphraseSlot(wrapping: key, passphrase: passphrase(pass), parameters: .interactive, vaultID: id)]
    }
    return (store, created)
}
