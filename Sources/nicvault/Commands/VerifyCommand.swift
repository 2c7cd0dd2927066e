import ArgumentParser
import Foundation
import GST
import NICVault
import Portal
import SandboxPortal

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Prove a stored API credential: authenticate with NIC's auth API (v1.04) and read one GSTIN back.",
        discussion: """
            Uses the credential's user id and password, its linked API client, and NIC's public key stored with \
            that client (client add --public-key FILE; on a sandbox portal the key is fetched from it when \
            none is stored). Explains every NIC error code and never retries a credential error: NIC blocks \
            users after repeated failures. \
            The auth URL: --auth-url, else the embedded sandbox portal for sandbox credentials (--portal URL for \
            a running one) and NIC's production API for production.
            Example:
              nicvault verify 27AABCD1234E1Z8
              nicvault verify 27AABCD1234E1Z8 --auth-url https://einv-apisandbox.nic.in
              nicvault verify --env sandbox --json   # every sandbox API user
            """
    )

    @OptionGroup var options: VaultOptions

    @Argument(help: "The GSTINs (every API user of --env when none is given).")
    var gstins: [String] = []

    @Option(help: "sandbox or production, when the GSTIN has both.")
    var env: Environment?

    @Option(help: ArgumentHelp("The NIC base URL (…/eivital/v1.04/auth is appended).", valueName: "url"))
    var authURL: String?

    @Option(help: ArgumentHelp("sandbox (embedded) or the URL of a running sandbox portal.", valueName: "portal"))
    var portal: String?

    @Option(help: "Seconds to wait for NIC.")
    var timeout: Double = 20

    @Flag(help: "Print the outcome as JSON.")
    var json = false

    func run() async throws {
        let vault = try options.openVault()
        let targets =
            gstins.isEmpty
            ? vault.credentials(kind: .api, environment: env)
            : try gstins.map {
                try vault.credential(gstin: GSTIN(parsing: $0, environment: .sandbox), kind: .api, environment: env)
            }
        if gstins.count == 1 {
            return try await Self.verify(
                targets[0], in: vault, authURL: authURL, portal: portal, timeout: timeout, json: json)
        }
        // A batch: one line per credential as it finishes, then the counts; a failure never stops the rest.
        Interruption.watch()
        var failed: [(key: CredentialKey, error: any Error)] = []
        var done = 0
        for (index, credential) in targets.enumerated() where !Interruption.requested {
            do {
                try await Self.verify(
                    credential, in: vault, authURL: authURL, portal: portal, timeout: timeout, json: false, quiet: true)
                done += 1
                if json {
                    JSONOutput.line(ItemResult(credential.key, outcome: "verified"))
                } else {
                    Console.note("\(index + 1)/\(targets.count) \(credential.key): verified")
                }
            } catch {
                failed.append((credential.key, error))
                if json {
                    JSONOutput.line(ItemResult(credential.key, error: error))
                } else {
                    Console.note(
                        "\(index + 1)/\(targets.count) \(credential.key): failed: " + ErrorReport.message(for: error))
                }
            }
        }
        let skipped = targets.count - done - failed.count
        if json {
            JSONOutput.line(
                BatchSummary(summary: .init(total: targets.count, done: done, failed: failed.count, skipped: skipped)))
        } else {
            Console.note("Verified \(done) of \(targets.count); \(failed.count) failed, \(skipped) skipped.")
        }
        if Interruption.requested { throw CLIError("stopped by Ctrl-C; \(skipped) not verified", code: 130) }
        if let first = failed.first {
            throw CLIError(
                "\(failed.count) failed: " + failed.map { $0.key.description }.joined(separator: ", "),
                code: ErrorReport.exitCode(for: first.error))
        }
    }

    /// Authenticates `credential` with NIC's auth API and reads its GSTIN back; prints the outcome.
    static func verify(
        _ credential: Credential, in vault: Vault, authURL: String?, portal: String?, timeout: Double,
        json: Bool = false, quiet: Bool = false
    ) async throws {
        let id = credential.gstin
        guard let clientName = credential.client else {
            throw CLIError(
                "\(credential.key) has no API client; add one with nicvault client add NAME --env "
                    + "\(credential.environment.rawValue), then nicvault set \(id.value) --client NAME",
                code: Exit.usage)
        }
        let client = try vault.client(named: clientName, environment: credential.environment)
        var embedded: EmbeddedSandbox?
        defer { embedded?.stop() }
        let verifier: CredentialVerifier
        if let authURL {
            guard let url = URL(string: authURL), url.scheme != nil else {
                throw CLIError("--auth-url must be a URL", code: Exit.usage)
            }
            verifier = CredentialVerifier(baseURL: url, isSandboxPortal: false, timeout: timeout)
        } else if credential.environment == .production {
            verifier = .nic(production: true, timeout: timeout)
        } else if let portal, portal != "sandbox" {
            guard let url = URL(string: portal), url.scheme != nil else {
                throw CLIError("--portal takes sandbox or a URL", code: Exit.usage)
            }
            verifier = CredentialVerifier(baseURL: url, isSandboxPortal: true, timeout: timeout)
        } else {
            embedded = try await EmbeddedSandbox.start(stateFile: EmbeddedSandbox.defaultStateFile)
            verifier = CredentialVerifier(baseURL: embedded!.url, isSandboxPortal: true, timeout: timeout)
        }
        if !quiet {
            Console.note(
                "Authenticating \(credential.userID) for \(id.value) at \(verifier.baseURL.absoluteString)/eivital/v1.04/auth ..."
            )
        }
        do {
            let result = try await verifier.verify(credential, client: client)
            if json {
                try JSONOutput.print(
                    Verified(
                        gstin: result.gstin, userID: result.userID, tokenExpiry: result.tokenExpiry,
                        legalName: result.legalName, status: result.status))
                return
            }
            if quiet { return }
            Console.out(
                "verified: NIC accepted \(result.userID) for \(result.gstin); token valid until \(result.tokenExpiry) IST"
            )
            Console.out("session key works: read back \(result.legalName) (\(result.status))")
        } catch let error as NICAuthError {
            throw CLIError("verification failed: " + error.description, code: Exit.portalRefused)
        } catch let error as VerifierError {
            if case .noPublicKey = error { throw CLIError(error.description, code: Exit.usage) }
            throw CLIError(error.description, code: Exit.portalRefused)
        }
    }
}

/// `verify --json`.
struct Verified: Encodable {
    var verified = true
    var gstin: String
    var userID: String
    /// As NIC writes it, IST.
    var tokenExpiry: String
    var legalName: String
    var status: String
}
