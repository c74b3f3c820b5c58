/* nm_pipeline.c - the daemon's batch loop and its states (nm_pipeline.h).
 *
 * A ring of batches: `fill` takes new articles while the closed ones,
 * oldest first, wait for their acks; the oldest's Redis calls run on the
 * async thread, and its counts and offsets are written before any newer
 * one's (see the header comment for the rules). */
#include "nm_pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <limits.h>

#include "nm_async.h"
#include "nm_consumer.h"
#include "nm_counts.h"
#include "nm_event.h"
#include "nm_kafka.h"
#include "nm_metrics.h"
#include "nm_pool.h"
#include "nm_producer.h"
#include "nm_surge.h"
#include "nm_surge_out.h"
#include "nm_stories.h"
#include "nm_story.h"

typedef enum { OUT_PENDING = 0, OUT_OK, OUT_FAILED, OUT_GAVE_UP } nm_out_state_t;
typedef enum { OUT_ENRICHED = 0, OUT_ALERT, OUT_DLQ, OUT_SURGE } nm_out_kind_t;

/* With worker threads, up to this many articles per worker are polled
 * (those already queued) and tagged together: enough to amortise waking
 * the workers, few enough to keep a live article from waiting. */
#define NM_CHUNK_PER_WORKER 16

/* Held outputs are released once they reach this size: about one full
 * produce request (librdkafka's default batch.size). */
#define NM_HOLD_BYTES (1 << 20)

/* Batches in flight at most: live, small batches close every few ms while
 * each waits tens of ms for its acks, so several are in flight; their
 * articles together stay within one batch_size (a backlog's full batches:
 * one closed, one filling, as many articles as two batches ever held;
 * with stories two closed, so that one's lookup overlaps the other's acks
 * and counts). The
 * fill batch is the free one with the lowest index, so a backlog keeps
 * using the same two and their slots (2.3 KB each) are the only ones
 * touched. */
#define NM_BATCHES 16

typedef struct nm_batch_s nm_batch_t;

/* The Redis call of a closed batch that runs on the async thread. */
enum { JOB_NONE = 0, JOB_STORIES, JOB_COUNTS };

typedef struct {
    nm_batch_t *batch; /* whose pending count its delivery report settles */
    char *topic;   /* owned */
    char *payload; /* owned; NULL for a dead letter (its bytes are the input's) */
    size_t len;
    int state, kind;
    rd_kafka_resp_err_t err; /* of the last failed attempt */
} nm_out_t;

typedef struct {
    rd_kafka_message_t *msg; /* owned input message */
    /* set by nm_tag_slot (any thread): */
    nm_err_t rc;             /* NM_OK, else a dead letter for `reason` */
    char *id;                /* owned article id (NULL for a dead letter) */
    char *alert_rec;         /* owned recent-alerts record (NULL: no alert) */
    const char **ids;        /* owned block: entity ids, topic ids (borrowed
                              * from the rules), then the entities' mentions */
    int ntopics;
    unsigned char topic[NM_MAX_TOPICS]; /* its topics (rule indexes): alerts, metrics */
    char *sum;               /* owned surge summary (nm_event_summary), NULL: none */
    size_t sum_len;
    /* stories: its outputs wait for the batch's story step (nm_batch_stories) */
    nm_story_sig_t sig;
    char *alert_json;        /* owned Kafka alert, sent once its story is known; NULL: none */
    size_t alert_len, record_len;
    nm_counts_item_t count;  /* points into the slot */
    char reason[256];        /* dead-letter reason */
    int nouts;
    nm_out_t outs[NM_MAX_OUTPUTS];
    /* set at completion: */
    int refused;             /* Kafka refused its enriched event for good: not counted */
    struct timespec consumed_at;
} nm_slot_t;

/* A batch's slots in consumption order: [0, nsent) have their outputs
 * sent, [nsent, nproc) are tagged with their outputs held, [nproc, nslots)
 * are polled but not tagged yet. */
struct nm_batch_s {
    nm_slot_t *slots; /* batch_size of them */
    size_t nslots, nproc, nsent;
    size_t held_bytes;
    int storied;      /* stories: its story step ran, its outputs may go */
    int side;         /* stories: its decider (P->side), -1 before its story step */
    int queued;       /* in P->closed */
    int job;          /* its call running on the async thread (JOB_*) */
    int oom;          /* an article has no output (out of memory): must not commit */
    long pending;     /* sent outputs (and surge alerts) without a delivery report */
    double waited_ms; /* time the loop waited for input while the batch was open */
};

struct nm_pipeline_s {
    const nm_config_t *cfg;
    nm_text_t *text;
    nm_rules_t *rules; /* owned */
    volatile sig_atomic_t *stop;
    nm_pipeline_proc_t **procs; /* one per worker ([input] workers) */
    nm_pool_t *pool;
    nm_consumer_t *consumer;
    nm_producer_t *producer;
    nm_counts_t *counts;
    int stories; /* [stories] enabled */
    /* two deciders, with their batches' inputs and outputs (batch_size
     * each), taken in turns: the next batch's lookup runs while the batch
     * before it still needs its outputs for its counts (it follows that
     * batch: nm_stories_decide) */
    struct { nm_stories_t *S; nm_stories_in_t *in; nm_stories_out_t *out; } side[2];
    int next_side;
    nm_jbuf_t with_story;        /* an output with its story added */
    nm_metrics_t *metrics;
    nm_metrics_batch_t mb; /* increments since the last completed batch */
    unsigned long long records_kept, records_read; /* nm_counts_record_stats at the last batch */
    unsigned long fetch_wakeups; /* nm_consumer_fetch_wakeups at the last batch */
    nm_batch_t batches[NM_BATCHES];
    nm_batch_t *fill;  /* taking articles */
    nm_batch_t *closed[NM_BATCHES]; /* closed batches, oldest first, completing in
                                     * order (at-least-once only) */
    size_t nclosed;
    size_t closed_articles; /* their articles */
    nm_counts_item_t *items;
    nm_async_t *async; /* runs the oldest closed batch's counts call (at-least-once) */
    /* its call: items, result; a lookup's batch and the decider it follows */
    struct { size_t n; nm_err_t rc; char e[512]; nm_batch_t *b; const nm_stories_t *prev; } job;
    /* surges: the surge alerts in flight */
    struct { nm_out_t out; char id[20]; } *souts;
    size_t nsouts, capsouts;
    struct timespec last_tick;
    struct timespec last_commit;
    /* totals, logged at exit */
    nm_pipeline_stats_t st;
    int fatal;
    int assigned; /* partitions last published to the metrics */
    int txn_open; /* exactly-once: a transaction is open for the fill batch */
    int redis_ok;
    struct timespec last_ready;
    char txid[512];
};

static volatile sig_atomic_t nm_never = 0;

static double nm_elapsed_ms(const struct timespec *since) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - since->tv_sec) * 1e3 + (now.tv_nsec - since->tv_nsec) / 1e6;
}

static void nm_on_delivery(void *ud, void *opaque, rd_kafka_resp_err_t err) {
    nm_pipeline_t *P = ud;
    nm_out_t *o = opaque;
    o->state = err ? OUT_FAILED : OUT_OK;
    o->err = err;
    if (err) {
        P->mb.delivery_failures++;
    } else {
        P->st.produced++;
        /* delivered: librdkafka is done with it, and it is never re-sent */
        free(o->payload);
        o->payload = NULL;
    }
    o->batch->pending--;
}

/* Queue one output of a slot of batch b; on local failure it is marked
 * failed so the completion step re-sends it (or gives up on a permanent
 * error). Enriched events and alerts are keyed by article id, dead letters
 * by the input's own key. */
