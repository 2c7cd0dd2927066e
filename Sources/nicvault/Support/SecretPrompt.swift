import Foundation
import GST
import NICVault
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
        guard let answer = try ControllingTerminal.readLine(prompt: "\(question)\nType \(word) to confirm: ") else {
            throw CLIError("no terminal to confirm on; add --yes if you mean it", code: Exit.usage)
        }
        guard answer.trimmingCharacters(in: .whitespaces).uppercased() == word.uppercased() else {
            throw CLIError("not confirmed; nothing was removed", code: Exit.usage)
        }
    }

    /// A client id (echoed) and secret (not), from the terminal or two lines of stdin.
    static func clientIDAndSecret() throws -> (String, Secret) {
        let id: String
        let secret: Secret
        if isatty(0) == 0 {
            id = try SecretReader.readLine(fd: 0).withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
            secret = Secret(try SecretReader.readLine(fd: 0))
        } else {
            guard let typed = try ControllingTerminal.readLine(prompt: "Client id: "),
                let typedSecret = try Terminal.readNewSecret(prompt: "Client secret: ", confirm: "Repeat it: ")
            else { throw CLIError("no terminal and no stdin to read the client from", code: Exit.usage) }
            id = typed
            secret = Secret(typedSecret)
        }
        let clientID = id.trimmingCharacters(in: .whitespaces)
        guard !clientID.isEmpty, secret.byteCount > 0 else {
            throw CLIError("the client id and secret must not be empty; nothing was stored", code: Exit.usage)
        }
        return (clientID, secret)
    }
}
