import Foundation
import GST
import SealedFile
import Sodium

/// The means of opening a vault that a command was given, tried in the order PRODUCT.md fixes: an identity (before
/// any passphrase source; a default identity that is not a recipient of the vault falls back with a note), then a
/// session from `nicvault unlock` (only where the passphrase would otherwise be typed; one that cannot be used falls
/// back with a note), then the passphrase source.
public struct UnlockMeans {
    /// An age identity file, and whether it was named (--identity, $NICVAULT_IDENTITY_FILE) or only found at
    /// `defaultIdentityFile`.
    public var identity: (path: String, explicit: Bool)?
    public var passphrase: PassphraseSource
    /// Seconds to wait for a passphrase file, descriptor or command ($NICVAULT_PASSPHRASE_TIMEOUT of the
    /// environment the means were resolved from, else 60).
    public var passphraseTimeout: Double
    /// The value of $NICVAULT_SESSION, if set and not empty.
    public var session: String?
    public var sessions: SessionStore
    /// Where the default identity is kept: named in the advice for a vault that has no passphrase.
    public var defaultIdentityFile: String
    /// Asks the person on the terminal without echo; nil when there is no terminal.
    public var terminal: (String) throws -> SecureBytes?
    /// Hears the notes of a fall-back and the warnings of the sources.
    public var warn: (String) -> Void

    public init(
        identity: (path: String, explicit: Bool)?, passphrase: PassphraseSource, session: String?,
        sessions: SessionStore, defaultIdentityFile: String, terminal: @escaping (String) throws -> SecureBytes?,
        warn: @escaping (String) -> Void, passphraseTimeout: Double = PassphraseSource.timeout()
    ) {
        self.identity = identity
        self.passphrase = passphrase
        self.passphraseTimeout = passphraseTimeout
        self.session = session
        self.sessions = sessions
        self.defaultIdentityFile = defaultIdentityFile
        self.terminal = terminal
        self.warn = warn
    }

    /// The means a command was given, as PRODUCT.md resolves them: the identity `identity` (--identity), else
    /// $NICVAULT_IDENTITY_FILE, else the default identity when that file exists; the passphrase from `passphraseFile`
    /// (--passphrase-file), `passphraseFD` (--passphrase-fd), else the variables; $NICVAULT_SESSION;
    /// $NICVAULT_PASSPHRASE_TIMEOUT. The variables are those `locations` was made with.
    public init(
        identity: String?, passphraseFile: String?, passphraseFD: Int32?, locations: Locations,
        terminal: @escaping (String) throws -> SecureBytes?, warn: @escaping (String) -> Void
    ) throws {
        let env = locations.environment
        let fallback = try locations.defaultIdentityFile()
        var chosen: (String, Bool)?
        if let identity {
            chosen = (identity, true)
        } else if let file = env["NICVAULT_IDENTITY_FILE"], !file.isEmpty {
            chosen = (file, true)
        } else if FileManager.default.fileExists(atPath: fallback) {
            chosen = (fallback, false)
        }
        self.init(
            identity: chosen, passphrase: .resolve(file: passphraseFile, fd: passphraseFD, environment: env),
            session: env["NICVAULT_SESSION"], sessions: try locations.sessions(), defaultIdentityFile: fallback,
            terminal: terminal, warn: warn, passphraseTimeout: PassphraseSource.timeout(env))
    }

    /// Runs `open` with the first means that opens `store`, as the type's comment says.
    public func open<R>(
        _ store: any VaultStorage, now: Timestamp = .current(), with open: (any VaultStorage, VaultAccess) throws -> R
    ) throws -> R {
        let session = passphrase.isTerminal ? self.session.flatMap { $0.isEmpty ? nil : $0 } : nil
        // A session tried first reads the vault's header, and says so when there is no vault (one question to a
        // database store, not two); otherwise the header is read (which says when there is no vault) before a key
        // or a passphrase is.
        let sessionFirst = identity == nil && session != nil
        var header = sessionFirst ? nil : try store.currentHeader()
        if let (path, explicit) = identity {
            let key = try IdentityFile.read(path)
            do {
                return try open(store, .unlocker(.identity(key)))
            } catch SealedFileError.notARecipient where !explicit {
                warn("note: the identity \(path) is not a recipient of this vault; asking for the passphrase")
            }
        }
        if let session {
            do {
                return try open(store, .key(try sessions.key(variable: session, store: store, now: now)))
            } catch let error as SessionError {
                warn("note: \(error.description); asking for the passphrase")
            }
        }
        if header == nil { header = try store.currentHeader() }
        // A vault opened only by recipients: asking for a passphrase (or reading a passphrase file, or running a
        // passphrase command) could never open it, and "set NICVAULT_PASSPHRASE_FILE" would be the wrong advice.
        if header?.passphraseSlot == nil {
            throw UnlockError(identityHelp(tried: identity?.path), kind: .cannotUnlock)
        }
        do {
            let typed = try passphrase.read(
                prompt: "Vault passphrase: ", terminal: terminal, warn: warn, timeout: passphraseTimeout)
            return try open(store, .unlocker(.passphrase(typed)))
        } catch SealedFileError.wrongPassphrase where !passphrase.isTerminal {
            // Which source was read: a job's stale file or variable (after `passwd`) is the usual cause.
            throw UnlockError(
                "wrong passphrase: \(passphrase.description) does not open this vault; nothing was changed",
                kind: .cannotUnlock)
        }
    }

    /// The vault in `store`, opened with the first means that opens it.
    public func openVault(_ store: any VaultStorage, acceptRollback: Bool = false) throws -> Vault {
        try open(store) { try Vault.open(store: $0, access: $1, acceptRollback: acceptRollback) }
    }

    /// What to do with a vault that has no passphrase slot.
    func identityHelp(tried: String?) -> String {
        let tail =
            "give --identity FILE, set NICVAULT_IDENTITY_FILE, or keep the identity at \(defaultIdentityFile)"
        if let tried {
            return "this vault has no passphrase and the identity \(tried) is not one of its recipients: \(tail) "
                + "with the identity of a recipient (nicvault recipient list shows them)"
        }
        return "this vault has no passphrase: it opens only with a recipient's identity; \(tail)"
    }
}
