import Foundation
import GST
import Portal
import TestSupport
import Testing

/// A person at the terminal who answers from a script, and a record of what they were told.
final class ScriptedPerson: Conversation, @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var answers: [String]
    private(set) var told: [String] = []
    private(set) var secretsShown = 0

    init(answers: [String]) { self.answers = answers }

    func say(_ text: String) { lock.withLock { told.append(text) } }
    func ask(_ question: String) throws -> String {
        try lock.withLock {
            told.append(question)
            guard !answers.isEmpty else { throw PortalError.stoppedByUser("script ran out at: \(question)") }
            return answers.removeFirst()
        }
    }
    func confirm(_ question: String) throws -> Bool { try ask(question) == "y" }
    func offerSecret(_ label: String, _ secret: Secret) throws {
        if try ask("show \(label)?") == "show" { lock.withLock { secretsShown += 1 } }
    }
}

@Suite("the assisted driver")
struct AssistedDriverTests {
    let id = gstin("29AACCK5521H1ZK")

    @Test func walksThePersonThroughEveryStep() async throws {
        let person = ScriptedPerson(answers: [
            "Kaveri Textiles Limited", "Kaveri Textiles", "2345",  // details
            "y",  // OTP sent
            "y",  // OTP verified
            "show",  // show the password
            "s",  // saved
        ])
        let driver = AssistedDriver(conversation: person)
        #expect(!driver.needsOTPCode)
        let details = try await driver.lookUp(id)
        #expect(details.legalName == "Kaveri Textiles Limited")
        #expect(details.maskedMobile == "******2345")
        let challenge = try await driver.sendOTP(id)
        let verification = try await driver.verifyOTP(challenge, code: "")
        try await driver.createUser(
            verification, gstin: id, kind: .portal, gsp: nil, userID: "KAVERI29X", password: secret("Typed@Pass2024"))
        #expect(person.told.contains { $0.contains("https://einvoice1.gst.gov.in") })
        #expect(person.told.contains { $0.contains("KAVERI29X") })
        #expect(person.secretsShown == 1)
        // The password itself never goes into the instructions.
        #expect(!person.told.contains { $0.contains("Typed@Pass2024") })
    }

    @Test func takenAndOtherAnswersAreRefusals() async throws {
        let taken = AssistedDriver(conversation: ScriptedPerson(answers: ["", "t"]))
        #expect(
            await refusalCode {
                try await taken.createUser(
                    Verification(token: "assisted"), gstin: id, kind: .portal, gsp: nil, userID: "KAVERI29X",
                    password: secret("Typed@Pass2024"))
            } == "user-id-taken")
        let other = AssistedDriver(conversation: ScriptedPerson(answers: ["", "o", "Invalid captcha"]))
        #expect(
            await refusalCode {
                _ = try await other.createAPIUser(
                    PortalSession(token: "assisted"), Verification(token: "assisted"), gsp: "Demo GSP",
                    userID: "KAVERI29X", password: secret("Typed@Pass2024"))
            } == "assisted-refused")
    }

    @Test func anAPIUserIsMadeOnTheRealScreensAndTheShownIDWins() async throws {
        // Log-in as the main user, API Registration > User Credentials, OTP, Through GSP, Submit; the portal
        // shows the id with API_ in front.
        let person = ScriptedPerson(answers: ["", "y", "y", "y", "", "s", "API_KAVERI29X"])
        let driver = AssistedDriver(conversation: person)
        let session = try await driver.openMainSession(userID: "KAVERIMAIN", password: secret("Main@Pass2024x"))
        let challenge = try await driver.sendAPIUserOTP(session, gstin: id)
        let shown = try await driver.createAPIUser(
            session, try await driver.verifyOTP(challenge, code: ""), gsp: "Adaequare", userID: "KAVERI29X",
            password: secret("Typed@Pass2024"))
        #expect(shown == "API_KAVERI29X")
        #expect(person.told.contains { $0.contains("API Registration > User Credentials") })
        #expect(person.told.contains { $0.contains("Through GSP, and pick Adaequare") })
        #expect(person.told.contains { $0.contains("not KAVERI29X") })
        #expect(!person.told.contains { $0.contains("Typed@Pass2024") || $0.contains("Main@Pass2024x") })
    }

    @Test func noDetailsOrNoOTPStopsTheFlow() async throws {
        await #expect(throws: PortalError.self) {
            try await AssistedDriver(conversation: ScriptedPerson(answers: [""])).lookUp(id)
        }
        await #expect(throws: PortalError.self) {
            try await AssistedDriver(conversation: ScriptedPerson(answers: ["n"])).sendOTP(id)
        }
    }

    @Test func resumeAsksWhetherTheLoginWorked() async throws {
        let yes = AssistedDriver(conversation: ScriptedPerson(answers: ["", "y"]))
        #expect(try await yes.checkLogin(userID: "KAVERI29X", password: secret("Typed@Pass2024")) == .accepted)
        let no = AssistedDriver(conversation: ScriptedPerson(answers: ["", "n"]))
        #expect(try await no.checkLogin(userID: "KAVERI29X", password: secret("Typed@Pass2024")) == .rejected)
    }
}
