/* nm_producer.h - idempotent Kafka producer with per-message completion.
 *
 * Each message carries an opaque pointer that comes back in the delivery
 * callback with the final result, so the pipeline knows when every output
 * of an article is acknowledged before it stores the input offset.
 */
#ifndef NM_PRODUCER_H
#define NM_PRODUCER_H

#include <librdkafka/rdkafka.h>
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

/** @brief Queue one message (key, value and the optional header are copied).
 *  A full local queue is waited out by serving delivery reports.
 *  @returns NM_OK or NM_ERR_KAFKA with errstr set (then no callback comes). */
nm_err_t nm_producer_send(nm_producer_t *p, const char *topic, const void *key,
                          size_t key_len, const void *value, size_t value_len,
                          const char *header, const char *header_value, void *opaque,
                          char *errstr, size_t errstr_size);

/** @brief Serve delivery reports, waiting at most timeout_ms. */
void nm_producer_poll(nm_producer_t *p, int timeout_ms);

/** @brief Wait until every queued message has its delivery report.
 *  @returns the number of messages still outstanding (0 = all done). */
int nm_producer_flush(nm_producer_t *p, int timeout_ms);

/** @brief The underlying handle (borrowed). */
rd_kafka_t *nm_producer_handle(nm_producer_t *p);

/** @brief Flush for up to 10 s, report leftovers, free. NULL-safe. */
void nm_producer_destroy(nm_producer_t *p);

#endif
