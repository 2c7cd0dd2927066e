import Foundation
import GST

/// A JSON encoder for command output.
enum JSONOutput {
    static func print<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        Console.out(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    /// One compact line (JSON Lines), for batches and change results.
    static func line<T: Encodable>(_ value: T) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return }
        Console.out(String(decoding: data, as: UTF8.self))
    }
}

/// What happened to one credential, the same shape for every change command and every batch line (docs/cli.md,
/// "JSON output"): `{"gstin", "kind", "env", "outcome", "exit", "message"}`.
struct ItemResult: Encodable {
    var gstin: String
    var kind: String
    var env: String
    var outcome: String
    var exit: Int32
    var message: String

    init(_ key: CredentialKey, outcome: String, exit: Int32 = 0, message: String = "") {
        gstin = key.gstin.value
        kind = key.kind.rawValue
        env = key.environment.rawValue
        self.outcome = outcome
        self.exit = exit
        self.message = message
    }

    init(_ key: CredentialKey, error: any Error) {
        self.init(
            key, outcome: "failed", exit: ErrorReport.exitCode(for: error), message: ErrorReport.message(for: error))
    }
}

/// The last line of a batch: `{"summary": {"total", "done", "failed", "skipped"}}`.
struct BatchSummary: Encodable {
    struct Counts: Encodable {
        var total: Int
        var done: Int
        var failed: Int
        var skipped: Int
    }
    var summary: Counts
}
