/* nm_pool.h - a fixed set of threads that run one parallel loop at a time.
 *
 * nm_pool_run(pool, n, fn, ctx) calls fn(ctx, worker, i) once for every i
 * in [0, n), spread over the calling thread (worker 0) and the pool's
 * helper threads (workers 1 .. nthreads-1), and returns when every call
 * has returned. Items are handed out one at a time in order, so a slow or
 * late-waking helper only takes fewer of them. The caller keeps one state
 * per worker index (e.g. a tagger workspace) and writes results per item:
 * no two calls share an item, and a worker runs one call at a time.
 */
#ifndef NM_POOL_H
#define NM_POOL_H

#include <stddef.h>

typedef struct nm_pool_s nm_pool_t;

typedef void (*nm_pool_fn)(void *ctx, int worker, size_t i);

/** @brief A pool of nthreads workers in all, the caller included (so
 *  nthreads - 1 helper threads; 1: none, every loop runs inline).
 *  @returns the pool, or NULL when out of memory or a thread cannot start. */
nm_pool_t *nm_pool_new(int nthreads);

/** @brief Run fn for every item of [0, n) and wait for all of them. Not
 *  reentrant: one loop at a time, from one thread. */
void nm_pool_run(nm_pool_t *p, size_t n, nm_pool_fn fn, void *ctx);

/** @brief Stop and join the helpers, free. NULL-safe. */
void nm_pool_destroy(nm_pool_t *p);

#endif
