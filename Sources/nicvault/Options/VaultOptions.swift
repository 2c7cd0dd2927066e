import ArgumentParser
import Foundation
import GST
import NICVault
import PostgresStore
import SealedFile
import Sodium

/// Where the vault is and how to unlock it: shared by every command that opens a vault.
struct VaultOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The vault file (default: $NICVAULT_FILE, else $XDG_DATA_HOME/nicvault/vault.nicv).", valueName: "path"))
    var vault: String?

    @Option(
        name: .customLong("store"),
        help: ArgumentHelp(
            "Keep the vault in PostgreSQL (default: $NICVAULT_STORE): postgresql://user@host:port/db?sslmode=...; "
                + "the database password from ~/.pgpass, PGPASSFILE or PGPASSWORD, never here.",
            valueName: "url"))
    var storeAddress: String?

    @Option(
        name: .long, help: ArgumentHelp("Read the vault passphrase from this file (first line).", valueName: "file"))
    var passphraseFile: String?

    @Option(
        name: .long, help: ArgumentHelp("Read the vault passphrase from this open file descriptor.", valueName: "fd"))
    var passphraseFd: Int32?

    @Flag(name: .long, help: "Open a vault older than one already seen (after restoring a backup on purpose).")
    var acceptRollback = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Open the vault with this age identity file (AGE-SECRET-KEY-1...) instead of a passphrase.",
            valueName: "file"))
    var identity: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Allow a vault whose Argon2id asks for more than libsodium's SENSITIVE (1 GiB, 4 passes): up to SIZE (2G, 3072M).",
            valueName: "size"))
    var allowKdfMemory: String?

    /// Removes every means of opening the vault from this process before it runs another program: the
    /// unlocking variables, and the --passphrase-fd descriptor.
    func forgetUnlockingMeans() {
        for name in PassphraseSource.unlockingVariables { unsetenv(name) }
        if let passphraseFd, passphraseFd > 2 { close(passphraseFd) }
    }

    /// The store for the resolved path, with rollback memory in the user's state folder and the Argon2id
    /// allowance of --allow-kdf-memory. A symlinked path is
    /// resolved once, so that the lock, the temporary file and the backup sit beside the real file and a save
    /// replaces the real file, never the link.
    func store() throws -> any VaultStorage {
        let places = Locations()
        if let url = try storeURL() {
            let checks = OpenChecks(
                rollbackMemory: try places.generations(), kdfMemoryAllowance: allowKdfMemory.flatMap(Self.bytes),
                warn: { Console.note($0) })
            return PostgresVaultStore(
                url: url, checks: checks, flowLockFolder: try places.flowLocks(forStore: url.description),
                password: try url.password())
        }
        return VaultStore(
            path: Locations.realPath(try vault ?? places.defaultVault()), rollbackMemory: try places.generations(),
            warn: { Console.note($0) }, kdfMemoryAllowance: allowKdfMemory.flatMap(Self.bytes))
    }

    /// The PostgreSQL store named by --store or $NICVAULT_STORE, if any.
    func storeURL(_ env: [String: String] = ProcessInfo.processInfo.environment) throws -> StoreURL? {
        guard let text = storeAddress ?? env["NICVAULT_STORE"].flatMap({ $0.isEmpty ? nil : $0 }) else { return nil }
        return try StoreURL(text, environment: env)
    }

    /// The passphrase, from the first source that is set.
    func passphrase(prompt: String = "Vault passphrase: ") throws -> SecureBytes {
        try PassphraseSource.resolve(file: passphraseFile, fd: passphraseFd).read(prompt: prompt)
    }

    func validate() throws {
        if let allowKdfMemory, Self.bytes(allowKdfMemory) == nil {
            throw ValidationError("--allow-kdf-memory takes a size like 2G or 3072M")
        }
    }

    /// "2G", "3072M", "1073741824" in bytes.
    static func bytes(_ text: String) -> UInt64? {
        let units: [Character: UInt64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        if let unit = text.uppercased().last, let scale = units[unit], let value = UInt64(text.dropLast()) {
            return value * scale
        }
        return UInt64(text)
    }

    /// Opens the vault with the first means that is set, in `UnlockMeans`' order: an identity, a passphrase source,
    /// a session from `nicvault unlock` where the passphrase would otherwise be typed, then the terminal.
    func openVault() throws -> Vault {
        try means().openVault(try store(), acceptRollback: acceptRollback)
    }

    /// For a command that reads one credential and nothing else (`show`, `exec`, `history`): unlocked as
    /// `openVault` does, then read through the vault's lookup file when it can answer, else the vault opened in full.
    func readOne(gstin: GSTIN, kind: CredentialKind?, environment: Environment?, withLog: Bool = false) throws
        -> OneRead
    {
        try means().open(try store()) { store, access in
            try Vault.readOne(
                store: store, access: access, lookup: try Locations().lookupFile(for: store.location), gstin: gstin,
                kind: kind, environment: environment, withLog: withLog, acceptRollback: acceptRollback)
        }
    }

    /// The means of unlocking this command was given, in the order PRODUCT.md fixes (`UnlockMeans`).
    private func means() throws -> UnlockMeans {
        try UnlockMeans(
            identity: identity, passphraseFile: passphraseFile, passphraseFD: passphraseFd, locations: Locations(),
            terminal: ControllingTerminal.readSecret, warn: Console.note)
    }
}

extension PassphraseSource {
    /// The passphrase, asked on the terminal when that is the source; a warning to stderr.
    func read(prompt: String) throws -> SecureBytes {
        try read(prompt: prompt, terminal: ControllingTerminal.readSecret, warn: Console.note)
    }
}
