import Foundation
import GST
import NICVault

/// The formats `nicvault import` reads.
public enum ImportFormat: String, Sendable, CaseIterable {
    /// A header row with gstin,kind,env,user_id,password and optionally gsp,client,every (docs/cli.md).
    case csv
    /// Exactly what `export --profile json` writes: a round trip that loses nothing.
    case json
    /// The GST Credential rows the india-compliance profile writes (API users; the environment from --env).
    case indiaCompliance = "india-compliance"
    /// The res.company values the odoo profile writes (API users).
    case odoo
}

/// Reads an import file into rows, each checked on its own (the plan checks them against each other and the
/// vault). A problem names the rule, never a password.
public enum ImportFile {
    public static let csvColumns = ["gstin", "kind", "env", "user_id", "password"]
    public static let csvOptionalColumns = ["gsp", "client", "every"]

    /// The rows of `text`, and the API clients a json file brings. `environment` is required for
    /// india-compliance (its rows do not say).
    public static func read(_ text: String, format: ImportFormat, environment: Environment? = nil) throws -> (
        rows: [ImportRow], clients: [APIClient]
    ) {
        switch format {
        case .csv: return (try csv(text), [])
        case .json: return try json(text)
        case .indiaCompliance:
            guard let environment else {
                throw ImportFileError("india-compliance rows do not say their environment; give --env")
            }
            return (try indiaCompliance(text, environment: environment), [])
        case .odoo: return (try odoo(text), [])
        }
    }

    // MARK: CSV

    static func csv(_ text: String) throws -> [ImportRow] {
        let records = try CSVReader.records(text)
        guard let header = records.first else { throw ImportFileError("the file is empty; it needs a header row") }
        let names = header.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        if names.count == 1, let separator = [";", "\t"].first(where: { names[0].contains($0) }) {
            // A spreadsheet saved with another separator: one column whose name holds them all.
            throw ImportFileError(
                "line 1 (header): the columns are separated by \(separator == ";" ? "semicolons" : "tabs"); "
                    + "nicvault reads comma-separated files: save it as CSV (comma delimited)")
        }
        let missing = csvColumns.filter { !names.contains($0) }
        let unknown = names.filter { !(csvColumns + csvOptionalColumns).contains($0) }
        guard missing.isEmpty, unknown.isEmpty else {
            var parts: [String] = []
            if !missing.isEmpty { parts.append("missing column(s) " + missing.joined(separator: ", ")) }
            if !unknown.isEmpty {
                parts.append(
                    "unknown column(s) "
                        + unknown.map { name in
                            // "userid", "User ID", "user-id": the column meant, named as the header must name it.
                            let near = (csvColumns + csvOptionalColumns).first {
                                Self.letters($0) == Self.letters(name)
                            }
                            return name + (near.map { " (did you mean \($0)?)" } ?? "")
                        }.joined(separator: ", "))
            }
            throw ImportFileError("line 1 (header): " + parts.joined(separator: "; "))
        }
        return records.dropFirst().filter { !($0.fields.count == 1 && $0.fields[0].isEmpty) }.map { record in
            guard record.fields.count == names.count else {
                return ImportRow(
                    line: record.line, problems: ["\(record.fields.count) fields where the header has \(names.count)"])
            }
            var values: [String: String] = [:]
            for (name, value) in zip(names, record.fields) { values[name] = value }
            return row(line: record.line, values: values)
        }
    }

    /// A column name's letters and digits alone.
    private static func letters(_ name: String) -> String { String(name.filter { $0.isLetter || $0.isNumber }) }

    /// One row from named values (csv columns).
    static func row(line: Int, values: [String: String]) -> ImportRow {
        var problems: [String] = []
        let trimmed = { (name: String) in values[name]?.trimmingCharacters(in: .whitespaces) ?? "" }
        let environment = Environment(rawValue: trimmed("env").lowercased())
        if environment == nil { problems.append("env must be sandbox or production, not \"\(trimmed("env"))\"") }
        let kind = CredentialKind(rawValue: trimmed("kind").lowercased())
        if kind == nil { problems.append("kind must be portal or api, not \"\(trimmed("kind"))\"") }
        var gstin: GSTIN?
        do {
            gstin = try GSTIN(parsing: trimmed("gstin"), environment: environment ?? .sandbox)
        } catch {
            problems.append("GSTIN \(trimmed("gstin")): \(error)")
        }
        let userID = trimmed("user_id")
        if userID.isEmpty { problems.append("user_id is empty") }
        let password = values["password"] ?? ""
        if password.isEmpty { problems.append("password is empty") }
        var days: Int?
        if !trimmed("every").isEmpty {
            days = RotationDays.parse(trimmed("every"))
            if days == nil { problems.append("every must be like 90d, 12w or 90 (1 to 3650 days)") }
        }
        guard problems.isEmpty, let gstin, let kind, let environment,
            let secret = try? Secret(utf8Bytes: Array(password.utf8))
        else { return ImportRow(line: line, problems: problems) }
        let gsp = trimmed("gsp").isEmpty ? nil : trimmed("gsp")
        let client = trimmed("client").isEmpty ? nil : trimmed("client")
        return ImportRow(
            line: line,
            credential: ExistingCredential(
                gstin: gstin, kind: kind, environment: environment, userID: userID, password: secret, gsp: gsp,
                client: client, rotationDays: days))
    }

