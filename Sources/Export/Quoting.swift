/// Quoting that gives consumers back exactly the bytes of a value.
public enum Quoting {
    /// POSIX shell single quotes: every byte is literal inside them, and a quote is written as '\''.
    /// `eval` and `source` get the exact value, whatever it holds ($, `, \, ", newlines, non-ASCII).
    public static func shell(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }

    /// A dotenv value that python-dotenv (the parser our dotenv consumers use) reads back byte for byte,
    /// or nil with the reason when none exists.
    ///
    /// Single quotes are used (python-dotenv decodes only `\\` and `\'` inside them). Two things cannot be
    /// written for python-dotenv at all: `${` (it interpolates `${NAME}` in every value, quoted or not, and
    /// has no escape for it), and a backslash right before a quote or at the very end (its quoted-value
    /// pattern then reads the closing quote as escaped). The second is still possible unquoted when the
    /// value has no spaces at its ends, no newline, no ` #` and no leading quote.
    public static func dotenv(_ value: String) -> Result<String, DotenvProblem> {
        if value.contains("${") { return .failure(.interpolation) }
        let chars = Array(value)
        let backslashBeforeQuoteOrEnd = chars.indices.contains { index in
            chars[index] == "\\" && (index == chars.count - 1 || chars[index + 1] == "'")
        }
        if !backslashBeforeQuoteOrEnd {
            return .success(
                "'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'")
                    + "'")
        }
        let unquotable =
            !value.isEmpty && !value.contains("\n") && !value.contains("\r") && !value.contains(" #")
            && !value.contains("\t#") && value.first.map { !$0.isWhitespace && $0 != "'" && $0 != "\"" } == true
            && value.last.map { !$0.isWhitespace } == true
        return unquotable ? .success(value) : .failure(.backslash)
    }

    /// Why a value has no dotenv form that python-dotenv reads back exactly.
    public enum DotenvProblem: Error, Equatable, Sendable {
        case interpolation
        case backslash

        public var reason: String {
            switch self {
            case .interpolation: "it contains ${, which python-dotenv always expands"
            case .backslash: "a backslash before a quote or at its end cannot be quoted for python-dotenv"
            }
        }
    }
}
