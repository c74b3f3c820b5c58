/* nm_pipeline.h - the daemon: consumer -> processor -> Redis -> producer,
 * and the one per-article path shared by `run`, `tag` and `eval`.
 *
 * Per article (nm_pipeline_article): parse with the [input] limits, tag,
 * write the enriched event (without its body when it would exceed
 * max_output_bytes), decide the alert and write it (for Kafka, and the
 * recent-alerts record for Redis). So `newsmon tag` prints exactly the
 * events `newsmon run` produces.
 *
 * The daemon is a batch loop on one thread (librdkafka does the network
 * I/O on its own threads; one helper thread makes the Redis calls of the
 * closed batches, below). A batch goes through these states:
 *   FILLING    each polled article is tagged at once; its outputs
 *              (enriched event, alerts, or dead letter) are HELD while
 *              the next message is already queued (a backlog: produce
 *              requests then carry up to NM_HOLD_BYTES, about 1 MB, not
 *              the few records one linger.ms gathers) and sent as soon as
 *              the input runs dry (live: no added latency); with
 *              [stories] enabled they are held until
 *   STORIES    (once the batch is closed and the oldest) one Redis lookup for the whole
 *              batch (nm_stories.h), then every output with its story,
 *              alerts only for topics new to their story, produced
 *              (retried with back-off while Redis is down, like COUNTING).
 *              The batch closes when full (batch_size) or when the loop
 *              has WAITED batch_timeout_ms for input since it opened: the
 *              timer counts waiting, not work, so a backlog fills whole
 *              batches; with stories, also as soon as the input runs dry
 *              while no older batch waits for its story step (group
 *              commit: a live article waits for one lookup, not the timer);
 *   DELIVERING every output acknowledged; failed ones re-sent, permanent
 *              refusals given up (an enriched event then becomes a dead
 *              letter, and is not counted) so the stream never stalls;
 *   COUNTING   one Redis script call counts the batch's articles
 *              (idempotent per article id), retried with back-off while
 *              Redis is down;
 *              (a batch stuck in DELIVERING or COUNTING for [input]
 *              max_stall_s, or 10 s after SIGTERM, is given up INCOMPLETE:
 *              nothing of it committed, the daemon exits 1, the batch is
 *              redone after the restart or by the partitions' next owner)
 *   STORING    each partition's next offset stored and committed (async),
 *              or, exactly-once, the offsets sent in the batch's
 *              transaction and the transaction committed.
 * Pipelining (at-least-once): a ring of up to 16 batches, the closed ones
 * (oldest first) then the filling one. A closed batch waits for its acks
 * while newer ones fill and close, as long as the closed ones hold at
 * most batch_size articles together (live: many small batches in flight;
 * a backlog: one full batch closed, one filling, as before). Each step
 * serves delivery reports and moves the OLDEST closed batch on: once it
 * has its last ack, its counts call runs on a helper thread (nm_async.h)
 * while the loop keeps consuming, tagging and sending; when that answers,
 * its offsets are stored and the next one's call starts. So batches count
 * and store offsets strictly in consumption order, one Redis call at a
 * time, and the loop blocks on Redis only when the ring is full (or on the
 * retries while Redis is down, on the loop's thread as before). With
 * stories, a closed batch's story step (lookup on the thread, then its
 * outputs) starts when it is the oldest, i.e. once every earlier batch is
 * counted (the counts script writes the stories the lookup reads), or when
 * it is the second and the oldest has its stories and waits for its acks:
 * its lookup then follows the oldest's decisions (nm_stories_decide's
 * prev), and its outputs go while the oldest is counted. The closed
 * batches then hold up to two batches' worth of articles. Meanwhile the
 * filling batch is not closed on time, so batches grow to what the lookups
 * can serve. If the oldest batch cannot complete (stopping, stalled), the
 * newer ones are given up with it: their offsets would commit past its.
 * The loop's wait for input ends early when the helper thread's call
 * answers or delivery reports arrive (nm_consumer_wake), so a batch moves
 * on at once rather than at the next poll.
 * Exactly-once: one transaction per batch, and librdkafka allows one open
 * transaction per producer, so a batch's outputs cannot be produced before
 * the previous transaction commits: the loop stays sequential there (a
 * closed batch completes at once), only the holding of outputs applies.
 * An offset is committed only after the article's outputs and counts are
 * durable: at-least-once, and duplicates never reach the counts. A
 * rebalance that revokes partitions, a rules reload and shutdown first
 * complete the batches in flight (older first).
 */
#ifndef NM_PIPELINE_H
#define NM_PIPELINE_H

#include <signal.h>
#include <stddef.h>

#include "nm_article.h"
#include "nm_config.h"
#include "nm_rules.h"
#include "nm_tagger.h"
#include "nm_text.h"

/* ---- one article ---- */

typedef struct nm_pipeline_proc_s nm_pipeline_proc_t;

