import Sodium
import Testing

private func hex(_ text: String) -> [UInt8] { Hex.decode(text)! }

@Suite("libsodium face")
struct SodiumTests {
    // draft-irtf-cfrg-xchacha-03, appendix A.3.1 (AEAD_XChaCha20_Poly1305).
    @Test func xchachaKnownAnswer() throws {
        let key = try SymmetricKey(
            SecureBytes(copying: hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f")))
        let nonce = hex("404142434445464748494a4b4c4d4e4f5051525354555657")
        let aad = hex("50515253c0c1c2c3c4c5c6c7")
        let plaintext = Array(
            "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it."
                .utf8)
        let expected = hex(
            "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff921f9664c97637da9768812f615c68b13b52e"
                + "c0875924c1c7987947deafd8780acf49")
        let sealed = try XChaCha20Poly1305.seal(
            SecureBytes(copying: plaintext), using: key, nonce: nonce, authenticating: aad)
        #expect(sealed == expected)
        let opened = try XChaCha20Poly1305.open(sealed, using: key, nonce: nonce, authenticating: aad)
        #expect(opened.withUnsafeBytes { Array($0) } == plaintext)
    }

    @Test func xchachaRefusesAnyChange() throws {
        let key = try SymmetricKey.random()
        let nonce = XChaCha20Poly1305.randomNonce()
        let sealed = try XChaCha20Poly1305.seal(
            SecureBytes(copying: Array("secret".utf8)), using: key, nonce: nonce, authenticating: [1, 2, 3])
        #expect(throws: SodiumError.authenticationFailed) {
            try XChaCha20Poly1305.open(sealed, using: key, nonce: nonce, authenticating: [1, 2, 4])
        }
        var flipped = sealed
        flipped[0] ^= 1
        #expect(throws: SodiumError.authenticationFailed) {
            try XChaCha20Poly1305.open(flipped, using: key, nonce: nonce, authenticating: [1, 2, 3])
        }
        #expect(throws: SodiumError.authenticationFailed) {
            try XChaCha20Poly1305.open(sealed, using: SymmetricKey.random(), nonce: nonce, authenticating: [1, 2, 3])
        }
        #expect(throws: SodiumError.authenticationFailed) {
            try XChaCha20Poly1305.open(Array(sealed.prefix(10)), using: key, nonce: nonce, authenticating: [1, 2, 3])
        }
    }

    @Test func xchachaEmptyMessage() throws {
        let key = try SymmetricKey.random()
        let nonce = XChaCha20Poly1305.randomNonce()
        let sealed = try XChaCha20Poly1305.seal(SecureBytes(copying: []), using: key, nonce: nonce, authenticating: [])
        #expect(sealed.count == 16)
        #expect(try XChaCha20Poly1305.open(sealed, using: key, nonce: nonce, authenticating: []).count == 0)
    }

    // Cross-checked with the Argon2 reference implementation (argon2-cffi, type ID, version 0x13, 1 lane).
    @Test func argon2idMatchesReferenceImplementation() throws {
        let key = try Argon2id.deriveKey(
            from: SecureBytes(copying: Array("correct horse battery staple".utf8)), salt: Array(0..<16),
            parameters: .interactive)
        #expect(
            key.withUnsafeBytes { Array($0) }
                == hex("c05ce4c4dd7e0e45ee6011cc59d068ade47df1b01fc0cf9cd4678bdf68a5b7b0"))
        let second = try Argon2id.deriveKey(
            from: SecureBytes(copying: Array("password".utf8)), salt: Array("somesaltsomesalt".utf8),
            parameters: Argon2idParameters(opsLimit: 3, memLimit: 64 << 20))
        #expect(
            second.withUnsafeBytes { Array($0) }
                == hex("7664ad4ba1a3c999fcdd0991ffc2270f78302d2383233db5e7befc85d1bb1819"))
    }

    @Test func argon2idRejectsWrongSalt() {
        #expect(throws: SodiumError.wrongLength(what: "salt", expected: 16, actual: 3)) {
            try Argon2id.deriveKey(from: SecureBytes(copying: [1]), salt: [1, 2, 3], parameters: .interactive)
        }
    }

    // RFC 7748, section 6.1: Alice's key pair.
    @Test func x25519KnownAnswer() throws {
        let secret = try SecureBytes(
            copying: hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"))
        let key = try X25519PrivateKey(rawRepresentation: secret)
        #expect(
            key.publicKey.rawRepresentation
                == hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"))
    }

    @Test func sealedBoxRoundTripAndRefusal() throws {
        let alice = try X25519PrivateKey()
        let mallory = try X25519PrivateKey()
        let message = try SecureBytes(copying: Array("vault key".utf8))
        let box = try SealedBox.seal(message, to: alice.publicKey)
        #expect(box.count == message.count + SealedBox.overheadByteCount)
        #expect(try SealedBox.open(box, with: alice).constantTimeEquals(message))
        #expect(throws: SodiumError.sealedBoxOpenFailed) { try SealedBox.open(box, with: mallory) }
    }

    @Test func deterministicSealedBoxIsACryptoBoxSeal() throws {
        let alice = try X25519PrivateKey(seed: SecureBytes(copying: [UInt8](repeating: 7, count: 32)))
        let message = try SecureBytes(copying: Array("vault key".utf8))
        let seed = try SecureBytes(copying: [UInt8](repeating: 9, count: 32))
        let first = try SealedBox.seal(message, to: alice.publicKey, ephemeralSeed: seed)
        let second = try SealedBox.seal(message, to: alice.publicKey, ephemeralSeed: seed)
        #expect(first == second)
        // libsodium's own crypto_box_seal_open accepts it.
        #expect(try SealedBox.open(first, with: alice).constantTimeEquals(message))
    }

    // BLAKE2b test vectors from the BLAKE2 reference (RFC 7693 appendix A for "abc").
    @Test func blake2bKnownAnswers() {
        #expect(
            BLAKE2b.hash(Array("abc".utf8), outputByteCount: 64)
                == hex(
                    "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923"
                ))
        #expect(
            BLAKE2b.hash([], outputByteCount: 64)
                == hex(
                    "786a02f742015903c6c6fd852552d272912f4740e15847618a86e217f71f5419d25e1031afee585313896444934eb04b903a685b1448b755d56f701afe9be2ce"
                ))
    }

    @Test(arguments: [0, 1, 510, 511, 512, 8191, 8192, 100_000, 1_000_000])
    func paddingRoundTripAndBucket(length: Int) throws {
        let content = try SecureBytes(copying: [UInt8](repeating: 0x41, count: length))
        let padded = try Padding.pad(content)
        #expect(padded.count == Padding.paddedLength(for: length))
        #expect(padded.count > length)
        #expect(padded.count % Padding.minimumBucket == 0)
        #expect(Double(padded.count - length) <= max(512, Double(length) * 0.0625 + 1))
        #expect(try padded.withUnsafeBytes { try Padding.unpaddedLength(of: $0) } == length)
    }

    /// Unpadding scans only the last bucket; it must give the answer a scan of the whole buffer gives, for
    /// canonical padding and for every way it can be wrong (marker a bucket too far back, none, content ending
    /// in 0x80 or zeros), with both the payload's and the records' smallest bucket.
    @Test(arguments: [128, 512])
    func unpaddingTheLastBucketAgreesWithAWholeScan(minimumBucket: Int) throws {
        func wholeScan(_ bytes: [UInt8]) -> Int? {
            guard let last = bytes.lastIndex(where: { $0 != 0 }), bytes[last] == 0x80,
                Padding.paddedLength(for: last, minimumBucket: minimumBucket) == bytes.count
            else { return nil }
            return last
        }
        var generator = SystemRandomNumberGenerator()
        for length in [0, 1, 126, 127, 128, 2046, 2047, 2048, 8191, 8192, 40_000, 70_000] {
            let size = Padding.paddedLength(for: length, minimumBucket: minimumBucket)
            for trial in 0..<24 {
                var bytes = (0..<size).map { _ in UInt8.random(in: 1...255, using: &generator) }
                // The marker at the canonical place, one bucket or a random distance further back, or nowhere.
                let marker: Int? =
                    switch trial % 4 {
                    case 0: length
                    case 1: max(0, length - minimumBucket)
                    case 2: Int.random(in: 0..<size, using: &generator)
                    default: nil
                    }
                if let marker {
                    bytes[marker] = 0x80
                    for index in (marker + 1)..<size { bytes[index] = 0 }
                } else if trial % 8 == 3 {
                    for index in 0..<size { bytes[index] = 0 }
                }
                let expected = wholeScan(bytes)
                let found = try? bytes.withUnsafeBytes {
                    try Padding.unpaddedLength(of: $0, minimumBucket: minimumBucket)
                }
                #expect(found == expected, "length \(length), trial \(trial)")
            }
        }
    }

    @Test func paddingRefusesDamage() throws {
        let zeros = [UInt8](repeating: 0, count: 512)
        #expect(throws: SodiumError.invalidPadding) { try zeros.withUnsafeBytes { try Padding.unpaddedLength(of: $0) } }
        // A marker in the right form, but at a length that is not canonical for 512 bytes.
        var early = zeros
        early[0] = 0x80
        #expect(try early.withUnsafeBytes { try Padding.unpaddedLength(of: $0) } == 0)
        var wrongBucket = [UInt8](repeating: 0, count: 1024)
        wrongBucket[10] = 0x80
        #expect(throws: SodiumError.invalidPadding) {
            try wrongBucket.withUnsafeBytes { try Padding.unpaddedLength(of: $0) }
        }
    }

    @Test func constantTimeComparison() throws {
        #expect(ConstantTime.equals([1, 2, 3], [1, 2, 3]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2, 4]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2]))
        #expect(ConstantTime.equals([], []))
        let a = try SecureBytes(copying: [9, 9])
        #expect(a.constantTimeEquals(try SecureBytes(copying: [9, 9])))
        #expect(!a.constantTimeEquals(try SecureBytes(copying: [9, 8])))
    }

    @Test func secretsNeverPrint() throws {
        let secret = try SecureBytes(copying: Array("hunter2-secret".utf8))
        let key = try SymmetricKey.random()
        for text in [
            "\(secret)", String(reflecting: secret), "\(key)", String(reflecting: key), "\(try X25519PrivateKey())",
        ] {
            #expect(!text.contains("hunter2"))
            #expect(text.contains("redacted") || text.contains("public"))
        }
    }

    @Test func wipedBytesHoldTheirValueAndNeverPrint() {
        let a = WipedBytes(copying: Array("hunter2-secret".utf8))
        #expect(a.withUnsafeBytes { Array($0) } == Array("hunter2-secret".utf8))
        #expect(a.constantTimeEquals(WipedBytes(copying: Array("hunter2-secret".utf8))))
        #expect(!a.constantTimeEquals(WipedBytes(copying: Array("hunter2-secreT".utf8))))
        #expect(!"\(a) \(String(reflecting: a))".contains("hunter2"))
        #expect(WipedBytes(copying: [UInt8]()).count == 0)
    }

    @Test func manySecretsDoNotExhaustMemoryMappings() {
        // 100,000 passwords: far more than the ~21,000 guarded allocations Linux's map limit allows.
        let many = (0..<100_000).map { WipedBytes(copying: Array("password-\($0)".utf8)) }
        #expect(many.count == 100_000)
    }

    @Test func uniformStaysInRangeAndCoversIt() {
        let random = DeterministicRandom(label: "uniform")
        var seen = Set<UInt32>()
        for _ in 0..<2000 {
            let value = random.uniform(7)
            #expect(value < 7)
            seen.insert(value)
        }
        #expect(seen.count == 7)
        #expect(SystemRandom().uniform(1) == 0)
    }

    @Test func uniformIsUnbiasedEnough() {
        // Chi-square over 10 buckets, 20,000 draws: the 99.9 % critical value for 9 degrees of freedom is 27.9.
        let random = DeterministicRandom(label: "chi-square")
        var counts = [Int](repeating: 0, count: 10)
        for _ in 0..<20_000 { counts[Int(random.uniform(10))] += 1 }
        let expected = 2000.0
        let chi = counts.reduce(0.0) { $0 + pow2(Double($1) - expected) / expected }
        #expect(chi < 27.9)
    }

    @Test func deterministicRandomIsReproducible() {
        let a = DeterministicRandom(label: "x").bytes(count: 40)
        let b = DeterministicRandom(label: "x").bytes(count: 40)
        let c = DeterministicRandom(label: "y").bytes(count: 40)
        #expect(a == b)
        #expect(a != c)
    }

    @Test func hexRoundTrip() {
        #expect(Hex.encode([0, 0xab, 0xff]) == "00abff")
        #expect(Hex.decode("00ABff") == [0, 0xab, 0xff])
        #expect(Hex.decode("0g") == nil)
        #expect(Hex.decode("abc") == nil)
    }

    @Test func coreDumpsCanBeTurnedOff() {
        #expect(ProcessHardening.disableCoreDumps())
        #expect(ProcessHardening.coreDumpsDisabled)
    }

    @Test func largeBlocksStayOnTheHeap() {
        // glibc refuses an mmap threshold above its maximum (32 MiB on 64 bits): the settings must be ones it takes.
        #expect(ProcessMemory.keepLargeBlocks())
    }

    @Test func libsodiumVersion() {
        #expect(SodiumLibrary.version.hasPrefix("1.0."))
    }
}

private func pow2(_ x: Double) -> Double { x * x }
