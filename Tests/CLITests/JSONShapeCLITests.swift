import Foundation
import Testing

/// Every JSON output against the table in docs/cli.md ("JSON output"), over the real binary.
@Suite("JSON shapes against docs/cli.md (the real binary)")
struct JSONShapeCLITests {
    /// The documented keys of a row of the table: required and optional ("?").
    func documented(_ command: String) throws -> (required: Set<String>, optional: Set<String>) {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/cli.md")
        let text = try String(contentsOf: file, encoding: .utf8)
        let row = try #require(
            text.split(separator: "\n").first { $0.hasPrefix("| `\(command)") }, "no row for \(command)")
        let shape = try #require(row.range(of: "`{").map { row[$0.upperBound...] }).prefix { $0 != "}" }
        var required = Set<String>()
        var optional = Set<String>()
        for key in shape.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if key.hasSuffix("?") { optional.insert(String(key.dropLast())) } else { required.insert(key) }
        }
        return (required, optional)
    }

    func check(_ object: Any, against command: String, _ label: String) throws {
        let keys = Set(try #require(object as? [String: Any], "\(label) is not an object").keys)
        let (required, optional) = try documented(command)
        #expect(required.isSubset(of: keys), "\(label): missing \(required.subtracting(keys))")
        #expect(
            keys.isSubset(of: required.union(optional)),
            "\(label): undocumented \(keys.subtracting(required.union(optional)))")
    }

    func lines(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    }

    @Test func everyShapeIsTheDocumentedOne() throws {
        let box = CLISandbox()
        try box.initVault()
        let registered = try box.run(["register", "27AABCD1234E1Z8", "--otp-from-outbox", "--json"] + box.vaultFlags)
        try check(try lines(registered.out)[0], against: "register", "register --json")
        let list = try JSONSerialization.jsonObject(
            with: Data(try box.run(["list", "--json"] + box.vaultFlags).out.utf8))
        try check((list as! [Any])[0], against: "list --json", "list --json")
        #expect(((list as! [[String: Any]])[0]["state"] as? [String: String]) == ["code": "27", "name": "Maharashtra"])
        let shown = try JSONSerialization.jsonObject(
            with: Data(try box.run(["show", "27AABCD1234E1Z8", "--json"] + box.vaultFlags).out.utf8))
        try check(shown, against: "show --json", "show --json")
        #expect(((shown as! [String: Any])["state"] as? [String: String])?["name"] == "Maharashtra")
        let rotated = try box.run(["rotate", "27AABCD1234E1Z8", "--json"] + box.vaultFlags)
        try check(try lines(rotated.out)[0], against: "register", "rotate --json")
        let history = try JSONSerialization.jsonObject(
            with: Data(try box.run(["history", "27AABCD1234E1Z8", "--json"] + box.vaultFlags).out.utf8))
        try check(history, against: "history --json", "history --json")
        #expect(!(try box.run(["history", "27AABCD1234E1Z8", "--json"] + box.vaultFlags).out.contains("\"password\"")))
        let batch = try lines(try box.run(["rotate", "--resume", "--json"] + box.vaultFlags).out)
        #expect(batch.isEmpty == false)
        try check(batch.last!, against: "rotate --due --json", "the batch summary")
        let summary = try #require(batch.last?["summary"] as? [String: Any])
        #expect(Set(summary.keys) == ["done", "failed", "skipped", "total"])
        box.write(
            "gstin,kind,env,user_id,password\n29AACCK5521H1ZK,portal,sandbox,KAVERI29,Kaveri@Pass2024\n",
            to: box.root + "/r.csv")
        let imported = try lines(
            try box.run(["import", box.root + "/r.csv", "--format", "csv", "--json"] + box.vaultFlags).out)
        try check(imported[0], against: "import --json", "import --json row")
        let clients = try box.run(
            ["client", "add", "keys", "--env", "sandbox", "--json"] + box.vaultFlags, stdin: "ID123\nsecret-XYZ\n")
        try check(try lines(clients.out)[0], against: "client list --json", "client add --json")
        #expect(!clients.out.contains("secret-XYZ"))
        let dry = try JSONSerialization.jsonObject(
            with: Data(
                try box.run(
                    ["export", "--profile", "json", "--env", "sandbox", "--dry-run", "--json"] + box.vaultFlags
                ).out.utf8))
        try check((dry as! [Any])[0], against: "export --dry-run --json", "export --dry-run --json")
        let gstin = try JSONSerialization.jsonObject(
            with: Data(try box.run(["gstin", "27AAPFU0939F1ZV", "--json"]).out.utf8))
        try check((gstin as! [Any])[0], against: "gstin --json", "gstin --json")
        try check(try box.info(), against: "info --json", "info --json")
    }
}
