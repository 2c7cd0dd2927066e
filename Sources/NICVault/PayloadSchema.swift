import GST
import Sodium

/// The vault payload's schema (docs/format.md, "The payload"): each record's reader and writer side by side, over
/// the generic JSONScanner and JSONWriter. Foundation's coder on Linux costs about 10 µs per credential (108 ms
/// for 10,000; docs/performance.md); this one reads and writes the records directly, and no password ever
/// becomes a `String`. A new field is one edit here (and one in the record's Codable conformance, which the
/// json export uses).
enum PayloadSchema {
    /// Decodes a whole payload. Throws `VaultError.unsupportedSchema` for another schema.
    static func decode(_ secure: SecureBytes) throws -> VaultPayload {
        try secure.withUnsafeBytes { raw in
            var probe = JSONScanner(raw)
            let schema = try probe.topLevelSchema()
            guard schema == VaultPayload.currentSchema else { throw VaultError.unsupportedSchema(schema) }
            var reader = JSONScanner(raw)
            return try reader.payload()
        }
    }

    /// Encodes a whole payload into locked memory.
    static func encode(_ payload: VaultPayload) throws -> SecureBytes {
        var encoder = JSONWriter()
        encoder.out.reserveCapacity(512 + payload.credentials.count * 400)
        encoder.payload(payload)
        defer { wipe(&encoder.out) }
        return try encoder.out.withUnsafeBytes { try SecureBytes(copying: $0) }
    }

}

// MARK: The payload

extension JSONScanner {
    mutating func topLevelSchema() throws -> Int {
        var schema: Int?
        try object { key, reader in
            if key == "schema" { schema = try reader.integer() } else { try reader.skipValue() }
        }
        try end()
        guard let schema else { throw fail("no schema") }
        return schema
    }

    mutating func payload() throws -> VaultPayload {
        var payload = VaultPayload()
        var seen = Set<String>()
        try object { key, reader in
            seen.insert(key)
            switch key {
            case "schema": payload.schema = try reader.integer()
            case "credentials": payload.credentials = try reader.array { try $0.credential() }
            case "clients": payload.clients = try reader.array { try $0.client() }
            case "log": payload.log = try reader.nullable { try $0.array { try $0.logEntry() } }
            case "recipients": payload.recipients = try reader.nullable { try $0.array { try $0.recipientLabel() } }
            case "settings":
                try reader.object { key, reader in
                    if key == "defaultRotationDays" {
                        payload.settings.defaultRotationDays = try reader.integer()
                    } else {
                        try reader.skipValue()
                    }
                }
            default: try reader.skipValue()
            }
        }
        try end()
        for required in ["schema", "credentials", "clients", "settings"] where !seen.contains(required) {
            throw fail("no \(required)")
        }
        return payload
    }
}

extension JSONWriter {
    mutating func payload(_ payload: VaultPayload) {
        out.append(0x7b)
        key("clients", first: true)
        list(payload.clients) { $0.client($1) }
        key("credentials")
        list(payload.credentials) { $0.credential($1) }
        if let log = payload.log {
            key("log")
            list(log) { $0.logEntry($1) }
        }
        if let recipients = payload.recipients {
            key("recipients")
            list(recipients) { $0.recipientLabel($1) }
        }
        key("schema")
        number(payload.schema)
        key("settings")
        out.append(0x7b)
        key("defaultRotationDays", first: true)
        number(payload.settings.defaultRotationDays)
        out.append(0x7d)
        out.append(0x7d)
    }
}

// MARK: Credential

