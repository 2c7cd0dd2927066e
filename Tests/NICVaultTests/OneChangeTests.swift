import Foundation
import GST
import SealedFile
import Sodium
import TestSupport
import Testing

@testable import NICVault

/// A change to one credential of a version 2 vault: the credential's record and the log's are sealed again where
/// they stand, every other record is kept, and the index (which names them all) is the same bytes when no record
/// came or went.
@Suite("a change to one credential")
struct OneChangeTests {
    @Test func aChangedCredentialStaysInPlaceAndTheIndexIsNotWrittenAgain() throws {
        let box = try LookupTests().filled()
        let entries = box.vault.index.entries
        let index = box.vault.index.set!.withIndex { Array($0) }
        let ids = box.vault.opened.records!.records.map { Array($0.id) }
        let key = CredentialKey(environment: .sandbox, gstin: gstin("29AAGCB1286Q1Z3"), kind: .portal)
        try box.vault.update(key, expectedVersion: try box.vault.credential(key).version) { $0.userID = "CHANGED" }
        #expect(box.vault.index.entries == entries)
        #expect(box.vault.index.set!.withIndex { Array($0) } == index)
        let saved = box.vault.opened.records!.records
        #expect(saved.map { Array($0.id) } == ids)
        let position = try #require(entries.firstIndex(of: .credential(key)))
        let log = try #require(entries.firstIndex(of: .log))
        // Only the credential and the log were sealed at the new generation.
        let generation = box.vault.opened.header.generation
        #expect(saved.indices.filter { saved[$0].version == generation } == [position, log].sorted())
        let reopened = try Vault.open(store: box.store, key: box.vault.opened.key)
        #expect(reopened.index.entries == entries)
        #expect(try reopened.credential(key).userID == "CHANGED")
        #expect(try reopened.logEntries().last?.action.contains("changed") == true)

        // A new credential comes last and the index names it; a removed one leaves it.
        let added = Credential(
            environment: .sandbox, gstin: gstin("24AAACC1206D1ZM"), kind: .portal, legalName: "New Trader",
            userID: "NEWUSER", password: secret("New@word1"), createdAt: box.clock.now())
        try box.vault.add(added)
        #expect(box.vault.index.entries == entries + [.credential(added.key)])
        try box.vault.remove(key, expectedVersion: try box.vault.credential(key).version)
        let remaining = entries.filter { $0 != .credential(key) } + [.credential(added.key)]
        #expect(box.vault.index.entries == remaining)
        let again = try Vault.open(store: box.store, key: box.vault.opened.key)
        #expect(again.index.entries == remaining)
        #expect(try again.credential(added.key).userID == "NEWUSER")
    }
}