    // MARK: JSON formats

    struct Export: Decodable {
        var format: String
        var version: Int
        var credentials: [Credential]
        var clients: [APIClient]
    }

    static func json(_ text: String) throws -> (rows: [ImportRow], clients: [APIClient]) {
        let export: Export
        do {
            export = try JSONDecoder().decode(Export.self, from: Data(text.utf8))
        } catch {
            throw ImportFileError("not a nicvault json export: \(describe(error))")
        }
        guard export.format == "nicvault-export", export.version == 1 else {
            throw ImportFileError("format \(export.format) version \(export.version) is not one this nicvault reads")
        }
        return (
            export.credentials.enumerated().map { ImportRow(line: $0.offset + 1, record: $0.element) }, export.clients
        )
    }

    struct IndiaComplianceBody: Decodable {
        struct Row: Decodable {
            var gstin: String
            var username: String
            var password: String
        }
        var credentials: [Row]
    }

    static func indiaCompliance(_ text: String, environment: Environment) throws -> [ImportRow] {
        let body: IndiaComplianceBody
        do {
            body = try JSONDecoder().decode(IndiaComplianceBody.self, from: Data(text.utf8))
        } catch {
            throw ImportFileError("not an india-compliance GST Credential body: \(describe(error))")
        }
        return body.credentials.enumerated().map { index, row in
            Self.row(
                line: index + 1,
                values: [
                    "gstin": row.gstin, "kind": "api", "env": environment.rawValue, "user_id": row.username,
                    "password": row.password,
                ])
        }
    }

    struct OdooRecord: Decodable {
        struct Values: Decodable {
            var l10n_in_edi_username: String
            var l10n_in_edi_password: String
            var l10n_in_edi_production_env: Bool
        }
        var match: [String: String]
        var values: Values
    }

    static func odoo(_ text: String) throws -> [ImportRow] {
        let records: [OdooRecord]
        do {
            records = try JSONDecoder().decode([OdooRecord].self, from: Data(text.utf8))
        } catch {
            throw ImportFileError("not the odoo profile's res.company records: \(describe(error))")
        }
        return records.enumerated().map { index, record in
            Self.row(
                line: index + 1,
                values: [
                    "gstin": record.match["vat"] ?? "", "kind": "api",
                    "env": record.values.l10n_in_edi_production_env ? "production" : "sandbox",
                    "user_id": record.values.l10n_in_edi_username, "password": record.values.l10n_in_edi_password,
                ])
        }
    }

    /// A decoding error without the values it read (a password could be among them).
    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            "no \(key.stringValue) at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            "a value of the wrong type at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        case DecodingError.dataCorrupted(let context):
            "not valid JSON"
                + (context.codingPath.isEmpty
                    ? "" : " at \(context.codingPath.map(\.stringValue).joined(separator: "."))")
        default: "unreadable"
        }
    }
}

/// A whole import file refused (no header, not JSON, ...).
public struct ImportFileError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Rotation intervals as people type them: 90d, 12w, or 90 (days); 1 to 3650 days.
public enum RotationDays {
    public static func parse(_ text: String) -> Int? {
        let lower = text.lowercased()
        let multiplier = lower.hasSuffix("w") ? 7 : 1
        let number = lower.hasSuffix("d") || lower.hasSuffix("w") ? String(lower.dropLast()) : lower
        guard let value = Int(number), value >= 1, value * multiplier <= 3650 else { return nil }
        return value * multiplier
    }
}

/// RFC 4180 CSV: quoted fields with "" for a quote, commas and line breaks inside quotes, CRLF or LF, a UTF-8
/// byte order mark tolerated. Each record keeps the line it starts on.
enum CSVReader {
    struct Record {
        var line: Int
        var fields: [String]
    }

    static func records(_ text: String) throws -> [Record] {
        var input = Substring(text)
        if input.hasPrefix("\u{FEFF}") { input = input.dropFirst() }
        var records: [Record] = []
        var fields: [String] = []
        var field = ""
        var quoted = false
        var line = 1
        var start = 1
        var index = input.startIndex
        var atFieldStart = true
        while index < input.endIndex {
            let character = input[index]
            if quoted {
                if character == "\"" {
                    let next = input.index(after: index)
                    if next < input.endIndex && input[next] == "\"" {
                        field.append("\"")
                        index = next
                    } else {
                        quoted = false
                    }
                } else {
                    if character == "\n" || character == "\r\n" { line += 1 }
                    field.append(character)
                }
            } else if character == "\"" && atFieldStart {
                quoted = true
            } else if character == "," {
                fields.append(field)
                field = ""
                atFieldStart = true
                index = input.index(after: index)
                continue
            } else if character == "\n" || character == "\r\n" || character == "\r" {
                fields.append(field)
                records.append(Record(line: start, fields: fields))
                fields = []
                field = ""
                line += 1
                start = line
                atFieldStart = true
                index = input.index(after: index)
                continue
            } else {
                field.append(character)
            }
            atFieldStart = false
            index = input.index(after: index)
        }
        if quoted { throw ImportFileError("line \(start): a quoted field is not closed") }
        if !field.isEmpty || !fields.isEmpty {
            fields.append(field)
            records.append(Record(line: start, fields: fields))
        }
        return records
    }
}