extension JSONScanner {
    mutating func credential() throws -> Credential {
        var environment: String?, gstin: String?, kind: String?, legalName: String?, tradeName: String?
        var gsp: String?, irp: String?, userID: String?, client: String?, createdAt: String?
        var rotatedAt: String?, pendingSince: String?
        var password: Secret?
        var staged: StagedPassword?
        var retired: [RetiredPassword] = []
        var events: [CredentialEvent] = []
        var rotationDays: Int?, version: Int?
        try object { key, reader in
            switch key {
            case "password": password = Secret(wiped: try reader.secretBytes())
            case "staged": staged = try reader.nullable { try $0.stagedPassword() }
            case "retired": retired = try reader.array { try $0.retiredPassword() }
            case "events": events = try reader.array { try $0.event() }
            case "rotationDays": rotationDays = try reader.integer()
            case "version": version = try reader.integer()
            case "environment": environment = try reader.nullableString()
            case "gstin": gstin = try reader.nullableString()
            case "kind": kind = try reader.nullableString()
            case "legalName": legalName = try reader.nullableString()
            case "tradeName": tradeName = try reader.nullableString()
            case "gsp": gsp = try reader.nullableString()
            case "irp": irp = try reader.nullableString()
            case "userID": userID = try reader.nullableString()
            case "client": client = try reader.nullableString()
            case "createdAt": createdAt = try reader.nullableString()
            case "rotatedAt": rotatedAt = try reader.nullableString()
            case "pendingSince": pendingSince = try reader.nullableString()
            default: try reader.skipValue()
            }
        }
        guard let environment = environment.flatMap(Environment.init(rawValue:)),
            let kind = kind.flatMap(CredentialKind.init(rawValue:))
        else { throw fail("credential with a missing or unknown environment or kind") }
        guard let gstin, let legalName, let irp, let userID, let createdAt, let password, let rotationDays, let version
        else { throw fail("incomplete credential") }
        var credential = Credential(
            environment: environment, gstin: try GSTIN(stored: gstin), kind: kind, legalName: legalName,
            tradeName: tradeName, gsp: gsp, irp: irp, userID: userID, password: password, client: client,
            createdAt: try timestamp(createdAt), rotationDays: rotationDays)
        credential.rotatedAt = try rotatedAt.map(timestamp)
        credential.pendingSince = try pendingSince.map(timestamp)
        credential.staged = staged
        credential.retired = retired
        credential.events = events
        credential.version = version
        return credential
    }
}

extension JSONWriter {
    // Keys in sorted order, as JSONEncoder's .sortedKeys writes them.
    mutating func credential(_ c: Credential) {
        out.append(0x7b)
        var first = true
        func field(_ name: String, _ write: (inout JSONWriter) -> Void) {
            key(name, first: first)
            first = false
            write(&self)
        }
        if let client = c.client { field("client") { $0.string(client) } }
        field("createdAt") { $0.timestamp(c.createdAt) }
        field("environment") { $0.string(c.environment.rawValue) }
        if !c.events.isEmpty { field("events") { $0.list(c.events) { $0.event($1) } } }
        if let gsp = c.gsp { field("gsp") { $0.string(gsp) } }
        field("gstin") { $0.string(c.gstin.value) }
        field("irp") { $0.string(c.irp) }
        field("kind") { $0.string(c.kind.rawValue) }
        field("legalName") { $0.string(c.legalName) }
        field("password") { $0.secret(c.password) }
        if let pending = c.pendingSince { field("pendingSince") { $0.timestamp(pending) } }
        field("retired") {
            $0.list(c.retired) { encoder, retired in
                encoder.out.append(0x7b)
                encoder.key("password", first: true)
                encoder.secret(retired.password)
                encoder.key("retiredAt")
                encoder.timestamp(retired.retiredAt)
                if retired.unconfirmed {
                    encoder.key("unconfirmed")
                    encoder.out.append(contentsOf: Array("true".utf8))
                }
                if let userID = retired.userID {
                    encoder.key("userID")
                    encoder.string(userID)
                }
                encoder.out.append(0x7d)
            }
        }
        if let rotated = c.rotatedAt { field("rotatedAt") { $0.timestamp(rotated) } }
        field("rotationDays") { $0.number(c.rotationDays) }
        if let staged = c.staged {
            field("staged") {
                $0.out.append(0x7b)
                $0.key("password", first: true)
                $0.secret(staged.password)
                $0.key("stagedAt")
                $0.timestamp(staged.stagedAt)
                $0.out.append(0x7d)
            }
        }
        if let trade = c.tradeName { field("tradeName") { $0.string(trade) } }
        field("userID") { $0.string(c.userID) }
        field("version") { $0.number(c.version) }
        out.append(0x7d)
    }
}

// MARK: Staged and retired passwords (written inside the credential, above)

extension JSONScanner {
    mutating func stagedPassword() throws -> StagedPassword {
        var password: Secret?
        var at: String?
        try object { key, reader in
            switch key {
            case "password": password = Secret(wiped: try reader.secretBytes())
            case "stagedAt": at = try reader.string()
            default: try reader.skipValue()
            }
        }
        guard let password, let at else { throw fail("incomplete staged password") }
        return StagedPassword(password: password, stagedAt: try timestamp(at))
    }

    mutating func retiredPassword() throws -> RetiredPassword {
        var password: Secret?
        var at: String?
        var unconfirmed = false
        var userID: String?
        try object { key, reader in
            switch key {
            case "password": password = Secret(wiped: try reader.secretBytes())
            case "retiredAt": at = try reader.string()
            case "unconfirmed": unconfirmed = try reader.boolean()
            case "userID": userID = try reader.nullableString()
            default: try reader.skipValue()
            }
        }
        guard let password, let at else { throw fail("incomplete retired password") }
        return RetiredPassword(
            password: password, retiredAt: try timestamp(at), unconfirmed: unconfirmed, userID: userID)
    }
}

