import CSodium

/// XChaCha20-Poly1305 (IETF), libsodium's `crypto_aead_xchacha20poly1305_ietf_*`.
/// The 24-byte nonce is large enough to draw at random for every message.
public enum XChaCha20Poly1305 {
    /// Nonce length in bytes.
    public static let nonceByteCount = Int(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES)
    /// Authentication tag length in bytes, added to every ciphertext.
    public static let tagByteCount = Int(crypto_aead_xchacha20poly1305_ietf_ABYTES)

    /// A fresh random nonce.
    public static func randomNonce(using random: some RandomSource = SystemRandom()) -> [UInt8] {
        random.bytes(count: nonceByteCount)
    }

    /// Encrypts secret `plaintext` and authenticates it together with `associatedData`.
    /// Returns ciphertext followed by the 16-byte tag.
    public static func seal(
        _ plaintext: SecureBytes, using key: SymmetricKey, nonce: [UInt8], authenticating associatedData: [UInt8]
    ) throws -> [UInt8] {
        try plaintext.withUnsafeBytes {
            try seal(message: $0, using: key, nonce: nonce, authenticating: associatedData)
        }
    }

    /// As `seal(_:using:nonce:authenticating:)`, reading the plaintext from a (locked) buffer.
    public static func seal(
        message: UnsafeRawBufferPointer, using key: SymmetricKey, nonce: [UInt8], authenticating associatedData: [UInt8]
    ) throws -> [UInt8] {
        var output: [UInt8] = []
        try seal(message: message, using: key, nonce: nonce, authenticating: associatedData, appendingTo: &output)
        return output
    }

    /// As `seal(message:using:nonce:authenticating:)`, the ciphertext and tag appended to `output` (a file being
    /// assembled) instead of returned in a new array.
    public static func seal(
        message: UnsafeRawBufferPointer, using key: SymmetricKey, nonce: [UInt8],
        authenticating associatedData: [UInt8],
        appendingTo output: inout [UInt8]
    ) throws {
        try ensureSodium()
        try checkNonce(nonce)
        let start = output.count
        output.append(contentsOf: repeatElement(0, count: message.count + tagByteCount))
        var outputLength: UInt64 = 0
        let result = output.withUnsafeMutableBufferPointer { out in
            key.withUnsafeBytes { keyBytes in
                crypto_aead_xchacha20poly1305_ietf_encrypt(
                    out.baseAddress! + start, &outputLength,
                    message.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(message.count),
                    associatedData, UInt64(associatedData.count),
                    nil, nonce, keyBytes.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
        guard result == 0 else { throw SodiumError.operationFailed("crypto_aead_xchacha20poly1305_ietf_encrypt") }
    }

    /// Checks the tag and decrypts into locked memory. Throws `authenticationFailed` on any mismatch.
    public static func open(
        _ ciphertext: [UInt8], using key: SymmetricKey, nonce: [UInt8], authenticating associatedData: [UInt8]
    ) throws -> SecureBytes {
        try ciphertext.withUnsafeBytes {
            try open(ciphertext: $0, using: key, nonce: nonce, authenticating: associatedData)
        }
    }

    /// As `open(_:using:nonce:authenticating:)`, reading the ciphertext from a buffer without copying it.
    public static func open(
        ciphertext: UnsafeRawBufferPointer, using key: SymmetricKey, nonce: [UInt8],
        authenticating associatedData: [UInt8]
    ) throws -> SecureBytes {
        try ensureSodium()
        try checkNonce(nonce)
        guard ciphertext.count >= tagByteCount else { throw SodiumError.authenticationFailed }
        return try SecureBytes(count: ciphertext.count - tagByteCount) { out in
            var plainLength: UInt64 = 0
            let result = key.withUnsafeBytes { keyBytes in
                // libsodium writes nothing for an empty message, but wants a valid pointer.
                withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1) { spare in
                    crypto_aead_xchacha20poly1305_ietf_decrypt(
                        out.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? spare.baseAddress, &plainLength, nil,
                        ciphertext.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(ciphertext.count),
                        associatedData, UInt64(associatedData.count),
                        nonce, keyBytes.baseAddress!.assumingMemoryBound(to: UInt8.self))
                }
            }
            guard result == 0 else { throw SodiumError.authenticationFailed }
        }
    }

    /// Decrypts into `output` (exactly the ciphertext length minus the tag), for many small records decrypted into
    /// one locked buffer. Throws `authenticationFailed` on any mismatch; `output` is then wiped.
    public static func open(
        ciphertext: UnsafeRawBufferPointer, using key: SymmetricKey, nonce: UnsafeRawBufferPointer,
        authenticating associatedData: [UInt8], into output: UnsafeMutableRawBufferPointer
    ) throws {
        try ensureSodium()
        guard nonce.count == nonceByteCount else {
            throw SodiumError.wrongLength(what: "nonce", expected: nonceByteCount, actual: nonce.count)
        }
        guard ciphertext.count >= tagByteCount, output.count == ciphertext.count - tagByteCount else {
            throw SodiumError.authenticationFailed
        }
        var plainLength: UInt64 = 0
        let result = key.withUnsafeBytes { keyBytes in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1) { spare in
                crypto_aead_xchacha20poly1305_ietf_decrypt(
                    output.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? spare.baseAddress, &plainLength, nil,
                    ciphertext.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(ciphertext.count),
                    associatedData, UInt64(associatedData.count),
                    nonce.baseAddress!.assumingMemoryBound(to: UInt8.self),
                    keyBytes.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
        guard result == 0 else {
            wipe(output)
            throw SodiumError.authenticationFailed
        }
    }

    private static func checkNonce(_ nonce: [UInt8]) throws {
        guard nonce.count == nonceByteCount else {
            throw SodiumError.wrongLength(what: "nonce", expected: nonceByteCount, actual: nonce.count)
        }
    }
}
