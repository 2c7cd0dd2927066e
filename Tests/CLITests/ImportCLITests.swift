import Foundation
import Testing

/// Credentials that already exist: add, import (csv, json, india-compliance, odoo), remove, update --user-id,
/// over the real binary.
@Suite("existing credentials in and out (the real binary)")
struct ImportCLITests {
    func generation(_ box: CLISandbox) throws -> Int { try box.info()["generation"] as! Int }

    func listJSON(_ box: CLISandbox) throws -> [[String: Any]] {
        let listed = try box.run(["list", "--json"] + box.vaultFlags)
        return try JSONSerialization.jsonObject(with: Data(listed.out.utf8)) as! [[String: Any]]
    }

    @Test func addTakesAnExistingCredentialWithWarningsNotRefusals() throws {
        let box = CLISandbox()
        try box.initVault()
        let added = try box.run(
            [
                "add", "27AABCD1234E1Z8", "--kind", "api", "--env", "sandbox", "--user-id", "API_DEMO27", "--gsp",
                "Demo GSP",
            ]
                + box.vaultFlags, stdin: "weakpass\n")
        #expect(added.code == 0, "\(added.err)")
        #expect(added.err.contains("warning") && !added.err.contains("weakpass"))
        let history = try box.run(["history", "27AABCD1234E1Z8"] + box.vaultFlags)
        #expect(history.out.contains("added (existing credential)") && !history.out.contains("registered"))
        let again = try box.run(
            ["add", "27AABCD1234E1Z8", "--kind", "api", "--env", "sandbox", "--user-id", "X"] + box.vaultFlags,
            stdin: "Other@Pass2024\n")
        #expect(again.code == 4)
        // update --user-id alone keeps the password.
        let fixed = try box.run(["update", "27AABCD1234E1Z8", "--user-id", "API_DEMO27B"] + box.vaultFlags, stdin: "")
        #expect(fixed.code == 0, "\(fixed.err)")
        let shown = try box.run(["show", "27AABCD1234E1Z8", "--field", "password"] + box.vaultFlags)
        #expect(shown.out.trimmingCharacters(in: .newlines) == "weakpass")
        #expect(
            try box.run(["show", "27AABCD1234E1Z8", "--field", "userID"] + box.vaultFlags).out.contains("API_DEMO27B"))

