import ArgumentParser
import Foundation
import NICVault

struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show the vault's id, generation, key derivation, key slots and counts.",
        discussion: """
            Example:
              nicvault info --json
            """
    )

    @OptionGroup var options: VaultOptions

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func run() throws {
        let info = try options.openVault().info
        if json {
            try JSONOutput.print(info)
            return
        }
        Console.out("vault:        \(info.path)")
        Console.out("id:           \(info.vaultID)")
        Console.out("format:       version \(info.formatVersion), payload schema \(info.payloadSchema)")
        Console.out("generation:   \(info.generation)")
        for slot in info.slots {
            if slot.type == "passphrase", let ops = slot.opsLimit, let mem = slot.memLimit {
                Console.out("key slot:     passphrase, Argon2id ops \(ops), memory \(mem / 1_048_576) MiB")
            } else {
                let name = slot.label.map { "\($0): \(slot.added ?? "")" } ?? (slot.recipient ?? "")
                Console.out("key slot:     recipient \(name)")
            }
        }
        Console.out("credentials:  \(info.credentials) (\(info.stagedPasswords) with a staged password)")
        Console.out("api clients:  \(info.clients)")
        Console.out("file size:    \(info.fileSize) bytes")
    }
}
