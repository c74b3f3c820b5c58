/* nm_failalloc.h - allocation-failure injection, for test builds only.
 *
 * With CMake -DNM_FAILALLOC=ON every C file of newsmon is compiled with
 * this header forced in (-include), so its malloc, calloc, realloc, strdup,
 * strndup and getline go through counters that can fail on demand; the
 * libraries newsmon links (librdkafka, hiredis, jansson, ...) keep their own
 * allocator: the hook tests newsmon's handling of a NULL, not theirs.
 *
 * The environment variable NM_FAILALLOC chooses (unset: no failure):
 *   nth=N              fail the Nth allocation of the process (1-based), only it
 *   p=P,seed=S,skip=K  fail each allocation after the first K with
 *                      probability P (deterministic for S: the choice is a
 *                      hash of S and the allocation's number)
 *   count              fail nothing
 * and with any of them the process prints at exit on stderr
 * "failalloc: <n> allocations, <f> failed" (tests/failalloc/run.sh reads it).
 * A failed getline sets errno = ENOMEM and returns -1, as glibc's does.
 */
#ifndef NM_FAILALLOC_H
#define NM_FAILALLOC_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

void *nm_failalloc_malloc(size_t size);
void *nm_failalloc_calloc(size_t n, size_t size);
void *nm_failalloc_realloc(void *p, size_t size);
char *nm_failalloc_strdup(const char *s);
char *nm_failalloc_strndup(const char *s, size_t n);
ssize_t nm_failalloc_getline(char **line, size_t *cap, FILE *f);

#define malloc(size) nm_failalloc_malloc(size)
#define calloc(n, size) nm_failalloc_calloc(n, size)
#define realloc(p, size) nm_failalloc_realloc(p, size)
#define strdup(s) nm_failalloc_strdup(s)
#define strndup(s, n) nm_failalloc_strndup(s, n)
#define getline(line, cap, f) nm_failalloc_getline(line, cap, f)

#endif
