import CSodium

/// Errors from the libsodium face. Each names the check that failed.
public enum SodiumError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `sodium_init` failed: the process cannot use libsodium safely.
    case initializationFailed
    /// `sodium_malloc` returned nothing.
    case outOfSecureMemory(requested: Int)
    /// A key, nonce, salt or public key had the wrong length.
    case wrongLength(what: String, expected: Int, actual: Int)
    /// Authenticated decryption failed: wrong key, or the data or its associated data changed.
    case authenticationFailed
    /// Argon2id could not run with these parameters (usually: not enough memory).
    case keyDerivationFailed(opsLimit: UInt64, memLimit: UInt64)
    /// A sealed box could not be opened with this private key.
    case sealedBoxOpenFailed
    /// Padding was not the ISO/IEC 7816-4 form this library writes.
    case invalidPadding
    /// A libsodium call that should not fail did.
    case operationFailed(String)

    public var description: String {
        switch self {
        case .initializationFailed: "libsodium could not be initialised"
        case .outOfSecureMemory(let n): "could not allocate \(n) bytes of locked memory"
        case .wrongLength(let what, let expected, let actual):
            "\(what) must be \(expected) bytes, not \(actual)"
        case .authenticationFailed: "authentication failed: wrong key, or the data was changed"
        case .keyDerivationFailed(let ops, let mem):
            "Argon2id failed with opslimit \(ops) and memlimit \(mem) bytes (not enough memory?)"
        case .sealedBoxOpenFailed: "the sealed box does not open with this private key"
        case .invalidPadding: "the padding is not valid"
        case .operationFailed(let call): "libsodium call \(call) failed"
        }
    }
}

/// `sodium_init` runs once, lazily and thread-safely, through a global `let`.
private let sodiumInitResult: Int32 = sodium_init()

/// Makes sure libsodium is initialised; every entry point of this module calls it.
@inline(__always)
func ensureSodium() throws(SodiumError) {
    guard sodiumInitResult >= 0 else { throw .initializationFailed }
}

/// Facts about the libsodium in use.
public enum SodiumLibrary {
    /// The version string of the loaded libsodium, such as "1.0.18".
    public static var version: String {
        String(cString: sodium_version_string())
    }
}
