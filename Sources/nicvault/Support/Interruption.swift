import Foundation

/// Ctrl-C during a batch: the item in progress finishes (a rotation is never left half done by nicvault
/// itself), the rest are skipped, and the summary is printed. A second Ctrl-C ends the process at once (what it
/// had staged stays pending, as after a crash).
enum Interruption {
    nonisolated(unsafe) private static var flag: sig_atomic_t = 0

    static var requested: Bool { flag != 0 }

    static func watch() {
        signal(SIGINT) { _ in
            if Interruption.flag != 0 { _exit(130) }
            Interruption.flag = 1
        }
    }
}
