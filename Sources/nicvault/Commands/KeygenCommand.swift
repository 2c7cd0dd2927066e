import ArgumentParser
import Foundation
import GST
import NICVault
import Sodium

struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Make an X25519 identity for a job or a colleague, in age's format.",
        discussion: """
            Writes the identity (AGE-SECRET-KEY-1...) to a new 0600 file, never over another one, and prints \
            its recipient (age1...) for nicvault recipient add. An identity made by age-keygen works as well. \
            A passphrase-protected identity file is not supported: keep the file 0600 on the job's machine.
            Example:
              nicvault keygen --output /etc/nicvault/job.key
              nicvault recipient add age1... --label einvoice-job
            """
    )

    @Option(
        help: ArgumentHelp("The identity file (default: $XDG_CONFIG_HOME/nicvault/identity.txt).", valueName: "file"))
    var output: String?

    func run() throws {
        let path = try output ?? Locations().defaultIdentityFile()
        let key = try X25519PrivateKey()
        try IdentityFile.write(try AgeKeys.identityFile(key, created: Timestamp.current()), to: path)
        Console.note("Wrote the identity to \(path) (0600). Its recipient:")
        let recipient = AgeKeys.recipient(key.publicKey)
        Console.out(recipient)
        // It opens nothing yet: say what makes it a recipient (and who can do that).
        Console.note(
            "Next: someone who can open the vault runs nicvault recipient add \(recipient) --label NAME; "
                + "until then this identity opens no vault" + (output == nil ? " (nicvault tries it first)" : ""))
    }
}
