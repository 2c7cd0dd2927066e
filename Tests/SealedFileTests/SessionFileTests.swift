import FormatVectors
import SealedFile
import Sodium
import Testing

/// The session file's reader and writer (docs/format.md, "The session file"), with a deterministic vector.
@Suite("session file format")
struct SessionFileTests {
    /// The session of the "empty" format vector, sealed from fixed seeds.
    func vector() throws -> (file: SessionFile, sessionKey: SymmetricKey, id: [UInt8], vaultKey: [UInt8]) {
        let empty = try #require(FormatVectors.positives().first { $0.name == "empty" })
        let header = try VaultFormat.parse(empty.bytes).header
        let random = DeterministicRandom(label: "session")
        let id = random.bytes(count: 16)
        let sessionKey = try SymmetricKey(SecureBytes(copying: random.bytes(count: 32)))
        let file = try SessionFile.seal(
            vaultKey: SymmetricKey(SecureBytes(copying: empty.vaultKey)), sessionKey: sessionKey, id: id,
            vault: header, expiry: 1_795_000_000, random: random)
        return (file, sessionKey, id, empty.vaultKey)
    }

    @Test func roundTripOpensToTheVaultKey() throws {
        let (file, sessionKey, id, vaultKey) = try vector()
        let bytes = file.serialized()
        #expect(bytes.count == SessionFile.byteCount)
        #expect(Array(bytes.prefix(9)) == Array("NICVSESS".utf8) + [1])
        let parsed = try SessionFile.parse(bytes)
        #expect(parsed == file)
        let key = try parsed.open(sessionKey: sessionKey, id: id)
        #expect(key.withUnsafeBytes { Array($0) } == vaultKey)
        // Deterministic: the same seeds give the same bytes.
        #expect(try vector().file.serialized() == bytes)
    }

    @Test func everyFaultHasItsError() throws {
        let (file, sessionKey, id, _) = try vector()
        let bytes = file.serialized()
        #expect(throws: SessionFileError.wrongLength(10)) { try SessionFile.parse(Array(bytes.prefix(10))) }
        var foreign = bytes
        foreign[0] = 0x58
        #expect(throws: SessionFileError.notASession) { try SessionFile.parse(foreign) }
        var future = bytes
        future[8] = 2
        #expect(throws: SessionFileError.unsupportedVersion(2)) { try SessionFile.parse(future) }
        for index in [9, 40, 60, SessionFile.headerByteCount + 3, bytes.count - 1] {
            var flipped = bytes
            flipped[index] ^= 0x01
            #expect(throws: SessionFileError.damaged) {
                try SessionFile.parse(flipped).open(sessionKey: sessionKey, id: id)
            }
        }
        #expect(throws: SessionFileError.damaged) {
            try SessionFile.parse(bytes).open(sessionKey: sessionKey, id: [UInt8](repeating: 0, count: 16))
        }
    }
}
