import ArgumentParser
import Export
import GST
import NICVault
import Portal
import SandboxPortal
import SealedFile
import Sodium

/// The exit codes nicvault promises (docs/cli.md). They never change meaning.
enum Exit {
    static let failure: Int32 = 1
    static let wrongPassphrase: Int32 = 2
    static let damaged: Int32 = 3
    static let conflict: Int32 = 4
    static let portalRefused: Int32 = 5
    static let notFound: Int32 = 6
    static let usage: Int32 = 64
    /// `list --due`: something is due (not a failure; for cron and scripts).
    static let somethingDue: Int32 = 10
}

/// An error the CLI itself raises, with the exit code it maps to.
struct CLIError: Error, CustomStringConvertible {
    let message: String
    let code: Int32

    init(_ message: String, code: Int32 = Exit.failure) {
        self.message = message
        self.code = code
    }

    var description: String { message }
}

/// Maps any error to a one-line message and an exit code.
enum ErrorReport {
    static func exitCode(for error: any Error) -> Int32 {
        switch error {
        case let e as CLIError: return e.code
        case let e as SealedFileError:
            switch e {
            case .wrongPassphrase, .noPassphraseSlot, .notARecipient: return Exit.wrongPassphrase
            case .invalidArgument: return Exit.failure
            default: return Exit.damaged
            }
        case let e as StoreError:
            switch e {
            case .locked, .rollback, .forked, .vaultExists, .vaultReplaced, .backupNewer: return Exit.conflict
            case .vaultMissing: return Exit.notFound
            case .kdfAboveAllowance, .damagedInStore: return Exit.damaged
            case .io, .notDurable, .unsafePermissions, .database, .databaseUnanswered: return Exit.failure
            }
        case let e as VaultError:
            switch e {
            case .notFound, .notFoundDidYouMean, .clientNotFound, .noSuchRecipient, .noSuchRecipientLabel,
                .noPendingRegistration, .noPendingRotation:
                return Exit.notFound
            case .ambiguous, .passphraseTooShort, .nothingToChange, .badIdentity, .badClientName, .noClientLinked,
                .badRecipient:
                return Exit.usage
            case .needsPassphrase: return Exit.wrongPassphrase
            case .alreadyExists, .conflict, .clientInUse, .lastSlot, .noLongerPending, .rotationBlocked,
                .flowInProgress,
                .registrationPending:
                return Exit.conflict
            case .unsupportedSchema, .payloadUnreadable: return Exit.damaged
            }
        case let e as UnlockError:
            switch e.kind {
            case .cannotUnlock: return Exit.wrongPassphrase
            case .invalid: return Exit.usage
            case .failed: return Exit.failure
            case .exists: return Exit.conflict
            }
        case is GSTINError, is LocationError: return Exit.usage
        case let e as SeedError:
            if case .unreadable = e { return Exit.notFound }
            return Exit.usage
        case is ExportError, is ImportFileError: return Exit.usage
        case is NICAuthError: return Exit.portalRefused
        case is PortalChoiceError, is RegistrationRequestError: return Exit.usage
        case let e as VerifierError:
            if case .noPublicKey = e { return Exit.usage }
            return Exit.portalRefused
        case let e as LeftPending: return exitCode(for: e.cause)
        case let e as PortalError:
            if case .stoppedByUser = e { return Exit.failure }
            return Exit.portalRefused
        case let e as SodiumError:
            return e == .authenticationFailed ? Exit.damaged : Exit.failure
        default: return Exit.failure
        }
    }

    static func message(for error: any Error) -> String {
        String(describing: error)
    }
}
