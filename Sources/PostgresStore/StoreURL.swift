import Foundation
import SealedFile

/// A `postgresql://` store address as libpq users write it: user, host, port, database and `sslmode`. The
/// database password never comes from the URL (it would be in argv and shell history): it comes from
/// `PGPASSWORD`, or the password file (`PGPASSFILE`, else `~/.pgpass`) as libpq reads it.
public struct StoreURL: Sendable, Equatable, CustomStringConvertible {
    public enum SSLMode: String, Sendable {
        case disable, prefer, require
        case verifyFull = "verify-full"
    }

    public var user: String
    /// A host name or address, or a folder holding the server's Unix socket (a path starting with "/").
    public var host: String
    public var port: Int
    public var database: String
    public var sslMode: SSLMode

    /// Parses `postgresql://USER@HOST[:PORT]/DATABASE[?sslmode=...&host=/socket/folder]`.
    public init(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard let components = URLComponents(string: text),
            components.scheme == "postgresql" || components.scheme == "postgres"
        else {
            // The text is not repeated: a mistyped URL may still hold a password.
            throw StoreError.database("--store takes a postgresql://user@host:port/database URL")
        }
        guard components.password == nil else {
            throw StoreError.database(
                "the --store URL holds a password: remove it and put it in ~/.pgpass (or PGPASSFILE, or PGPASSWORD)")
        }
        let query = Dictionary(
            (components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
        user = components.user ?? environment["PGUSER"] ?? NSUserName()
        host =
            query["host"] ?? components.host.flatMap { $0.isEmpty ? nil : $0 } ?? environment["PGHOST"] ?? "127.0.0.1"
        port = components.port ?? Int(query["port"] ?? environment["PGPORT"] ?? "") ?? 5432
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        database = path.isEmpty ? (environment["PGDATABASE"] ?? user) : path
        let mode = query["sslmode"] ?? environment["PGSSLMODE"] ?? "prefer"
        guard let sslMode = SSLMode(rawValue: mode) else {
            throw StoreError.database("sslmode \(mode) is not one of disable, prefer, require, verify-full")
        }
        self.sslMode = sslMode
    }

    /// The URL without any secret, for messages and the rollback memory's notes.
    public var description: String {
        "postgresql://\(user)@\(host.hasPrefix("/") ? "" : host):\(port)/\(database)"
            + (host.hasPrefix("/") ? "?host=\(host)" : "")
    }

    /// The password for this address: `PGPASSWORD`, else the first matching line of the password file.
    public func password(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String? {
        if let password = environment["PGPASSWORD"] { return password }
        let file =
            environment["PGPASSFILE"]
            ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.pgpass"
        guard let data = FileManager.default.contents(atPath: file) else { return nil }
        // As libpq: a password file others can read is ignored, with a warning.
        if let mode = try? FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int,
            mode & 0o077 != 0
        {
            throw StoreError.database("\(file) can be read by other users; run: chmod 600 '\(file)'")
        }
        let hostName = host.hasPrefix("/") ? "localhost" : host
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where !line.hasPrefix("#") {
            let fields = Self.fields(of: line)
            guard fields.count == 5 else { continue }
            let wanted = [hostName, String(port), database, user]
            if zip(fields.prefix(4), wanted).allSatisfy({ $0 == "*" || $0 == $1 }) { return fields[4] }
        }
        return nil
    }

    /// The colon-separated fields of a password file line (`\:` and `\\` escaped).
    static func fields(of line: Substring) -> [String] {
        var fields: [String] = []
        var current = ""
        var escaped = false
        for character in line {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == ":" {
                fields.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        fields.append(current)
        return fields
    }
}
