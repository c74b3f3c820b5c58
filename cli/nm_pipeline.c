/* nm_pipeline.c - `newsmon run`: consumer -> processor -> Redis -> producer.
 *
 * Single-threaded batch loop (librdkafka does the network I/O on its own
 * threads):
 *   1. poll articles into a batch; each is parsed and tagged at once and its
 *      enriched event, alerts (or dead letter) are produced immediately, so
 *      Kafka delivery overlaps with filling the batch;
 *   2. when the batch is full or old enough: one Redis script call counts
 *      the whole batch (idempotent per article id), retried with back-off
 *      while Redis is down;
 *   3. wait until every output of the batch is acknowledged, re-sending any
 *      that failed;
 *   4. only then store each partition's next offset and commit (async).
 * So an offset is committed only after the article's outputs and counts are
 * durable: at-least-once, and duplicates never reach the counts.
 */
#include <getopt.h> /* optind */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <limits.h>

#include "nm_article.h"
#include "nm_cli.h"
#include "nm_consumer.h"
#include "nm_counts.h"
#include "nm_event.h"
#include "nm_kafka.h"
#include "nm_metrics.h"
#include "nm_producer.h"
#include "nm_tagger.h"

/* enriched + an alert per topic + alerts.all + a dead letter */
#define NM_MAX_OUTS (NM_TAG_MAX_TOPICS + 3)

typedef enum { OUT_PENDING = 0, OUT_OK, OUT_FAILED, OUT_GAVE_UP } nm_out_state_t;
typedef enum { OUT_ENRICHED = 0, OUT_ALERT, OUT_DLQ } nm_out_kind_t;

typedef struct {
    char *topic;   /* owned */
    char *payload; /* owned; NULL for a dead letter (its bytes are the input's) */
    size_t len;
    int state, kind;
    rd_kafka_resp_err_t err; /* of the last failed attempt */
} nm_out_t;

typedef struct {
    rd_kafka_message_t *msg; /* owned input message */
    char *id;                /* owned article id (NULL for a dead letter) */
    char *alert_rec;         /* owned recent-alerts record (NULL: no alert) */
    char reason[256];        /* dead-letter reason */
    int nouts;
    nm_out_t outs[NM_MAX_OUTS];
    nm_counts_item_t count;
    const char *ent_ids[64];
    int ent_mentions[64];
    const char *topic_ids[NM_TAG_MAX_TOPICS];
    struct timespec consumed_at;
} nm_slot_t;

typedef struct {
    nm_cli_env_t env;
    nm_consumer_t *consumer;
    nm_producer_t *producer;
    nm_counts_t *counts;
    nm_metrics_t *metrics;
    nm_metrics_batch_t mb; /* this batch's increments */
    nm_jbuf_t out;         /* event writer buffer, reused */
    nm_tagger_ws_t *ws;
    nm_article_limits_t lim;
    nm_slot_t *slots;
    size_t nslots;
    nm_counts_item_t *items;
    long pending; /* outputs without a delivery report */
    struct timespec batch_start;
    struct timespec last_commit;
    /* totals, logged at exit */
    long long consumed, produced, dead, alerts, relevant, batches;
    int fatal;
    int txn_open; /* exactly-once: a transaction is open for this batch */
} nm_pipeline_t;

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
    if (err) P->mb.delivery_failures++;
    P->pending--;
}

/* Queue one output of a slot; on local failure it is marked failed so the
 * completion step re-sends it (or gives up on a permanent error). Enriched
 * events and alerts are keyed by article id, dead letters by the input's
 * own key. */
