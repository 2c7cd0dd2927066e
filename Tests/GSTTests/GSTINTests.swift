import Foundation
import GST
import Sodium
import Testing

struct SampleRow: Sendable, CustomStringConvertible {
    let input: String
    let production: Bool
    let sandbox: Bool
    let note: String
    var description: String { "\(input) (\(note))" }
}

/// Every row of the shared GSTIN samples, copied into the fixtures.
let sampleRows: [SampleRow] = {
    let url = Bundle.module.url(forResource: "Fixtures/gstin-samples", withExtension: "tsv")!
    let text = try! String(contentsOf: url, encoding: .utf8)
    return text.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }.map { line in
        let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        return SampleRow(
            input: fields[0], production: fields[1] == "accept", sandbox: fields[2] == "accept", note: fields[3])
    }
}()

@Suite("GSTIN")
struct GSTINTests {
    @Test func samplesFileIsComplete() {
        #expect(sampleRows.count >= 30)
    }

    @Test(arguments: sampleRows)
    func sampleVerdicts(row: SampleRow) {
        for (environment, expected) in [(Environment.production, row.production), (.sandbox, row.sandbox)] {
            let result = Result { () throws(GSTINError) in try GSTIN(parsing: row.input, environment: environment) }
            switch result {
            case .success(let gstin):
                #expect(expected, "\(environment) accepted \(row)")
                #expect(gstin.value == row.input.trimmingCharacters(in: .whitespaces).uppercased())
            case .failure(let error):
                #expect(!expected, "\(environment) refused \(row): \(error)")
            }
        }
    }

    /// A GSTIN read back from a vault is checked for its shape only, from a String or from the index's bytes:
    /// both ways agree on every sample (and on a few shapes no sample has), the same error included.
    @Test func storedShapesAreCheckedAlikeFromTextAndBytes() {
        let extra = [
            "27AAPFU0939F1ZV", "00AAPFU0939F1ZV", "27aapfu0939f1zv", "27AAPFU0939F1Z", "27AAPFU0939F1ZVX", "",
            "é7AAPFU0939F1Z",
        ]
        for text in sampleRows.map(\.input) + extra {
            let fromText = Result { () throws(GSTINError) in try GSTIN(stored: text) }
            let fromBytes = Array(text.utf8).withUnsafeBytes { bytes in
                Result { () throws(GSTINError) in try GSTIN(storedUTF8: bytes) }
            }
            switch (fromText, fromBytes) {
            case (.success(let a), .success(let b)): #expect(a.value == b.value && a.value == text)
            case (.failure(let a), .failure(let b)): #expect(a == b, "\(text)")
            default: Issue.record("\(text): \(fromText) from text, \(fromBytes) from bytes")
            }
        }
        #expect(throws: GSTINError.unknownStateCode("00")) { try GSTIN(stored: "00AAPFU0939F1ZV") }
    }

    @Test func refusalsSayExactlyWhy() {
        func reason(_ text: String, _ env: Environment = .production) -> String {
            do {
                _ = try GSTIN(parsing: text, environment: env)
                return "accepted"
            } catch { return error.description }
        }
        #expect(reason("27AAPFU0939F1Z") == "14 characters, expected 15")
        #expect(reason("47AAGCG4576J1A6") == "unknown state code 47")
        #expect(reason("27AAPFU0939F1ZO") == "check character should be V, not O")
        #expect(reason("22AAAAA0000A1Z5") == "check character should be C, not 5")
        #expect(reason("27AAPFU 0939F1ZV").contains("character 8"))
        #expect(reason("88AAACD8017H1ZX").contains("transporter id"))
        #expect(reason("88AAACD8017H1ZX", .sandbox).contains("transporter id"))
    }

    @Test func workedExampleOfTheCheckCharacter() {
        #expect(GSTIN.checkCharacter(for: "27AAPFU0939F1Z") == "V")
        #expect(GSTIN.checkCharacter(for: "29AAACP7879D1Z") == "0")
    }

