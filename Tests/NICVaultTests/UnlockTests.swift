import Foundation
import GST
import NICVault
import SealedFile
import Sodium
import TestSupport
import Testing

private let pass = "correct horse battery staple"

/// A vault in `folder` with the passphrase above (and `recipients`), or with the recipients alone.
private func makeStore(_ folder: Folder, passphrase: Bool = true, recipients: [X25519PublicKey] = []) throws
    -> VaultStore
{
    let store = VaultStore(
        path: folder.path + "/v.nicv", rollbackMemory: RollbackMemory(directory: folder.path + "/state"),
        lockTimeout: 5)
    _ = try Vault.create(
        store: store, passphrase: passphrase ? SecureBytes(copying: Array(pass.utf8)) : nil, parameters: .interactive,
        recipients: recipients)
    return store
}

private func write(_ text: String, to path: String, mode: mode_t = 0o600) {
    _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: mode])
}

/// The means a job has: a passphrase source, no terminal; what they say is kept in `notes`.
private final class Means {
    var notes: [String] = []
    var terminalAsked = 0

    func make(
        _ folder: Folder, passphrase: PassphraseSource, identity: (path: String, explicit: Bool)? = nil,
        session: String? = nil
    ) -> UnlockMeans {
        UnlockMeans(
            identity: identity, passphrase: passphrase, session: session,
            sessions: SessionStore(folder: folder.path + "/sessions"),
            defaultIdentityFile: folder.path + "/identity.txt",
            terminal: { _ in
                self.terminalAsked += 1
                return nil
            }, warn: { self.notes.append($0) })
    }
}

private func opened(_ means: UnlockMeans, _ store: VaultStore) throws -> Vault {
    try means.open(store) { try Vault.open(store: $0, access: $1) }
}

private func kind(of body: () throws -> Void) -> (UnlockError.Kind, String)? {
    do { try body() } catch let error as UnlockError { return (error.kind, error.message) } catch { return nil }
    return nil
}

