import CSodium

/// Subkeys derived from one master key (`crypto_kdf_derive_from_key`: BLAKE2b keyed with the master key,
/// personalised with an 8-byte context and salted with a 64-bit subkey id). Version 2 vault files derive the
/// manifest key and the record key from the vault key this way.
public enum SubkeyDerivation {
    /// The length of a context, exactly (`crypto_kdf_CONTEXTBYTES`).
    public static let contextByteCount = Int(crypto_kdf_CONTEXTBYTES)

    /// The 32-byte subkey `id` of `master` in `context` (8 ASCII characters).
    public static func derive(from master: SymmetricKey, id: UInt64, context: String) throws -> SymmetricKey {
        try ensureSodium()
        let ctx = Array(context.utf8).map { CChar(bitPattern: $0) }
        guard ctx.count == contextByteCount else {
            throw SodiumError.wrongLength(what: "kdf context", expected: contextByteCount, actual: ctx.count)
        }
        let bytes = try SecureBytes(count: SymmetricKey.byteCount) { out in
            let result = master.withUnsafeBytes { key in
                crypto_kdf_derive_from_key(
                    out.baseAddress!.assumingMemoryBound(to: UInt8.self), SymmetricKey.byteCount, id, ctx,
                    key.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
            guard result == 0 else { throw SodiumError.operationFailed("crypto_kdf_derive_from_key") }
        }
        return try SymmetricKey(bytes)
    }
}
