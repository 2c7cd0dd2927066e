import ArgumentParser
import Foundation
import GST
import NICVault

/// A session lifetime typed as 15m, 2h or 900s.
struct SessionTTL: ExpressibleByArgument, CustomStringConvertible {
    let seconds: Int64

    init?(argument: String) {
        guard let seconds = SessionStore.lifetime(argument) else { return nil }
        self.seconds = seconds
    }

    var description: String { seconds % 60 == 0 ? "\(seconds / 60)m" : "\(seconds)s" }
    /// The length in words, for messages: "1 minute", "15 minutes", "90 seconds".
    var spoken: String {
        seconds % 60 != 0 ? "\(seconds) seconds" : seconds == 60 ? "1 minute" : "\(seconds / 60) minutes"
    }
    var defaultValueDescription: String { description }
}

struct UnlockCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unlock",
        abstract: "Start a session: later commands that see NICVAULT_SESSION skip the passphrase.",
        discussion: """
            Prints NICVAULT_SESSION=... (with --export, an export line for eval). The session key lives only in \
            that variable; the vault key, wrapped under it and bound to the vault, its passphrase and an expiry, \
            is kept in a 0600 file in $XDG_RUNTIME_DIR/nicvault. Anyone who can read both the variable and the \
            file can open the vault until the session ends: keep the variable in the shell or job that needs it. \
            A passphrase change or nicvault lock ends sessions.
            Example:
              eval "$(nicvault unlock --ttl 30m --export)"
              nicvault show 27AABCD1234E1Z8 --field password
              nicvault lock
            """
    )

    @OptionGroup var options: VaultOptions

    @Option(help: ArgumentHelp("How long the session lasts: 15m, 2h, 900s, or minutes; at most 24h.", valueName: "ttl"))
    var ttl: SessionTTL = SessionTTL(argument: "15m")!

    @Flag(help: "Print an export line for eval.")
    var export = false

    func run() throws {
        let vault = try options.openVault()
        let sessions = try Locations().sessions()
        let value = try sessions.start(for: vault, seconds: ttl.seconds)
        Console.out(export ? "export NICVAULT_SESSION='\(value)'" : "NICVAULT_SESSION=\(value)")
        Console.note("Session started for \(ttl.spoken) (files in \(sessions.folder)); end it with: nicvault lock")
    }
}

struct LockCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lock",
        abstract: "End every session: remove the session files.",
        discussion: "Example:\n  nicvault lock"
    )

    func run() throws {
        let count = try Locations().sessions().endAll()
        Console.note(count == 0 ? "No session was open." : "Ended \(count) session(s).")
    }
}