static void nm_send_out(nm_pipeline_t *P, nm_batch_t *b, nm_slot_t *s, nm_out_t *o) {
    char e[256], size[32];
    nm_kv_t hdrs[2] = {{"reason", s->reason}, {"truncated_from", size}};
    size_t nh = 0;
    const void *val = o->payload, *key = s->id;
    size_t len = o->len, key_len = s->id ? strlen(s->id) : 0;
    if (o->kind == OUT_DLQ) {
        val = s->msg->payload;
        len = s->msg->len;
        key = s->msg->key;
        key_len = s->msg->key_len;
        nh = 1;
        if (len > (size_t)P->cfg->max_output_bytes) {
            /* too large for the topic: keep the head, say how long it was */
            snprintf(size, sizeof size, "%zu", len);
            len = (size_t)P->cfg->max_output_bytes;
            nh = 2;
        }
    }
    o->state = OUT_PENDING;
    o->batch = b;
    /* borrowed: the payload (or the input, for a dead letter) lives until
     * its delivery report (nm_on_delivery, nm_free_batch) */
    if (nm_producer_send(P->producer, o->topic, key, key_len, val, len, 1, nh ? hdrs : NULL, nh,
                         o, &o->err, e, sizeof e)) {
        NM_LOG(NM_LOG_WARN, "pipeline", "%s", e);
        o->state = OUT_FAILED;
        return;
    }
    b->pending++;
}

static int nm_add_out(nm_slot_t *s, int kind, const char *topic, char *payload, size_t len) {
    if (s->nouts == NM_MAX_OUTPUTS) { free(payload); return -1; }
    nm_out_t *o = &s->outs[s->nouts];
    memset(o, 0, sizeof *o);
    o->topic = strdup(topic);
    if (!o->topic) { free(payload); return -1; }
    o->payload = payload;
    o->len = len;
    o->kind = kind;
    s->nouts++;
    return 0;
}

/* Make the input a dead letter for s->reason: its output to the
 * dead-letter topic is added (the caller sends it). @returns that output,
 * or NULL when it could not be added (out of memory). */
static nm_out_t *nm_dead_letter(nm_pipeline_t *P, nm_slot_t *s) {
    NM_LOG(NM_LOG_WARN, "pipeline", "dead letter %s[%d]@%lld: %s", rd_kafka_topic_name(s->msg->rkt),
           (int)s->msg->partition, (long long)s->msg->offset, s->reason);
    P->st.dead++;
    P->mb.dead_lettered++;
    return nm_add_out(s, OUT_DLQ, P->cfg->dlq_topic, NULL, 0) ? NULL : &s->outs[s->nouts - 1];
}

static char *nm_copy(const char *s, size_t len) {
    char *c = malloc(len + 1);
    if (c) memcpy(c, s, len + 1);
    return c;
}

/* The hour an article counts in: its published_at when plausible, else the
 * Kafka timestamp (nm_surge_bucket_time), so a replay counts the same hours. */
static void nm_hour_of(const nm_config_t *cfg, const rd_kafka_message_t *m,
                       const char *published_at, char out[11]) {
    rd_kafka_timestamp_type_t tt;
    int64_t ts = rd_kafka_message_timestamp(m, &tt);
    time_t t = ts > 0 ? (time_t)(ts / 1000) : time(NULL);
    nm_surge_window_t w = {cfg->published_max_age_s, cfg->published_max_ahead_s};
    int used;
    nm_surge_hour(nm_surge_bucket_time(published_at, t, &w, &used), out);
}

/* The alert outputs of an article: one per topic of it in `mask` (bit t:
 * its t-th topic, s->topic[t]) and one to "all"; the payload is copied.
 * Touches only the slot (worker threads call it); nm_count_alert counts.
 * Returns -1 when one could not be allocated (the caller fails the slot). */
static int nm_add_alerts(const nm_config_t *cfg, const nm_rules_t *rules, nm_slot_t *s,
                         const char *json, size_t len, uint32_t mask) {
    char topic[512];
    for (int t = 0; t <= s->ntopics; t++) {
        if (t < s->ntopics && !(mask >> t & 1)) continue;
        snprintf(topic, sizeof topic, "%s%s", cfg->alert_topic_prefix,
                 t < s->ntopics ? rules->topics[s->topic[t]].id : "all");
        char *copy = nm_copy(json, len);
        if (!copy || nm_add_out(s, OUT_ALERT, topic, copy, len)) return -1;
    }
    return 0;
}

/* Forget the outputs prepared (not sent) for a slot: it has none. */
static void nm_drop_outs(nm_slot_t *s) {
    for (int k = 0; k < s->nouts; k++) {
        free(s->outs[k].topic);
        free(s->outs[k].payload);
    }
    s->nouts = 0;
    free(s->id);
    free(s->alert_rec);
    free(s->alert_json);
    s->id = s->alert_rec = s->alert_json = NULL;
}

/* An article alerted on the topics in `mask`: totals and metrics. */
static void nm_count_alert(nm_pipeline_t *P, const nm_slot_t *s, uint32_t mask) {
    P->st.alerts++;
    P->mb.alerts_all++;
    for (int t = 0; t < s->ntopics; t++)
        if (mask >> t & 1) P->mb.alerts[s->topic[t]]++;
}

/* Tag one article into its slot with `proc`: its outputs built (not sent)
 * and its counts item set, pointing into the slot. Touches nothing but the
 * slot and proc (rules and cfg are read only). */
static void nm_tag_slot(const nm_config_t *cfg, const nm_rules_t *rules, nm_pipeline_proc_t *proc,
                        nm_slot_t *s) {
    const nm_pipeline_out_t *o = nm_pipeline_article(proc, rules, s->msg->payload, s->msg->len,
                                                     NULL);
    const nm_tag_result_t *res = o->tags;
    snprintf(s->reason, sizeof s->reason, "%s", o->reason);
    if ((s->rc = o->err)) return;
    size_t nent = (size_t)res->nentities, nid = nent + (size_t)res->ntopics;
    char *ev = nm_copy(o->event, o->event_len);
    s->ids = malloc(nid * sizeof *s->ids + nent * sizeof(int) + 1);
    s->id = strdup(o->article->id);
    if (!ev || !s->ids || !s->id ||
        nm_add_out(s, OUT_ENRICHED, cfg->enriched_topic, ev, o->event_len)) {
        if (!s->ids || !s->id) free(ev); /* else nm_add_out freed it */
        free(s->id);
        s->id = NULL;
        s->rc = nm_seterr(s->reason, sizeof s->reason, NM_ERR_NOMEM, "out of memory");
        return;
    }
    s->ntopics = res->ntopics;
    for (int t = 0; t < res->ntopics; t++) s->topic[t] = (unsigned char)res->topics[t].topic;
    /* an allocation that fails makes the article a dead letter, never a
     * part of its outputs */
    if (o->alert) {
        int oom = !(s->alert_rec = nm_copy(o->record, o->record_len));
        s->record_len = o->record_len;
        if (cfg->stories_enabled) { /* its story decides whether it alerts, and on which topics */
            oom = oom || !(s->alert_json = nm_copy(o->alert_json, o->alert_len));
            s->alert_len = o->alert_len;
        } else {
            oom = oom || nm_add_alerts(cfg, rules, s, o->alert_json, o->alert_len, UINT32_MAX);
        }
        if (oom) {
            nm_drop_outs(s);
            s->rc = nm_seterr(s->reason, sizeof s->reason, NM_ERR_NOMEM,
                              "out of memory preparing the outputs");
            return;
        }
    }
    if (cfg->stories_enabled) s->sig = nm_story_sign_article(nm_pipeline_proc_ws(proc));
    nm_jbuf_t sum;
    nm_jbuf_init(&sum);
    if (!nm_event_summary(&sum, o->article) && sum.len) {
        s->sum = sum.s;
        s->sum_len = sum.len;
    } else {
        nm_jbuf_free(&sum);
    }
    /* the counts item borrows ids from the rule set, stable for the batch */
    nm_counts_item_t *it = &s->count;
    int *mentions = (int *)(s->ids + nid);
    it->id = s->id;
    nm_hour_of(cfg, s->msg, o->article->published_at, it->hour);
    it->relevant = res->relevant;
    it->nentities = res->nentities;
    it->ntopics = res->ntopics;
    it->alert = s->alert_rec;
    it->alert_len = s->alert_rec ? o->record_len : 0;
    for (size_t i = 0; i < nent; i++) {
        s->ids[i] = rules->entities[res->entities[i].entity].id;
        mentions[i] = res->entities[i].mentions;
    }
    for (int i = 0; i < res->ntopics; i++)
        s->ids[nent + (size_t)i] = rules->topics[res->topics[i].topic].id;
    it->entities = s->ids;
    it->mentions = mentions;
    it->topics = s->ids + nent;
}

/* The tagged slot's statistics and metrics, in consumption order (main
 * thread); a dead letter gets its output here. */
