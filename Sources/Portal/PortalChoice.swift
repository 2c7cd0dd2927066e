import Foundation
import GST

/// Which portal a command talks to about credentials of an environment (`--portal`): the sandbox portal built
/// into nicvault, a running sandbox portal at a URL, or NIC's own portal, where the person acts and nicvault
/// says what to type (assisted). Without `--portal`: the embedded sandbox for sandbox credentials, assisted for
/// production. A sandbox never holds production credentials.
public enum PortalChoice: Equatable, Sendable {
    case embeddedSandbox
    case sandbox(URL)
    case assisted

    public static func resolve(_ text: String?, environment: Environment) throws(PortalChoiceError) -> PortalChoice {
        let choice: PortalChoice
        switch text ?? (environment == .sandbox ? "sandbox" : "assisted") {
        case "sandbox": choice = .embeddedSandbox
        case "assisted": choice = .assisted
        case let other:
            guard let url = URL(string: other), url.scheme == "http" || url.scheme == "https", url.host != nil else {
                throw .notAChoice(other)
            }
            choice = .sandbox(url)
        }
        if environment == .production && choice != .assisted { throw .sandboxForProduction }
        return choice
    }
}

/// Where `verify` authenticates credentials of an environment: at `--auth-url` when given (NIC's API or anything
/// that speaks it), with NIC's API for production credentials whatever `--portal` says, else at a sandbox portal:
/// a running one (`--portal URL`) or the embedded one, which the caller starts.
public enum VerifierChoice: Sendable {
    case verifier(CredentialVerifier)
    case embeddedSandbox

    public static func resolve(
        authURL: String?, portal: String?, environment: Environment, timeout: Double
    ) throws(PortalChoiceError) -> VerifierChoice {
        if let authURL {
            guard let url = URL(string: authURL), url.scheme != nil else { throw .notAURL(authURL) }
            return .verifier(CredentialVerifier(baseURL: url, isSandboxPortal: false, timeout: timeout))
        }
        if environment == .production { return .verifier(.nic(production: true, timeout: timeout)) }
        switch try PortalChoice.resolve(portal, environment: .sandbox) {
        case .sandbox(let url):
            return .verifier(CredentialVerifier(baseURL: url, isSandboxPortal: true, timeout: timeout))
        case .embeddedSandbox: return .embeddedSandbox
        case .assisted: throw .assistedCannotVerify
        }
    }
}

public enum PortalChoiceError: Error, Equatable, Sendable, CustomStringConvertible {
    case notAChoice(String)
    case sandboxForProduction
    case notAURL(String)
    case assistedCannotVerify

    public var description: String {
        switch self {
        case .notAChoice(let text): "--portal takes sandbox, assisted or a sandbox portal's URL, not \(text)"
        case .sandboxForProduction:
            "a sandbox portal cannot hold production credentials; use --portal assisted (NIC's portal)"
        case .notAURL(let text): "--auth-url must be a URL, not \(text)"
        case .assistedCannotVerify:
            "verify talks to NIC's auth API; --portal takes sandbox or a sandbox portal's URL"
        }
    }
}
