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
}