static void nm_account_slot(nm_pipeline_t *P, nm_batch_t *b, nm_slot_t *s) {
    P->st.consumed++;
    P->mb.consumed++;
    if (s->rc) {
        /* without memory for its dead letter the article has no output at
         * all: the batch must not commit (it is redone after the restart) */
        if (!nm_dead_letter(P, s)) b->oom = 1;
        return;
    }
    const nm_counts_item_t *it = &s->count;
    P->mb.enriched++;
    if (it->relevant) {
        P->st.relevant++;
        P->mb.relevant_all++;
        for (int t = 0; t < s->ntopics; t++) P->mb.relevant[s->topic[t]]++;
    }
    if (s->alert_rec && !P->stories) nm_count_alert(P, s, UINT32_MAX); /* else: its story's */
}

/* Send the held outputs of b, in consumption order (with stories, only
 * once the batch's story step has run). */
static void nm_release(nm_pipeline_t *P, nm_batch_t *b) {
    if (P->stories && !b->storied) return;
    for (; b->nsent < b->nproc; b->nsent++) {
        nm_slot_t *s = &b->slots[b->nsent];
        for (int k = 0; k < s->nouts; k++) nm_send_out(P, b, s, &s->outs[k]);
    }
    b->held_bytes = 0;
}

typedef struct {
    nm_pipeline_t *P;
    nm_slot_t *slots;
} nm_tag_job_t;

static void nm_tag_job(void *ud, int worker, size_t i) {
    nm_tag_job_t *j = ud;
    nm_tag_slot(j->P->cfg, j->P->rules, j->P->procs[worker], &j->slots[i]);
}

/* Tag the polled slots [nproc, nslots) of b (on the workers, each with its
 * own processor), then account for them in consumption order and hold
 * their outputs. */
static void nm_tag_polled(nm_pipeline_t *P, nm_batch_t *b) {
    nm_tag_job_t job = {P, b->slots + b->nproc};
    nm_pool_run(P->pool, b->nslots - b->nproc, nm_tag_job, &job);
    for (; b->nproc < b->nslots; b->nproc++) {
        nm_slot_t *s = &b->slots[b->nproc];
        nm_account_slot(P, b, s);
        for (int k = 0; k < s->nouts; k++) b->held_bytes += s->outs[k].len;
    }
}

static void nm_sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Per partition of batch b: the first offset (first = 1), or the last
 * offset + 1 (first = 0). New list; the caller destroys it. */
static rd_kafka_topic_partition_list_t *nm_batch_offsets(const nm_batch_t *b, int first) {
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(8);
    for (size_t i = 0; i < b->nslots; i++) {
        const rd_kafka_message_t *m = b->slots[i].msg;
        const char *topic = rd_kafka_topic_name(m->rkt);
        rd_kafka_topic_partition_t *tp = rd_kafka_topic_partition_list_find(l, topic, m->partition);
        if (!tp) {
            tp = rd_kafka_topic_partition_list_add(l, topic, m->partition);
            tp->offset = first ? m->offset : m->offset + 1;
        } else if (!first && m->offset + 1 > tp->offset) {
            tp->offset = m->offset + 1;
        }
    }
    return l;
}

static int nm_stalled(nm_pipeline_t *P, const nm_batch_t *b, const struct timespec *t0,
                      const char *on);

/* Exactly-once: the transaction did not commit. Its outputs are invisible
 * to read_committed consumers; rewind the input so the batch is redone.
 * Returns 1 (redo) or -1 (fatal). */
static int nm_txn_failed(nm_pipeline_t *P, nm_batch_t *b, nm_txn_result_t tr) {
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    /* an abort purges what was in flight: the reports come at once, unless
     * the producer is broken (then give up after max_stall_s) */
    while (b->pending > 0 && tr != NM_TXN_FATAL) {
        nm_producer_poll(P->producer, 100);
        if (nm_stalled(P, b, &t0, "an aborted transaction's deliveries")) tr = NM_TXN_FATAL;
    }
    if (tr == NM_TXN_FATAL) {
        NM_LOG(NM_LOG_ERROR, "pipeline", "transactional producer failed fatally; exiting");
        P->fatal = 1;
        return -1;
    }
    rd_kafka_topic_partition_list_t *first = nm_batch_offsets(b, 1);
    NM_LOG(NM_LOG_WARN, "pipeline", "transaction aborted; redoing %zu article(s)", b->nslots);
    P->st.redone += (long long)b->nslots;
    int rc = nm_consumer_seek(P->consumer, first) ? -1 : 1;
    rd_kafka_topic_partition_list_destroy(first);
    P->txn_open = 0;
    return rc;
}

/* The batch has waited for Redis or Kafka longer than [input] max_stall_s
 * (0: no bound): give it up, offsets not committed (the caller exits 1 and
 * the batch is redone after the restart or by the next owner). */
static int nm_stalled(nm_pipeline_t *P, const nm_batch_t *b, const struct timespec *t0,
                      const char *on) {
    long max = P->cfg->max_stall_s;
    if (!max || nm_elapsed_ms(t0) < max * 1000.0) return 0;
    NM_LOG(NM_LOG_ERROR, "pipeline", "batch of %zu article(s) stalled on %s for %ld s "
           "(max_stall_s): giving up, its offsets are not committed", b->nslots, on, max);
    return 1;
}

/* A batch's Redis call failed with e (`what`: what it was, for the log):
 * wait the back-off, serving delivery reports, and double it up to
 * redis_retry_max_ms. Returns 0 to retry, -1 when the batch is given up
 * (stopping, or stalled for max_stall_s): nothing of it is committed, the
 * next owner redoes it (`unfinished` names its articles in the log). */
static int nm_redis_retry(nm_pipeline_t *P, nm_batch_t *b, const struct timespec *t0,
                          const char *what, const char *unfinished, char *e, size_t esize,
                          long *backoff) {
    NM_LOG(NM_LOG_WARN, "pipeline", "Redis: %s%s; retrying in %ld ms", what, e, *backoff);
    P->mb.redis_errors++;
    nm_metrics_set_ready(P->metrics, nm_consumer_assigned(P->consumer) > 0, 0);
    if (*P->stop || nm_stalled(P, b, t0, *what ? "Redis (stories)" : "Redis")) {
        if (*P->stop)
            NM_LOG(NM_LOG_ERROR, "pipeline", "stopping with %zu %s; their offsets are not committed",
                   b->nslots, unfinished);
        if (P->cfg->exactly_once) nm_producer_txn_abort(P->producer, e, esize);
        return -1;
    }
    nm_producer_poll(P->producer, (int)*backoff);
    P->mb.redis_retries++;
    P->st.redis_retries++;
    *backoff = *backoff * 2 > P->cfg->redis_retry_max_ms ? P->cfg->redis_retry_max_ms : *backoff * 2;
    return 0;
}

static void nm_free_surges(nm_pipeline_t *P) {
    for (size_t i = 0; i < P->nsouts; i++) {
        free(P->souts[i].out.topic);
        free(P->souts[i].out.payload);
    }
    P->nsouts = 0;
}

/* Report the delivered surge alerts done (nm_counts.h) and forget them. */
static void nm_surges_done(nm_pipeline_t *P) {
    for (size_t i = 0; i < P->nsouts; i++) {
        if (P->souts[i].out.state != OUT_OK) {
            NM_LOG(NM_LOG_WARN, "surge", "surge %s not delivered (%s): it stays pending and is "
                   "published again after surge_retry_s", P->souts[i].id,
                   rd_kafka_err2str(P->souts[i].out.err));
            continue;
        }
        P->st.surges++;
        if (nm_counts_surge_done(P->counts, P->souts[i].id))
            NM_LOG(NM_LOG_WARN, "surge", "out of memory: surge %s stays pending",
                   P->souts[i].id);
    }
    nm_free_surges(P);
}

/* The surges the last counts call handed over: a retry (its daemon died
 * before reporting it) is looked for on the topic first (nm_surge_out.h);
 * the others are produced, keyed by the alert id, and waited for (their
 * reports count in b's pending). The delivered ones are reported done: at
 * once, or in exactly-once mode once the batch's transaction commits. One
 * that is not delivered stays pending in Redis and comes back after
 * surge_retry_s: nothing is lost. Returns 0, -1 when stopping or stalled
 * (the caller gives up the batch). */
