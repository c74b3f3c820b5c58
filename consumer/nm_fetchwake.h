/* nm_fetchwake.h - wake librdkafka's fetchers once the application has
 * drained part of the prefetch queue.
 *
 * Why: a consumer whose local queue reaches queued.max.messages.kbytes
 * stops fetching, and librdkafka 2.0 (Debian 12's) decides again only when
 * its broker thread wakes: on an operation, socket I/O, or after
 * rd_kafka_max_block_ms (1 s, not configurable there; 2.2 added
 * fetch.queue.backoff.ms). With no fetch in flight nothing else wakes it,
 * so under a backlog a consumer reads at most about one queue's worth a
 * second, whatever its speed (20 MB: ~5,000 articles of 4 KB a second).
 * The waker sends a ListOffsets request (rd_kafka_offsets_for_times, one
 * request per leader of the assigned partitions) each time the application
 * has taken a quarter of the queue's limit: the request is an operation on
 * each leader's broker thread, which then finds its queue below the limit
 * and fetches at once. It runs on a thread of its own (the request waits
 * for its answer: nm_async's thread) and only as messages are taken: an
 * idle consumer sends nothing, a live one a request per quarter queue's
 * worth of input. One caller: the thread that polls the consumer.
 */
#ifndef NM_FETCHWAKE_H
#define NM_FETCHWAKE_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>

typedef struct nm_fetchwake_s nm_fetchwake_t;

/* The share of the queue's limit consumed between two wake-ups (1/N). */
#define NM_FETCHWAKE_PARTS 4
/* How long (ms) one wake-up's request may wait for its answer. */
#define NM_FETCHWAKE_TIMEOUT_MS 1000

/** @brief Start a waker for the consumer rk (borrowed; it must outlive the
 *  waker), whose queued.max.messages.kbytes is limit_kbytes.
 *  @returns a new waker (nm_fetchwake_stop frees it), or NULL when out of
 *  memory or no thread could start (the consumer works without one). */
nm_fetchwake_t *nm_fetchwake_start(rd_kafka_t *rk, long limit_kbytes);

/** @brief Account `bytes` the application has taken from the queue; sends
 *  a wake-up once they reach the limit's share (unless one is still in
 *  flight: it will do). Cheap: an addition, unless the share is reached.
 *  NULL-safe. */
void nm_fetchwake_taken(nm_fetchwake_t *w, size_t bytes);

/** @brief Wake-up requests sent so far. */
unsigned long nm_fetchwake_count(const nm_fetchwake_t *w);

/** @brief Stop the thread (waits for a request in flight, at most
 *  NM_FETCHWAKE_TIMEOUT_MS) and free. NULL-safe. */
void nm_fetchwake_stop(nm_fetchwake_t *w);

/** @brief The consumer configuration's queued.max.messages.kbytes, or
 *  librdkafka's default when it cannot be read. conf is borrowed. */
long nm_fetchwake_limit_kbytes(const rd_kafka_conf_t *conf);

#endif
