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

    /// The document, with a final newline. The credentials are written in one slice per core, each on its own
    /// thread; the pieces are laid out as one document.
    public static func json(environment: Environment, credentials: [Credential], clients: [APIClient]) throws
        -> SecureBytes
    {
        var head = JSONWriter()
        var tail = JSONWriter()
        var bodies = try RecordIndex.inSlices(credentials.count) { slice in
            var writer = JSONWriter()
            writer.out.reserveCapacity(slice.count * 700)
            for index in slice {
                if index > 0 { writer.out.append(0x2c) }
                writer.credential(credentials[index])
            }
            return [writer.out]
        }
        defer {
            // Each buffer held only here by now, so wiped where it stands (never a copy of it).
            wipe(&head.out)
            for index in bodies.indices { wipe(&bodies[index]) }
            wipe(&tail.out)
        }
        head.out.append(0x7b)
        head.key("clients", first: true)
        head.list(clients) { $0.client($1) }
        head.key("credentials")
        head.out.append(0x5b)
        // An empty array is laid out apart ("[", an empty line, "]"): its brackets stay in one piece.
        if credentials.isEmpty { head.out.append(0x5d) } else { tail.out.append(0x5d) }
        tail.key("environment")
        tail.string(environment.rawValue)
        tail.key("format")
        tail.string(format)
        tail.key("version")
        tail.number(version)
        tail.out.append(0x7d)
        let document = try layOut(
            head: head.out, bodies: bodies, tail: tail.out, tailDepth: credentials.isEmpty ? 1 : 2)
        return document
    }

    /// The pieces in the document: the head at depth 0, then the credentials inside its object and array, and the
    /// tail (there too, unless the empty array closed in the head). A function of its own, so that the list of
    /// pieces is gone before the caller wipes the buffers it names (a buffer still shared would be wiped as a
    /// copy).
    private static func layOut(head: WipingBuffer, bodies: [WipingBuffer], tail: WipingBuffer, tailDepth: Int) throws
        -> SecureBytes
    {
        try JSONWriter.prettyPrintedLine([(head, 0)] + bodies.map { ($0, 2) } + [(tail, tailDepth)])
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