static int nm_publish_surges(nm_pipeline_t *P, nm_batch_t *b, const struct timespec *t0) {
    const nm_counts_surge_t *sv;
    size_t n = nm_counts_surges(P->counts, &sv);
    if (!n) return 0;
    char e[512];
    if (P->nsouts + n > P->capsouts) {
        void *ns = realloc(P->souts, (P->nsouts + n) * sizeof *P->souts);
        if (!ns) {
            NM_LOG(NM_LOG_WARN, "surge", "out of memory: %zu surge(s) stay pending", n);
            return 0;
        }
        P->souts = ns;
        P->capsouts = P->nsouts + n;
    }
    for (size_t i = 0; i < n; i++) {
        if (sv[i].retry) {
            int found;
            if (nm_surge_out_find(P->cfg, P->cfg->surge_topic, sv[i].id, sv[i].detected_ms,
                                  &found, e, sizeof e)) {
                NM_LOG(NM_LOG_WARN, "surge", "%s; surge %s stays pending", e, sv[i].id);
                continue;
            }
            NM_LOG(NM_LOG_INFO, "surge", "surge %s was left pending by a daemon that stopped: "
                   "%s", sv[i].id, found ? "it is on the topic, marked done" : "publishing it");
            if (found) {
                nm_counts_surge_done(P->counts, sv[i].id);
                continue;
            }
        }
        nm_out_t *o = &P->souts[P->nsouts].out;
        memset(o, 0, sizeof *o);
        snprintf(P->souts[P->nsouts].id, sizeof P->souts[0].id, "%s", sv[i].id);
        o->kind = OUT_SURGE;
        o->len = sv[i].len;
        o->batch = b;
        o->topic = strdup(P->cfg->surge_topic);
        o->payload = nm_copy(sv[i].json, sv[i].len);
        if (!o->topic || !o->payload) {
            free(o->topic);
            free(o->payload);
            NM_LOG(NM_LOG_WARN, "surge", "out of memory: surge %s stays pending", sv[i].id);
            continue;
        }
        const char *id = P->souts[P->nsouts].id;
        P->nsouts++;
        NM_LOG(NM_LOG_INFO, "surge", "surge %s: %s", id, sv[i].json);
        if (nm_producer_send(P->producer, o->topic, id, strlen(id), o->payload, o->len, 1, NULL,
                             0, o, &o->err, e, sizeof e)) {
            NM_LOG(NM_LOG_WARN, "surge", "%s", e);
            o->state = OUT_FAILED;
            continue;
        }
        b->pending++;
    }
    struct timespec since;
    clock_gettime(CLOCK_MONOTONIC, &since);
    while (b->pending > 0) {
        nm_producer_poll(P->producer, 100);
        if ((*P->stop && nm_elapsed_ms(&since) > 10000) ||
            nm_stalled(P, b, t0, "surge deliveries"))
            return -1;
    }
    if (!P->cfg->exactly_once) nm_surges_done(P);
    return 0;
}

/* Idle (no batch): record the done reports and, every few seconds, claim
 * the surges whose daemon died (their lease ran out) and publish them.
 * Exactly-once mode leaves this to the next batch and its transaction. */
static void nm_surge_idle(nm_pipeline_t *P) {
    char e[512];
    if (P->cfg->exactly_once) return;
    int claim = nm_elapsed_ms(&P->last_tick) >= 5000;
    nm_err_t rc = claim ? nm_counts_surge_tick(P->counts, e, sizeof e)
                        : nm_counts_apply(P->counts, NULL, 0, NULL, e, sizeof e);
    if (rc) {
        NM_LOG(NM_LOG_WARN, "surge", "Redis: %s", e);
        return;
    }
    if (claim) clock_gettime(CLOCK_MONOTONIC, &P->last_tick);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (nm_publish_surges(P, P->fill, &t0) < 0) nm_free_surges(P); /* fill is empty: idle */
}

/* Replace *payload (an owned JSON object of *len bytes) with itself plus
 * the story member. Returns -1 when that cannot be allocated (the payload
 * is left as it was). */
static int nm_with_story(nm_pipeline_t *P, char **payload, size_t *len, const nm_story_t *st) {
    char *c = nm_event_add_story(&P->with_story, *payload, *len, st)
                  ? NULL
                  : nm_copy(P->with_story.s, P->with_story.len);
    if (!c) return -1;
    free(*payload);
    *payload = c;
    *len = P->with_story.len;
    return 0;
}

/* The story lookup's input for batch b, into its side's (taken now, the
 * other one than the batch before it took). Returns its number of
 * articles. */
static size_t nm_story_items(nm_pipeline_t *P, nm_batch_t *b) {
    if (b->side < 0) {
        b->side = P->next_side;
        P->next_side ^= 1;
    }
    nm_stories_in_t *in = P->side[b->side].in;
    size_t n = 0;
    for (size_t i = 0; i < b->nslots; i++) {
        const nm_slot_t *s = &b->slots[i];
        if (!s->id) continue; /* a dead letter */
        in[n++] = (nm_stories_in_t){s->id, &s->sig, s->alert_json ? s->ntopics : 0,
                                    s->count.topics};
    }
    return n;
}

/* The decider b's lookup follows: the batch before b's, when that one has
 * its stories but not its counts yet (b is then the second closed batch:
 * the first is counted only when it leaves the ring, and its counts start
 * only after b's lookup is taken); NULL when every earlier batch is
 * counted, or when that one will not commit (out of memory: its articles
 * without outputs lost their ids, and the daemon gives up at it). An
 * article of it that Kafka then refuses for good is not counted, yet was
 * followed: the one case where following differs from the counts. */
static const nm_stories_t *nm_followed(const nm_pipeline_t *P, const nm_batch_t *b) {
    if (P->nclosed < 2 || b != P->closed[1] || !P->closed[0]->storied || P->closed[0]->oom)
        return NULL;
    return P->side[P->closed[0]->side].S;
}

/* b's lookup and decision (on the async thread or the loop's). */
static nm_err_t nm_assign(nm_pipeline_t *P, const nm_batch_t *b, size_t n,
                          const nm_stories_t *prev, char *e, size_t esize) {
    return nm_stories_assign(P->side[b->side].S, P->counts, P->side[b->side].in, n, time(NULL),
                             prev, P->side[b->side].out, e, esize);
}

/* Wait for b's call on the async thread to end and take its result: the
 * items it had, its return code and error text (into e). */
static nm_err_t nm_job_result(nm_pipeline_t *P, nm_batch_t *b, size_t *n, char *e, size_t esize) {
    nm_async_wait(P->async);
    b->job = JOB_NONE;
    *n = P->job.n;
    snprintf(e, esize, "%s", P->job.e);
    return P->job.rc;
}

/* The story lookup of a closed batch, on the async thread
 * (nm_start_stories): meanwhile the loop does not touch P->counts or the
 * deciders. */
static void nm_story_job(void *ud) {
    nm_pipeline_t *P = ud;
    P->job.rc = nm_assign(P, P->job.b, P->job.n, P->job.prev, P->job.e, sizeof P->job.e);
}

/* Start b's story step on the thread: b is the oldest closed batch (every
 * earlier batch counted: their story writes are in), or the second while
 * the oldest waits for its acks (it follows that one). */
static void nm_start_stories(nm_pipeline_t *P, nm_batch_t *b) {
    P->job.n = nm_story_items(P, b);
    P->job.b = b;
    P->job.prev = nm_followed(P, b);
    b->job = JOB_STORIES;
    nm_async_start(P->async, nm_story_job, P);
}

/* With stories: the batch's stories from Redis (one call, on the thread
 * when nm_start_stories started it, retried here with back-off while Redis
 * is down), then each article's outputs with its story, its alert only
 * when it adds a topic to its story (the caller then sends them). It runs
 * after the previous batch's counts, which write the stories it looks up,
 * or follows that batch (nm_followed).
 * Returns 0, or -1 when stopping or stalled (nothing of the batch sent). */
