import CPosix

/// How this process's heap treats large blocks.
public enum ProcessMemory {
    /// Keeps blocks up to 32 MiB on the heap, and freed memory in the process, instead of glibc's defaults that map
    /// each large block afresh, fault it in page by page and unmap it when it is freed: a save at 100,000
    /// credentials allocates and frees several arrays of 5 to 15 MB one after the other (about 10 ms of an
    /// `update` there, and 30 of an `export`, measured in docs/performance.md). Secrets are not in these blocks:
    /// they live in libsodium's guarded allocations, which this does not touch. Call first thing in `main`;
    /// false when glibc refused a setting (nothing else changes then).
    @discardableResult
    public static func keepLargeBlocks() -> Bool {
        nicvault_keep_large_blocks() == 1
    }
}
