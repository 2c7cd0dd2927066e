import CSodium

/// libsodium's Argon2id password hash strings (`crypto_pwhash_str`): salt and parameters inside the string,
/// for a server that must check passwords, never for deriving keys.
public enum PasswordHash {
    /// Hashes `password` into an ASCII string like `$argon2id$v=19$m=65536,t=2,p=1$...`.
    public static func hash(_ password: SecureBytes, parameters: Argon2idParameters = .interactive) throws -> String {
        try ensureSodium()
        var out = [CChar](repeating: 0, count: Int(crypto_pwhash_STRBYTES))
        let result = password.withUnsafeBytes { bytes in
            crypto_pwhash_str_alg(
                &out, bytes.baseAddress!.assumingMemoryBound(to: CChar.self), UInt64(bytes.count),
                parameters.opsLimit, Int(clamping: parameters.memLimit), crypto_pwhash_ALG_ARGON2ID13)
        }
        guard result == 0 else {
            throw SodiumError.keyDerivationFailed(opsLimit: parameters.opsLimit, memLimit: parameters.memLimit)
        }
        return out.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// True when `password` matches `hash` (constant time inside libsodium).
    public static func verify(_ password: SecureBytes, against hash: String) -> Bool {
        guard (try? ensureSodium()) != nil else { return false }
        return password.withUnsafeBytes { bytes in
            crypto_pwhash_str_verify(hash, bytes.baseAddress!.assumingMemoryBound(to: CChar.self), UInt64(bytes.count))
                == 0
        }
    }
}
