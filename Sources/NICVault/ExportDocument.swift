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
        return try JSONWriter.prettyPrintedLine(writer.out.bytes)
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
