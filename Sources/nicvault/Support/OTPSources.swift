import Foundation
import GST
import NICVault
import Portal

/// Where OTPs come from for `register` and `rotate`: the sandbox outbox (`--otp-from-outbox`), one line of
/// stdin when it is not a terminal, or the terminal.
enum OTPSources {
    static func make(fromOutbox: Bool, driver: any PortalDriver, gstin: GSTIN) -> OTPSource {
        return { challenge, attempt in
            if fromOutbox {
                let sandbox = try outbox(of: driver)
                guard attempt == 1 else {
                    throw CLIError("the OTP from the outbox was refused", code: Exit.portalRefused)
                }
                return try await sandbox.otpFromOutbox(challenge, gstin: gstin)
            }
            if isatty(0) == 0 {
                guard attempt == 1 else {
                    throw CLIError("the OTP read from stdin was wrong", code: Exit.portalRefused)
                }
                let line = try SecretReader.readLine(fd: 0)
                let otp = line.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }.trimmingCharacters(
                    in: .whitespaces)
                // End of file (stdin closed, </dev/null): stop before the portal counts a wrong try.
                guard !otp.isEmpty else {
                    throw CLIError("no OTP given (stdin ended); none of the portal's tries was spent", code: Exit.usage)
                }
                return otp
            }
            guard let typed = try ControllingTerminal.readLine(prompt: "OTP sent to \(challenge.sentTo): ") else {
                throw CLIError("no terminal to read the OTP from", code: Exit.usage)
            }
            return typed.trimmingCharacters(in: .whitespaces)
        }
    }
}

extension OTPSources {
    /// The portal whose outbox --otp-from-outbox reads: only a sandbox portal has one (NIC sends a real SMS).
    static func outbox(of driver: any PortalDriver) throws -> SandboxDriver {
        guard let sandbox = driver as? SandboxDriver else {
            throw CLIError(
                "--otp-from-outbox needs a sandbox portal, and this is the \(driver.name): leave it out and type the "
                    + "OTP NIC sends", code: Exit.usage)
        }
        return sandbox
    }
}

/// The assisted driver's conversation on the controlling terminal.
struct TerminalConversation: Conversation {
    func say(_ text: String) { Console.note(text) }

    func ask(_ question: String) throws -> String {
        guard let answer = try ControllingTerminal.readLine(prompt: question) else {
            throw CLIError("no terminal to ask: \(question)", code: Exit.usage)
        }
        return answer.trimmingCharacters(in: .whitespaces)
    }

    func confirm(_ question: String) throws -> Bool {
        while true {
            let answer = try ask(question + " [y/n] ").lowercased()
            if answer == "y" || answer == "yes" { return true }
            if answer == "n" || answer == "no" { return false }
        }
    }

    func offerSecret(_ label: String, _ secret: Secret) throws {
        let answer = try ask("Type show and Enter to display the \(label) (Enter to skip): ")
        if answer.lowercased() == "show" {
            ControllingTerminal.write("  \(label): \(secret.unsafeStringValue())\n")
            _ = try ask("Press Enter once you have typed it; the screen line stays, clear your terminal after. ")
        }
    }
}
