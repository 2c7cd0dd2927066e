import Foundation
import Testing

@Suite("nicvault client, export, exec (the real binary)")
struct ExportCLITests {
    /// A vault with one API credential linked to a client.
    func prepared() throws -> CLISandbox {
        let box = CLISandbox()
        try box.initVault()
        let added = try box.run(
            ["client", "add", "demo-gsp", "--env", "sandbox", "--issuer", "Demo GSP"] + box.vaultFlags,
            stdin: "AACCT29GSPB5H8G\nclient-secret-XYZ\n")
        precondition(added.code == 0, added.err)
        // The main portal login first: it makes the API user.
        let main = try box.run(["register", "27AABCD1234E1Z8", "--otp-from-outbox"] + box.vaultFlags)
        precondition(main.code == 0, main.err)
        let registered = try box.run(
            [
                "register", "27AABCD1234E1Z8", "--kind", "api", "--gsp", "Demo GSP", "--client", "demo-gsp",
                "--otp-from-outbox",
            ] + box.vaultFlags)
        precondition(registered.code == 0, registered.err)
        return box
    }

    @Test func clientsAreListedWithoutSecrets() throws {
        let box = try prepared()
        let list = try box.run(["client", "list", "--json"] + box.vaultFlags)
        #expect(list.code == 0)
        #expect(list.out.contains("AACCT29GSPB5H8G"))
        #expect(list.out.contains("27AABCD1234E1Z8"))
        #expect(!list.out.contains("client-secret-XYZ"))
        // Each client names exactly the credentials of its own environment that use it.
        #expect(
            try box.run(
                ["client", "add", "demo-gsp", "--env", "production"] + box.vaultFlags, stdin: "PRODID1\nprod-secret\n"
            ).code == 0)
        #expect(
            try box.run(["client", "add", "spare", "--env", "sandbox"] + box.vaultFlags, stdin: "S1\ns2\n").code == 0)
        box.write(
            "gstin,kind,env,user_id,password,client\n29AACCK5521H1ZK,api,production,KAVERI29,Kaveri@Pass2024,demo-gsp\n"
                + "07AAACI1681G1ZQ,api,sandbox,DELHI07,Delhi@Pass2024x,demo-gsp\n",
            to: box.root + "/linked.csv")
        #expect(try box.run(["import", box.root + "/linked.csv", "--format", "csv"] + box.vaultFlags).code == 0)
        let rows = try #require(
            try JSONSerialization.jsonObject(
                with: Data(try box.run(["client", "list", "--json"] + box.vaultFlags).out.utf8)) as? [[String: Any]])
        let usedBy = Dictionary(
            uniqueKeysWithValues: rows.map {
                ("\($0["name"]!) \($0["environment"]!)", $0["usedBy"] as? [String] ?? ["?"])
            })
        #expect(
            usedBy == [
                "demo-gsp sandbox": ["07AAACI1681G1ZQ api (sandbox)", "27AABCD1234E1Z8 api (sandbox)"],
                "demo-gsp production": ["29AACCK5521H1ZK api (production)"], "spare sandbox": [],
            ])
        #expect(try box.run(["client", "remove", "spare", "--env", "sandbox", "--yes"] + box.vaultFlags).code == 0)
        let inUse = try box.run(["client", "remove", "demo-gsp", "--env", "sandbox"] + box.vaultFlags)
        #expect(inUse.code == 4)
        let missing = try box.run(["set", "27AABCD1234E1Z8", "--kind", "api", "--client", "nope"] + box.vaultFlags)
        #expect(missing.code == 6)
        for gstin in ["27AABCD1234E1Z8", "07AAACI1681G1ZQ"] {
            #expect(try box.run(["set", gstin, "--kind", "api", "--client", "none"] + box.vaultFlags).code == 0)
        }
        #expect(try box.run(["client", "remove", "demo-gsp", "--env", "sandbox"] + box.vaultFlags).code == 64)
        #expect(try box.run(["client", "remove", "demo-gsp", "--env", "sandbox", "--yes"] + box.vaultFlags).code == 0)
    }

    @Test func execHandsTheCredentialToTheChildAndItsExitCode() throws {
        let box = try prepared()
        let password = try box.run(
            ["show", "27AABCD1234E1Z8", "--kind", "api", "--field", "password"] + box.vaultFlags
        ).out
            .trimmingCharacters(in: .newlines)
        let result = try box.run(
            ["exec", "27AABCD1234E1Z8", "--kind", "api"] + box.vaultFlags + ["--", "/bin/sh", "-c", "env; exit 7"])
        #expect(result.code == 7)
        #expect(result.out.contains("NIC_PASSWORD=\(password)\n"))
        #expect(result.out.contains("NIC_CLIENT_SECRET=client-secret-XYZ\n"))
        #expect(result.out.contains("NIC_AUTH_URL=https://einv-apisandbox.nic.in/eivital/v1.04/auth\n"))
        let irn = try box.run(
            ["exec", "27AABCD1234E1Z8", "--kind", "api", "--profile", "gst-irn"] + box.vaultFlags + [
                "--", "/usr/bin/env",
            ])
        #expect(irn.code == 0)
        #expect(irn.out.contains("API_PASSWORD=\(password)\n"))
        #expect(irn.out.contains("CLIENT_ID=AACCT29GSPB5H8G\n"))
        let missing = try box.run(
            ["exec", "27AABCD1234E1Z8", "--kind", "api"] + box.vaultFlags + ["--", "/no/such/tool"])
        #expect(missing.code == 127)
    }

    /// An API user's NIC_* variables without a client id and secret fail at NIC's auth, far from the cause: exec
    /// and export said nothing of it.
    @Test func anAPIUserWithoutAClientIsNotedWhereItsVariablesGo() throws {
        let box = try prepared()
        let linked = try box.run(
            ["exec", "27AABCD1234E1Z8", "--kind", "api"] + box.vaultFlags + ["--", "/bin/true"])
        #expect(linked.code == 0 && !linked.err.contains("no API client"), "\(linked.err)")
        #expect(
            try box.run(["set", "27AABCD1234E1Z8", "--kind", "api", "--client", "none"] + box.vaultFlags).code == 0)
        let exec = try box.run(
            ["exec", "27AABCD1234E1Z8", "--kind", "api"] + box.vaultFlags + ["--", "/usr/bin/env"])
        #expect(exec.code == 0)
        #expect(exec.err.contains("has no API client linked: NIC_CLIENT_ID and NIC_CLIENT_SECRET are left out"))
        #expect(exec.err.contains("nicvault set 27AABCD1234E1Z8 --kind api --env sandbox --client NAME"))
        #expect(!exec.out.contains("NIC_CLIENT_ID="))
        let export = try box.run(
            ["export", "--profile", "dotenv", "27AABCD1234E1Z8", "--kind", "api"] + box.vaultFlags)
        #expect(export.code == 0 && export.err.contains("has no API client linked"), "\(export.err)")
    }

    /// Removing the main portal login left the API user unrotatable ("main-user-needed" at the next rotation),
    /// without a word at the removal.
    @Test func removingTheMainLoginSaysWhatItMeansForTheAPIUser() throws {
        let box = try prepared()
        let dry = try box.run(["remove", "27AABCD1234E1Z8", "--kind", "portal", "--dry-run"] + box.vaultFlags)
        #expect(dry.code == 0)
        #expect(
            dry.out.contains("the API user of 27AABCD1234E1Z8 stays, but rotating its password needs this portal login")
        )
        let api = try box.run(["remove", "27AABCD1234E1Z8", "--kind", "api", "--dry-run"] + box.vaultFlags)
        #expect(api.code == 0 && !api.out.contains("stays"))
    }

    @Test func outputFilesArePrivateAndNeverThroughSymlinks() throws {
        let box = try prepared()
        let file = box.root + "/out.env"
        let written = try box.run(
            ["export", "--profile", "dotenv", "--kind", "api", "--output", file] + box.vaultFlags)
        #expect(written.code == 0, "\(written.err)")
        let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try String(contentsOfFile: file, encoding: .utf8).contains("NIC_CLIENT_ID='AACCT29GSPB5H8G'"))

        try FileManager.default.createSymbolicLink(
            atPath: box.root + "/link.env", withDestinationPath: box.root + "/target.env")
        let viaLink = try box.run(
            ["export", "--profile", "dotenv", "--kind", "api", "--output", box.root + "/link.env"] + box.vaultFlags)
        #expect(viaLink.code == 64)
        #expect(!FileManager.default.fileExists(atPath: box.root + "/target.env"))

        box.write("old\n", to: box.root + "/shared.env", mode: 0o644)
        let readable = try box.run(
            ["export", "--profile", "dotenv", "--kind", "api", "--output", box.root + "/shared.env"] + box.vaultFlags)
        #expect(readable.code == 64)
        #expect(readable.err.contains("chmod 600"))
        #expect(try String(contentsOfFile: box.root + "/shared.env", encoding: .utf8) == "old\n")
    }

    @Test func exportRefusesMixingEnvironmentsAndMissingClients() throws {
        let box = try prepared()
        // A portal credential without a client.
        #expect(try box.run(["register", "29AACCK5521H1ZK", "--otp-from-outbox"] + box.vaultFlags).code == 0)
        let noClient = try box.run(["export", "--profile", "gst-irn", "29AACCK5521H1ZK"] + box.vaultFlags)
        #expect(noClient.code == 64)
        #expect(noClient.err.contains("nicvault client add"))
        let two = try box.run(["export", "--profile", "env"] + box.vaultFlags)
        #expect(two.code == 64)
        #expect(two.err.contains("takes one credential"))
        // Odoo authenticates API users through its own GSP: a portal login and a Demo GSP user are refused.
        let all = try box.run(["export", "--profile", "odoo"] + box.vaultFlags)
        #expect(all.code == 64)
        #expect(all.err.contains("odoo"))
        let portal = try box.run(["export", "--profile", "odoo", "29AACCK5521H1ZK"] + box.vaultFlags)
        #expect(portal.code == 64 && portal.err.contains("portal login"))
        let other = try box.run(["export", "--profile", "odoo", "--kind", "api"] + box.vaultFlags)
        #expect(other.code == 64 && other.err.contains("1018"))
        let company = try box.run(["export", "--profile", "india-compliance"] + box.vaultFlags)
        #expect(company.code == 64)
    }

    /// NIC's public key given to client add is the one export and exec see, stored as read (trimmed), and
    /// nic-auth --encrypt seals with it when no --public-key is given.
    @Test func aClientsPublicKeyIsStoredTrimmedAndUsedByEncrypt() throws {
        let box = CLISandbox()
        try box.initVault()
        let pem = try box.run(["sandbox", "public-key"])
        #expect(pem.code == 0 && pem.out.contains("BEGIN PUBLIC KEY"), "\(pem.err)")
        box.write(pem.out + "\n\n", to: box.root + "/nic.pem")
        let added = try box.run(
            ["client", "add", "keyed", "--env", "sandbox", "--public-key", box.root + "/nic.pem"] + box.vaultFlags,
            stdin: "AACCT29GSPB5H8G\nclient-secret-XYZ\n")
        #expect(added.code == 0, "\(added.err)")
        #expect(try box.run(["register", "27AABCD1234E1Z8", "--otp-from-outbox"] + box.vaultFlags).code == 0)
        let api = try box.run(
            ["register", "27AABCD1234E1Z8", "--kind", "api", "--client", "keyed", "--otp-from-outbox"] + box.vaultFlags)
        #expect(api.code == 0, "\(api.err)")
        let json = try box.run(["export", "--profile", "json", "--env", "sandbox", "--force"] + box.vaultFlags)
        #expect(json.code == 0, "\(json.err)")
        let stored = pem.out.trimmingCharacters(in: .whitespacesAndNewlines)
        let escaped = stored.replacingOccurrences(of: "\n", with: "\\n")
        // (Not printed on failure: the export holds passwords.)
        #expect(json.out.contains("\"" + escaped + "\""))
        let sealed = try box.run(
            ["export", "--profile", "nic-auth", "--encrypt", "--kind", "api", "--force"] + box.vaultFlags)
        // The body is sealed: {"Data": ...}, no Password field in clear.
        #expect(sealed.code == 0 && sealed.out.contains("\"Data\"") && !sealed.out.contains("\"Password\""))
    }

    /// NIC errors 1013 and 1016 (the public key is not this environment's) said "store the right one with client
    /// add --public-key", which refuses a client that exists; no command replaced a stored key.
    @Test func aClientsPublicKeyIsReplacedWithoutTouchingItsSecret() throws {
        let box = try prepared()
        let refused = try box.run(
            ["export", "--profile", "nic-auth", "--encrypt", "--kind", "api", "--force"] + box.vaultFlags)
        #expect(refused.code == 64)
        let pem = try box.run(["sandbox", "public-key"])
        box.write(pem.out, to: box.root + "/nic.pem")
        let replaced = try box.run(
            ["client", "update", "demo-gsp", "--env", "sandbox", "--public-key", box.root + "/nic.pem"]
                + box.vaultFlags,
            stdin: "")
        #expect(replaced.code == 0, "\(replaced.err)")
        let sealed = try box.run(
            ["export", "--profile", "nic-auth", "--encrypt", "--kind", "api", "--force"] + box.vaultFlags)
        #expect(sealed.code == 0 && sealed.out.contains("\"Data\""), "\(sealed.err)")
        let json = try box.run(["export", "--profile", "json", "--env", "sandbox", "--force"] + box.vaultFlags)
        #expect(json.out.contains("client-secret-XYZ") && json.out.contains("AACCT29GSPB5H8G"))
        let log = try box.run(["log"] + box.vaultFlags)
        #expect(log.out.contains("API client public key replaced: demo-gsp (sandbox)"))
        let notAKey = try box.run(
            ["client", "update", "demo-gsp", "--env", "sandbox", "--public-key", box.passphraseFile] + box.vaultFlags)
        #expect(notAKey.code == 64)
    }
}
