import Foundation
import Sodium

#if canImport(Glibc)
    import Glibc
#endif

/// Prompts, progress and warnings go to stderr; data goes to stdout.
enum Console {
    static func note(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    static func out(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }
}

/// The controlling terminal, read without echo.
enum Terminal {
    /// Longest secret read from a terminal, a file or a pipe.
    static let maximumSecretLength = 4096

    /// True when a controlling terminal can be opened.
    static var isAvailable: Bool {
        let fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)
        if fd < 0 { return false }
        close(fd)
        return true
    }

    /// Shows `prompt` on the terminal and reads one line with echo off. Nil when there is no terminal.
    static func readSecret(prompt: String) throws -> SecureBytes? {
        let fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var saved = termios()
        let haveAttributes = tcgetattr(fd, &saved) == 0
        if haveAttributes {
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            quiet.c_lflag |= tcflag_t(ECHONL)
            _ = tcsetattr(fd, TCSAFLUSH, &quiet)
        }
        defer { if haveAttributes { _ = tcsetattr(fd, TCSAFLUSH, &saved) } }
        _ = prompt.withCString { write(fd, $0, strlen($0)) }
        return try SecretReader.readLine(fd: fd)
    }

    /// Shows `prompt` and reads one line with echo on (for answers that are not secret). Nil without a terminal.
    static func readLine(prompt: String) throws -> String? {
        let fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        _ = prompt.withCString { write(fd, $0, strlen($0)) }
        let line = try SecretReader.readLine(fd: fd)
        return line.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
    }

    /// Writes straight to the terminal, never to stdout or stderr (which may be logged).
    static func writeToTerminal(_ text: String) {
        let fd = open("/dev/tty", O_WRONLY | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        _ = text.withCString { write(fd, $0, strlen($0)) }
    }

    /// Asks twice and insists that both answers match (for a new passphrase or password).
    static func readNewSecret(prompt: String, confirm: String) throws -> SecureBytes? {
        for _ in 0..<3 {
            guard let first = try readSecret(prompt: prompt) else { return nil }
            guard let second = try readSecret(prompt: confirm) else { return nil }
            if first.constantTimeEquals(second) { return first }
            Console.note("The two entries differ; try again.")
        }
        throw CLIError("the entries did not match three times; nothing was changed", code: Exit.usage)
    }
}

/// Reads secrets from descriptors straight into locked memory.
enum SecretReader {
    /// Reads one line (without its newline) from `fd`.
    static func readLine(fd: Int32) throws -> SecureBytes {
        try read(fd: fd, stopAtNewline: true)
    }

    /// Reads until end of file; one trailing newline ("\n" or "\r\n") is dropped.
    static func readAll(fd: Int32) throws -> SecureBytes {
        try read(fd: fd, stopAtNewline: false)
    }

    private static func read(fd: Int32, stopAtNewline: Bool) throws -> SecureBytes {
        var length = 0
        let buffer = try SecureBytes(count: Terminal.maximumSecretLength + 1) { out in
            while length < out.count {
                let n = Glibc.read(fd, out.baseAddress! + length, stopAtNewline ? 1 : out.count - length)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw CLIError("could not read the secret: \(String(cString: strerror(errno)))")
                }
                if n == 0 { break }
                if stopAtNewline && out[length] == 0x0a { break }
                length += n
            }
        }
        guard length <= Terminal.maximumSecretLength else {
            throw CLIError("the secret is longer than \(Terminal.maximumSecretLength) bytes", code: Exit.usage)
        }
        var end = length
        if !stopAtNewline {
            if end > 0 && buffer.withUnsafeBytes({ $0[end - 1] }) == 0x0a { end -= 1 }
        }
        if end > 0 && buffer.withUnsafeBytes({ $0[end - 1] }) == 0x0d { end -= 1 }
        return try buffer.slice(0..<end)
    }
}
