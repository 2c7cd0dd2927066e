import Foundation
import GST
import Portal
import Testing

@Suite("which portal a command talks to")
struct PortalChoiceTests {
    @Test func eachEnvironmentHasItsDefaultAndASandboxNeverHoldsProduction() throws {
        #expect(try PortalChoice.resolve(nil, environment: .sandbox) == .embeddedSandbox)
        #expect(try PortalChoice.resolve(nil, environment: .production) == .assisted)
        #expect(try PortalChoice.resolve("assisted", environment: .sandbox) == .assisted)
        let url = URL(string: "http://127.0.0.1:8080")!
        #expect(try PortalChoice.resolve("http://127.0.0.1:8080", environment: .sandbox) == .sandbox(url))
        for text in ["sandbox", "http://127.0.0.1:8080"] {
            #expect(throws: PortalChoiceError.sandboxForProduction) {
                try PortalChoice.resolve(text, environment: .production)
            }
        }
        for text in ["", "sandbx", "ftp://host", "http://", "127.0.0.1:8080"] {
            #expect(throws: PortalChoiceError.notAChoice(text)) {
                try PortalChoice.resolve(text, environment: .sandbox)
            }
        }
    }

    @Test func verifyUsesTheAuthURLThenNICForProductionThenASandbox() throws {
        func where_(_ authURL: String?, _ portal: String?, _ environment: Environment) throws -> String {
            switch try VerifierChoice.resolve(authURL: authURL, portal: portal, environment: environment, timeout: 5) {
            case .verifier(let verifier): "\(verifier.baseURL.absoluteString) \(verifier.isSandboxPortal)"
            case .embeddedSandbox: "embedded"
            }
        }
        #expect(try where_("http://127.0.0.1:9", "sandbox", .production) == "http://127.0.0.1:9 false")
        // Production is verified with NIC's API, whatever --portal says for the sandbox ones.
        #expect(try where_(nil, "http://127.0.0.1:8080", .production) == "https://api.einvoice1.gst.gov.in false")
        #expect(try where_(nil, "http://127.0.0.1:8080", .sandbox) == "http://127.0.0.1:8080 true")
        #expect(try where_(nil, nil, .sandbox) == "embedded")
        #expect(throws: PortalChoiceError.assistedCannotVerify) { try where_(nil, "assisted", .sandbox) }
        #expect(throws: PortalChoiceError.notAURL("no url")) { try where_("no url", nil, .sandbox) }
    }
}
