import GST
import Sodium

/// nicvault's own export (`export --profile json`, docs/export.md): versioned and complete, written by the
/// payload's own record writers into wiped memory and laid out exactly as Foundation's JSONEncoder lays it out
/// with `[.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]`, so the bytes are those the first release
/// wrote. JSONEncoder took about 1.7 s for 100,000 credentials and left every password in Strings it cannot
/// wipe; this takes a small fraction of that.
public enum ExportDocument {
    public static let format = "nicvault-export"
    public static let version = 1

    /// The document, with a final newline.
    public static func json(environment: Environment, credentials: [Credential], clients: [APIClient]) throws
        -> SecureBytes
    {
        var writer = JSONWriter()
        writer.out.reserveCapacity(256 + credentials.count * 700)
        defer { wipe(&writer.out) }
        writer.out.append(0x7b)
        writer.key("clients", first: true)
        writer.list(clients) { $0.client($1) }
        writer.key("credentials")
        writer.list(credentials) { $0.credential($1) }
        writer.key("environment")
        writer.string(environment.rawValue)
        writer.key("format")
        writer.string(format)
        writer.key("version")
        writer.number(version)
        writer.out.append(0x7d)
        var pretty = JSONWriter.prettyPrinted(writer.out.bytes)
        defer { wipe(&pretty) }
        pretty.append(0x0a)  // room for it was measured
        return try pretty.withUnsafeBytes { try SecureBytes(copying: $0) }
    }
}

extension JSONWriter {
    /// Compact JSON (as this writer makes it: no whitespace outside strings) laid out as Foundation's
    /// `.prettyPrinted` does: two spaces per level, `"key" : value`, one element per line, and an empty
    /// array or object as its brackets around an empty line. Measured first, so the buffer that holds the
    /// secrets is never reallocated (a reallocation would leave a copy behind that nobody wipes).
    static func prettyPrinted(_ compact: [UInt8]) -> [UInt8] {
        var counter = ByteCounter()
        layOut(compact, into: &counter)
        var buffer = ByteBuffer()
        buffer.out.reserveCapacity(counter.count + 1)
        layOut(compact, into: &buffer)
        return buffer.out
    }

    private static func layOut(_ compact: [UInt8], into sink: inout some ByteSink) {
        var depth = 0
        var index = 0
        while index < compact.count {
            let byte = compact[index]
            switch byte {
            case 0x22:  // a string, escapes and all, as it stands
                sink.append(byte)
                index += 1
                while compact[index] != 0x22 {
                    if compact[index] == 0x5c {
                        sink.append(compact[index])
                        index += 1
                    }
                    sink.append(compact[index])
                    index += 1
                }
                sink.append(0x22)
            case 0x7b, 0x5b:
                let close: UInt8 = byte == 0x7b ? 0x7d : 0x5d
                sink.append(byte)
                if compact[index + 1] == close {
                    sink.append(0x0a)
                    sink.newline(indent: depth)
                    sink.append(close)
                    index += 1
                } else {
                    depth += 1
                    sink.newline(indent: depth)
                }
            case 0x7d, 0x5d:
                depth -= 1
                sink.newline(indent: depth)
                sink.append(byte)
            case 0x2c:
                sink.append(byte)
                sink.newline(indent: depth)
            case 0x3a:
                sink.append(0x20)
                sink.append(0x3a)
                sink.append(0x20)
            default: sink.append(byte)
            }
            index += 1
        }
    }
}

private protocol ByteSink {
    mutating func append(_ byte: UInt8)
    mutating func newline(indent depth: Int)
}

private struct ByteCounter: ByteSink {
    var count = 0
    mutating func append(_ byte: UInt8) { count += 1 }
    mutating func newline(indent depth: Int) { count += 1 + 2 * depth }
}

private struct ByteBuffer: ByteSink {
    var out: [UInt8] = []
    mutating func append(_ byte: UInt8) { out.append(byte) }
    mutating func newline(indent depth: Int) {
        out.append(0x0a)
        for _ in 0..<(2 * depth) { out.append(0x20) }
    }
}

/// `list --json` written without Foundation's encoder (about 5 µs a row, half a second at 100,000 credentials):
/// the same bytes JSONEncoder writes with `[.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]`, which a
/// test holds it to, field by field. A field added to `CredentialSummary` is added here too (the test fails
/// until it is).
public enum SummaryJSON {
    public static func list(_ rows: [CredentialSummary]) -> [UInt8] {
        var writer = JSONWriter()
        writer.list(rows) { writer, row in
            writer.out.append(0x7b)
            writer.key("daysSinceRotation", first: true)
            writer.number(row.daysSinceRotation)
            writer.key("dueDate")
            writer.string(row.dueDate)
            writer.key("environment")
            writer.string(row.environment)
            if let gsp = row.gsp {
                writer.key("gsp")
                writer.string(gsp)
            }
            writer.key("gstin")
            writer.string(row.gstin)
            writer.key("kind")
            writer.string(row.kind)
            writer.key("legalName")
            writer.string(row.legalName)
            if let since = row.pendingSince {
                writer.key("pendingSince")
                writer.string(since)
            }
            if let since = row.rotationPendingSince {
                writer.key("rotationPendingSince")
                writer.string(since)
            }
            writer.key("state")
            writer.out.append(0x7b)
            writer.key("code", first: true)
            writer.string(row.state.code)
            writer.key("name")
            writer.string(row.state.name)
            writer.out.append(0x7d)
            writer.key("status")
            writer.string(row.status.rawValue)
            writer.key("userID")
            writer.string(row.userID)
            writer.out.append(0x7d)
        }
        return JSONWriter.prettyPrinted(writer.out.bytes)
    }
}
