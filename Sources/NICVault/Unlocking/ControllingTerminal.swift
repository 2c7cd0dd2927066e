import Foundation
import Sodium

#if canImport(Glibc)
    import Glibc
#endif

/// The controlling terminal (/dev/tty), where a person is asked for what a program's stdin and stdout must not
/// carry: a secret read with echo off into locked memory, an answer, a line shown to the person alone. Every
/// function does nothing (nil, false) when the process has no controlling terminal (a job, a service). One secret
/// is read at a time: the echo guard below is process-wide.
public enum ControllingTerminal {
    /// True when a controlling terminal can be opened.
    public static var isAvailable: Bool { withTerminal { _ in true } ?? false }

    /// Runs `body` with the controlling terminal open; nil when there is none.
    private static func withTerminal<R>(_ mode: Int32 = O_RDWR, _ body: (Int32) throws -> R) rethrows -> R? {
        let fd = open("/dev/tty", mode | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        return try body(fd)
    }

    /// Shows `prompt` on the terminal and reads one line with echo off. Nil when there is no terminal. Ctrl-C, a
    /// kill or a hang-up meanwhile turns echo back on before the process ends.
    public static func readSecret(prompt: String) throws -> SecureBytes? {
        try withTerminal { fd in try readSecret(prompt: prompt, fd: fd) }
    }

    private static func readSecret(prompt: String, fd: Int32) throws -> SecureBytes {
        var saved = termios()
        let haveAttributes = tcgetattr(fd, &saved) == 0
        if haveAttributes {
            EchoGuard.arm(fd: fd, settings: saved)
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            quiet.c_lflag |= tcflag_t(ECHONL)
            _ = tcsetattr(fd, TCSAFLUSH, &quiet)
        }
        defer {
            if haveAttributes {
                _ = tcsetattr(fd, TCSAFLUSH, &saved)
                EchoGuard.disarm()
            }
        }
        _ = prompt.withCString { Glibc.write(fd, $0, strlen($0)) }
        return try SecretReader.readLine(fd: fd)
    }

    /// Shows `prompt` and reads one line with echo on (for answers that are not secret). Nil without a terminal.
    public static func readLine(prompt: String) throws -> String? {
        try withTerminal { fd in
            _ = prompt.withCString { Glibc.write(fd, $0, strlen($0)) }
            return try SecretReader.readLine(fd: fd).withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
        }
    }

    /// Writes straight to the terminal, never to stdout or stderr (which may be logged).
    public static func write(_ text: String) {
        withTerminal(O_WRONLY) { fd in _ = text.withCString { Glibc.write(fd, $0, strlen($0)) } }
    }
}

/// While a secret is read with echo off, a signal that ends the process (Ctrl-C, a hang-up, a kill) first puts
/// the terminal's settings back: otherwise the shell is left not showing what is typed. Only signals whose
/// action is the default are taken over, and only for the read.
private enum EchoGuard {
    nonisolated(unsafe) static var fd: Int32 = -1
    nonisolated(unsafe) static var settings = termios()
    nonisolated(unsafe) static var armed: [Int32] = []

    static func arm(fd: Int32, settings: termios) {
        Self.fd = fd
        Self.settings = settings
        for number in [SIGINT, SIGTERM, SIGHUP, SIGQUIT] {
            let previous = signal(number, restoreThenEnd)
            // Ignored, or handled by someone else (a batch's Ctrl-C): left as it was.
            if previous != nil { _ = signal(number, previous) } else { armed.append(number) }
        }
    }

    static func disarm() {
        for number in armed { _ = signal(number, SIG_DFL) }
        armed = []
    }

    /// Async-signal-safe: tcsetattr, write, signal and raise only.
    private static let restoreThenEnd: @convention(c) (Int32) -> Void = { number in
        var settings = EchoGuard.settings
        _ = tcsetattr(EchoGuard.fd, TCSAFLUSH, &settings)
        var newline: UInt8 = 0x0a
        _ = write(EchoGuard.fd, &newline, 1)
        _ = signal(number, SIG_DFL)
        _ = raise(number)
    }
}
