#ifndef NICVAULT_CPOSIX_SHIM_H
#define NICVAULT_CPOSIX_SHIM_H
#include <malloc.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/* prctl is variadic and so invisible to Swift; this fixes its arguments. */
static inline int nicvault_set_not_dumpable(void) {
    return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

static inline int nicvault_is_dumpable(void) {
    return prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
}

/* RLIMIT_CORE imports as an enum constant of an odd type; pass it through an int. */
static inline int nicvault_disable_core_files(void) {
    struct rlimit limit = { 0, 0 };
    return setrlimit(RLIMIT_CORE, &limit);
}

static inline long long nicvault_core_file_limit(void) {
    struct rlimit limit;
    if (getrlimit(RLIMIT_CORE, &limit) != 0) return -1;
    return (long long)limit.rlim_cur;
}

/* copy_file_range is declared only with _GNU_SOURCE; the system call itself has the same arguments. Copies up to
   `count` bytes of `in` from `*in_offset` (advanced) to `out` at its file offset, in the kernel. */
static inline long nicvault_copy_file_range(int in, long long *in_offset, int out, unsigned long count) {
    return syscall(SYS_copy_file_range, in, in_offset, out, (long long *)0, count, 0u);
}
/* Large blocks stay on the heap (up to 32 MiB) and freed memory stays in the process (up to 256 MiB at the top of
   the heap) instead of each large block being mapped afresh, faulted in page by page and unmapped when freed.
   Returns 1 when glibc took both settings. */
static inline int nicvault_keep_large_blocks(void) {
    return mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024) == 1 && mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024) == 1;
}
#endif
