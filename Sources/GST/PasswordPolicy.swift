import Sodium

/// The rules for portal passwords. NIC publishes none, so the default is the safe intersection of what the
/// portal and the GSPs are known to accept (see nic-domain.md, design implication 4). A portal or GSP with
/// other rules is another value of this type, not another generator.
public struct PasswordPolicy: Sendable, Equatable {
    /// Length of generated passwords.
    public var length: Int
    /// Shortest password accepted by `problems(with:)`.
    public var minimumLength: Int
    /// Longest password: the NIC auth request is RSA-2048 encrypted, which caps it near 50.
    public var maximumLength: Int
    /// The special characters the generator uses.
    public var specials: String
    /// The special characters a password may hold (NIC's error 3003 names `% $ # @ _ ! *`): the generator's and
    /// any more the portal accepts.
    public var acceptedSpecials: String
    /// Characters never allowed (the generator never uses them either).
    public var forbidden: String

    public init(
        length: Int, minimumLength: Int, maximumLength: Int, specials: String, forbidden: String,
        acceptedSpecials: String? = nil
    ) {
        self.length = length
        self.minimumLength = minimumLength
        self.maximumLength = maximumLength
        self.specials = specials
        self.forbidden = forbidden
        self.acceptedSpecials = acceptedSpecials ?? specials
    }

    /// NIC's special characters (error 3003, nic-domain.md corrections).
    public static let nicSpecials = "%$#@_!*"

    /// 15 characters from upper, lower, digits and `@#$%*`, at least one of each, no special first or last;
    /// accepts any of NIC's specials (`% $ # @ _ ! *`).
    public static let standard = PasswordPolicy(
        length: 15, minimumLength: 8, maximumLength: 50, specials: "@#$%*", forbidden: "\"'`/\\<>& ",
        acceptedSpecials: nicSpecials)

    static let upper = Array("ABCDEFGHJKLMNPQRSTUVWXYZ")
    static let lower = Array("abcdefghijkmnopqrstuvwxyz")
    static let digits = Array("23456789")

    /// Every rule `password` breaks, in words; empty when it complies.
    public func problems(with password: String) -> [String] {
        var problems: [String] = []
        let chars = Array(password)
        if chars.count < minimumLength {
            problems.append("\(chars.count) characters, at least \(minimumLength) needed")
        }
        if chars.count > maximumLength {
            problems.append("\(chars.count) characters, at most \(maximumLength) allowed")
        }
        if !chars.contains(where: { $0.isASCII && $0.isUppercase }) { problems.append("no upper-case letter") }
        if !chars.contains(where: { $0.isASCII && $0.isLowercase }) { problems.append("no lower-case letter") }
        if !chars.contains(where: { $0.isASCII && $0.isNumber }) { problems.append("no digit") }
        if !chars.contains(where: { acceptedSpecials.contains($0) }) {
            problems.append("no special character from \(acceptedSpecials)")
        }
        if let first = chars.first, acceptedSpecials.contains(first) {
            problems.append("begins with a special character")
        }
        if let last = chars.last, acceptedSpecials.contains(last) { problems.append("ends with a special character") }
        let bad = Set(chars.filter { forbidden.contains($0) || !($0.isASCII && !$0.isWhitespace) || $0 == " " })
        // The rules are named, never the password's own characters: these messages reach stderr and logs.
        if !bad.isEmpty {
            problems.append(
                "contains a character that is not allowed (one of \(String(forbidden.filter { $0 != " " }))"
                    + ", a space, or a non-ASCII character)")
        }
        let otherSpecials = Set(
            chars.filter { $0.isASCII && !$0.isLetter && !$0.isNumber && !acceptedSpecials.contains($0) }
        )
        .subtracting(bad)
        if !otherSpecials.isEmpty {
            problems.append("contains a special character outside \(acceptedSpecials)")
        }
        return problems
    }

    /// A fresh password under this policy, different from every one in `avoiding`.
    /// Uniform choices from libsodium; no class is favoured by position.
    public func generate(avoiding retired: [Secret] = [], random: some RandomSource = SystemRandom()) throws -> Secret {
        precondition(length >= 4 && length <= maximumLength, "policy length out of range")
        let special = Array(specials)
        let all = Self.upper + Self.lower + Self.digits + special
        let inner = Self.upper + Self.lower + Self.digits
        while true {
            var chars: [Character] = []
            // One of each class, then fill, then shuffle, then make the ends non-special.
            chars.append(Self.upper[Int(random.uniform(UInt32(Self.upper.count)))])
            chars.append(Self.lower[Int(random.uniform(UInt32(Self.lower.count)))])
            chars.append(Self.digits[Int(random.uniform(UInt32(Self.digits.count)))])
            chars.append(special[Int(random.uniform(UInt32(special.count)))])
            while chars.count < length { chars.append(all[Int(random.uniform(UInt32(all.count)))]) }
            for i in stride(from: chars.count - 1, to: 0, by: -1) {
                chars.swapAt(i, Int(random.uniform(UInt32(i + 1))))
            }
            for end in [0, chars.count - 1] where special.contains(chars[end]) {
                chars[end] = inner[Int(random.uniform(UInt32(inner.count)))]
            }
            var utf8 = Array(String(chars).utf8)
            defer { wipe(&utf8) }
            let candidate = try Secret(utf8Bytes: utf8)
            guard problems(with: candidate.unsafeStringValue()).isEmpty else { continue }
            if retired.contains(where: { $0 == candidate }) { continue }
            return candidate
        }
    }
}