static int nm_batch_stories(nm_pipeline_t *P, nm_batch_t *b, const struct timespec *t0) {
    char e[512];
    nm_err_t rc;
    size_t n;
    if (b->job == JOB_STORIES) { /* started on the thread: its answer */
        rc = nm_job_result(P, b, &n, e, sizeof e);
    } else {
        n = nm_story_items(P, b);
        rc = nm_assign(P, b, n, nm_followed(P, b), e, sizeof e);
    }
    long backoff = 100;
    while (rc) {
        if (nm_redis_retry(P, b, t0, "story lookup: ", "articles without their stories", e,
                           sizeof e, &backoff))
            return -1;
        rc = nm_assign(P, b, n, nm_followed(P, b), e, sizeof e);
    }
    unsigned long long kept, read;
    nm_counts_record_stats(P->counts, &kept, &read);
    P->mb.story_records_kept += kept - P->records_kept;
    P->mb.story_records_read += read - P->records_read;
    P->records_kept = kept;
    P->records_read = read;
    size_t k = 0;
    for (size_t i = 0; i < b->nslots; i++) {
        nm_slot_t *s = &b->slots[i];
        if (!s->id) continue;
        const nm_stories_out_t *so = &P->side[b->side].out[k++];
        s->count.story = &so->counts;
        if (so->story.copy) s->sum_len = 0; /* surge alerts list one article per story */
        /* an output that cannot carry its story is not sent, and b->oom
         * keeps the batch from committing: it is redone, never half-told */
        int oom = 0;
        nm_out_t *ev = &s->outs[0]; /* the enriched event, added first */
        if (s->nouts && ev->kind == OUT_ENRICHED)
            oom = nm_with_story(P, &ev->payload, &ev->len, &so->story);
        if (!oom && so->alert && s->alert_json) {
            oom = nm_event_add_story(&P->with_story, s->alert_json, s->alert_len, &so->story) ||
                  nm_add_alerts(P->cfg, P->rules, s, P->with_story.s, P->with_story.len,
                                so->alert);
            oom = oom || nm_with_story(P, &s->alert_rec, &s->record_len, &so->story);
            if (!oom) nm_count_alert(P, s, so->alert);
            s->count.alert = s->alert_rec;
            s->count.alert_len = s->record_len;
        } else {
            s->count.alert = NULL; /* its story has alerted on all its topics */
            s->count.alert_len = 0;
        }
        if (oom) {
            NM_LOG(NM_LOG_ERROR, "pipeline", "out of memory adding the story to %s", s->id);
            b->oom = 1;
            nm_drop_outs(s);
        }
    }
    b->storied = 1;
    return 0;
}

/* Close batch b: the rest tagged, its story step (with stories), every
 * held output sent. Returns 0, or -1 when the story step gave up. */
static int nm_close_batch(nm_pipeline_t *P, nm_batch_t *b, const struct timespec *t0) {
    nm_tag_polled(P, b);
    if (P->stories && !b->storied && nm_batch_stories(P, b, t0)) return -1;
    nm_release(P, b);
    return 0;
}

/* Batch b closed (nm_close_batch) and every output settled: delivered,
 * re-sent, or given up. Returns 0, else what nm_complete_batch returns. */
static int nm_settle(nm_pipeline_t *P, nm_batch_t *b, const struct timespec *t0) {
    char e[512];
    /* 0. closed: with stories, its outputs wait for them */
    if (nm_close_batch(P, b, t0)) return -1;
    /* 1. every output acknowledged; failed ones are sent again, except on
     * permanent errors (too large, not authorised), which would stall the
     * stream forever: an enriched event that Kafka refuses becomes a dead
     * letter, a refused alert or dead letter is logged and given up */
    for (;;) {
        struct timespec since;
        clock_gettime(CLOCK_MONOTONIC, &since);
        while (b->pending > 0) {
            nm_producer_poll(P->producer, 100);
            if (*P->stop && nm_elapsed_ms(&since) > 10000) {
                NM_LOG(NM_LOG_ERROR, "pipeline", "stopping with %ld undelivered output(s); "
                       "their offsets are not committed", b->pending);
                return -1;
            }
            if (nm_stalled(P, b, t0, "Kafka deliveries")) return -1;
        }
        int failed = 0;
        if (P->cfg->exactly_once) {
            /* a failed send leaves the transaction unusable: abort, redo */
            for (size_t i = 0; i < b->nslots; i++)
                for (int k = 0; k < b->slots[i].nouts; k++)
                    failed += b->slots[i].outs[k].state == OUT_FAILED;
            if (failed)
                return nm_txn_failed(P, b, nm_producer_txn_abort(P->producer, e, sizeof e));
            break;
        }
        for (size_t i = 0; i < b->nslots; i++) {
            nm_slot_t *s = &b->slots[i];
            for (int k = 0; k < s->nouts; k++) {
                nm_out_t *o = &s->outs[k];
                if (o->state != OUT_FAILED) continue;
                failed++;
                if (!nm_kafka_err_permanent(o->err)) {
                    nm_send_out(P, b, s, o);
                    continue;
                }
                o->state = OUT_GAVE_UP;
                NM_LOG(NM_LOG_ERROR, "pipeline", "Kafka refuses %s for %s[%d]@%lld: %s",
                       o->topic, rd_kafka_topic_name(s->msg->rkt), (int)s->msg->partition,
                       (long long)s->msg->offset, rd_kafka_err2str(o->err));
                if (o->kind == OUT_ENRICHED) {
                    s->refused = 1;
                    snprintf(s->reason, sizeof s->reason, "Kafka refused the enriched event: %s",
                             rd_kafka_err2str(o->err));
                    nm_out_t *dlq = nm_dead_letter(P, s);
                    if (dlq) nm_send_out(P, b, s, dlq);
                    else b->oom = 1;
                }
            }
        }
        if (!failed || b->oom) break;
        NM_LOG(NM_LOG_WARN, "pipeline", "re-sending %d undelivered output(s)", failed);
        if ((*P->stop && b->pending == 0) || nm_stalled(P, b, t0, "Kafka re-sends")) return -1;
        nm_sleep_ms(500);
    }
    if (b->oom) {
        NM_LOG(NM_LOG_ERROR, "pipeline", "out of memory: an article of the batch has no output; "
               "the batch of %zu article(s) is not committed", b->nslots);
        if (P->cfg->exactly_once) nm_producer_txn_abort(P->producer, e, sizeof e);
        return -1;
    }
    return 0;
}

/* Batch b's counts items into P->items, once every output is settled: an
 * article whose enriched event Kafka refused for good is a dead letter and
 * is not counted. Returns their number. */
static size_t nm_count_items(nm_pipeline_t *P, const nm_batch_t *b) {
    size_t nitems = 0;
    for (size_t i = 0; i < b->nslots; i++) {
        const nm_slot_t *s = &b->slots[i];
        if (!s->id || s->refused) continue; /* a dead letter */
        nm_counts_item_t *it = &P->items[nitems++];
        *it = s->count;
        it->summary = s->sum_len ? s->sum : NULL;
        it->summary_len = s->sum_len;
    }
    return nitems;
}

/* The counts call of the oldest closed batch, on the async thread
 * (nm_start_counting): meanwhile the loop does not touch P->counts or
 * P->items. */
static void nm_count_job(void *ud) {
    nm_pipeline_t *P = ud;
    P->job.rc = nm_counts_apply(P->counts, P->items, P->job.n, NULL, P->job.e,
                                 sizeof P->job.e);
}

/* Every output of b acknowledged, none to re-send, nothing missing: its
 * counts call can start on the thread. */
static int nm_settled(const nm_batch_t *b) {
    if (b->pending || b->oom) return 0;
    for (size_t i = 0; i < b->nslots; i++)
        for (int k = 0; k < b->slots[i].nouts; k++)
            if (b->slots[i].outs[k].state == OUT_FAILED) return 0;
    return 1;
}

static void nm_start_counting(nm_pipeline_t *P, nm_batch_t *b) {
    P->job.n = nm_count_items(P, b);
    b->job = JOB_COUNTS;
    nm_async_start(P->async, nm_count_job, P);
}

/* Finish batch b: closed (nm_close_batch), deliveries, counts, then
 * offsets. Returns 0 when the batch is complete and its offsets stored; 1
 * when its transaction was aborted and the input rewound (exactly-once: it
 * will be redone); -1 when stopping or a fatal error left it incomplete
 * (its offsets are not stored: the articles will be redone by the next
 * owner). */
