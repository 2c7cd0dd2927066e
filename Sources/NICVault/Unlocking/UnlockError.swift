/// Why a means of opening the vault (a passphrase source, an identity file), a secret read from a descriptor, or a
/// file that holds secrets could not be used. The message says which source and what to do; never its content.
public struct UnlockError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The source gave no usable passphrase or key: missing, unreadable, empty, timed out, wrong.
        case cannotUnlock
        /// What was given cannot be used as it is: too long, not a file, readable by others where it is written.
        case invalid
        /// The operating system refused, or an identity file others can read.
        case failed
        /// A file that is never replaced exists already (an identity).
        case exists
    }

    public let kind: Kind
    public let message: String

    public init(_ message: String, kind: Kind) {
        self.message = message
        self.kind = kind
    }

    public var description: String { message }
}