// MARK: Credential event

extension JSONScanner {
    mutating func event() throws -> CredentialEvent {
        var version: Int?
        var at: String?
        var change: String?
        try object { key, reader in
            switch key {
            case "version": version = try reader.integer()
            case "at": at = try reader.string()
            case "change": change = try reader.string()
            default: try reader.skipValue()
            }
        }
        guard let version, let at, let change else { throw fail("incomplete event") }
        return CredentialEvent(version: version, at: try timestamp(at), change: change)
    }
}

extension JSONWriter {
    mutating func event(_ event: CredentialEvent) {
        out.append(0x7b)
        key("at", first: true)
        timestamp(event.at)
        key("change")
        string(event.change)
        key("version")
        number(event.version)
        out.append(0x7d)
    }
}

// MARK: API client

extension JSONScanner {
    mutating func client() throws -> APIClient {
        var fields: [String: String] = [:]
        var secret: Secret?
        var version: Int?
        try object { key, reader in
            switch key {
            case "clientSecret": secret = Secret(wiped: try reader.secretBytes())
            case "version": version = try reader.integer()
            default:
                if let text = try reader.nullableString() { fields[key] = text }
            }
        }
        guard let name = fields["name"], let environment = fields["environment"].flatMap(Environment.init(rawValue:)),
            let issuer = fields["issuer"], let clientID = fields["clientID"], let secret, let version,
            let created = fields["createdAt"]
        else { throw fail("incomplete API client") }
        var client = APIClient(
            name: name, environment: environment, issuer: issuer, clientID: clientID, clientSecret: secret,
            createdAt: try timestamp(created))
        client.publicKeyPEM = fields["publicKeyPEM"]
        client.version = version
        return client
    }
}

extension JSONWriter {
    mutating func client(_ client: APIClient) {
        out.append(0x7b)
        key("clientID", first: true)
        string(client.clientID)
        key("clientSecret")
        secret(client.clientSecret)
        key("createdAt")
        timestamp(client.createdAt)
        key("environment")
        string(client.environment.rawValue)
        key("issuer")
        string(client.issuer)
        key("name")
        string(client.name)
        if let pem = client.publicKeyPEM {
            key("publicKeyPEM")
            string(pem)
        }
        key("version")
        number(client.version)
        out.append(0x7d)
    }
}

// MARK: Vault log entry

extension JSONScanner {
    mutating func logEntry() throws -> VaultLogEntry {
        var fields: [String: String] = [:]
        try object { key, reader in
            switch key {
            case "at", "action", "subject", "by", "user", "host", "hash": fields[key] = try reader.nullableString()
            default: try reader.skipValue()
            }
        }
        guard let at = fields["at"], let action = fields["action"], let subject = fields["subject"] else {
            throw fail("incomplete log entry")
        }
        return VaultLogEntry(
            at: try timestamp(at), action: action, subject: subject, by: fields["by"], user: fields["user"],
            host: fields["host"], hash: fields["hash"])
    }
}

extension JSONWriter {
    mutating func logEntry(_ entry: VaultLogEntry) {
        out.append(0x7b)
        key("action", first: true)
        string(entry.action)
        key("at")
        timestamp(entry.at)
        for (name, value) in [("by", entry.by), ("hash", entry.hash), ("host", entry.host)] {
            if let value {
                key(name)
                string(value)
            }
        }
        key("subject")
        string(entry.subject)
        if let user = entry.user {
            key("user")
            string(user)
        }
        out.append(0x7d)
    }
}

// MARK: Recipient label

extension JSONScanner {
    mutating func recipientLabel() throws -> RecipientLabel {
        var recipient: String?
        var label: String?
        var addedAt: String?
        try object { key, reader in
            switch key {
            case "recipient": recipient = try reader.string()
            case "label": label = try reader.string()
            case "addedAt": addedAt = try reader.string()
            default: try reader.skipValue()
            }
        }
        guard let recipient, let label, let addedAt else { throw fail("incomplete recipient") }
        return RecipientLabel(recipient: recipient, label: label, addedAt: try timestamp(addedAt))
    }
}

extension JSONWriter {
    mutating func recipientLabel(_ entry: RecipientLabel) {
        out.append(0x7b)
        key("addedAt", first: true)
        timestamp(entry.addedAt)
        key("label")
        string(entry.label)
        key("recipient")
        string(entry.recipient)
        out.append(0x7d)
    }
}