@Suite("opening a vault: passphrase sources, identities, sessions (the library's order)")
struct UnlockTests {
    @Test func sourcesAreResolvedInTheDocumentedOrder() {
        let env = [
            "NICVAULT_PASSPHRASE_FILE": "/f", "NICVAULT_PASSPHRASE_COMMAND": "echo x", "NICVAULT_PASSPHRASE": "p",
        ]
        #expect(PassphraseSource.resolve(file: "/o", fd: 5, environment: env).description == "the passphrase file /o")
        #expect(
            PassphraseSource.resolve(file: nil, fd: 5, environment: env).description
                == "the passphrase from --passphrase-fd 5")
        #expect(
            PassphraseSource.resolve(file: nil, fd: nil, environment: env).description
                == "the passphrase file /f (from NICVAULT_PASSPHRASE_FILE)")
        var rest = env
        rest["NICVAULT_PASSPHRASE_FILE"] = ""
        #expect(PassphraseSource.resolve(file: nil, fd: nil, environment: rest).description.contains("COMMAND"))
        rest["NICVAULT_PASSPHRASE_COMMAND"] = nil
        #expect(PassphraseSource.resolve(file: nil, fd: nil, environment: rest).description == "NICVAULT_PASSPHRASE")
        #expect(PassphraseSource.resolve(file: nil, fd: nil, environment: [:]).isTerminal)
    }

    @Test func theMeansOfACommandAreResolvedFromItsOptionsThenTheVariables() throws {
        let folder = Folder()
        var env = ["HOME": folder.path, "XDG_CONFIG_HOME": folder.path + "/config", "NICVAULT_SESSION": "s"]
        func means(_ identity: String? = nil, file: String? = nil) throws -> UnlockMeans {
            try UnlockMeans(
                identity: identity, passphraseFile: file, passphraseFD: nil,
                locations: Locations(environment: env), terminal: { _ in nil }, warn: { _ in })
        }
        // No identity anywhere: none; the default identity counts only once it exists, and not as named.
        #expect(try means().identity == nil)
        let fallback = folder.path + "/config/nicvault/identity.txt"
        try IdentityFile.write(try AgeKeys.identityFile(try X25519PrivateKey(), created: .current()), to: fallback)
        #expect(try means().identity?.path == fallback && means().identity?.explicit == false)
        env["NICVAULT_IDENTITY_FILE"] = "/from/variable"
        #expect(try means().identity?.path == "/from/variable" && means().identity?.explicit == true)
        #expect(try means("/from/option").identity?.path == "/from/option")
        // The option's passphrase file before the variables; the session as the variable says.
        env["NICVAULT_PASSPHRASE"] = "x"
        #expect(try means().passphrase.description == "NICVAULT_PASSPHRASE")
        #expect(try means(file: "/p").passphrase.description == "the passphrase file /p")
        #expect(try means().session == "s")
    }

    @Test func aPassphraseFileOpensAndAWrongOneNamesItsSource() throws {
        let folder = Folder()
        let store = try makeStore(folder)
        let means = Means()
        write(pass + "\n", to: folder.path + "/good", mode: 0o644)
        let vault = try opened(means.make(folder, passphrase: .file(folder.path + "/good", variable: nil)), store)
        #expect(vault.generation == 1)
        // Readable by others: opened, with a warning that says how to mend it.
        #expect(
            means.notes == [
                "warning: the passphrase file \(folder.path)/good is readable by others; run: chmod 600 '\(folder.path)/good'"
            ])
        write("not it\n", to: folder.path + "/stale")
        let stale = kind {
            _ = try opened(
                means.make(folder, passphrase: .file(folder.path + "/stale", variable: "NICVAULT_PASSPHRASE_FILE")),
                store)
        }
        #expect(stale?.0 == .cannotUnlock)
        #expect(
            stale?.1 == "wrong passphrase: the passphrase file \(folder.path)/stale (from NICVAULT_PASSPHRASE_FILE) "
                + "does not open this vault; nothing was changed")
        #expect(means.terminalAsked == 0)
    }

    @Test func emptyMissingAndFolderSourcesAreRefusedAsSuch() throws {
        let folder = Folder()
        let store = try makeStore(folder)
        let means = Means()
        write("\n", to: folder.path + "/empty")
        let cases: [(PassphraseSource, String)] = [
            (.file(folder.path + "/empty", variable: nil), "is empty: it must hold the vault passphrase"),
            (.file(folder.path + "/none", variable: nil), "cannot read the passphrase file"),
            (.file(folder.path, variable: nil), "is a folder; give the file that holds the passphrase"),
            (.command("printf 'x\\n'; exit 3"), "NICVAULT_PASSPHRASE_COMMAND failed with exit code 3"),
            (.terminal, "no terminal to ask for the vault passphrase: set NICVAULT_PASSPHRASE_FILE"),
        ]
        for (source, words) in cases {
            let refused = kind { _ = try opened(means.make(folder, passphrase: source), store) }
            #expect(refused?.0 == .cannotUnlock, "\(source.description)")
            #expect(refused?.1.contains(words) == true, "\(refused?.1 ?? "opened") for \(source.description)")
        }
        #expect(means.terminalAsked == 1)
    }

    /// NICVAULT_PASSPHRASE is read from the environment the source was resolved from (a program may pass its own),
    /// and a source printed by mistake shows where it came from, never the passphrase.
    @Test func thePassphraseVariableComesFromTheEnvironmentResolved() throws {
        let folder = Folder()
        let store = try makeStore(folder)
        let source = PassphraseSource.resolve(file: nil, fd: nil, environment: ["NICVAULT_PASSPHRASE": pass])
        #expect(try opened(Means().make(folder, passphrase: source), store).generation == 1)
        #expect("\(source)" == "NICVAULT_PASSPHRASE" && !String(reflecting: source).contains(pass))
    }

    /// A program passing its own environment gets its own NICVAULT_PASSPHRASE_TIMEOUT: a passphrase FIFO with no
    /// writer is given up on after the time it set, not the process's (or the default 60 s).
    @Test func thePassphraseTimeOutComesFromTheEnvironmentResolved() throws {
        let folder = Folder()
        let store = try makeStore(folder)
        let fifo = folder.path + "/passphrase.fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        let env = [
            "HOME": folder.path, "XDG_CONFIG_HOME": folder.path + "/config", "NICVAULT_PASSPHRASE_FILE": fifo,
            "NICVAULT_PASSPHRASE_TIMEOUT": "1",
        ]
        let means = try UnlockMeans(
            identity: nil, passphraseFile: nil, passphraseFD: nil, locations: Locations(environment: env),
            terminal: { _ in nil }, warn: { _ in })
        #expect(means.passphraseTimeout == 1)
        let refused = kind { _ = try means.openVault(store) }
        #expect(refused?.0 == .cannotUnlock)
        #expect(refused?.1.contains("gave up waiting for the passphrase file \(fifo)") == true, "\(refused?.1 ?? "")")
        #expect(refused?.1.contains("after 1 s") == true, "\(refused?.1 ?? "")")
    }

    @Test func aPassphraseCommandsFirstLineOpens() throws {
        let folder = Folder()
        let store = try makeStore(folder)
        let source = PassphraseSource.command("printf '%s\\nsecond line\\n' '\(pass)'")
        #expect(try opened(Means().make(folder, passphrase: source), store).generation == 1)
    }

    @Test func aLineLongerThanTheLimitIsRefusedAsInvalid() throws {
        let folder = Folder()
        write(String(repeating: "x", count: SecretReader.maximumLength + 1) + "\n", to: folder.path + "/long")
        let refused = kind {
            _ = try PassphraseSource.file(folder.path + "/long", variable: nil).read(
                prompt: "", terminal: { _ in nil }, warn: { _ in })
        }
        #expect(refused?.0 == .invalid)
    }

    @Test func aDefaultIdentityThatIsNoRecipientFallsBackToThePassphrase() throws {
        let folder = Folder()
        let store = try makeStore(folder)
        let stranger = try X25519PrivateKey()
        let path = folder.path + "/identity.txt"
        try IdentityFile.write(try AgeKeys.identityFile(stranger, created: .current()), to: path)
        write(pass + "\n", to: folder.path + "/good")
        let means = Means()
        let source = PassphraseSource.file(folder.path + "/good", variable: nil)
        #expect(try opened(means.make(folder, passphrase: source, identity: (path, false)), store).generation == 1)
        #expect(
            means.notes == ["note: the identity \(path) is not a recipient of this vault; asking for the passphrase"])
        // Named on purpose (--identity), the same identity is an error, never a silent fall-back.
        #expect(throws: SealedFileError.notARecipient) {
            _ = try opened(means.make(folder, passphrase: source, identity: (path, true)), store)
        }
        // An identity is never overwritten.
        #expect(kind { try IdentityFile.write("x", to: path) }?.0 == .exists)
    }

    @Test func aRecipientsOnlyVaultOpensWithItsIdentityAndSaysSoWithout() throws {
        let folder = Folder()
        let key = try X25519PrivateKey()
        let store = try makeStore(folder, passphrase: false, recipients: [key.publicKey])
        let path = folder.path + "/mine.txt"
        try IdentityFile.write(try AgeKeys.identityFile(key, created: .current()), to: path)
        let means = Means()
        #expect(try opened(means.make(folder, passphrase: .terminal, identity: (path, true)), store).generation == 1)
        let without = kind { _ = try opened(means.make(folder, passphrase: .environmentValue("")), store) }
        #expect(without?.0 == .cannotUnlock)
        #expect(
            without?.1 == "this vault has no passphrase: it opens only with a recipient's identity; give --identity "
                + "FILE, set NICVAULT_IDENTITY_FILE, or keep the identity at \(folder.path)/identity.txt")
        #expect(means.terminalAsked == 0)
        // An identity others can read is refused before it is used.
        chmod(path, 0o644)
        #expect(kind { _ = try IdentityFile.read(path) }?.0 == .failed)
    }

    @Test func aSessionIsTriedOnlyWhereThePassphraseWouldBeTyped() throws {
        let folder = Folder()
        let store = try makeStore(folder)
        write(pass + "\n", to: folder.path + "/good")
        let means = Means()
        // A session variable that names no session: the note, then the terminal (none here).
        let typed = kind { _ = try opened(means.make(folder, passphrase: .terminal, session: "not-a-session"), store) }
        #expect(typed?.0 == .cannotUnlock)
        #expect(means.notes.count == 1 && means.notes[0].hasSuffix("; asking for the passphrase"), "\(means.notes)")
        // With a passphrase file the session is not looked at.
        let job = Means()
        let source = PassphraseSource.file(folder.path + "/good", variable: nil)
        #expect(try opened(job.make(folder, passphrase: source, session: "not-a-session"), store).generation == 1)
        #expect(job.notes.isEmpty)
    }

    @Test func aSecretFileIsWrittenPrivateAndNeverThroughALink() throws {
        let folder = Folder()
        let path = folder.path + "/export.json"
        try SecretFile.write(try SecureBytes(copying: Array("{}".utf8)), to: path)
        var info = stat()
        #expect(stat(path, &info) == 0 && info.st_mode & 0o777 == 0o600)
        symlink(path, folder.path + "/link")
        let linked = kind { try SecretFile.write(try SecureBytes(copying: [1]), to: folder.path + "/link") }
        #expect(linked?.0 == .invalid)
        #expect(linked?.1.contains("refusing to write through the symlink") == true)
        #expect(kind { _ = try PublicKeyFile.read(path) }?.0 == .invalid)
    }
}

