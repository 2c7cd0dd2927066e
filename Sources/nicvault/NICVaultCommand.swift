import ArgumentParser
import Foundation
import Sodium

@main
struct NICVaultCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nicvault",
        abstract: "Keeps the NIC e-invoice credentials of your GSTINs in one sealed file.",
        discussion: """
            Data goes to stdout; prompts and progress to stderr. Secrets are never taken from the command line. \
            Exit codes: 0 ok, 1 failure, 2 wrong passphrase, 3 vault damaged, 4 conflict or locked, \
            5 portal refused or unreachable, 6 not found, 10 something is due (list --due), 64 usage. See docs/cli.md.
            """,
        version: "0.1.0",
        subcommands: [
            InitCommand.self, InfoCommand.self, PasswdCommand.self, UnlockCommand.self, LockCommand.self,
            RegisterCommand.self, AddCommand.self, ImportCommand.self, RemoveCommand.self, ListCommand.self,
            ShowCommand.self, RotateCommand.self, UpdateCommand.self, HistoryCommand.self, SetCommand.self,
            ClientCommand.self, ExportCommand.self, ExecCommand.self, VerifyCommand.self, GSTINCommand.self,
            SandboxCommand.self, KeygenCommand.self, RecipientCommand.self, RekeyCommand.self, LogCommand.self,
            UpgradeCommand.self, StoreCommand.self,
        ]
    )

    static func main() async {
        // Before anything can hold a secret: no core files, no ptrace by other processes of this user, no crash
        // reporter reading this process's memory.
        ProcessHardening.disableCoreDumps()
        ProcessHardening.disableCrashReports()
        ProcessMemory.keepLargeBlocks()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as CLIError {
            Console.note("nicvault: " + error.message)
            Foundation.exit(error.code)
        } catch {
            // swift-argument-parser's own errors (help, version, usage) keep its behaviour, with usage = 64.
            if Self.isParserError(error) { Self.exit(withError: error) }
            Console.note("nicvault: " + ErrorReport.message(for: error))
            Foundation.exit(ErrorReport.exitCode(for: error))
        }
    }

    private static func isParserError(_ error: any Error) -> Bool {
        error is ValidationError || error is CleanExit || error is ExitCode
            || String(reflecting: type(of: error)).hasPrefix("ArgumentParser.")
    }
}
