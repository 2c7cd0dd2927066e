import ArgumentParser
import Foundation
import NICVault
import PostgresStore
import SealedFile

struct StoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Keep the vault in PostgreSQL: create its schema, or copy a vault between a file and a database.",
        discussion: """
            The database holds the vault's sealed records and nothing in clear but ids, versions, lengths and \
            times (docs/postgresql.md). Every other command takes --store URL or $NICVAULT_STORE.
            Example:
              nicvault store init \\
                --store 'postgresql://nicvault@db.internal/einvoice?sslmode=require'
              nicvault store copy --from ~/.local/share/nicvault/vault.nicv \\
                --to postgresql://nicvault@db.internal/einvoice
            """,
        subcommands: [Init.self, Copy.self]
    )

    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init",
            abstract: "Create the store's schema in the database, or migrate it to this nicvault's version.",
            discussion: """
                Run once per database by a role that may create tables; running it again changes nothing. A schema \
                newer than this nicvault is refused (upgrade nicvault).
                Example:
                  nicvault store init \\
                    --store postgresql://nicvault_admin@127.0.0.1:5432/einvoice
                """
        )

        @OptionGroup var options: VaultOptions

        func run() throws {
            guard let store = try options.store() as? PostgresVaultStore else {
                throw CLIError("store init needs --store postgresql://... or $NICVAULT_STORE", code: Exit.usage)
            }
            let (from, to) = try store.initialize()
            Console.note(
                from == to
                    ? "The schema of \(store.location) is version \(to) already; nothing was changed."
                    : "Schema of \(store.location) at version \(to) (was \(from)). Next: nicvault init --store URL, "
                        + "or nicvault store copy --from FILE --to URL")
        }
    }

    struct Copy: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "copy",
            abstract: "Copy a vault, unchanged, from a file to a database or back (migration, backups).",
            discussion: """
                The copy has the same vault id, generation, records and log: it is the same bytes, so no key is \
                needed and nothing is decrypted. The destination must hold no vault. A version 1 file is refused: \
                run nicvault upgrade on it first.
                Example:
                  nicvault store copy --from vault.nicv \\
                    --to postgresql://nicvault@127.0.0.1/einvoice
                  nicvault store copy --to backup.nicv \\
                    --from postgresql://nicvault@127.0.0.1/einvoice
                """
        )

        @Option(help: ArgumentHelp("A vault file or a postgresql:// URL.", valueName: "src"))
        var from: String

        @Option(help: ArgumentHelp("A new file or a postgresql:// URL whose store holds no vault.", valueName: "dst"))
        var to: String

        func run() throws {
            let bytes = try store(from).rawBytes()
            let header = try VaultFormat.parse(bytes).header
            let destination = try store(to, isDestination: true)
            try destination.importRaw(bytes)
            Console.note(
                "Copied vault \(header.vaultIDHex) (generation \(header.generation), \(header.recordCount) records) "
                    + "to \(destination.location).")
        }

        /// A file (its folder made, 0700, for a destination) or a database, as given; nothing is opened, so no
        /// rollback memory is involved.
        func store(_ text: String, isDestination: Bool = false) throws -> any VaultStorage {
            guard text.hasPrefix("postgres") else {
                let path = Locations.realPath(text)
                if isDestination { try POSIXFileSystem().makeDirectories(Path.directory(of: path), mode: 0o700) }
                return VaultStore(path: path, rollbackMemory: nil)
            }
            let url = try StoreURL(text)
            return PostgresVaultStore(
                url: url, checks: OpenChecks(rollbackMemory: nil), flowLockFolder: "", password: try url.password())
        }
    }
}