static int nm_complete_batch(nm_pipeline_t *P, nm_batch_t *b) {
    if (!b->nslots) return 0;
    char e[512];
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    size_t nitems;
    nm_err_t crc;
    if (b->job == JOB_COUNTS) {
        /* settled, its counts call started on the thread: its result */
        crc = nm_job_result(P, b, &nitems, e, sizeof e);
    } else {
        int rc = nm_settle(P, b, &t0);
        if (rc) return rc;
        /* 2. counts: one script call for the whole batch, retried with
         * back-off */
        nitems = nm_count_items(P, b);
        crc = nm_counts_apply(P->counts, P->items, nitems, NULL, e, sizeof e);
    }
    long backoff = 100;
    while (crc) {
        if (nm_redis_retry(P, b, &t0, "", "uncounted articles", e, sizeof e, &backoff))
            return -1;
        crc = nm_counts_apply(P->counts, P->items, nitems, NULL, e, sizeof e);
    }
    if (nm_publish_surges(P, b, &t0) < 0) {
        if (P->cfg->exactly_once) nm_producer_txn_abort(P->producer, e, sizeof e);
        return -1;
    }
    /* 3. offsets: the batch is complete, and any earlier batch too (they
     * complete in order), so each partition's highest offset + 1 is safe
     * to commit (messages of a partition arrive in order) */
    rd_kafka_topic_partition_list_t *next = nm_batch_offsets(b, 0);
    if (P->cfg->exactly_once) {
        nm_txn_result_t tr = nm_producer_txn_commit(P->producer, nm_consumer_handle(P->consumer),
                                                    next, e, sizeof e);
        rd_kafka_topic_partition_list_destroy(next);
        if (tr != NM_TXN_OK) return nm_txn_failed(P, b, tr);
        nm_surges_done(P); /* visible to read_committed consumers only now */
    } else {
        for (int i = 0; i < next->cnt; i++)
            nm_consumer_store(P->consumer, next->elems[i].topic, next->elems[i].partition,
                              next->elems[i].offset);
        rd_kafka_topic_partition_list_destroy(next);
        /* at most five commits a second: small live batches would
         * otherwise send one OffsetCommit each */
        if (nm_elapsed_ms(&P->last_commit) >= 200) {
            nm_consumer_commit_async(P->consumer);
            clock_gettime(CLOCK_MONOTONIC, &P->last_commit);
        }
    }
    P->st.batches++;
    if (P->cfg->exactly_once) P->txn_open = 0;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    for (size_t i = 0; i < b->nslots && P->mb.nlatency < 4096; i++) {
        const struct timespec *c = &b->slots[i].consumed_at;
        P->mb.latency_s[P->mb.nlatency++] =
            (double)(now.tv_sec - c->tv_sec) + (now.tv_nsec - c->tv_nsec) / 1e9;
    }
    unsigned long wakeups = nm_consumer_fetch_wakeups(P->consumer);
    P->mb.fetch_wakeups += wakeups - P->fetch_wakeups;
    P->fetch_wakeups = wakeups;
    nm_metrics_add_batch(P->metrics, &P->mb);
    nm_metrics_set_ready(P->metrics, nm_consumer_assigned(P->consumer) > 0, 1);
    return 0;
}

