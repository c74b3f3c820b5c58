/* nm_producer.h - idempotent Kafka producer with per-message completion.
 *
 * Each message carries an opaque pointer that comes back in the delivery
 * callback with the final result, so the pipeline knows when every output
 * of an article is acknowledged before it stores the input offset.
 */
#ifndef NM_PRODUCER_H
#define NM_PRODUCER_H

#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stddef.h>

#include "nm_config.h"
#include "nm_err.h"

typedef struct nm_producer_s nm_producer_t;

/** @brief Delivery result for one message; runs inside nm_producer_poll()
 *  or nm_producer_flush() on the calling thread. */
typedef void (*nm_producer_dr_cb)(void *ud, void *msg_opaque, rd_kafka_resp_err_t err);

/** @brief Create with [kafka] + [kafka.producer] (verbatim) and
 *  enable.idempotence=true. `extra` (may be NULL) is applied last.
 *  @returns a new producer or NULL with errstr set. */
nm_producer_t *nm_producer_new(const nm_config_t *cfg, const nm_kvlist_t *extra,
                               nm_producer_dr_cb cb, void *ud, char *errstr,
                               size_t errstr_size);

/** @brief Queue one message (key and headers are copied; headers may be
 *  NULL/0; the value is copied too unless `borrow`: then it stays the
 *  caller's and must stay valid and unchanged until the message's delivery
 *  report, which saves a copy of every output). A full local queue is
 *  waited out by serving delivery reports, for at most [input] max_stall_s
 *  (then RD_KAFKA_RESP_ERR__TIMED_OUT). @returns NM_OK, or NM_ERR_KAFKA
 *  with errstr and *kerr (if not NULL) set; then no delivery callback
 *  comes. */
nm_err_t nm_producer_send(nm_producer_t *p, const char *topic, const void *key,
                          size_t key_len, const void *value, size_t value_len, int borrow,
                          const nm_kv_t *headers, size_t nheaders, void *opaque,
                          rd_kafka_resp_err_t *kerr, char *errstr, size_t errstr_size);

/** @brief The daemon's stop flag (borrowed, set by a signal handler; NULL:
 *  none). Once set, a send waiting for room in a full queue gives up
 *  (RD_KAFKA_RESP_ERR__QUEUE_FULL) and a failed transaction call is not
 *  retried, so SIGTERM is honoured within one call's timeout. */
void nm_producer_set_stop(nm_producer_t *p, volatile sig_atomic_t *stop);

/** @brief Serve delivery reports, waiting at most timeout_ms. */
void nm_producer_poll(nm_producer_t *p, int timeout_ms);

/** @brief Call fn(ud) on a librdkafka thread whenever delivery reports
 *  arrive while none were waiting to be served (fn must be brief and call
 *  no librdkafka function of this producer; NULL turns it off, after which
 *  no call is made). Lets the caller wait elsewhere and still serve
 *  reports at once. */
void nm_producer_on_report(nm_producer_t *p, void (*fn)(void *ud), void *ud);

/** @brief Wait until every queued message has its delivery report.
 *  @returns the number of messages still outstanding (0 = all done). */
int nm_producer_flush(nm_producer_t *p, int timeout_ms);

/** @brief The underlying handle (borrowed). */
rd_kafka_t *nm_producer_handle(nm_producer_t *p);

/* Exactly-once mode: the producer was created with transactional.id. */

/** @brief Register the transactional id with the coordinator (fences any
 *  older producer with the same id). @returns NM_OK or NM_ERR_KAFKA. */
nm_err_t nm_producer_txn_init(nm_producer_t *p, char *errstr, size_t errstr_size);
nm_err_t nm_producer_txn_begin(nm_producer_t *p, char *errstr, size_t errstr_size);

typedef enum {
    NM_TXN_OK = 0,     /* committed */
    NM_TXN_ABORTED,    /* aborted: nothing of it is visible; redo the input */
    NM_TXN_FATAL       /* the producer is fenced or broken: exit and restart */
} nm_txn_result_t;

/** @brief Send the consumer's `offsets` (next offsets to read) with the
 *  transaction and commit it; on an abortable error, or a retriable one
 *  NM_TXN_ATTEMPTS times, abort instead.
 *  `consumer` is the consumer handle (borrowed), offsets borrowed. */
nm_txn_result_t nm_producer_txn_commit(nm_producer_t *p, rd_kafka_t *consumer,
                                       const rd_kafka_topic_partition_list_t *offsets,
                                       char *errstr, size_t errstr_size);

/** @brief Abort the open transaction (after a failed delivery); retriable
 *  errors are retried NM_TXN_ATTEMPTS times, then it is NM_TXN_FATAL. */
nm_txn_result_t nm_producer_txn_abort(nm_producer_t *p, char *errstr, size_t errstr_size);

/** @brief Flush for up to 10 s, report leftovers, free. NULL-safe. */
void nm_producer_destroy(nm_producer_t *p);

#endif
