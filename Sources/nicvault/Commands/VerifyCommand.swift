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
            ? try vault.credentials(kind: .api, environment: env)
            : try gstins.map {
                try vault.credential(gstin: GSTIN.argument($0), kind: .api, environment: env)
            }
        // One verifier per environment (the embedded sandbox starts once), stopped at the end.
        let verifiers = EnvironmentPool<CredentialVerifier> { environment in
            let (verifier, embedded) = try await Self.verifier(
                for: environment, authURL: authURL, portal: portal, timeout: timeout)
            return (verifier, { embedded?.stop() })
        }
        defer { verifiers.stop() }
        let verifier = verifiers.get
        if gstins.count == 1 {
            let credential = targets[0]
            let result = try await Self.verify(
                credential, in: vault, with: verifier(credential.environment), announce: true)
            return try Self.print(result, json: json)
        }
        // A batch: one line per credential as it finishes, then the counts; a failure never stops the rest.
        Interruption.watch()
        let output = BatchOutput(json: json, total: targets.count)
        let report = await RotationBatch.run(targets) { credential in
            _ = try await Self.verify(credential, in: vault, with: verifier(credential.environment), announce: false)
        } stop: {
            Interruption.requested
        } finished: { _, key, error in
            output.item(key, outcome: "verified", error: error)
        }
        try output.finish([report]) {
            "Verified \($0.done) of \($0.total); \($0.failed) failed, \($0.skipped) skipped."
        }
    }

    /// Where credentials of `environment` are verified: --auth-url, NIC's API for production, a running sandbox
    /// (--portal URL), else the embedded sandbox (returned, to be stopped by the caller).
    static func verifier(for environment: Environment, authURL: String?, portal: String?, timeout: Double)
        async throws -> (CredentialVerifier, EmbeddedSandbox?)
    {
        switch try VerifierChoice.resolve(authURL: authURL, portal: portal, environment: environment, timeout: timeout)
        {
        case .verifier(let verifier): return (verifier, nil)
        case .embeddedSandbox:
            let embedded = try await EmbeddedSandbox.start(stateFile: EmbeddedSandbox.defaultStateFile())
            return (CredentialVerifier(baseURL: embedded.url, isSandboxPortal: true, timeout: timeout), embedded)
        }
    }

    /// Authenticates `credential` with NIC's auth API and reads its GSTIN back; NIC's refusals become CLI errors
    /// with their advice.
    static func verify(_ credential: Credential, in vault: Vault, with verifier: CredentialVerifier, announce: Bool)
        async throws -> VerificationResult
    {
        let client = try vault.client(of: credential)
        if announce {
            Console.note(
                "Authenticating \(credential.userID) for \(credential.gstin.value) at "
                    + "\(verifier.baseURL.absoluteString)/eivital/v1.04/auth ...")
        }
        do {
            return try await verifier.verify(credential, client: client)
        } catch let error as NICAuthError {
            throw CLIError("verification failed: " + error.description, code: Exit.portalRefused)
        }
    }

    /// One verification as a person or a script reads it.
    static func print(_ result: VerificationResult, json: Bool) throws {
        if json {
            return try JSONOutput.print(
                Verified(
                    gstin: result.gstin, userID: result.userID, tokenExpiry: result.tokenExpiry,
                    legalName: result.legalName, status: result.status))
        }
        Console.out(
            "verified: NIC accepted \(result.userID) for \(result.gstin); token valid until \(result.tokenExpiry) IST")
        Console.out("session key works: read back \(result.legalName) (\(result.status))")
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