static void nm_free_batch(nm_pipeline_t *P, nm_batch_t *b) {
    if (b->job) nm_async_wait(P->async); /* its call borrows the batch's articles */
    b->job = JOB_NONE;
    /* librdkafka holds pointers to the outputs until their delivery
     * reports: get every report (purging what cannot be sent) first */
    if (b->pending > 0 && nm_producer_flush(P->producer, 5000) > 0) {
        rd_kafka_purge(nm_producer_handle(P->producer),
                       RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        while (b->pending > 0) nm_producer_poll(P->producer, 100);
    }
    for (size_t i = 0; i < b->nslots; i++) {
        nm_slot_t *s = &b->slots[i];
        for (int k = 0; k < s->nouts; k++) {
            free(s->outs[k].topic);
            free(s->outs[k].payload);
        }
        free(s->id);
        free(s->alert_rec);
        free(s->alert_json);
        free(s->sum);
        free(s->ids);
        rd_kafka_message_destroy(s->msg);
    }
    b->nslots = b->nproc = b->nsent = b->held_bytes = 0;
    b->storied = b->oom = 0;
    b->side = -1;
    b->waited_ms = 0;
    nm_free_surges(P);
}

static void nm_on_stats(void *ud, const char *json, size_t len) {
    nm_metrics_kafka_stats(((nm_pipeline_t *)ud)->metrics, json, len);
}

/* The oldest closed batch cannot complete: the newer ones and the fill
 * batch are given up with it (nothing of them committed; the daemon
 * exits). */
static void nm_give_up(nm_pipeline_t *P) {
    P->fatal = 1;
    for (size_t i = 0; i < P->nclosed; i++) {
        nm_free_batch(P, P->closed[i]);
        P->closed[i]->queued = 0;
    }
    P->nclosed = 0;
    P->closed_articles = 0;
    nm_free_batch(P, P->fill);
}

/* The second closed batch's lookup, when it runs on the thread, is taken
 * (its outputs sent) before the oldest batch's counts use the connection.
 * Returns 0, or -1 when its story step gave up (stopping, stalled). */
static int nm_take_next_stories(nm_pipeline_t *P) {
    if (P->nclosed < 2 || P->closed[1]->job != JOB_STORIES) return 0;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    return nm_close_batch(P, P->closed[1], &t0);
}

/* Complete the oldest closed batch. When it cannot complete, the newer
 * ones and the fill batch are given up with it: their offsets would commit
 * past its. */
static int nm_finish_oldest(nm_pipeline_t *P) {
    nm_batch_t *b = P->closed[0];
    int rc = nm_take_next_stories(P) ? -1 : nm_complete_batch(P, b);
    P->closed_articles -= b->nslots;
    nm_free_batch(P, b);
    b->queued = 0;
    memmove(P->closed, P->closed + 1, --P->nclosed * sizeof *P->closed);
    if (rc < 0) nm_give_up(P);
    return rc;
}

/* Complete every closed batch, oldest first. */
static int nm_finish_closed(nm_pipeline_t *P) {
    while (P->nclosed)
        if (nm_finish_oldest(P) < 0) return -1;
    return 0;
}

nm_batch_result_t nm_pipeline_drain(nm_pipeline_t *P) {
    if (nm_finish_closed(P) < 0) return NM_BATCH_INCOMPLETE;
    int rc = nm_complete_batch(P, P->fill);
    if (rc < 0) P->fatal = 1;
    nm_free_batch(P, P->fill);
    return rc < 0 ? NM_BATCH_INCOMPLETE : rc ? NM_BATCH_REDO : NM_BATCH_COMPLETE;
}
/* Called before a rebalance takes partitions away. */
static void nm_on_revoke(void *ud) { nm_pipeline_drain(ud); }

static void nm_publish_rules(nm_pipeline_t *P, int reloaded) {
    const nm_rules_t *r = P->rules;
    const char *ids[NM_MAX_TOPICS];
    size_t n = r->ntopics < NM_MAX_TOPICS ? r->ntopics : NM_MAX_TOPICS;
    for (size_t i = 0; i < n; i++) ids[i] = r->topics[i].id;
    nm_metrics_set_rules(P->metrics, r->version, ids, n, reloaded, 0);
}

nm_err_t nm_pipeline_reload(nm_pipeline_t *P) {
    char e[1024];
    const nm_config_t *cfg = P->cfg;
    nm_rules_t *nr = nm_rules_load(
        P->text, &(nm_rule_paths_t){cfg->gazetteer, cfg->rules, cfg->languages,
                                     cfg->topic_model},
        e, sizeof e);
    if (!nr) {
        NM_LOG(NM_LOG_ERROR, "pipeline", "reload rejected, old rules stay: %s", e);
        nm_metrics_set_rules(P->metrics, NULL, NULL, 0, 0, 1);
        return NM_ERR_CONFIG;
    }
    /* the batch holds pointers into the old rules: finish it first, so no
     * article is half old and half new */
    nm_pipeline_drain(P);
    nm_rules_destroy(P->rules);
    P->rules = nr;
    nm_counts_set_rules(P->counts, nr);
    nm_publish_rules(P, 1);
    NM_LOG(NM_LOG_INFO, "pipeline", "rules reloaded: %s", nr->version);
    return NM_OK;
}

/* Exactly-once: offsets travel inside the transaction, never auto-committed.
 * The transactional id is configured, else "newsmon-<group.id>-<host>". */
static void nm_txn_id(const nm_config_t *cfg, char *out, size_t size) {
    if (cfg->transactional_id[0]) {
        snprintf(out, size, "%s", cfg->transactional_id);
        return;
    }
    char host[HOST_NAME_MAX + 1] = "localhost";
    gethostname(host, sizeof host);
    host[HOST_NAME_MAX] = '\0';
    const char *group = "newsmon";
    for (size_t i = 0; i < cfg->kafka_consumer.n; i++)
        if (!strcmp(cfg->kafka_consumer.items[i].key, "group.id"))
            group = cfg->kafka_consumer.items[i].value;
    snprintf(out, size, "newsmon-%s-%s", group, host);
}

/* nm_async and the producer call it on their threads: their news ends the
 * loop's wait for input. */
static void nm_wake_loop(void *ud) {
    nm_pipeline_t *P = ud;
    nm_consumer_wake(P->consumer);
}

/* A surge's lease must outlast a message in flight (nm_surge_out.h): warn
 * when the producer may hold one longer than surge_retry_s. */
static void nm_check_surge_retry(const nm_config_t *cfg) {
    const nm_kvlist_t *lists[2] = {&cfg->kafka, &cfg->kafka_producer};
    long ms = 300000; /* librdkafka's default message.timeout.ms */
    for (int l = 0; l < 2; l++)
        for (size_t i = 0; i < lists[l]->n; i++)
            if (!strcmp(lists[l]->items[i].key, "message.timeout.ms") ||
                !strcmp(lists[l]->items[i].key, "delivery.timeout.ms"))
                ms = atol(lists[l]->items[i].value);
    if (ms >= cfg->surge_retry_s * 1000L)
        NM_LOG(NM_LOG_WARN, "surge", "[output] surge_retry_s = %ld is not above the producer's "
               "message.timeout.ms (%ld ms): a surge alert still in flight when its daemon dies "
               "could be published twice", cfg->surge_retry_s, ms);
}

nm_pipeline_t *nm_pipeline_new(const nm_config_t *cfg, nm_text_t *text, nm_rules_t *rules,
                               char *errstr, size_t errstr_size) {
    nm_pipeline_t *P = calloc(1, sizeof *P);
    if (!P) {
        nm_rules_destroy(rules);
        nm_seterr(errstr, errstr_size, NM_ERR_NOMEM, "out of memory");
        return NULL;
    }
    P->cfg = cfg;
    P->text = text;
    P->rules = rules;
    P->stop = &nm_never;
    int slots_ok = 1;
    for (int i = 0; i < NM_BATCHES; i++)
        slots_ok &= (P->batches[i].slots =
                         calloc((size_t)cfg->batch_size, sizeof *P->batches[i].slots)) != NULL;
    for (int i = 0; i < NM_BATCHES; i++) P->batches[i].side = -1;
    P->fill = &P->batches[0];
    P->items = calloc((size_t)cfg->batch_size, sizeof *P->items);
    P->procs = calloc((size_t)cfg->workers, sizeof *P->procs);
    int procs_ok = P->procs != NULL;
    for (long w = 0; procs_ok && w < cfg->workers; w++)
        procs_ok = (P->procs[w] = nm_pipeline_proc_new(cfg)) != NULL;
    P->pool = nm_pool_new((int)cfg->workers);
    P->counts = nm_counts_new(cfg);
    if (!cfg->exactly_once) P->async = nm_async_new();
    P->metrics = nm_metrics_new(NEWSMON_VERSION);
    nm_jbuf_init(&P->with_story);
    P->stories = cfg->stories_enabled;
    int sides_ok = 1;
    for (int k = 0; P->stories && k < 2; k++) {
        P->side[k].S = nm_stories_new();
        P->side[k].in = calloc((size_t)cfg->batch_size, sizeof *P->side[k].in);
        P->side[k].out = calloc((size_t)cfg->batch_size, sizeof *P->side[k].out);
        sides_ok &= P->side[k].S && P->side[k].in && P->side[k].out;
    }
    if (!slots_ok || (!cfg->exactly_once && !P->async) || !P->items || !procs_ok || !P->pool ||
        !P->counts || !P->metrics || !sides_ok) {
        nm_seterr(errstr, errstr_size, NM_ERR_NOMEM, "out of memory");
        goto fail;
    }
    nm_publish_rules(P, 0);
    nm_counts_set_rules(P->counts, rules);
    nm_check_surge_retry(cfg);
    if (nm_metrics_listen(P->metrics, cfg->http_listen, errstr, errstr_size)) goto fail;
    nm_kvlist_t pextra = {0}, cextra = {0};
    nm_kv_t pkv[1], ckv[1];
    if (cfg->exactly_once) {
        nm_txn_id(cfg, P->txid, sizeof P->txid);
        pkv[0] = (nm_kv_t){"transactional.id", P->txid};
        ckv[0] = (nm_kv_t){"enable.auto.commit", "false"};
        pextra = (nm_kvlist_t){pkv, 1, 1};
        cextra = (nm_kvlist_t){ckv, 1, 1};
    }
    P->producer = nm_producer_new(cfg, &pextra, nm_on_delivery, P, errstr, errstr_size);
    if (!P->producer) goto fail;
    P->consumer = nm_consumer_new(cfg, &cextra, nm_on_revoke, nm_on_stats, P, errstr, errstr_size);
    if (!P->consumer) goto fail;
    if (cfg->exactly_once) {
        if (nm_producer_txn_init(P->producer, errstr, errstr_size)) goto fail;
        NM_LOG(NM_LOG_INFO, "pipeline", "exactly-once mode, transactional.id %s", P->txid);
    }
    /* a Redis reply or a delivery report ends the loop's wait for input:
     * the batch it completes moves on at once, not at the next poll */
    nm_producer_on_report(P->producer, nm_wake_loop, P);
    if (P->async) nm_async_on_done(P->async, nm_wake_loop, P);
    P->redis_ok = nm_counts_ready(P->counts);
    if (!P->redis_ok)
        NM_LOG(NM_LOG_WARN, "pipeline", "Redis %s:%ld not ready yet; will retry",
               cfg->redis_host, cfg->redis_port);
    return P;
fail:
    nm_pipeline_destroy(P);
    return NULL;
}

/* Add a polled message to the fill batch (a new batch opens its
 * transaction in exactly-once mode). Returns -1 on a fatal error. */
static int nm_add_polled(nm_pipeline_t *P, rd_kafka_message_t *m) {
    nm_batch_t *f = P->fill;
    if (P->cfg->exactly_once && !P->txn_open) {
        char e[512];
        if (nm_producer_txn_begin(P->producer, e, sizeof e)) {
            NM_LOG(NM_LOG_ERROR, "pipeline", "%s", e);
            rd_kafka_message_destroy(m);
            P->fatal = 1;
            return -1;
        }
        P->txn_open = 1;
    }
    nm_slot_t *s = &f->slots[f->nslots++];
    memset(s, 0, sizeof *s);
    s->msg = m;
    clock_gettime(CLOCK_MONOTONIC, &s->consumed_at);
    return 0;
}

/* With stories, the fill batch is not closed on time while an older batch
 * waits for its story step: it takes articles until then, so the batches
 * grow to what one story lookup at a time can serve. */
static int nm_story_hold(nm_pipeline_t *P) {
    return P->stories && P->nclosed && !P->closed[P->nclosed - 1]->storied;
}

/* The closed batches complete, in order: once the oldest has its last ack
 * its counts call starts on the thread, and once that answers it is
 * finished here (offsets stored) and the next one's starts. Returns -1 on
 * a fatal error. */
static int nm_advance(nm_pipeline_t *P) {
    nm_producer_poll(P->producer, 0);
    while (P->nclosed) {
        nm_batch_t *o = P->closed[0], *nx = P->nclosed > 1 ? P->closed[1] : NULL;
        if ((o->job || (nx && nx->job)) && !nm_async_done(P->async)) break;
        if (nx && nx->job) { /* the next batch's lookup answered: its outputs go */
            if (nm_take_next_stories(P)) {
                nm_give_up(P);
                return -1;
            }
            continue;
        }
        if (P->stories && !o->storied) {
            /* with stories, the oldest first looks its stories up (every
             * earlier batch is counted), then its outputs go */
            if (!o->job) {
                nm_start_stories(P, o);
                break;
            }
            struct timespec t0;
            clock_gettime(CLOCK_MONOTONIC, &t0);
            if (nm_close_batch(P, o, &t0)) { /* stopping, or stalled on Redis */
                nm_give_up(P);
                return -1;
            }
            continue;
        }
        /* with stories, the next batch's lookup runs while this one waits
         * for its acks (it follows this one: nm_followed) */
        if (P->stories && nx && !nx->storied && !o->job && o->pending > 0) {
            nm_start_stories(P, nx);
            break;
        }
        if (!o->job && o->pending > 0) break;
        if (!o->job && nm_settled(o)) {
            nm_start_counting(P, o);
            break;
        }
        if (nm_finish_oldest(P) < 0) return -1; /* answered, or re-sends to make */
    }
    return 0;
}

int nm_pipeline_step(nm_pipeline_t *P, int timeout_ms) {
    const nm_config_t *cfg = P->cfg;
    nm_batch_t *f = P->fill;
    /* with stories, a batch's outputs wait for its story step: when the
     * input runs dry and no older batch waits for that step, the batch
     * closes at once instead of waiting for batch_timeout_ms (a live
     * article goes out after one lookup; while lookups are busy, the
     * articles gather in the next batch, nm_story_hold) */
    int close_now = 0;
    /* 1. input: under a backlog the next message is already queued and
     * the outputs stay held, so that a produce request carries many; when
     * the input runs dry they are sent before waiting (live latency) */
    rd_kafka_message_t *m = nm_consumer_poll(P->consumer, 0);
    if (!m) {
        nm_release(P, f);
        int wait = timeout_ms;
        if (f->nslots && !nm_story_hold(P)) {
            double left = cfg->batch_timeout_ms - f->waited_ms;
            close_now = P->stories && !cfg->exactly_once;
            wait = close_now || left <= 0 ? 0 : left < wait ? (int)left + 1 : wait;
        }
        /* the closed batches' Redis replies and acks end the wait
         * (nm_wake_loop); 1 ms bounds a wake-up taken by the poll above */
        if (P->nclosed && wait > 1) wait = 1;
        if (wait > 0) {
            struct timespec t0;
            clock_gettime(CLOCK_MONOTONIC, &t0);
            m = nm_consumer_poll(P->consumer, wait);
            /* the batch timer counts waiting only, not work (a drain in
             * the poll, at a rebalance, empties the batch) */
            if (f->nslots) f->waited_ms += nm_elapsed_ms(&t0);
        }
    }
    /* a rebalance runs inside the poll: publish its outcome at once */
    if (nm_consumer_assigned(P->consumer) != P->assigned) {
        P->assigned = nm_consumer_assigned(P->consumer);
        nm_metrics_set_assigned(P->metrics, P->assigned);
    }
    if (m && nm_add_polled(P, m)) return -1;
    if (m) {
        /* with workers, the articles already queued are tagged together */
        size_t chunk = (size_t)cfg->workers * NM_CHUNK_PER_WORKER;
        while (cfg->workers > 1 && (long)f->nslots < cfg->batch_size &&
               f->nslots - f->nproc < chunk && (m = nm_consumer_poll(P->consumer, 0)))
            if (nm_add_polled(P, m)) return -1;
        nm_tag_polled(P, f);
        if (f->held_bytes >= NM_HOLD_BYTES) nm_release(P, f);
    } else if (!f->nslots && !P->nclosed && nm_elapsed_ms(&P->last_ready) >= 1000) {
        /* idle: keep readiness current (Redis back, a rebalance), once
         * a second since a connect attempt may block */
        clock_gettime(CLOCK_MONOTONIC, &P->last_ready);
        P->redis_ok = nm_counts_ready(P->counts);
        nm_metrics_set_ready(P->metrics, nm_consumer_assigned(P->consumer) > 0, P->redis_ok);
        if (P->redis_ok) nm_surge_idle(P);
    }
    /* 2. the closed batches move on */
    if (nm_advance(P)) return -1;
    /* 3. the fill batch closes when full or when it has waited long enough;
     * it completes behind the next one (exactly-once: at once, see the
     * header) */
    /* (with stories, not on time while nm_story_hold) */
    if (f->nslots && ((long)f->nslots >= cfg->batch_size || close_now ||
                      (f->waited_ms >= cfg->batch_timeout_ms && !nm_story_hold(P)))) {
        if (cfg->exactly_once) {
            nm_pipeline_drain(P);
        } else {
            /* the older batches complete first only when the ring is full
             * or holds a batch's worth of articles (with stories two: the
             * second's lookup and outputs overlap the first's acks and
             * counts) */
            size_t room = (size_t)cfg->batch_size * (P->stories ? 2 : 1);
            while (P->nclosed && (P->nclosed == NM_BATCHES - 1 ||
                                  P->closed_articles + f->nslots > room))
                if (nm_finish_oldest(P) < 0) return -1;
            /* with stories its outputs wait for its story step, which
             * waits for the older batches' counts (step 2) */
            nm_tag_polled(P, f);
            if (!P->stories) nm_release(P, f);
            f->queued = 1;
            P->closed[P->nclosed++] = f;
            P->closed_articles += f->nslots;
            int i = 0;
            while (P->batches[i].queued) i++; /* one is free: nclosed < NM_BATCHES */
            P->fill = &P->batches[i];
            /* its story step starts now, not after the next poll */
            if (P->stories && nm_advance(P)) return -1;
        }
    }
    return P->fatal ? -1 : 0;
}
int nm_pipeline_run(nm_pipeline_t *P, volatile sig_atomic_t *stop,
                    volatile sig_atomic_t *reload) {
    P->stop = stop;
    nm_producer_set_stop(P->producer, stop);
    NM_LOG(NM_LOG_INFO, "pipeline", "newsmon %s running: %s -> %s, rules %s", NEWSMON_VERSION,
           P->cfg->input_topic, P->cfg->enriched_topic, P->rules->version);
    while (!*stop && !P->fatal) {
        if (*reload) {
            *reload = 0;
            nm_pipeline_reload(P);
        }
        nm_pipeline_step(P, 100);
    }
    nm_pipeline_drain(P);
    /* the last batch's surges reported done (else they would wait for
     * their lease and a look on the topic) */
    char e[512];
    if (!P->fatal && !P->cfg->exactly_once &&
        nm_counts_apply(P->counts, NULL, 0, NULL, e, sizeof e))
        NM_LOG(NM_LOG_WARN, "surge", "Redis: %s", e);
    NM_LOG(NM_LOG_INFO, "pipeline",
           "stopping: consumed=%lld relevant=%lld alerts=%lld dead_letters=%lld batches=%lld "
           "surges=%lld",
           P->st.consumed, P->st.relevant, P->st.alerts, P->st.dead, P->st.batches,
           P->st.surges);
    P->stop = &nm_never;
    nm_producer_set_stop(P->producer, NULL);
    return P->fatal ? -1 : 0;
}

void nm_pipeline_stats(const nm_pipeline_t *P, nm_pipeline_stats_t *out) { *out = P->st; }

const nm_rules_t *nm_pipeline_rules(const nm_pipeline_t *P) { return P->rules; }

void nm_pipeline_destroy(nm_pipeline_t *P) {
    if (!P) return;
    if (P->consumer && P->producer) nm_pipeline_drain(P);
    /* no wake-up may reach the consumer once it is gone */
    if (P->producer) nm_producer_on_report(P->producer, NULL, NULL);
    if (P->async) nm_async_on_done(P->async, NULL, NULL);
    nm_consumer_destroy(P->consumer);
    nm_producer_destroy(P->producer);
    nm_async_destroy(P->async);
    nm_counts_destroy(P->counts);
    for (int k = 0; k < 2; k++) {
        nm_stories_destroy(P->side[k].S);
        free(P->side[k].in);
        free(P->side[k].out);
    }
    nm_jbuf_free(&P->with_story);
    nm_metrics_destroy(P->metrics);
    nm_pool_destroy(P->pool);
    for (long w = 0; P->procs && w < P->cfg->workers; w++) nm_pipeline_proc_destroy(P->procs[w]);
    free(P->procs);
    nm_rules_destroy(P->rules);
    for (int i = 0; i < NM_BATCHES; i++) free(P->batches[i].slots);
    free(P->items);
    nm_free_surges(P);
    free(P->souts);
    free(P);
}