        // A legal name with an escape sequence (from a file or a portal) is shown escaped to people, and given
        // back as it is to a script that asks for the field.
        let name = "Kaveri \u{1B}[2J Traders"
        #expect(
            try box.run(
                [
                    "add", "29AACCK5521H1ZK", "--kind", "portal", "--env", "sandbox", "--user-id", "KAVERI29",
                    "--legal-name", name,
                ]
                    + box.vaultFlags, stdin: "Kaveri@Pass2024\n"
            ).code == 0)
        for command in [["list"], ["show", "29AACCK5521H1ZK"], ["history", "29AACCK5521H1ZK"]] {
            let shown = try box.run(command + box.vaultFlags)
            #expect(!shown.out.unicodeScalars.contains { $0.value == 0x1B }, "\(command)")
        }
        #expect(try box.run(["list"] + box.vaultFlags).out.contains("Kaveri \\u{1B}[2J Traders"))
        // A GSP goes with API users only: on a portal login it is warned about and not stored.
        let portalWithGSP = try box.run(
            [
                "add", "27AABCD1234E1Z8", "--kind", "portal", "--env", "sandbox", "--user-id", "DEMOPORTAL27", "--gsp",
                "X",
            ]
                + box.vaultFlags, stdin: "Demo@Pass2024\n")
        #expect(portalWithGSP.code == 0, "\(portalWithGSP.err)")
        #expect(portalWithGSP.err.contains("warning: a GSP applies to API users only; ignored"), "\(portalWithGSP.err)")
        let gsp = try box.run(["show", "27AABCD1234E1Z8", "--kind", "portal", "--field", "gsp"] + box.vaultFlags)
        #expect(gsp.code == 0 && gsp.out == "\n", "\(gsp.out)")
        let field = try box.run(["show", "29AACCK5521H1ZK", "--field", "legalName"] + box.vaultFlags)
        #expect(field.out == name + "\n", "\(field.out)")
    }

    @Test func csvImportIsOneTransactionIdempotentAndReportsBadRowsWithoutSecrets() throws {
        let box = CLISandbox()
        try box.initVault()
        let good = box.root + "/clients.csv"
        box.write(
            "\u{FEFF}gstin,kind,env,user_id,password,every\r\n"
                + "27AABCD1234E1Z8,portal,sandbox,DEMOTRAD27,\"Pass,with\"\"quote\",30d\r\n"
                + "29AACCK5521H1ZK,api,production,API_KAVERI,Kaveri@Pass2024,\r\n", to: good)
        let dry = try box.run(["import", good, "--format", "csv", "--dry-run"] + box.vaultFlags)
        #expect(dry.code == 0, "\(dry.err)")
        #expect(dry.out.contains("clients.csv:2: would add") && dry.out.contains("clients.csv:3: would add"))
        #expect(try listJSON(box).isEmpty)
        let before = try generation(box)
        let imported = try box.run(["import", good, "--format", "csv"] + box.vaultFlags)
        #expect(imported.code == 0, "\(imported.err)")
        #expect(try generation(box) == before + 1)
        #expect(
            try box.run(["show", "27AABCD1234E1Z8", "--field", "password"] + box.vaultFlags).out
                == "Pass,with\"quote\n")
        // The same file again: nothing changes, not even the generation.
        let again = try box.run(["import", good, "--format", "csv"] + box.vaultFlags)
        #expect(again.code == 0 && again.err.contains("Nothing to change"))
        #expect(try generation(box) == before + 1)
        // A changed row is an update with its history.
        box.write(
            "gstin,kind,env,user_id,password\n27AABCD1234E1Z8,portal,sandbox,DEMOTRAD27,New@Pass2024x\n", to: good)
        let updated = try box.run(["import", good, "--format", "csv"] + box.vaultFlags)
        #expect(updated.out.contains("updated 27AABCD1234E1Z8 portal (sandbox) (password)"))
        #expect(try box.run(["history", "27AABCD1234E1Z8", "--reveal"] + box.vaultFlags).out.contains("Pass,with"))
        // An addition and an update in one file: the update lands on its own credential, the others stay.
        box.write(
            "gstin,kind,env,user_id,password\n07AAFFR3310M1Z8,portal,sandbox,RAJ07,Raj@Pass2024x\n"
                + "29AACCK5521H1ZK,api,production,API_KAVERI,Kaveri@Pass2025x\n", to: good)
        let mixed = try box.run(["import", good, "--format", "csv"] + box.vaultFlags)
        #expect(mixed.out.contains("added 07AAFFR3310M1Z8 portal (sandbox)"), "\(mixed.out)")
        #expect(mixed.out.contains("updated 29AACCK5521H1ZK api (production) (password)"), "\(mixed.out)")
        let kaveri = ["show", "29AACCK5521H1ZK", "--kind", "api", "--env", "production", "--field", "password"]
        #expect(try box.run(kaveri + box.vaultFlags).out == "Kaveri@Pass2025x\n")
        #expect(
            try box.run(["show", "27AABCD1234E1Z8", "--field", "password"] + box.vaultFlags).out == "New@Pass2024x\n")
        #expect(try listJSON(box).count == 3)
        // Bad rows: every one named by line and rule, nothing imported, no password printed.
        let bad = box.root + "/bad.csv"
        box.write(
            "gstin,kind,env,user_id,password\n07AAFFR3310M1Z8,portal,sandbox,RAJ07,Secret@One2024\n"
                + "27AAPFU0939F1ZO,portal,production,X1,Secret@Two2024\n07AAFFR3310M1Z8,portal,sandbox,RAJ07B,Secret@Three\n"
                + "33AABCT7788K2ZQ,web,sandbox,,Secret@Four2024\n", to: bad)
        let refused = try box.run(["import", bad, "--format", "csv"] + box.vaultFlags)
        #expect(refused.code == 64)
        #expect(
            refused.err.contains("bad.csv:3:") && refused.err.contains("bad.csv:4:")
                && refused.err.contains("bad.csv:5:"))
        #expect(refused.err.contains("also on line 2") && refused.err.contains("kind must be"))
        #expect(!refused.err.contains("Secret@"))
        #expect(try listJSON(box).count == 3)
    }

    @Test func jsonExportImportsIntoANewVaultLosingNothing() throws {
        let box = CLISandbox()
        try box.initVault()
        #expect(try box.run(["register", "27AABCD1234E1Z8", "--otp-from-outbox"] + box.vaultFlags).code == 0)
        #expect(try box.run(["rotate", "27AABCD1234E1Z8"] + box.vaultFlags).code == 0)
        let export = box.root + "/export.json"
        #expect(
            try box.run(["export", "--profile", "json", "--env", "sandbox", "--output", export] + box.vaultFlags).code
                == 0)
        let other = CLISandbox()
        try other.initVault()
        let imported = try other.run(["import", export, "--format", "json"] + other.vaultFlags)
        #expect(imported.code == 0, "\(imported.err)")
        let second = other.root + "/export.json"
        #expect(
            try other.run(["export", "--profile", "json", "--env", "sandbox", "--output", second] + other.vaultFlags)
                .code == 0)
        #expect(try String(contentsOfFile: export, encoding: .utf8) == String(contentsOfFile: second, encoding: .utf8))
        // And the odoo and india-compliance profiles come back in too.
        let odoo = box.root + "/odoo.json"
        let third = CLISandbox()
        try third.initVault()
        #expect(
            try box.run(
                ["add", "29AACCK5521H1ZK", "--kind", "api", "--env", "sandbox", "--user-id", "API_K29"]
                    + box.vaultFlags, stdin: "Kaveri@Pass2024\n"
            ).code == 0)
        #expect(
            try box.run(
                ["export", "--profile", "odoo", "--env", "sandbox", "--kind", "api", "--output", odoo] + box.vaultFlags
            ).code == 0)
        #expect(try third.run(["import", odoo, "--format", "odoo"] + third.vaultFlags).code == 0)
        let ic = box.root + "/ic.json"
        #expect(
            try box.run(
                [
                    "export", "--profile", "india-compliance", "--company", "Kaveri", "--env", "sandbox", "--kind",
                    "api", "--output", ic,
                ] + box.vaultFlags
            ).code == 0)
        #expect(try third.run(["import", ic, "--format", "india-compliance"] + third.vaultFlags).code == 64)
        let icImport = try third.run(
            ["import", ic, "--format", "india-compliance", "--env", "sandbox"] + third.vaultFlags)
        #expect(icImport.code == 0 && icImport.err.contains("0 added, 0 updated, 1 unchanged"), "\(icImport.err)")
    }

    @Test func removeAsksAndKeepsTheEventInTheLog() throws {
        let box = CLISandbox()
        try box.initVault()
        #expect(try box.run(["register", "27AABCD1234E1Z8", "--otp-from-outbox"] + box.vaultFlags).code == 0)
        let dry = try box.run(["remove", "27AABCD1234E1Z8", "--dry-run"] + box.vaultFlags)
        #expect(dry.code == 0 && dry.out.contains("would remove"))
        let unconfirmed = try box.run(["remove", "27AABCD1234E1Z8"] + box.vaultFlags)
        #expect(unconfirmed.code == 64 && unconfirmed.err.contains("--yes"))
        #expect(try listJSON(box).count == 1)
        #expect(try box.run(["remove", "27AABCD1234E1Z8", "--yes"] + box.vaultFlags).code == 0)
        #expect(try listJSON(box).isEmpty)
        #expect(try box.run(["show", "27AABCD1234E1Z8"] + box.vaultFlags).code == 6)
    }

    @Test func sandboxClientIssueMakesTheReadmeVerifyLineWork() throws {
        let box = CLISandbox()
        try box.initVault()
        // The main portal login, then the API user it makes (API Registration, an OTP, Direct).
        #expect(try box.run(["register", "27AABCD1234E1Z8", "--otp-from-outbox"] + box.vaultFlags).code == 0)
        let api = try box.run(["register", "27AABCD1234E1Z8", "--kind", "api", "--otp-from-outbox"] + box.vaultFlags)
        #expect(api.code == 0, "\(api.err)")
        #expect(api.err.contains("logged in as the main user"))
        let issued = try box.run(
            ["sandbox", "client", "issue", "27AABCD1234E1Z8", "--name", "demo-keys"] + box.vaultFlags)
        #expect(issued.code == 0, "\(issued.err)")
        #expect(
            try box.run(["set", "27AABCD1234E1Z8", "--kind", "api", "--client", "demo-keys"] + box.vaultFlags).code == 0
        )
        let verified = try box.run(["verify", "27AABCD1234E1Z8"] + box.vaultFlags)
        // Rotating the API user goes through the main user and an OTP too.
        let rotated = try box.run(["rotate", "27AABCD1234E1Z8", "--kind", "api", "--otp-from-outbox"] + box.vaultFlags)
        #expect(rotated.code == 0, "\(rotated.err)")
        #expect(verified.code == 0, "\(verified.err)")
        #expect(verified.out.contains("verified"))
        // verify --json: the shape docs/cli.md documents.
        let single = try box.run(["verify", "27AABCD1234E1Z8", "--json"] + box.vaultFlags)
        let object = try JSONSerialization.jsonObject(with: Data(single.out.utf8)) as? [String: Any]
        #expect(Set(object?.keys ?? [:].keys) == ["gstin", "legalName", "status", "tokenExpiry", "userID", "verified"])
        // Every API user at once, as a batch of JSON lines.
        let batch = try box.run(["verify", "--env", "sandbox", "--json"] + box.vaultFlags)
        #expect(batch.code == 0, "\(batch.err)")
        #expect(batch.out.contains("\"outcome\":\"verified\"") && batch.out.contains("\"summary\""))
        // The sandbox kept the secret only until that one read.
        let state = try String(contentsOfFile: box.root + "/state/nicvault/sandbox-portal.json", encoding: .utf8)
        #expect(state.contains("no longer kept") && !state.contains("client secret is"))
    }

    @Test func importShowsProgressOnATerminalOnly() throws {
        let box = CLISandbox()
        try box.initVault()
        var rows = "gstin,kind,env,user_id,password\n"
        for (index, gstin) in ["27AABCD1234E1Z8", "29AACCK5521H1ZK", "07AAFFR3310M1Z8"].enumerated() {
            rows += "\(gstin),portal,sandbox,USER\(index)XYZ,Pass@word\(index)2024\n"
        }
        box.write(rows, to: box.root + "/rows.csv")
        let piped = try box.run(["import", box.root + "/rows.csv", "--format", "csv"] + box.vaultFlags)
        #expect(piped.code == 0 && !piped.err.contains("checked"))
        // On a terminal (script gives the command a pseudo-terminal): n/N on stderr.
        let command =
            ([nicvaultBinary, "import", box.root + "/rows.csv", "--format", "csv", "--dry-run"] + box.vaultFlags)
            .map { "'\($0)'" }.joined(separator: " ")
        let onTerminal = try box.run(["-qec", command + " >/dev/null", "/dev/null"], executable: "/usr/bin/script")
        #expect(onTerminal.out.contains("checked 3/3"), "\(onTerminal.out)")
    }

    @Test func csvEdgesAndStdin() throws {
        let box = CLISandbox()
        try box.initVault()
        // A quoted field with a comma, a quote and a line break inside; an empty line; the file on stdin.
        let csv =
            "user_id,password,gstin,env,kind\r\n\"DEMOTRAD27\",\"a,b\"\"c\nd@E1x\",27AABCD1234E1Z8,sandbox,portal\r\n\r\n"
        let imported = try box.run(["import", "-", "--format", "csv"] + box.vaultFlags, stdin: csv)
        #expect(imported.code == 0, "\(imported.err)")
        let password = try box.run(["show", "27AABCD1234E1Z8", "--field", "password"] + box.vaultFlags).out
        #expect(password == "a,b\"c\nd@E1x\n")
        // A header that lacks a column, one with an unknown column, an unclosed quote: the file is refused whole.
        for (text, words) in [
            ("gstin,kind,env,user_id\n", "missing column(s) password"),
            ("gstin,kind,env,user_id,password,colour\n", "unknown column(s) colour"),
            ("gstin,kind,env,user_id,password\n29AACCK5521H1ZK,portal,sandbox,\"KAV,x\n", "not closed"),
            // A spreadsheet saved with semicolons or tabs, and a column named as people name it: said so.
            ("gstin;kind;env;user_id;password\r\n", "separated by semicolons; nicvault reads comma-separated"),
            ("gstin\tkind\tenv\tuser_id\tpassword\n", "separated by tabs"),
            ("GSTIN,Kind,Env,User ID,Password\n", "unknown column(s) user id (did you mean user_id?)"),
        ] {
            let refused = try box.run(["import", "-", "--format", "csv"] + box.vaultFlags, stdin: text)
            #expect(refused.code == 64 && refused.err.contains(words), "\(refused.err)")
        }
        // A column named with a terminal escape sequence (one that would retitle the terminal) is quoted escaped.
        let escaped = try box.run(
            ["import", "-", "--format", "csv"] + box.vaultFlags,
            stdin: "gstin,kind,env,user_id,password,\u{1B}]0;owned\u{07}\n")
        #expect(escaped.code == 64 && escaped.err.contains("unknown column(s) \\u{1B}]0;owned\\u{7}"), "\(escaped.err)")
        #expect(!escaped.err.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 })
        // A path that is no file, or a folder, says which.
        let missing = try box.run(["import", box.root + "/nothing.csv", "--format", "csv"] + box.vaultFlags)
        #expect(missing.code == 6 && missing.err.contains("no file \(box.root)/nothing.csv"), "\(missing.err)")
        let folder = try box.run(["import", box.root, "--format", "csv"] + box.vaultFlags)
        #expect(folder.code == 1 && folder.err.contains("is a folder"), "\(folder.err)")
        let notJSON = try box.run(["import", "-", "--format", "json"] + box.vaultFlags, stdin: "{\"format\": 1}")
        #expect(notJSON.code == 64 && notJSON.err.contains("not a nicvault json export"))
    }
}
