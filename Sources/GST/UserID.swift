import Sodium

/// NIC portal user id rules: 6 to 15 letters and digits. (The portal adds "API_" style prefixes itself
/// for some API users; ids typed by the user may contain "_", which is accepted with a note.)
public enum UserIDRules {
    public static let minimumLength = 6
    public static let maximumLength = 15

    /// Every rule `candidate` breaks, in words; empty when it is valid.
    public static func problems(with candidate: String) -> [String] {
        var problems: [String] = []
        let count = candidate.count
        if count < minimumLength { problems.append("\(count) characters, at least \(minimumLength) needed") }
        if count > maximumLength { problems.append("\(count) characters, at most \(maximumLength) allowed") }
        let bad = candidate.filter { !($0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_")) }
        if !bad.isEmpty {
            problems.append(
                "only letters, digits and _ are allowed, not \"\(String(Set(bad)).sorted().map(String.init).joined())\""
            )
        }
        if candidate.first == "_" || candidate.last == "_" { problems.append("must not begin or end with _") }
        return problems
    }

    /// True when `candidate` breaks no rule.
    public static func isValid(_ candidate: String) -> Bool { problems(with: candidate).isEmpty }
}

/// Makes readable user id candidates from a trade or legal name and the state code, with random digits:
/// "acmetrade27" + "4821" → "ACMETRADE274821" cut to the rules. Every candidate is valid.
public struct UserIDGenerator: Sendable {
    private let random: any RandomSource

    public init(random: any RandomSource = SystemRandom()) { self.random = random }

    /// A candidate for `name` in `state`; call again for another when the portal says "taken".
    public func candidate(name: String, state: StateCode) -> String {
        let stem = String(
            name.uppercased().filter { $0.isASCII && ($0.isLetter || $0.isNumber) }
                .prefix(UserIDRules.maximumLength - 2 - 4))
        let base = (stem.isEmpty ? "NIC" : stem) + state.code
        var digits = ""
        for _ in 0..<4 { digits.append(Character(String(random.uniform(10)))) }
        var result = base + digits
        if result.count < UserIDRules.minimumLength {
            result += String(repeating: "0", count: UserIDRules.minimumLength - result.count)
        }
        return String(result.prefix(UserIDRules.maximumLength))
    }
}
