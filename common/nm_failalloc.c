/* nm_failalloc.c - the counters behind nm_failalloc.h (test builds only). */
#include "nm_failalloc.h"

/* here the names are the C library's own (the header is forced into every
 * file, this one too) */
#undef malloc
#undef calloc
#undef realloc
#undef strdup
#undef strndup
#undef getline

#include <errno.h>
#include <stdint.h>
#include <unistd.h>

static _Atomic unsigned long nm_fa_calls, nm_fa_failed;
static _Atomic int nm_fa_mode = -1; /* -1: not read yet, 0: off, 1: nth, 2: p, 3: count */
static unsigned long nm_fa_nth, nm_fa_skip;
static uint64_t nm_fa_seed, nm_fa_threshold;

static void nm_fa_report(void) {
    char b[128];
    int n = snprintf(b, sizeof b, "failalloc: %lu allocations, %lu failed\n",
                     (unsigned long)nm_fa_calls, (unsigned long)nm_fa_failed);
    if (n > 0 && write(2, b, (size_t)n) < 0) return;
}

static int nm_fa_init(void) {
    const char *e = getenv("NM_FAILALLOC");
    int mode = 0;
    if (e && !strncmp(e, "nth=", 4)) {
        nm_fa_nth = strtoul(e + 4, NULL, 10);
        mode = 1;
    } else if (e && !strncmp(e, "p=", 2)) {
        double p = strtod(e + 2, NULL);
        const char *s = strstr(e, "seed="), *k = strstr(e, "skip=");
        nm_fa_seed = s ? strtoull(s + 5, NULL, 10) : 1;
        nm_fa_skip = k ? strtoul(k + 5, NULL, 10) : 0;
        nm_fa_threshold = p >= 1 ? UINT64_MAX : p <= 0 ? 0 : (uint64_t)(p * 18446744073709551616.0);
        mode = 2;
    } else if (e && !strcmp(e, "count")) {
        mode = 3;
    }
    if (mode) atexit(nm_fa_report);
    return mode;
}

/* splitmix64: a well-mixed hash of the seed and the allocation number */
static uint64_t nm_fa_hash(uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* 1 when this allocation is to fail */
static int nm_fa_fail(void) {
    int mode = nm_fa_mode;
    if (mode < 0) nm_fa_mode = mode = nm_fa_init(); /* the first call is single-threaded: main */
    if (!mode) return 0;
    unsigned long i = ++nm_fa_calls;
    int fail = mode == 1 ? i == nm_fa_nth
             : mode == 2 ? i > nm_fa_skip && nm_fa_hash(nm_fa_seed * 0x100000001b3ULL ^ i) < nm_fa_threshold
                         : 0;
    if (fail) nm_fa_failed++;
    return fail;
}

void *nm_failalloc_malloc(size_t size) { return nm_fa_fail() ? NULL : malloc(size); }

void *nm_failalloc_calloc(size_t n, size_t size) { return nm_fa_fail() ? NULL : calloc(n, size); }

void *nm_failalloc_realloc(void *p, size_t size) { return nm_fa_fail() ? NULL : realloc(p, size); }

char *nm_failalloc_strdup(const char *s) { return nm_fa_fail() ? NULL : strdup(s); }

char *nm_failalloc_strndup(const char *s, size_t n) { return nm_fa_fail() ? NULL : strndup(s, n); }

ssize_t nm_failalloc_getline(char **line, size_t *cap, FILE *f) {
    if (nm_fa_fail()) {
        errno = ENOMEM;
        return -1;
    }
    return getline(line, cap, f);
}
