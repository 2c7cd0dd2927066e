import SealedFile
import Sodium

#if canImport(Glibc)
    import Glibc
#endif

/// Reads secrets from descriptors (a terminal, a file, a pipe) straight into locked memory.
public enum SecretReader {
    /// Longest secret read from a terminal, a file or a pipe.
    public static let maximumLength = 4096

    /// Reads one line ("\n" or "\r\n" dropped). With `timeout`, gives up after that many seconds without a
    /// complete line (a FIFO with no writer, a command that never prints): `what` names the source in the error,
    /// whose kind is `kind` (a line too long is `.invalid`).
    public static func readLine(
        fd: Int32, timeout: Double? = nil, what: String = "the secret", kind: UnlockError.Kind = .failed
    ) throws -> SecureBytes {
        let deadline = timeout.map { Monotonic.now() + $0 }
        var length = 0
        let buffer = try SecureBytes(count: maximumLength + 1) { out in
            while length < out.count {
                if let deadline {
                    let left = deadline - Monotonic.now()
                    var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                    let ready = left > 0 ? poll(&poller, 1, Int32(min(left, 3600) * 1000) + 1) : 0
                    if ready < 0 {
                        if errno == EINTR { continue }
                        throw UnlockError("could not read \(what): \(String(cString: strerror(errno)))", kind: kind)
                    }
                    if ready == 0 {
                        throw UnlockError(
                            "gave up waiting for \(what) after \(Int(timeout!)) s (set NICVAULT_PASSPHRASE_TIMEOUT "
                                + "to wait longer)", kind: kind)
                    }
                }
                let n = Glibc.read(fd, out.baseAddress! + length, 1)
                if n < 0 {
                    if errno == EINTR || errno == EAGAIN { continue }
                    let reason = errno == EBADF ? "it is not an open descriptor" : String(cString: strerror(errno))
                    throw UnlockError("could not read \(what): \(reason)", kind: kind)
                }
                if n == 0 { break }
                if out[length] == 0x0a { break }
                length += n
            }
        }
        guard length <= maximumLength else {
            throw UnlockError("\(what) is longer than \(maximumLength) bytes", kind: .invalid)
        }
        var end = length
        if end > 0 && buffer.withUnsafeBytes({ $0[end - 1] }) == 0x0d { end -= 1 }
        return try buffer.slice(0..<end)
    }
}
