import GST
import Sodium
import Testing

@Suite("user ids, passwords and credential records")
struct CredentialRulesTests {
    @Test func userIDCandidatesAlwaysFollowTheRules() {
        let generator = UserIDGenerator(random: DeterministicRandom(label: "user ids"))
        let names = [
            "Demo Traders Private Limited", "A", "", "Śrī Gaṇeśa Enterprises", "123", "X Y Z & Sons (India) LLP",
            String(repeating: "Long", count: 20),
        ]
        for name in names {
            for state in StateCode.all {
                let candidate = generator.candidate(name: name, state: state)
                #expect(UserIDRules.isValid(candidate), "\(candidate) from \(name)")
                #expect(candidate.contains(state.code))
            }
        }
        let first = generator.candidate(name: "Demo Traders", state: StateCode(code: "27")!)
        #expect(first.hasPrefix("DEMOTRADE27"))
        // A second candidate for the same name differs (the portal said "taken").
        let candidates = Set(
            (0..<20).map { _ in generator.candidate(name: "Demo Traders", state: StateCode(code: "27")!) })
        #expect(candidates.count > 15)
    }

    @Test func userIDValidatorSaysWhatIsWrong() {
        #expect(UserIDRules.problems(with: "abc") == ["3 characters, at least 6 needed"])
        #expect(UserIDRules.problems(with: "abcdefghijklmnop").first == "16 characters, at most 15 allowed")
        #expect(UserIDRules.problems(with: "demo-user1").first?.contains("-") == true)
        #expect(UserIDRules.problems(with: "_demo1").contains("must not begin or end with _"))
        #expect(UserIDRules.isValid("DEMO27_API"))
    }

    @Test func generatedPasswordsFollowThePolicy() throws {
        let policy = PasswordPolicy.standard
        let random = DeterministicRandom(label: "passwords")
        for _ in 0..<500 {
            let password = try policy.generate(random: random).unsafeStringValue()
            #expect(password.count == 15)
            #expect(policy.problems(with: password).isEmpty, "\(policy.problems(with: password))")
            #expect(!"@#$%*".contains(password.first!) && !"@#$%*".contains(password.last!))
            #expect(!password.contains { "\"'`/\\<>& ".contains($0) })
        }
    }

    @Test func generatedPasswordNeverRepeatsARetiredOne() throws {
        // A tiny policy makes a repeat likely if the generator did not check.
        let tiny = PasswordPolicy(length: 4, minimumLength: 4, maximumLength: 4, specials: "@", forbidden: "")
        let random = DeterministicRandom(label: "tiny")
        var retired: [Secret] = []
        for _ in 0..<200 {
            let next = try tiny.generate(avoiding: retired, random: random)
            #expect(!retired.contains(next))
            retired.append(next)
        }
    }

