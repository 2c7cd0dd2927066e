import COpenSSL
import Foundation

/// Why a NIC crypto operation failed.
public enum NICCryptoError: Error, Equatable, Sendable {
    case keyGenerationFailed
    case rsaFailed
    case aesFailed
    case badBase64
}

/// The cryptography of NIC's e-invoice auth API (v1.04), which libsodium does not have: RSA-2048 with
/// PKCS#1 v1.5 encryption padding (the login request) and AES-256-ECB with PKCS#7 (the session key and
/// bodies), through Debian's OpenSSL. Used by the sandbox portal and by `nicvault verify`.
public enum NICCrypto {
    /// A fresh RSA key pair as PEM: (private PKCS#8, public SubjectPublicKeyInfo).
    public static func generateRSAKeyPair(bits: Int32 = 2048) throws -> (privatePEM: String, publicPEM: String) {
        var privatePointer: UnsafeMutablePointer<CChar>?
        var publicPointer: UnsafeMutablePointer<CChar>?
        var privateLength = 0
        var publicLength = 0
        guard nv_rsa_generate(bits, &privatePointer, &privateLength, &publicPointer, &publicLength) == 1,
            let privatePointer, let publicPointer
        else { throw NICCryptoError.keyGenerationFailed }
        defer {
            memset(privatePointer, 0, privateLength)
            free(privatePointer)
            free(publicPointer)
        }
        let privatePEM = String(
            decoding: UnsafeRawBufferPointer(start: privatePointer, count: privateLength), as: UTF8.self)
        let publicPEM = String(
            decoding: UnsafeRawBufferPointer(start: publicPointer, count: publicLength), as: UTF8.self)
        return (privatePEM, publicPEM)
    }

    /// RSA PKCS#1 v1.5 encryption with a public key in PEM.
    public static func rsaEncrypt(_ plaintext: [UInt8], publicKeyPEM: String) throws -> [UInt8] {
        try rsa(encrypt: true, plaintext, pem: publicKeyPEM)
    }

    /// RSA PKCS#1 v1.5 decryption with a private key in PEM.
    public static func rsaDecrypt(_ ciphertext: [UInt8], privateKeyPEM: String) throws -> [UInt8] {
        try rsa(encrypt: false, ciphertext, pem: privateKeyPEM)
    }

    private static func rsa(encrypt: Bool, _ input: [UInt8], pem: String) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 1024)
        var length = out.count
        let pemBytes = Array(pem.utf8)
        let ok = pemBytes.withUnsafeBufferPointer { pemBuffer in
            pemBuffer.withMemoryRebound(to: CChar.self) { pemChars in
                nv_rsa_pkcs1(encrypt ? 1 : 0, pemChars.baseAddress, pemChars.count, input, input.count, &out, &length)
            }
        }
        guard ok == 1 else { throw NICCryptoError.rsaFailed }
        return Array(out.prefix(length))
    }

    /// AES-256-ECB with PKCS#7 padding.
    public static func aesEncrypt(_ plaintext: [UInt8], key: [UInt8]) throws -> [UInt8] {
        try aes(encrypt: true, plaintext, key: key)
    }

    /// AES-256-ECB decryption; fails on a wrong key (bad padding) or a wrong length.
    public static func aesDecrypt(_ ciphertext: [UInt8], key: [UInt8]) throws -> [UInt8] {
        try aes(encrypt: false, ciphertext, key: key)
    }

    private static func aes(encrypt: Bool, _ input: [UInt8], key: [UInt8]) throws -> [UInt8] {
        guard key.count == 32 else { throw NICCryptoError.aesFailed }
        var out = [UInt8](repeating: 0, count: input.count + 32)
        var length = 0
        guard nv_aes256_ecb(encrypt ? 1 : 0, key, input, input.count, &out, &length) == 1 else {
            throw NICCryptoError.aesFailed
        }
        return Array(out.prefix(length))
    }
}