    @Test func whatAGSTINKnows() throws {
        let regular = try GSTIN(parsing: " 24aaupv7468f1zw ", environment: .production)
        #expect(regular.value == "24AAUPV7468F1ZW")
        #expect(regular.state.name == "Gujarat")
        #expect(regular.pan?.value == "AAUPV7468F")
        #expect(regular.pan?.holderType == "individual")
        #expect(regular.entityNumber == "1")
        #expect(regular.registrationType == .regular)
        #expect(regular.warnings.isEmpty)
        #expect(try GSTIN(parsing: "33GSPTN9771G3ZP", environment: .production).entityNumber == "3")
        #expect(try GSTIN(parsing: "0717UNO00157UNO", environment: .production).registrationType == .uin)
        #expect(try GSTIN(parsing: "9917SGP29001OST", environment: .production).registrationType == .oidar)
        #expect(try GSTIN(parsing: "9917SGP29001OST", environment: .production).state.name == "Centre Jurisdiction")
        #expect(try GSTIN(parsing: "06DELI09652G1DA", environment: .production).registrationType == .tdsDeductor)
        #expect(try GSTIN(parsing: "29AABCF8078M1C8", environment: .production).registrationType == .tcsCollector)
        let retired = try GSTIN(parsing: "25AAACI1681G1ZT", environment: .production)
        #expect(retired.warnings.first?.contains("retired") == true)
        let sandbox = try GSTIN(parsing: "37ARZPT4384Q1MT", environment: .sandbox)
        #expect(!sandbox.hasValidCheckCharacter)
        #expect(sandbox.warnings.contains { $0.contains("sandbox only") })
    }

    @Test func stateTableHasTheNewAndSpecialCodes() {
        #expect(StateCode(code: "38")?.name == "Ladakh")
        #expect(StateCode(code: "97")?.name == "Other Territory")
        #expect(StateCode(code: "99")?.name == "Centre Jurisdiction")
        #expect(StateCode(code: "25")?.isRetired == true)
        #expect(StateCode(code: "47") == nil)
        #expect(StateCode.all.count == 40)  // 01-38, 97, 99
    }

    /// A random regular GSTIN body (14 characters) with a known state.
    static func randomBody(_ random: some RandomSource) -> String {
        let letters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        let digits = Array("0123456789")
        let states = StateCode.all.map(\.code).filter { $0 != "25" }
        func pick(_ from: [Character]) -> Character { from[Int(random.uniform(UInt32(from.count)))] }
        var body = states[Int(random.uniform(UInt32(states.count)))]
        for _ in 0..<5 { body.append(pick(letters)) }
        for _ in 0..<4 { body.append(pick(digits)) }
        body.append(pick(letters))
        body.append(pick(Array("123456789ABCDEFGHJ")))
        body.append("Z")
        return body
    }

    @Test func computedCheckCharacterAlwaysValidates() throws {
        let random = DeterministicRandom(label: "gstin property 1")
        for _ in 0..<2000 {
            let body = Self.randomBody(random)
            let gstin = body + String(GSTIN.checkCharacter(for: body))
            #expect(throws: Never.self) { try GSTIN(parsing: gstin, environment: .production) }
        }
    }

    @Test func everySingleCharacterChangeIsCaught() throws {
        let random = DeterministicRandom(label: "gstin property 2")
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        for _ in 0..<60 {
            let body = Self.randomBody(random)
            let valid = Array(body + String(GSTIN.checkCharacter(for: body)))
            for position in 0..<15 {
                for replacement in alphabet where replacement != valid[position] {
                    var changed = valid
                    changed[position] = replacement
                    #expect(throws: GSTINError.self, "\(String(changed))") {
                        try GSTIN(parsing: String(changed), environment: .production)
                    }
                }
            }
        }
    }
}