/** What one article gives. Everything is owned by the processor and valid
 *  until its next nm_pipeline_article call (or its destruction). */
typedef struct {
    nm_err_t err;        /* NM_OK, or the input is a dead letter because: */
    char reason[256];    /*   (dead-letter reason header) */
    const nm_article_t *article;  /* parsed input (err == NM_OK) */
    const nm_tag_result_t *tags;  /* its tags (err == NM_OK) */
    const char *event;   /* the enriched event, NUL-terminated */
    size_t event_len;
    int alert;           /* relevant, score >= alert_threshold, >= 1 topic */
    const char *alert_json; /* alert == 1: the Kafka alert (topic ids) */
    size_t alert_len;
    const char *record;  /* alert == 1: the recent-alerts record (with evidence) */
    size_t record_len;
} nm_pipeline_out_t;

/** @brief A processor for cfg's [input]/[output] settings (cfg borrowed,
 *  must outlive it). One per thread. @returns NULL on OOM. */
nm_pipeline_proc_t *nm_pipeline_proc_new(const nm_config_t *cfg);
void nm_pipeline_proc_destroy(nm_pipeline_proc_t *p);

/** @brief The tagger workspace the processor tags with (borrowed, owned by
 *  p): for a trace (`tag --explain`), the normalised text, or detecting
 *  every article's language (`eval`). */
nm_tagger_ws_t *nm_pipeline_proc_ws(nm_pipeline_proc_t *p);

/** @brief Process one input message with `rules` (borrowed).
 *  @param processed_at the event time (ISO-8601, see nm_event_now); NULL:
 *  now. @returns the result, owned by p (see nm_pipeline_out_t). */
const nm_pipeline_out_t *nm_pipeline_article(nm_pipeline_proc_t *p, const nm_rules_t *rules,
                                             const char *buf, size_t len,
                                             const char *processed_at);

/* ---- the daemon ---- */

typedef struct nm_pipeline_s nm_pipeline_t;

/** @brief Build the daemon: metrics endpoint ([http] listen, "" for none),
 *  producer, consumer (subscribed), Redis client. cfg and text are
 *  borrowed (they must outlive it); `rules` is taken over (freed by
 *  nm_pipeline_destroy, replaced by nm_pipeline_reload).
 *  @returns the daemon, or NULL with errstr set (rules are then freed). */
nm_pipeline_t *nm_pipeline_new(const nm_config_t *cfg, nm_text_t *text, nm_rules_t *rules,
                               char *errstr, size_t errstr_size);

/** @brief Poll once for up to the batch's remaining wait (at most
 *  timeout_ms; 1 ms while a closed batch waits for acks), tag what came,
 *  complete the closed batch once acknowledged, and close the filling one
 *  when it is full or has waited long enough. @returns 0, or -1 after a
 *  fatal error (exit). */
int nm_pipeline_step(nm_pipeline_t *P, int timeout_ms);

typedef enum {
    NM_BATCH_COMPLETE = 0,  /* counted, delivered, offsets stored (or empty) */
    NM_BATCH_REDO = 1,      /* exactly-once: transaction aborted, input rewound */
    NM_BATCH_INCOMPLETE = -1 /* stopping or fatal: offsets not stored; the
                              * articles are redone by the next owner */
} nm_batch_result_t;

/** @brief Complete the batches in flight now, older first (DELIVERING,
 *  COUNTING, STORING), and free them. Rebalances and shutdown call it too.
 *  @returns the result of the last one (INCOMPLETE if any was). */
nm_batch_result_t nm_pipeline_drain(nm_pipeline_t *P);

/** @brief Reload the rule files named by cfg: the new set is built aside;
 *  the batch in flight completes with the old rules first. A bad file is
 *  logged and the old rules stay. @returns NM_OK or the load error. */
nm_err_t nm_pipeline_reload(nm_pipeline_t *P);

/** @brief Run until *stop (set by a signal handler) or a fatal error;
 *  reloads when *reload is set (and clears it); completes and commits the
 *  batch in flight before returning. @returns 0, or -1 after a fatal error. */
int nm_pipeline_run(nm_pipeline_t *P, volatile sig_atomic_t *stop,
                    volatile sig_atomic_t *reload);

/** Totals since start (logged at exit; tests read them). */
typedef struct {
    long long consumed, produced, dead, alerts, relevant, batches, redis_retries, redone;
    long long surges; /* surge alerts delivered */
} nm_pipeline_stats_t;

void nm_pipeline_stats(const nm_pipeline_t *P, nm_pipeline_stats_t *out);

/** @brief The rules in use (borrowed; replaced by a reload). */
const nm_rules_t *nm_pipeline_rules(const nm_pipeline_t *P);

/** @brief Complete the batch in flight, commit, leave the group, free.
 *  NULL-safe. */
void nm_pipeline_destroy(nm_pipeline_t *P);

#endif
