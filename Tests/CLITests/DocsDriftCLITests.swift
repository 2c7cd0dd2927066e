import Foundation
import Testing

/// docs/cli.md and the binary's own --help cannot drift apart: every option of every command is documented
/// under that command's heading, and every option a heading names exists.
@Suite("docs/cli.md against the commands (the real binary)")
struct DocsDriftCLITests {
    static let globals: Set<String> = [
        "--vault", "--passphrase-file", "--passphrase-fd", "--accept-rollback", "--identity", "--allow-kdf-memory",
        "--store", "--version", "--help",
    ]

    /// Each command path ("rotate", "client add") with its long options, from --experimental-dump-help.
    func commands() throws -> [(path: String, options: Set<String>)] {
        let box = CLISandbox()
        let dump = try box.run(["--experimental-dump-help"])
        let root = try JSONSerialization.jsonObject(with: Data(dump.out.utf8)) as! [String: Any]
        var found: [(String, Set<String>)] = []
        func walk(_ command: [String: Any], _ path: [String]) {
            let subcommands = command["subcommands"] as? [[String: Any]] ?? []
            var options = Set<String>()
            for argument in command["arguments"] as? [[String: Any]] ?? [] {
                for name in argument["names"] as? [[String: Any]] ?? [] where name["kind"] as? String == "long" {
                    options.insert("--" + (name["name"] as! String))
                }
            }
            if subcommands.isEmpty && !path.isEmpty && path != ["help"] {
                found.append((path.joined(separator: " "), options))
            }
            for sub in subcommands { walk(sub, path + [sub["commandName"] as! String]) }
        }
        walk(root["command"] as! [String: Any], [])
        return found
    }

    /// The sections of docs/cli.md: heading line and body.
    func sections() throws -> [(heading: String, body: String)] {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/cli.md")
        let text = try String(contentsOf: file, encoding: .utf8)
        return text.components(separatedBy: "\n### ").dropFirst().map { part in
            let lines = part.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
            return (String(lines[0]), lines.count > 1 ? String(lines[1]).components(separatedBy: "\n## ")[0] : "")
        }
    }

    func covers(_ heading: String, _ path: String) -> Bool {
        heading.contains("`nicvault \(path) ") || heading.contains("`nicvault \(path)`")
            || heading.contains("`\(path) ")
            || heading.contains("`\(path)`")
    }

    func options(in text: String) -> Set<String> {
        let pattern = try! NSRegularExpression(pattern: "--[a-z][a-z-]*[a-z]")
        let range = NSRange(text.startIndex..., in: text)
        return Set(pattern.matches(in: text, range: range).map { String(text[Range($0.range, in: text)!]) })
    }

    @Test func everyOptionIsDocumentedUnderItsCommand() throws {
        let sections = try sections()
        let whole = sections.map { $0.heading + "\n" + $0.body }.joined(separator: "\n")
        for global in Self.globals.subtracting(["--version", "--help"]) {
            #expect(whole.contains(global), "docs/cli.md never mentions \(global)")
        }
        for (path, options) in try commands() {
            let covering = sections.filter { covers($0.heading, path) }
            #expect(!covering.isEmpty, "no heading in docs/cli.md for nicvault \(path)")
            let text = covering.map { $0.heading + "\n" + $0.body }.joined(separator: "\n")
            for option in options.subtracting(Self.globals) {
                #expect(text.contains(option), "nicvault \(path) \(option) is not documented under its heading")
            }
        }
    }

    @Test func everyOptionAHeadingNamesExists() throws {
        let commands = try commands()
        for section in try sections() {
            let covered = commands.filter { covers(section.heading, $0.path) }
            guard !covered.isEmpty else { continue }
            let known = covered.reduce(Self.globals) { $0.union($1.options) }
            for option in options(in: section.heading) {
                #expect(known.contains(option), "\(section.heading) names \(option), which no such command has")
            }
        }
    }

    @Test func helpFitsEightyColumnsWithExamplesWhole() throws {
        let box = CLISandbox()
        for (path, _) in try commands() {
            let help = try box.run(path.split(separator: " ").map(String.init) + ["--help"]).out
            var inExample = false
            for line in help.split(separator: "\n", omittingEmptySubsequences: false) {
                if line.hasPrefix("USAGE:") { inExample = false; continue }  // one line, as argument-parser writes it
                #expect(line.count <= 80, "nicvault \(path) --help: \(line.count) columns: \(line)")
                if line.hasPrefix("Example") { inExample = true; continue }
                // An example line that argument-parser had to wrap would come back unindented.
                if inExample && !line.isEmpty {
                    #expect(line.hasPrefix("  "), "nicvault \(path) --help: an example was wrapped: \(line)")
                }
            }
        }
    }

    @Test func defaultsAndChoicesReadAsAPersonTypesThem() throws {
        let box = CLISandbox()
        let unlock = try box.run(["unlock", "--help"]).out
        #expect(unlock.contains("(default: 15m)") && !unlock.contains("SessionTTL("))
        let exec = try box.run(["exec", "--help"]).out
        #expect(exec.contains("values: env, gst-irn") && !exec.contains("odoo"))
        #expect(!(try box.run(["verify", "--help"]).out.contains("--kind")))
        // --ttl 10 is ten minutes, as --every 90 is ninety days.
        try box.initVault()
        let session = try box.run(["unlock", "--ttl", "10"] + box.vaultFlags)
        #expect(session.code == 0 && session.err.contains("10 minutes"), "\(session.err)")
    }
}
