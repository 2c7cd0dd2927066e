import Foundation
import Testing

/// The README's Usage block runs as written on the embedded sandbox portal.
@Suite("the README's Usage block (the real binary)")
struct ReadmeCLITests {
    @Test func theUsageBlockRunsAsWritten() throws {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        let usage = try #require(text.components(separatedBy: "## Usage").dropFirst().first)
        let block = try #require(
            usage.components(separatedBy: "```sh\n").dropFirst().first?.components(separatedBy: "```").first)
        let box = CLISandbox()
        box.write(
            "gstin,kind,env,user_id,password\n07AAFFR3310M1Z8,portal,sandbox,RAJDHANI07,Rajdhani@Pass2024\n",
            to: box.root + "/clients.csv")
        box.write("set -eu\ncd '\(box.root)'\n" + block, to: box.root + "/usage.sh")
        let folder = (nicvaultBinary as NSString).deletingLastPathComponent
        let run = try box.run(
            [box.root + "/usage.sh"], executable: "/bin/sh",
            replaceEnvironment: box.environment.merging([
                "PATH": folder + ":/usr/bin:/bin", "NICVAULT_PASSPHRASE_FILE": box.passphraseFile,
            ]) { $1 })
        #expect(run.code == 0, "\(run.err)")
        #expect(run.out.contains("verified: NIC accepted"))
        #expect(FileManager.default.fileExists(atPath: box.root + "/.env"))
    }
}