    @Test func passwordValidatorListsEveryBrokenRule() {
        let problems = PasswordPolicy.standard.problems(with: "@abc def/")
        #expect(problems.contains("no upper-case letter"))
        #expect(problems.contains("no digit"))
        #expect(problems.contains("begins with a special character"))
        #expect(
            problems.contains {
                $0.hasPrefix("contains a character that is not allowed")
            })
        #expect(problems.contains("9 characters, at least 8 needed") == false)
        #expect(
            PasswordPolicy.standard.problems(with: String(repeating: "Ab1@", count: 13) + "x").contains(
                "53 characters, at most 50 allowed"))
        #expect(PasswordPolicy.standard.problems(with: "Xk7@pQ2mRt9#vLw").isEmpty)
        // NIC's specials (error 3003): % $ # @ _ ! *.
        #expect(PasswordPolicy.standard.problems(with: "Xk7_pQ2m!t9vLw").isEmpty)
        #expect(!PasswordPolicy.standard.problems(with: "Xk7~pQ2mRt9vLw").isEmpty)
    }

    @Test func problemsNeverQuoteThePassword() {
        for password in ["Abc1@x/yz!~ÿq", "Secret With Spaces9@", "Tab\tAnd\"Quote1@"] {
            for problem in PasswordPolicy.standard.problems(with: password) {
                for fragment in ["/", "!", "~", "ÿ", "With", "\"Quote"] where password.contains(fragment) {
                    #expect(
                        !problem.contains(fragment) || PasswordPolicy.standard.forbidden.contains(fragment)
                            || PasswordPolicy.standard.acceptedSpecials.contains(fragment),
                        "\(problem)")
                }
            }
        }
    }

    @Test func aPortalWithOtherRulesIsAnotherPolicyValue() throws {
        let strict = PasswordPolicy(length: 20, minimumLength: 12, maximumLength: 30, specials: "!", forbidden: "@")
        let password = try strict.generate(random: DeterministicRandom(label: "strict")).unsafeStringValue()
        #expect(password.count == 20)
        #expect(password.contains("!"))
        #expect(strict.problems(with: password).isEmpty)
        #expect(!strict.problems(with: "Abcdefgh1234@x").isEmpty)
    }

    func credential() throws -> Credential {
        Credential(
            environment: .sandbox, gstin: try GSTIN(parsing: "27AAPFU0939F1ZV", environment: .sandbox), kind: .portal,
            legalName: "Demo Traders Private Limited", userID: "DEMOTRAD274821",
            password: try Secret(utf8Bytes: Array("Xk7@pQ2mRt9#vLw".utf8)),
            createdAt: Timestamp(iso8601: "2026-11-26T00:00:00Z")!)
    }

    @Test func rotationHistoryKeepsTheLastTen() throws {
        var record = try credential()
        var now = record.createdAt
        for index in 0..<13 {
            now = now.adding(days: 30)
            record.replacePassword(with: try Secret(utf8Bytes: Array("Pass\(index)word@Z1".utf8)), at: now)
        }
        #expect(record.retired.count == Credential.historyLimit)
        #expect(record.retired.first?.password == (try Secret(utf8Bytes: Array("Pass11word@Z1".utf8))))
        #expect(record.rotatedAt == now)
        #expect(record.passwordsToAvoid.count == 11)
    }

    @Test func dueDateFollowsTheInterval() throws {
        var record = try credential()
        #expect(record.dueAt == Timestamp(iso8601: "2027-02-24T00:00:00Z")!)
        #expect(!record.isDue(at: record.createdAt.adding(days: 89)))
        #expect(record.isDue(at: record.createdAt.adding(days: 90)))
        // One definition of due for list and rotate: due soon within 7 days, due once the date has passed.
        #expect(record.status(at: record.createdAt.adding(days: 82)) == .ok)
        #expect(record.status(at: record.createdAt.adding(days: 83)) == .dueSoon)
        #expect(record.status(at: record.createdAt.adding(days: 90)) == .due)
        var pending = record
        pending.pendingSince = record.createdAt
        #expect(pending.status(at: record.createdAt.adding(days: 200)) == .pending)
        record.rotationDays = 30
        record.replacePassword(
            with: try Secret(utf8Bytes: Array("Another@Pass9".utf8)), at: record.createdAt.adding(days: 10))
        #expect(record.dueAt == record.createdAt.adding(days: 40))
    }

    @Test func credentialSecretsNeverPrint() throws {
        let record = try credential()
        let text = "\(record) \(String(reflecting: record))"
        #expect(!text.contains("Xk7@pQ2mRt9#vLw"))
    }

    @Test func timestampsAreISO8601UTC() {
        #expect(Timestamp(secondsSince1970: 0).description == "1970-01-01T00:00:00Z")
        #expect(Timestamp(secondsSince1970: 1_795_671_565).description == "2026-11-26T05:39:25Z")
        #expect(Timestamp(iso8601: "2026-11-26T05:39:25Z")?.secondsSince1970 == 1_795_671_565)
        #expect(Timestamp(iso8601: "2028-02-29T12:00:00Z") != nil)
        #expect(Timestamp(iso8601: "2027-02-29T12:00:00Z") == nil)
        #expect(Timestamp(iso8601: "2026-11-26 05:39:25") == nil)
    }

    /// Four-digit years are written as bytes (fast), others as before; both read back, and the date is the
    /// first ten characters.
    @Test func timestampTextRoundTripsAcrossTheYearsItWrites() {
        #expect(Timestamp(secondsSince1970: -30_610_224_000).description == "1000-01-01T00:00:00Z")
        #expect(Timestamp(secondsSince1970: 253_402_300_799).description == "9999-12-31T23:59:59Z")
        #expect(Timestamp(secondsSince1970: 253_402_300_800).description == "10000-01-01T00:00:00Z")
        #expect(Timestamp(secondsSince1970: -30_610_224_001).description == "999-12-31T23:59:59Z")
        #expect(Timestamp(secondsSince1970: 1_795_671_565).dateString == "2026-11-26")
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let time = Timestamp(
                secondsSince1970: Int64.random(in: -30_610_224_000..<253_402_300_800, using: &generator))
            #expect(Timestamp(iso8601: time.description) == time, "\(time.secondsSince1970)")
            #expect(time.dateString == String(time.description.prefix(10)))
        }
    }
}
