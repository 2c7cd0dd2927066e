import Foundation
import NICVault
import Sodium

#if canImport(Glibc)
    import Glibc
#endif

/// Prompts, progress and warnings go to stderr; data goes to stdout.
enum Console {
    /// A number of days in words: "1 day", "90 days".
    static func days(_ count: Int) -> String { count == 1 ? "1 day" : "\(count) days" }

    /// Messages, warnings and errors: they quote what files, portals and users gave (a CSV header, a portal's
    /// error text, a path), so control characters are shown escaped, never sent to the terminal as they are
    /// (an escape sequence in a crafted file could rewrite what the screen shows).
    static func note(_ text: String) {
        FileHandle.standardError.write(Data((visible(text) + "\n").utf8))
    }

    /// Before a password is printed (`show --reveal`, `history --reveal`): a warning when stdout is a terminal,
    /// whose screen and scroll-back keep it. (`export` refuses a terminal instead: it prints every password.)
    static func warnIfRevealingOnTerminal() {
        if isatty(1) == 1 {
            note("warning: printing a password on the terminal; clear the screen and scroll-back afterwards")
        }
    }

    /// `text` with every control character but a line feed and a tab written as `\u{1B}`.
    static func visible(_ text: String) -> String {
        // Most text has no byte below 0x20 but a line feed or a tab, no DEL and no 0xC2 (which leads C1 controls).
        let plain = text.utf8.withContiguousStorageIfAvailable { bytes in
            !bytes.contains { $0 < 0x20 ? $0 != 0x0A && $0 != 0x09 : $0 == 0x7F || $0 == 0xC2 }
        }
        if plain == true { return text }
        guard text.unicodeScalars.contains(where: isHidden) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if isHidden(scalar) {
                out.append(contentsOf: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    private static func isHidden(_ scalar: Unicode.Scalar) -> Bool {
        (scalar.value < 0x20 && scalar != "\n" && scalar != "\t") || (0x7F...0x9F).contains(scalar.value)
    }

    /// A line for people on stdout: control characters escaped, as in `note` (legal names come from portals and
    /// imported files).
    static func out(_ text: String) {
        FileHandle.standardOutput.write(Data((visible(text) + "\n").utf8))
    }

    /// A value a script reads back byte for byte (`show --field`): written as it is.
    static func exact(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    /// Bytes to stdout without a copy (an export straight from locked memory); a failed write (a full disk
    /// behind `>`, a closed pipe) is an error, never a silently short output.
    static func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(1, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw CLIError(
                    "could not write to stdout: \(String(cString: strerror(errno))); nothing in the vault changed",
                    code: Exit.failure)
            }
            offset += written
        }
    }
}

/// New secrets asked on the controlling terminal (`ControllingTerminal`), with the CLI's retries.
enum Terminal {
    /// A new vault passphrase, asked twice; one too short is asked again (three times at most).
    static func readNewPassphrase() throws -> SecureBytes? {
        for _ in 0..<3 {
            guard let typed = try readNewSecret(prompt: "New vault passphrase: ", confirm: "Repeat it: ") else {
                return nil
            }
            if (try? Vault.checkNewPassphrase(typed)) != nil { return typed }
            Console.note("The passphrase must be at least \(Vault.minimumPassphraseLength) characters; try again.")
        }
        throw CLIError("no passphrase long enough after three tries; nothing was changed", code: Exit.usage)
    }

    /// Asks twice and insists that both answers match (for a new passphrase or password).
    static func readNewSecret(prompt: String, confirm: String) throws -> SecureBytes? {
        for _ in 0..<3 {
            guard let first = try ControllingTerminal.readSecret(prompt: prompt) else { return nil }
            guard let second = try ControllingTerminal.readSecret(prompt: confirm) else { return nil }
            if first.constantTimeEquals(second) { return first }
            Console.note("The two entries differ; try again.")
        }
        throw CLIError("the entries did not match three times; nothing was changed", code: Exit.usage)
    }
}
