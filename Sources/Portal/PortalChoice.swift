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

public enum PortalChoiceError: Error, Equatable, Sendable, CustomStringConvertible {
    case notAChoice(String)
    case sandboxForProduction

    public var description: String {
        switch self {
        case .notAChoice(let text): "--portal takes sandbox, assisted or a sandbox portal's URL, not \(text)"
        case .sandboxForProduction:
            "a sandbox portal cannot hold production credentials; use --portal assisted (NIC's portal)"
        }
    }
}