@Suite("where vaults and what is kept beside them are found (the user's XDG folders)")
struct LocationsTests {
    @Test func theVariablesThenTheHomeFolder() throws {
        let home = Locations(environment: ["HOME": "/home/asha", "XDG_DATA_HOME": "relative/is/ignored"])
        #expect(try home.defaultVault() == "/home/asha/.local/share/nicvault/vault.nicv")
        #expect(try home.defaultIdentityFile() == "/home/asha/.config/nicvault/identity.txt")
        #expect(try home.generations().directory == "/home/asha/.local/state/nicvault/generations")
        let xdg = Locations(environment: [
            "HOME": "/home/asha", "XDG_DATA_HOME": "/d", "XDG_STATE_HOME": "/s", "XDG_CACHE_HOME": "/c",
        ])
        #expect(try xdg.defaultVault() == "/d/nicvault/vault.nicv")
        #expect(try xdg.sessions().folder == "/s/nicvault/sessions")
        #expect(try xdg.lookupFile(for: "/a/v.nicv").hasPrefix("/c/nicvault/lookup/"))
        #expect(try xdg.lookupFile(for: "/a/v.nicv") != xdg.lookupFile(for: "/b/v.nicv"))
        #expect(try xdg.flowLocks(forStore: "postgresql://x@h/db").hasPrefix("/s/nicvault/flows/"))
        let named = Locations(environment: ["HOME": "/home/asha", "NICVAULT_FILE": "/srv/tax.nicv"])
        #expect(try named.defaultVault() == "/srv/tax.nicv")
    }