static void nm_send_out(nm_pipeline_t *P, nm_slot_t *s, nm_out_t *o) {
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
        if (len > (size_t)P->env.cfg->max_output_bytes) {
            /* too large for the topic: keep the head, say how long it was */
            snprintf(size, sizeof size, "%zu", len);
            len = (size_t)P->env.cfg->max_output_bytes;
            nh = 2;
        }
    }
    o->state = OUT_PENDING;
    if (nm_producer_send(P->producer, o->topic, key, key_len, val, len, nh ? hdrs : NULL, nh, o,
                         &o->err, e, sizeof e)) {
        NM_LOG(NM_LOG_WARN, "pipeline", "%s", e);
        o->state = OUT_FAILED;
        return;
    }
    P->pending++;
}

static int nm_add_out(nm_slot_t *s, int kind, const char *topic, char *payload, size_t len) {
    if (s->nouts == NM_MAX_OUTS) { free(payload); return -1; }
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

/* Send the input to the dead-letter topic with s->reason. */
static void nm_dead_letter(nm_pipeline_t *P, nm_slot_t *s) {
    NM_LOG(NM_LOG_WARN, "pipeline", "dead letter %s[%d]@%lld: %s", rd_kafka_topic_name(s->msg->rkt),
           (int)s->msg->partition, (long long)s->msg->offset, s->reason);
    P->dead++;
    P->mb.dead_lettered++;
    if (nm_add_out(s, OUT_DLQ, P->env.cfg->dlq_topic, NULL, 0) == 0)
        nm_send_out(P, s, &s->outs[s->nouts - 1]);
}

/* A copy of the written event (slots own their payloads until delivered). */
static char *nm_copy_out(const nm_jbuf_t *b) {
    char *s = malloc(b->len + 1);
    if (s) memcpy(s, b->s, b->len + 1);
    return s;
}

static void nm_hour_of(const rd_kafka_message_t *m, char out[11]) {
    rd_kafka_timestamp_type_t tt;
    int64_t ts = rd_kafka_message_timestamp(m, &tt);
    time_t t = ts > 0 ? (time_t)(ts / 1000) : time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y%m%d%H", &tm);
}

/* Parse, tag and produce one article; the slot keeps what completion needs. */
static void nm_process(nm_pipeline_t *P, nm_slot_t *s) {
    const nm_config_t *cfg = P->env.cfg;
    const nm_rules_t *rules = P->env.rules;
    nm_article_t a;
    nm_tag_result_t res;
    P->consumed++;
    P->mb.consumed++;
    nm_err_t rc = nm_article_parse(s->msg->payload, s->msg->len, &P->lim, &a, s->reason,
                                   sizeof s->reason);
    if (!rc && nm_tagger_tag(rules, P->ws, a.title, a.title_len, a.body, a.body_len, a.lang,
                             &res))
        rc = nm_seterr(s->reason, sizeof s->reason, NM_ERR_NOMEM, "out of memory tagging");
    char now[32];
    nm_event_now(now);
    nm_jbuf_t *out = &P->out;
    nm_body_mode_t body = cfg->include_body ? NM_BODY_INCLUDE : NM_BODY_EXCLUDE;
    if (!rc && nm_event_enriched(out, &a, rules, &res, body, now) == NM_OK &&
        out->len > (size_t)cfg->max_output_bytes && body == NM_BODY_INCLUDE)
        /* too large for the topic: the tags matter more than the body */
        nm_event_enriched(out, &a, rules, &res, NM_BODY_OMITTED, now);
    size_t len = out->len;
    char *ev = rc || out->oom ? NULL : nm_copy_out(out);
    if (!rc && !ev) rc = nm_seterr(s->reason, sizeof s->reason, NM_ERR_NOMEM, "cannot build event");
    if (!rc && len > (size_t)cfg->max_output_bytes) {
        free(ev);
        rc = nm_seterr(s->reason, sizeof s->reason, NM_ERR_LIMIT,
                       "enriched event of %zu bytes exceeds max_output_bytes %ld", len,
                       cfg->max_output_bytes);
    }
    if (rc) {
        nm_dead_letter(P, s);
        nm_article_clear(&a);
        return;
    }
    s->id = strdup(a.id);
    nm_add_out(s, OUT_ENRICHED, cfg->enriched_topic, ev, len);
    P->mb.enriched++;
    if (res.relevant) {
        P->relevant++;
        P->mb.relevant_all++;
        for (int t = 0; t < res.ntopics; t++)
            if (res.topics[t].topic < NM_METRICS_MAX_TOPICS) P->mb.relevant[res.topics[t].topic]++;
    }
    if (res.relevant && res.score >= rules->settings.alert_threshold && res.ntopics > 0) {
        if (nm_event_alert(out, &a, rules, &res, NM_ALERT_TOPIC_EVIDENCE, now) == NM_OK)
            s->alert_rec = nm_copy_out(out);
        s->count.alert_len = s->alert_rec ? out->len : 0;
        char *al = nm_event_alert(out, &a, rules, &res, NM_ALERT_TOPIC_IDS, now)
                       ? NULL : nm_copy_out(out);
        len = out->len;
        char topic[512];
        for (int t = 0; al && t <= res.ntopics; t++) {
            snprintf(topic, sizeof topic, "%s%s", cfg->alert_topic_prefix,
                     t < res.ntopics ? rules->topics[res.topics[t].topic].id : "all");
            char *copy = t < res.ntopics ? strdup(al) : al;
            if (copy) nm_add_out(s, OUT_ALERT, topic, copy, len);
        }
        P->alerts++;
        P->mb.alerts_all++;
        for (int t = 0; t < res.ntopics; t++)
            if (res.topics[t].topic < NM_METRICS_MAX_TOPICS) P->mb.alerts[res.topics[t].topic]++;
    }
    for (int i = 0; i < s->nouts; i++) nm_send_out(P, s, &s->outs[i]);

    /* the counts item borrows ids from the rule set, stable for the batch */
    nm_counts_item_t *it = &s->count;
    it->id = s->id ? s->id : "";
    nm_hour_of(s->msg, it->hour);
    it->relevant = res.relevant;
    it->nentities = res.nentities < 64 ? res.nentities : 64;
    for (int i = 0; i < it->nentities; i++) {
        s->ent_ids[i] = rules->entities[res.entities[i].entity].id;
        s->ent_mentions[i] = res.entities[i].mentions;
    }
    it->entities = s->ent_ids;
    it->mentions = s->ent_mentions;
    it->ntopics = res.ntopics;
    for (int i = 0; i < res.ntopics; i++) s->topic_ids[i] = rules->topics[res.topics[i].topic].id;
    it->topics = s->topic_ids;
    it->alert = s->alert_rec;
    nm_article_clear(&a);
}

static void nm_sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Per partition of the batch: the first offset (first = 1), or the last
 * offset + 1 (first = 0). New list; the caller destroys it. */
static rd_kafka_topic_partition_list_t *nm_batch_offsets(nm_pipeline_t *P, int first) {
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(8);
    for (size_t i = 0; i < P->nslots; i++) {
        const rd_kafka_message_t *m = P->slots[i].msg;
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

/* Exactly-once: the transaction did not commit. Its outputs are invisible
 * to read_committed consumers; rewind the input so the batch is redone.
 * Returns 1 (redo) or -1 (fatal). */
static int nm_txn_failed(nm_pipeline_t *P, nm_txn_result_t tr) {
    while (P->pending > 0) nm_producer_poll(P->producer, 100);
    if (tr == NM_TXN_FATAL) {
        NM_LOG(NM_LOG_ERROR, "pipeline", "transactional producer failed fatally; exiting");
        P->fatal = 1;
        return -1;
    }
    rd_kafka_topic_partition_list_t *first = nm_batch_offsets(P, 1);
    NM_LOG(NM_LOG_WARN, "pipeline", "transaction aborted; redoing %zu article(s)", P->nslots);
    int rc = nm_consumer_seek(P->consumer, first) ? -1 : 1;
    rd_kafka_topic_partition_list_destroy(first);
    P->txn_open = 0;
    return rc;
}

/* Finish the batch: counts, deliveries, then offsets. Returns 0 when the
 * batch is complete and its offsets stored; 1 when its transaction was
 * aborted and the input rewound (exactly-once: it will be redone); -1 when
 * stopping or a fatal error left it incomplete (its offsets are not stored:
 * the articles will be redone by the next owner). */
static int nm_complete_batch(nm_pipeline_t *P) {
    if (!P->nslots) return 0;
    char e[512];
    /* 1. counts: one script call for the whole batch, retried with back-off */
    size_t nitems = 0;
    for (size_t i = 0; i < P->nslots; i++)
        if (P->slots[i].id) P->items[nitems++] = P->slots[i].count;
    long backoff = 100;
    while (nm_counts_apply(P->counts, P->items, nitems, NULL, e, sizeof e)) {
        NM_LOG(NM_LOG_WARN, "pipeline", "Redis: %s; retrying in %ld ms", e, backoff);
        P->mb.redis_errors++;
        nm_metrics_set_ready(P->metrics, nm_consumer_assigned(P->consumer) > 0, 0);
        if (nm_cli_stop) {
            /* still down at shutdown: give up this batch, commit nothing */
            NM_LOG(NM_LOG_ERROR, "pipeline", "stopping with %zu uncounted articles; "
                   "their offsets are not committed", P->nslots);
            if (P->env.cfg->exactly_once) nm_producer_txn_abort(P->producer, e, sizeof e);
            return -1;
        }
        nm_producer_poll(P->producer, (int)backoff);
        P->mb.redis_retries++;
        backoff = backoff * 2 > P->env.cfg->redis_retry_max_ms ? P->env.cfg->redis_retry_max_ms
                                                               : backoff * 2;
    }
    /* 2. every output acknowledged; failed ones are sent again, except on
     * permanent errors (too large, not authorised), which would stall the
     * stream forever: an enriched event that Kafka refuses becomes a dead
     * letter, a refused alert or dead letter is logged and given up */
    for (;;) {
        struct timespec since;
        clock_gettime(CLOCK_MONOTONIC, &since);
        while (P->pending > 0) {
            nm_producer_poll(P->producer, 100);
            if (nm_cli_stop && nm_elapsed_ms(&since) > 10000) {
                NM_LOG(NM_LOG_ERROR, "pipeline", "stopping with %ld undelivered output(s); "
                       "their offsets are not committed", P->pending);
                return -1;
            }
        }
        int failed = 0;
        if (P->env.cfg->exactly_once) {
            /* a failed send leaves the transaction unusable: abort, redo */
            for (size_t i = 0; i < P->nslots; i++)
                for (int k = 0; k < P->slots[i].nouts; k++)
                    failed += P->slots[i].outs[k].state == OUT_FAILED;
            if (failed)
                return nm_txn_failed(P, nm_producer_txn_abort(P->producer, e, sizeof e));
            break;
        }
        for (size_t i = 0; i < P->nslots; i++) {
            nm_slot_t *s = &P->slots[i];
            for (int k = 0; k < s->nouts; k++) {
                nm_out_t *o = &s->outs[k];
                if (o->state != OUT_FAILED) continue;
                failed++;
                if (!nm_kafka_err_permanent(o->err)) {
                    nm_send_out(P, s, o);
                    continue;
                }
                o->state = OUT_GAVE_UP;
                NM_LOG(NM_LOG_ERROR, "pipeline", "Kafka refuses %s for %s[%d]@%lld: %s",
                       o->topic, rd_kafka_topic_name(s->msg->rkt), (int)s->msg->partition,
                       (long long)s->msg->offset, rd_kafka_err2str(o->err));
                if (o->kind == OUT_ENRICHED) {
                    snprintf(s->reason, sizeof s->reason, "Kafka refused the enriched event: %s",
                             rd_kafka_err2str(o->err));
                    nm_dead_letter(P, s);
                }
            }
        }
        if (!failed) break;
        NM_LOG(NM_LOG_WARN, "pipeline", "re-sending %d undelivered output(s)", failed);
        if (nm_cli_stop && P->pending == 0) return -1;
        nm_sleep_ms(500);
    }
    /* 3. offsets: the batch is complete, so each partition's highest offset
     * + 1 is safe to commit (messages of a partition arrive in order) */
    rd_kafka_topic_partition_list_t *next = nm_batch_offsets(P, 0);
    if (P->env.cfg->exactly_once) {
        nm_txn_result_t tr = nm_producer_txn_commit(P->producer, nm_consumer_handle(P->consumer),
                                                    next, e, sizeof e);
        rd_kafka_topic_partition_list_destroy(next);
        if (tr != NM_TXN_OK) return nm_txn_failed(P, tr);
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
    P->batches++;
    P->txn_open = 0;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    for (size_t i = 0; i < P->nslots && P->mb.nlatency < 4096; i++) {
        const struct timespec *c = &P->slots[i].consumed_at;
        P->mb.latency_s[P->mb.nlatency++] =
            (double)(now.tv_sec - c->tv_sec) + (now.tv_nsec - c->tv_nsec) / 1e9;
    }
    nm_metrics_add_batch(P->metrics, &P->mb);
    nm_metrics_set_ready(P->metrics, nm_consumer_assigned(P->consumer) > 0, 1);
    return 0;
}

static void nm_free_batch(nm_pipeline_t *P) {
    /* librdkafka holds pointers to the outputs until their delivery
     * reports: get every report (purging what cannot be sent) first */
    if (P->pending > 0 && nm_producer_flush(P->producer, 5000) > 0) {
        rd_kafka_purge(nm_producer_handle(P->producer),
                       RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        while (P->pending > 0) nm_producer_poll(P->producer, 100);
    }
    for (size_t i = 0; i < P->nslots; i++) {
        nm_slot_t *s = &P->slots[i];
        for (int k = 0; k < s->nouts; k++) {
            free(s->outs[k].topic);
            free(s->outs[k].payload);
        }
        free(s->id);
        free(s->alert_rec);
        rd_kafka_message_destroy(s->msg);
    }
    P->nslots = 0;
}

static void nm_on_stats(void *ud, const char *json, size_t len) {
    nm_metrics_kafka_stats(((nm_pipeline_t *)ud)->metrics, json, len);
}

/* Called before a rebalance takes partitions away, and at shutdown. */
static void nm_drain(void *ud) {
    nm_pipeline_t *P = ud;
    if (nm_complete_batch(P) < 0) P->fatal = 1;
    nm_free_batch(P);
}

static void nm_publish_rules(nm_pipeline_t *P, int reloaded) {
    const nm_rules_t *r = P->env.rules;
    const char *ids[NM_METRICS_MAX_TOPICS];
    size_t n = r->ntopics < NM_METRICS_MAX_TOPICS ? r->ntopics : NM_METRICS_MAX_TOPICS;
    for (size_t i = 0; i < n; i++) ids[i] = r->topics[i].id;
    nm_metrics_set_rules(P->metrics, r->version, ids, n, reloaded, 0);
}

static void nm_reload(nm_pipeline_t *P) {
    char e[1024];
    const nm_config_t *cfg = P->env.cfg;
    nm_rules_t *nr = nm_rules_load(
        P->env.text, &(nm_rule_paths_t){cfg->gazetteer, cfg->rules, cfg->languages,
                                           cfg->topic_model},
        e, sizeof e);
    if (!nr) {
        NM_LOG(NM_LOG_ERROR, "pipeline", "reload rejected, old rules stay: %s", e);
        nm_metrics_set_rules(P->metrics, NULL, NULL, 0, 0, 1);
        return;
    }
    /* the batch holds pointers into the old rules: finish it first, so no
     * article is half old and half new */
    nm_drain(P);
    nm_rules_destroy(P->env.rules);
    P->env.rules = nr;
    nm_publish_rules(P, 1);
    NM_LOG(NM_LOG_INFO, "pipeline", "rules reloaded: %s", nr->version);
}

static void nm_run_usage(FILE *f) {
    fprintf(f,
            "Usage: newsmon run [-c FILE]\n"
            "\n"
            "The daemon: consumes articles from [input] topic in consumer group\n"
            "[kafka.consumer] group.id, tags them, counts entities and topics in Redis,\n"
            "and produces enriched events, alerts and dead letters. At-least-once: an\n"
            "input offset is committed only after the article's outputs are acknowledged\n"
            "by Kafka and its counts by Redis; counts are idempotent per article id.\n"
            "\n"
            "Signals: SIGTERM/SIGINT finish the current batch, commit and exit 0;\n"
            "SIGHUP reloads the rule files (a bad file is logged and the old rules stay).\n"
            "\n"
            "  -c, --config FILE   configuration file (see config/newsmon.conf)\n"
            "  -h, --help          this help\n");
}

int nm_cmd_run(int argc, char **argv) {
    const char *config = NULL;
    int done = nm_cli_options(argc, argv, &config, nm_run_usage);
    if (done >= 0) return done;
    if (optind != argc) { nm_run_usage(stderr); return NM_EXIT_USAGE; }

    nm_pipeline_t *P = calloc(1, sizeof *P);
    if (!P) return NM_EXIT_FAIL;
    int rc = nm_cli_setup(config, 1, &P->env);
    if (rc) { free(P); return rc; }
    nm_cli_signals();
    const nm_config_t *cfg = P->env.cfg;
    char e[1024];
    P->lim = (nm_article_limits_t){(size_t)cfg->max_message_bytes, (size_t)cfg->max_body_bytes,
                                   (size_t)cfg->max_json_depth};
    P->slots = calloc((size_t)cfg->batch_size, sizeof *P->slots);
    P->items = calloc((size_t)cfg->batch_size, sizeof *P->items);
    P->ws = nm_tagger_ws_new();
    P->counts = nm_counts_new(cfg);
    if (!P->slots || !P->items || !P->ws || !P->counts) {
        fprintf(stderr, "newsmon: out of memory\n");
        rc = NM_EXIT_FAIL;
        goto out;
    }
    P->metrics = nm_metrics_new(NEWSMON_VERSION);
    if (!P->metrics) {
        fprintf(stderr, "newsmon: out of memory\n");
        rc = NM_EXIT_FAIL;
        goto out;
    }
    nm_publish_rules(P, 0);
    if (nm_metrics_listen(P->metrics, cfg->http_listen, e, sizeof e)) {
        fprintf(stderr, "newsmon: %s\n", e);
        rc = NM_EXIT_FAIL;
        goto out;
    }
    nm_kvlist_t pextra = {0}, cextra = {0};
    nm_kv_t pkv[1], ckv[1];
    char txid[512];
    if (cfg->exactly_once) {
        /* offsets travel inside the transaction, never auto-committed */
        if (cfg->transactional_id[0]) {
            snprintf(txid, sizeof txid, "%s", cfg->transactional_id);
        } else {
            char host[HOST_NAME_MAX + 1] = "localhost";
            gethostname(host, sizeof host);
            host[HOST_NAME_MAX] = '\0';
            const char *group = "newsmon";
            for (size_t i = 0; i < cfg->kafka_consumer.n; i++)
                if (!strcmp(cfg->kafka_consumer.items[i].key, "group.id"))
                    group = cfg->kafka_consumer.items[i].value;
            snprintf(txid, sizeof txid, "newsmon-%s-%s", group, host);
        }
        pkv[0] = (nm_kv_t){"transactional.id", txid};
        ckv[0] = (nm_kv_t){"enable.auto.commit", "false"};
        pextra = (nm_kvlist_t){pkv, 1, 1};
        cextra = (nm_kvlist_t){ckv, 1, 1};
    }
    P->producer = nm_producer_new(cfg, &pextra, nm_on_delivery, P, e, sizeof e);
    if (P->producer)
        P->consumer = nm_consumer_new(cfg, &cextra, nm_drain, nm_on_stats, P, e, sizeof e);
    if (!P->producer || !P->consumer) {
        fprintf(stderr, "newsmon: %s\n", e);
        rc = NM_EXIT_USAGE;
        goto out;
    }
    if (cfg->exactly_once) {
        if (nm_producer_txn_init(P->producer, e, sizeof e)) {
            fprintf(stderr, "newsmon: %s\n", e);
            rc = NM_EXIT_FAIL;
            goto out;
        }
        NM_LOG(NM_LOG_INFO, "pipeline", "exactly-once mode, transactional.id %s", txid);
    }
    int redis_ok = nm_counts_ready(P->counts);
    struct timespec last_ready = {0, 0};
    if (!redis_ok)
        NM_LOG(NM_LOG_WARN, "pipeline", "Redis %s:%ld not ready yet; will retry",
               cfg->redis_host, cfg->redis_port);
    NM_LOG(NM_LOG_INFO, "pipeline", "newsmon %s running: %s -> %s, rules %s", NEWSMON_VERSION,
           cfg->input_topic, cfg->enriched_topic, P->env.rules->version);

    while (!nm_cli_stop && !P->fatal) {
        if (nm_cli_reload) {
            nm_cli_reload = 0;
            nm_reload(P);
        }
        int wait = 100;
        if (P->nslots) {
            double left = cfg->batch_timeout_ms - nm_elapsed_ms(&P->batch_start);
            wait = left > 0 ? (int)left : 0;
        }
        rd_kafka_message_t *m = nm_consumer_poll(P->consumer, wait);
        if (m) {
            if (!P->nslots) clock_gettime(CLOCK_MONOTONIC, &P->batch_start);
            if (cfg->exactly_once && !P->txn_open) {
                if (nm_producer_txn_begin(P->producer, e, sizeof e)) {
                    NM_LOG(NM_LOG_ERROR, "pipeline", "%s", e);
                    rd_kafka_message_destroy(m);
                    P->fatal = 1;
                    break;
                }
                P->txn_open = 1;
            }
            nm_slot_t *s = &P->slots[P->nslots++];
            memset(s, 0, sizeof *s);
            s->msg = m;
            clock_gettime(CLOCK_MONOTONIC, &s->consumed_at);
            nm_process(P, s);
        } else if (!P->nslots && nm_elapsed_ms(&last_ready) >= 1000) {
            /* idle: keep readiness current (Redis back, a rebalance), once
             * a second since a connect attempt may block */
            clock_gettime(CLOCK_MONOTONIC, &last_ready);
            redis_ok = nm_counts_ready(P->counts);
            nm_metrics_set_ready(P->metrics, nm_consumer_assigned(P->consumer) > 0, redis_ok);
        }
        nm_producer_poll(P->producer, 0);
        if (P->nslots && ((long)P->nslots >= cfg->batch_size ||
                          nm_elapsed_ms(&P->batch_start) >= cfg->batch_timeout_ms))
            nm_drain(P);
    }
    nm_drain(P);
    NM_LOG(NM_LOG_INFO, "pipeline",
           "stopping: consumed=%lld relevant=%lld alerts=%lld dead_letters=%lld batches=%lld",
           P->consumed, P->relevant, P->alerts, P->dead, P->batches);
    rc = P->fatal ? NM_EXIT_FAIL : NM_EXIT_OK;
out:
    nm_consumer_destroy(P->consumer);
    nm_producer_destroy(P->producer);
    nm_counts_destroy(P->counts);
    nm_metrics_destroy(P->metrics);
    nm_jbuf_free(&P->out);
    nm_tagger_ws_destroy(P->ws);
    free(P->slots);
    free(P->items);
    nm_cli_teardown(&P->env);
    free(P);
    return rc;
}
