/* nm_consumer.h - Kafka consumer-group member with manual offset storing.
 *
 * Offsets are stored (rd_kafka_offsets_store) only by the caller, after an
 * article's outputs are acknowledged, and committed after every batch
 * (librdkafka's auto-commit also commits what is stored). Before
 * partitions are revoked in a rebalance, the caller's on_revoke callback
 * runs so it can finish and store its in-flight batch,
 * and the stored offsets are committed synchronously: a partition's next
 * owner starts exactly where this one's completed work ends.
 */
#ifndef NM_CONSUMER_H
#define NM_CONSUMER_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>

#include "nm_config.h"
#include "nm_kafka.h"
#include "nm_err.h"

typedef struct nm_consumer_s nm_consumer_t;

/** @brief Called on the polling thread, inside nm_consumer_poll(), before
 *  partitions are taken away. */
typedef void (*nm_consumer_revoke_cb)(void *ud);

/** @brief Called with each librdkafka statistics JSON document (borrowed). */
typedef void (*nm_consumer_stats_cb)(void *ud, const char *json, size_t len);

/** @brief Create, configure ([kafka] + [kafka.consumer] passed verbatim)
 *  and subscribe to cfg->input_topic. cfg is borrowed for the call; `extra`
 *  (may be NULL) is applied last; on_revoke and on_stats may be NULL.
 *  @returns a new consumer, or NULL with errstr set. */
nm_consumer_t *nm_consumer_new(const nm_config_t *cfg, const nm_kvlist_t *extra,
                               nm_consumer_revoke_cb on_revoke, nm_consumer_stats_cb on_stats,
                               void *ud, char *errstr, size_t errstr_size);

/** @brief Rewind: the next messages of these partitions are read from the
 *  given offsets (an aborted transaction's input is consumed again). */
nm_err_t nm_consumer_seek(nm_consumer_t *c, const rd_kafka_topic_partition_list_t *offsets);

/** @brief Next message, or NULL after timeout_ms. Consumer errors are logged
 *  and not returned. The caller owns the message: rd_kafka_message_destroy. */
rd_kafka_message_t *nm_consumer_poll(nm_consumer_t *c, int timeout_ms);

/** @brief Any thread: a nm_consumer_poll() waiting now returns NULL at once,
 *  or, if none waits, the next one that would wait on an empty queue. Lets
 *  another thread's news (a Redis reply, a delivery report) end the batch
 *  loop's wait for input. */
void nm_consumer_wake(nm_consumer_t *c);

/** @brief Store `offset` (the NEXT offset to read) for topic/partition. */
nm_err_t nm_consumer_store(nm_consumer_t *c, const char *topic, int32_t partition,
                           int64_t offset);

/** @brief Commit the stored offsets now, asynchronously (one request per
 *  batch, so a crash redoes at most about one batch, not an auto-commit
 *  interval's worth). Errors are logged by librdkafka and retried at the
 *  next commit. */
void nm_consumer_commit_async(nm_consumer_t *c);

/** @brief Fetch wake-ups sent so far (consumer/nm_fetchwake.h). */
unsigned long nm_consumer_fetch_wakeups(const nm_consumer_t *c);

/** @brief Number of partitions currently assigned. */
int nm_consumer_assigned(const nm_consumer_t *c);

/** @brief The underlying handle (borrowed), e.g. for statistics. */
rd_kafka_t *nm_consumer_handle(nm_consumer_t *c);

/* The longest wait for a commit's answer before a rebalance gives the
 * partitions up and at exit. */
#define NM_CONSUMER_COMMIT_WAIT_MS 5000

/** @brief Commit stored offsets, leave the group and free. Bounded: when the
 *  commit is not answered within NM_CONSUMER_COMMIT_WAIT_MS, it frees without
 *  leaving (the group reassigns the partitions after the session expires).
 *  NULL-safe. */
void nm_consumer_destroy(nm_consumer_t *c);

#endif
