import FormatVectors
import Foundation
import SealedFile
import Sodium
import Testing

@Suite("vault format v1")
struct FormatTests {
    @Test func vectorsDocumentMatchesTheCode() throws {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/format-vectors.md")
        let written = try String(contentsOf: docs, encoding: .utf8)
        #expect(written == (try FormatVectors.document()), "docs/format-vectors.md is stale: run make vectors")
    }

    @Test func positiveVectorsOpen() throws {
        for vector in try FormatVectors.positives() {
            let opened = try VaultFormat.open(vector.bytes, with: .passphrase(passphrase(FormatVectors.passphrase)))
            #expect(String(decoding: bytes(opened.payload!), as: UTF8.self) == vector.payload, "\(vector.name)")
            #expect(bytes(opened.key.secureBytes) == vector.vaultKey)
            #expect(opened.header.generation == 1)
        }
    }

    @Test func recipientVectorOpensWithTheIdentity() throws {
        let vector = try FormatVectors.positives()[2]
        let identity = try X25519PrivateKey(seed: SecureBytes(copying: FormatVectors.recipientSeed))
        let opened = try VaultFormat.open(vector.bytes, with: .identity(identity))
        #expect(String(decoding: bytes(opened.payload!), as: UTF8.self) == vector.payload)
        #expect(throws: SealedFileError.notARecipient) {
            try VaultFormat.open(vector.bytes, with: .identity(X25519PrivateKey()))
        }
    }

    @Test func negativeVectorsAreRefusedWithTheirError() throws {
        for vector in try FormatVectors.negatives() {
            #expect(throws: vector.error, "\(vector.name)") {
                try VaultFormat.open(vector.bytes, with: .passphrase(passphrase(vector.passphrase)))
            }
        }
    }

    @Test func headerSerializesBackToTheSameBytes() throws {
        for vector in try FormatVectors.positives() {
            let parsed = try VaultFormat.parse(vector.bytes)
            #expect(parsed.header.serialized() == parsed.headerBytes)
            #expect(parsed.headerBytes + parsed.ciphertext == vector.bytes)
        }
    }

    @Test func everyHeaderByteFlipIsDamageNotAWrongPassphrase() throws {
        let base = try FormatVectors.positives()[0].bytes
        let headerLength = try VaultFormat.parse(base).headerBytes.count
        for index in 0..<headerLength {
            var copy = base
            copy[index] ^= 0x10
            do {
                _ = try VaultFormat.open(copy, with: .passphrase(passphrase(FormatVectors.passphrase)))
                Issue.record("byte \(index) flipped and the vault still opened")
            } catch let error as SealedFileError {
                var acceptable = error.isDamage || error == .notAVault
                if case .unsupportedVersion = error { acceptable = index == 8 || index == 9 }
                #expect(acceptable, "byte \(index): \(error)")
                #expect(error != .wrongPassphrase, "byte \(index)")
            }
        }
    }

    @Test func everyTruncationIsRefusedAsTruncated() throws {
        let base = try FormatVectors.positives()[0].bytes
        for length in stride(from: 1, to: base.count, by: 7) {
            #expect(throws: SealedFileError.self) { try VaultFormat.parse(Array(base.prefix(length))) }
            do {
                _ = try VaultFormat.parse(Array(base.prefix(length)))
            } catch {
                if case .truncated = error {} else { Issue.record("length \(length): \(error)") }
            }
        }
        #expect(throws: SealedFileError.notAVault) { try VaultFormat.parse([]) }
    }

    @Test func sealUsesAFreshNonceEverySave() throws {
        let key = try SymmetricKey.random()
        let header = VaultHeader(
            vaultID: Array(repeating: 1, count: 16), generation: 1,
            slots: [try RecipientSlot(wrapping: key, for: X25519PrivateKey().publicKey)])
        let payload = passphrase("same payload")
        let first = try VaultFormat.seal(payload, key: key, header: header)
        let second = try VaultFormat.seal(payload, key: key, header: header)
        #expect(try VaultFormat.parse(first).header.payloadNonce != VaultFormat.parse(second).header.payloadNonce)
    }

    @Test func fileSizeHidesTheExactPayloadLength() throws {
        let key = try SymmetricKey.random()
        let header = VaultHeader(
            vaultID: Array(repeating: 1, count: 16), generation: 1,
            slots: [try RecipientSlot(wrapping: key, for: X25519PrivateKey().publicKey)])
        let sizes = try [10, 200, 400].map {
            try VaultFormat.seal(passphrase(String(repeating: "x", count: $0)), key: key, header: header).count
        }
        #expect(Set(sizes).count == 1)
    }

    @Test func writerRefusesInvalidHeaders() throws {
        let key = try SymmetricKey.random()
        let noSlots = VaultHeader(vaultID: Array(repeating: 1, count: 16), generation: 1, slots: [])
        #expect(throws: SealedFileError.self) { try VaultFormat.seal(passphrase("x"), key: key, header: noSlots) }
        let recipient = try X25519PrivateKey().publicKey
        let twice = VaultHeader(
            vaultID: Array(repeating: 1, count: 16), generation: 1,
            slots: [try RecipientSlot(wrapping: key, for: recipient), try RecipientSlot(wrapping: key, for: recipient)])
        #expect(throws: SealedFileError.invalidArgument("a recipient appears twice")) {
            try VaultFormat.seal(passphrase("x"), key: key, header: twice)
        }
    }
}
