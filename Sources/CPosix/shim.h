#ifndef NICVAULT_CPOSIX_SHIM_H
#define NICVAULT_CPOSIX_SHIM_H
#include <sys/prctl.h>
#include <sys/resource.h>

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
#endif
