import SealedFile
import Sodium
import Testing

/// How a save names the records it keeps: runs of the opened set's own records.
@Suite("record writes")
struct RecordWriteTests {
    /// Five stand-in records whose ids are 1 to 5 (their bytes are never opened here).
    let records = (1...5).map { number in
        SealedRecord(
            id: ([UInt8](repeating: 0, count: 15) + [UInt8(number)])[...], version: 1,
            hash: [UInt8](repeating: 0, count: 32)[...], framed: [])
    }

    /// Each write as text: "k<id>" per kept record (runs joined by "|"), "s<first id byte>" per sealed one.
    func describe(_ writes: [RecordWrite]) -> String {
        writes.map { write in
            switch write {
            case .kept(let run): run.map { "k\($0.id.last!)" }.joined(separator: ",")
            case .seal(let id, _, _): "s\(id.last!)"
            }
        }.joined(separator: "|")
    }

    func sealing(_ number: UInt8) throws -> RecordWrite {
        .seal(id: [UInt8](repeating: 0, count: 15) + [number], plaintext: try SecureBytes(copying: [number]))
    }

    @Test func oneChangeKeepsTheRestInRuns() throws {
        #expect(describe(RecordWrite.keeping(records, replacing: [:])) == "k1,k2,k3,k4,k5")
        #expect(
            describe(RecordWrite.keeping(records, replacing: [2: [try sealing(3)], 4: [try sealing(5)]]))
                == "k1,k2|s3|k4|s5")
        #expect(describe(RecordWrite.keeping(records, replacing: [0: [try sealing(1)]])) == "s1|k2,k3,k4,k5")
        // Removed (no writes for it), and a position past the end ignored.
        #expect(describe(RecordWrite.keeping(records, replacing: [1: [], 9: [try sealing(9)]])) == "k1|k3,k4,k5")
    }

    @Test func keptRecordsJoinTheRunTheyFollow() throws {
        var writes: [RecordWrite] = []
        for position in [0, 1, 2] { RecordWrite.append(keeping: position, of: records, to: &writes) }
        writes.append(try sealing(9))
        for position in [4, 3] { RecordWrite.append(keeping: position, of: records, to: &writes) }
        #expect(describe(writes) == "k1,k2,k3|s9|k5|k4")
        #expect(writes.flatMap { Array($0.keptRecords) }.map { $0.id.last! } == [1, 2, 3, 5, 4])
    }
}
