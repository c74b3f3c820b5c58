/* nm_metrics.h - Prometheus metrics and the health endpoints.
 *
 * The daemon updates counters once per batch (never per article under a
 * lock); an HTTP server thread (libmicrohttpd) serves
 *   /metrics  Prometheus text exposition format 0.0.4
 *   /healthz  200 while the process runs
 *   /readyz   200 when Kafka partitions are assigned and the Redis script is
 *             loaded (a real write path check, not only PING), else 503
 */
#ifndef NM_METRICS_H
#define NM_METRICS_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "nm_err.h"
#include "nm_limits.h"
#define NM_METRICS_MAX_PARTS 256

typedef struct nm_metrics_s nm_metrics_t;

/** Per-batch increments, summed by the pipeline without locking. */
typedef struct {
    uint64_t consumed, enriched, dead_lettered, delivery_failures;
    uint64_t alerts[NM_MAX_TOPICS];   /* per topic index */
    uint64_t relevant[NM_MAX_TOPICS]; /* per topic index */
    uint64_t alerts_all, relevant_all;
    uint64_t redis_errors, redis_retries;
    uint64_t story_records_kept, story_records_read; /* the story lookup's record cache */
    uint64_t fetch_wakeups; /* the consumer's (consumer/nm_fetchwake.h) */
    double latency_s[4096]; /* per article: consume -> offsets stored */
    size_t nlatency;
} nm_metrics_batch_t;

/** @brief New metrics registry; `version` is copied. NULL on OOM. */
nm_metrics_t *nm_metrics_new(const char *version);

/** @brief Serve HTTP on "host:port" (empty or NULL: no server).
 *  @returns NM_OK or NM_ERR_CONFIG/NM_ERR_IO with errstr set. */
nm_err_t nm_metrics_listen(nm_metrics_t *m, const char *listen, char *errstr,
                           size_t errstr_size);

/** @brief Parse an HTTP listen address "IPv4:PORT" into `sa`; `what` names
 *  the setting in the error ("[http] listen").
 *  @returns NM_OK or NM_ERR_CONFIG with errstr set. */
nm_err_t nm_metrics_parse_listen(const char *listen, const char *what, struct sockaddr_in *sa,
                                 char *errstr, size_t errstr_size);

/** @brief Stops the server (if any) and frees. NULL-safe. */
void nm_metrics_destroy(nm_metrics_t *m);

/** @brief Add a batch's counts; zeroes `b` afterwards. */
void nm_metrics_add_batch(nm_metrics_t *m, nm_metrics_batch_t *b);

/** @brief Topic ids (copied) and the rules version, at start and on reload. */
void nm_metrics_set_rules(nm_metrics_t *m, const char *version, const char *const *topic_ids,
                          size_t ntopics, int reloaded, int reload_failed);

/** @brief Readiness inputs. */
void nm_metrics_set_ready(nm_metrics_t *m, int kafka_assigned, int redis_ready);

/** @brief The number of partitions assigned after a rebalance changed it:
 *  gauge newsmon_assigned_partitions, and the wall-clock time of the change
 *  (newsmon_assignment_changed_timestamp_seconds), so the length of a
 *  rebalance can be read after the fact, whenever /metrics is scraped. */
void nm_metrics_set_assigned(nm_metrics_t *m, int partitions);

/** @brief Feed a librdkafka statistics JSON document (consumer lag). */
void nm_metrics_kafka_stats(nm_metrics_t *m, const char *json, size_t len);

/** @brief Render the exposition text into a new malloc'd string (caller
 *  frees); used by the HTTP handler and by tests. */
char *nm_metrics_render(nm_metrics_t *m);

#endif
