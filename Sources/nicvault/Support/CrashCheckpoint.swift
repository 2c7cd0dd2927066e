import Foundation

/// The crash tests' hook: `NICVAULT_TEST_CRASH_AT=staged|submitted` kills the process at that step.
func crashCheckpoint(_ point: String) {
    if ProcessInfo.processInfo.environment["NICVAULT_TEST_CRASH_AT"] == point { kill(getpid(), SIGKILL) }
}
