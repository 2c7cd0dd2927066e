import CPosix

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

    /// True when this process can no longer write a core file.
    public static var coreDumpsDisabled: Bool {
        nicvault_core_file_limit() == 0 && nicvault_is_dumpable() == 0
    }
}