    @Test func sessionsLiveInTheRuntimeFolderOnlyWhenItIsTheUsersOwn() throws {
        let folder = Folder()
        let own = Locations(environment: ["HOME": "/h", "XDG_STATE_HOME": "/s", "XDG_RUNTIME_DIR": folder.path])
        #expect(try own.sessions().folder == folder.path + "/nicvault")
        let missing = Locations(environment: [
            "HOME": "/h", "XDG_STATE_HOME": "/s", "XDG_RUNTIME_DIR": folder.path + "/gone",
        ])
        #expect(try missing.sessions().folder == "/s/nicvault/sessions")
    }
}

@Suite("the README's example: a Swift program opens the vault where and as the CLI does")
struct LibraryExampleTests {
    @Test func aProgramOpensTheDefaultVaultWithTheCLIsMeans() throws {
        let folder = Folder()
        write(pass + "\n", to: folder.path + "/pass")
        let env = [
            "HOME": folder.path, "XDG_DATA_HOME": folder.path + "/data", "XDG_STATE_HOME": folder.path + "/state",
            "NICVAULT_PASSPHRASE_FILE": folder.path + "/pass",
        ]
        try FileManager.default.createDirectory(
            atPath: folder.path + "/data/nicvault", withIntermediateDirectories: true)
        let places = Locations(environment: env)
        var made = try Vault.create(
            store: VaultStore(path: try places.defaultVault(), rollbackMemory: try places.generations()),
            passphrase: SecureBytes(copying: Array(pass.utf8)), parameters: .interactive)
        try made.add(
            Credential(
                environment: .production, gstin: try GSTIN(parsing: "29AACCK5521H1ZK", environment: .production),
                kind: .api, legalName: "Kaveri Traders", userID: "API_KAVERI29", password: secret("Xk7@pQ2mRt9#vLw"),
                createdAt: .current()))

        // As in the README (with `environment: env` for the test's folders).
        let means = try UnlockMeans(
            identity: nil, passphraseFile: nil, passphraseFD: nil, locations: places,
            terminal: ControllingTerminal.readSecret, warn: { print($0) })
        let store = VaultStore(
            path: Locations.realPath(try places.defaultVault()), rollbackMemory: try places.generations())
        let vault = try means.openVault(store)
        let api = try vault.credential(
            gstin: GSTIN(parsing: "29AACCK5521H1ZK", environment: .production), kind: .api)
        #expect(api.userID == "API_KAVERI29")
    }
}
