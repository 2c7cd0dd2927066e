import Foundation
import GST
import Sodium

/// A new secret from the person: on a terminal without echo, asked twice; else one line of stdin.
enum SecretPrompt {
    /// `allowEmpty`: an empty answer (Enter, or an empty stdin) means "keep what is stored" and gives nil.
    static func read(_ prompt: String, allowEmpty: Bool = false) throws -> Secret? {
        let secret: Secret
        if isatty(0) == 0 {
            secret = Secret(try SecretReader.readLine(fd: 0))
        } else {
            guard let typed = try Terminal.readNewSecret(prompt: prompt, confirm: "Repeat it: ") else {
                throw CLIError("no terminal and no stdin to read the password from", code: Exit.usage)
            }
            secret = Secret(typed)
        }
        if secret.byteCount == 0 {
            if allowEmpty { return nil }
            throw CLIError("the password is empty; nothing was changed", code: Exit.usage)
        }
        return secret
    }

    /// Asks the person to confirm a removal by typing `word`; `yes` skips the question. Without a terminal,
    /// only `yes` goes ahead.
    static func confirm(_ question: String, typing word: String, yes: Bool) throws {
        if yes { return }
        guard let answer = try Terminal.readLine(prompt: "\(question)\nType \(word) to confirm: ") else {
            throw CLIError("no terminal to confirm on; add --yes if you mean it", code: Exit.usage)
        }
        guard answer.trimmingCharacters(in: .whitespaces).uppercased() == word.uppercased() else {
            throw CLIError("not confirmed; nothing was removed", code: Exit.usage)
        }
    }
}
