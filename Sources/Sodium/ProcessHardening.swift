import CPosix

#if canImport(Glibc)
    import Glibc
#endif

/// Keeps secrets of this process out of core files.
public enum ProcessHardening {
    /// Sets the core-file size limit to zero and marks the process not dumpable (which also keeps
    /// other processes of the same user from attaching with ptrace). Call first thing in `main`.
    @discardableResult
    public static func disableCoreDumps() -> Bool {
        let limit = nicvault_disable_core_files()
        let dumpable = nicvault_set_not_dumpable()
        return limit == 0 && dumpable == 0
    }

    /// Gives the crash signals (and Ctrl-\'s SIGQUIT) back their default action: the Swift runtime's backtracer
    /// otherwise catches them, and on a terminal offers an interactive session that can dump this process's
    /// memory, or prints its registers to a job's log. A crash still prints the runtime's "Fatal error" line, and
    /// with core files off the process just ends. Call first thing in `main`.
    public static func disableCrashReports() {
        for number in crashSignals { _ = signal(number, SIG_DFL) }
    }

    /// The signals the Swift runtime's backtracer takes over on Linux.
    private static let crashSignals = [SIGQUIT, SIGABRT, SIGBUS, SIGFPE, SIGILL, SIGSEGV, SIGTRAP]

    /// True when this process can no longer write a core file.
    public static var coreDumpsDisabled: Bool {
        nicvault_core_file_limit() == 0 && nicvault_is_dumpable() == 0
    }
}
