import GST
import Portal

/// How a batch prints (rotate --due and --resume, verify of many): a line per credential as it ends, or a JSON
/// line, then the counts; and how it ends: exit 130 after Ctrl-C, else the first failure's exit code.
final class BatchOutput {
    let json: Bool
    let total: Int
    private(set) var ended = 0

    init(json: Bool, total: Int) {
        self.json = json
        self.total = total
    }

    /// One credential ended: with `outcome` ("rotated", "verified"), or with its error.
    func item(_ key: CredentialKey, outcome: String, error: (any Error)?) {
        ended += 1
        if json {
            JSONOutput.line(error.map { ItemResult(key, error: $0) } ?? ItemResult(key, outcome: outcome))
        } else {
            Console.note(
                "\(ended)/\(total) \(key): " + (error.map { "failed: " + ErrorReport.message(for: $0) } ?? outcome))
        }
    }

    /// A line for a person (none in JSON mode).
    func note(_ text: String) {
        if !json { Console.note(text) }
    }

    /// The counts of `reports` (as `text` words them, or the JSON summary line), then the exit.
    func finish(_ reports: [BatchReport], text: (BatchSummary.Counts) -> String) throws {
        let failures = reports.flatMap(\.failures)
        let counts = BatchSummary.Counts(
            total: total, done: reports.map(\.done.count).reduce(0, +), failed: failures.count,
            skipped: reports.map(\.skipped.count).reduce(0, +))
        if json {
            JSONOutput.line(BatchSummary(summary: counts))
        } else if total > 0 {
            Console.note(text(counts))
        }
        if Interruption.requested {
            throw CLIError(
                "stopped by Ctrl-C after \(ended) of \(total), \(counts.skipped) skipped; run it again for the rest",
                code: 130)
        }
        if let first = failures.first {
            throw CLIError(
                "\(failures.count) failed: " + failures.map { $0.key.description }.joined(separator: ", "),
                code: ErrorReport.exitCode(for: first.error))
        }
    }
}
