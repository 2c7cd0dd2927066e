import GST
import NICVault
import Sodium
import Testing

@Suite("bech32 and age's key encodings")
struct AgeKeysTests {
    @Test func bip173VectorsDecode() {
        // Valid strings from BIP 173, upper or lower case.
        for valid in [
            "A12UEL5L", "a12uel5l", "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
            "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w", "?1ezyfcl",
        ] {
            #expect(Bech32.decode(valid) != nil, "\(valid)")
        }
        // Invalid: no separator, mixed case, a broken checksum, a character outside the set.
        for invalid in ["pzry9x0s0muk", "A1G7SGD8", "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxx", "a1b2c3d4e5"] {
            #expect(Bech32.decode(invalid) == nil, "\(invalid)")
        }
        #expect(Bech32.decode("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw")?.hrp == "abcdef")
    }

    @Test func identitiesAndRecipientsRoundTrip() throws {
        let key = try X25519PrivateKey()
        let file = try AgeKeys.identityFile(key, created: Timestamp.current())
        #expect(file.contains("AGE-SECRET-KEY-1") && file.contains("# public key: age1"))
        let back = try AgeKeys.parseIdentityFile(file)
        #expect(back.publicKey == key.publicKey)
        let recipient = AgeKeys.recipient(key.publicKey)
        #expect(recipient.hasPrefix("age1") && recipient.count == 62)
        #expect(AgeKeys.parseRecipient(recipient) == key.publicKey)
        #expect(AgeKeys.parseRecipient("age1" + String(recipient.dropFirst(5))) == nil)
        #expect(throws: VaultError.self) { try AgeKeys.parseIdentityFile("# nothing here\n") }
    }

    @Test func aRecipientIsAgeOrAnSSHLineAndAnythingElseSaysWhatToGive() throws {
        let key = try X25519PrivateKey()
        let age = try Recipients.parseOrExplain("  " + AgeKeys.recipient(key.publicKey) + "\n")
        #expect(age.key == key.publicKey && age.sshText == nil)
        // A public key line as ssh-keygen writes it (made for this test), comment and all: the vault keeps
        // its type and key.
        let line = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAII7HVcAaU7DkFdZxButNmcIrCR1jaq/eytm0WzSPdhna asha@laptop"
        let ssh = try Recipients.parseOrExplain(line)
        #expect(ssh.sshText == "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAII7HVcAaU7DkFdZxButNmcIrCR1jaq/eytm0WzSPdhna")
        #expect(ssh.key == Recipients.parse(line))
        for junk in ["", "age1nothing", "ssh-rsa AAAAB3NzaC1yc2E", "AGE-SECRET-KEY-1QQQQ"] {
            #expect(throws: VaultError.badRecipient) { try Recipients.parseOrExplain(junk) }
        }
    }
}
