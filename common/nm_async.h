/* nm_async.h - one background thread that runs one job at a time.
 *
 * The daemon's loop hands a blocking call (the batch's Redis counts call)
 * to it and keeps consuming and tagging meanwhile; it checks for the end
 * with nm_async_done (no blocking) or waits with nm_async_wait. Between
 * nm_async_start and the end of the job the caller must not touch what
 * the job uses: the job's memory is the caller's, borrowed by the job.
 */
#ifndef NM_ASYNC_H
#define NM_ASYNC_H

typedef struct nm_async_s nm_async_t;

typedef void (*nm_async_fn)(void *ctx);

/** @brief Start the thread. @returns it, NULL when out of memory or the
 *  thread cannot start. */
nm_async_t *nm_async_new(void);

/** @brief Call fn(ud) on the thread each time a job ends, after it counts
 *  as done (so the caller woken by it sees nm_async_done return 1); NULL
 *  turns it off, after which no call is made. fn must be brief: it runs
 *  under the thread's lock. */
void nm_async_on_done(nm_async_t *a, void (*fn)(void *ud), void *ud);

/** @brief Run fn(ctx) on the thread. One job at a time: the previous one
 *  must have ended (nm_async_done returned 1, or nm_async_wait). */
void nm_async_start(nm_async_t *a, nm_async_fn fn, void *ctx);

/** @brief 1 when no job is running (the last one has ended), else 0.
 *  Never blocks. */
int nm_async_done(nm_async_t *a);

/** @brief Wait until no job is running. */
void nm_async_wait(nm_async_t *a);

/** @brief Wait for the job, stop and join the thread, free. NULL-safe. */
void nm_async_destroy(nm_async_t *a);

#endif
