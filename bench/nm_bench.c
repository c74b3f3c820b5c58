/* nm_bench.c - newsmon benchmark helper (driven by bench/run.sh).
 *
 *   nm_bench gen      -n N [-s SEED] [-f FIRST]              corpus as JSON Lines on stdout
 *   nm_bench load     -b BOOTSTRAP -t TOPIC -n N [-s SEED]   produce the corpus into a topic
 *   nm_bench mktopics -b BOOTSTRAP [-p PARTS] TOPIC...       create topics
 *   nm_bench ceiling  -c CONF -o OUT_TOPIC [-g GROUP] [-n N] zero-work consume->produce loop
 *   nm_bench watch    -b BOOTSTRAP -t TOPIC -n N [-T SECS]   read a topic from the start until N
 *   nm_bench latency  -b BOOTSTRAP -i IN -o OUT -r RATE -d SECS [-w WARMUP_S] [-s SEED] [-L LINGER_MS]
 *   nm_bench rusage   [-o OUTFILE] [-i INFILE] -- CMD ARGS...  run CMD, print its CPU time and peak RSS
 *   nm_bench rmtopics -b BOOTSTRAP TOPIC...                  delete topics
 *   nm_bench matcher  -c CONF [-n N] [-s SEED] [-r REPEAT] [-e EVICT_KB]  time nm_ac_scan alone
 *
 * Figures are printed as `key=value` lines (run.sh parses them); messages
 * go to stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "nm_ac.h"
#include "nm_article.h"
#include "nm_config.h"
#include "nm_fetchwake.h"
#include "nm_kafka.h"
#include "nm_rules.h"
#include "nm_text.h"

#include "nm_corpus.c"

static volatile sig_atomic_t g_stop;
static void on_signal(int sig) { (void)sig; g_stop = 1; }

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}
static int64_t now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}
static double wall_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (double)t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}
static double cpu_thread_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}
static double cpu_self_s(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}
static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("nm_bench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}
static void kset(rd_kafka_conf_t *c, const char *k, const char *v) {
    char e[512];
    if (rd_kafka_conf_set(c, k, v, e, sizeof e) != RD_KAFKA_CONF_OK) die("%s: %s", k, e);
}

/* ------------------------------------------------------------ gen */

static int cmd_gen(int argc, char **argv) {
    long n = 1000, first = 0;
    uint64_t seed = 1;
    int c;
    while ((c = getopt(argc, argv, "n:s:f:")) != -1) {
        if (c == 'n') n = atol(optarg);
        else if (c == 's') seed = strtoull(optarg, NULL, 10);
        else if (c == 'f') first = atol(optarg);
        else return 2;
    }
    nc_buf_t b = {0};
    nc_meta_t m;
    long rel = 0, lang_n[NC_NLANGS] = {0};
    size_t bytes = 0;
    for (long i = first; i < first + n; i++) {
        nc_article(seed, i, NULL, &b, &m);
        nc_puts(&b, "\n");
        fwrite(b.p, 1, b.len, stdout);
        bytes += b.len;
        rel += m.relevant;
        for (size_t l = 0; l < NC_NLANGS; l++)
            if (!strcmp(nc_langs[l].code, m.lang)) lang_n[l]++;
    }
    fprintf(stderr, "gen: %ld articles, %zu bytes (%.0f B/article), generated relevant %.1f%%; langs:",
            n, bytes, n ? (double)bytes / n : 0, n ? 100.0 * rel / n : 0);
    for (size_t l = 0; l < NC_NLANGS; l++)
        fprintf(stderr, " %s %.1f%%", nc_langs[l].code, n ? 100.0 * lang_n[l] / n : 0);
    fputc('\n', stderr);
    free(b.p);
    return fflush(stdout) ? 1 : 0;
}

/* ------------------------------------------------------------ load */

static long g_dr_ok, g_dr_err;
static void load_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *o) {
    (void)rk; (void)o;
    if (m->err) g_dr_err++; else g_dr_ok++;
}

static int cmd_load(int argc, char **argv) {
    const char *bs = "127.0.0.1:9092", *topic = NULL;
    long n = 1000, first = 0;
    uint64_t seed = 1;
    int c;
    while ((c = getopt(argc, argv, "b:t:n:s:f:")) != -1) {
        if (c == 'b') bs = optarg;
        else if (c == 't') topic = optarg;
        else if (c == 'n') n = atol(optarg);
        else if (c == 's') seed = strtoull(optarg, NULL, 10);
        else if (c == 'f') first = atol(optarg);
        else return 2;
    }
    if (!topic) die("load: -t TOPIC required");
    char e[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    kset(conf, "bootstrap.servers", bs);
    kset(conf, "linger.ms", "50");
    kset(conf, "batch.size", "1000000");
    kset(conf, "compression.type", "lz4");
    kset(conf, "queue.buffering.max.kbytes", "262144");
    rd_kafka_conf_set_dr_msg_cb(conf, load_dr);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, e, sizeof e);
    if (!rk) die("load: %s", e);
    nc_buf_t b = {0};
    char key[64];
    size_t bytes = 0;
    double t0 = now_s();
    for (long i = first; i < first + n; i++) {
        nc_article(seed, i, NULL, &b, NULL);
        snprintf(key, sizeof key, "bench-%llu-%ld", (unsigned long long)seed, i);
        bytes += b.len;
        for (;;) {
            rd_kafka_resp_err_t err = rd_kafka_producev(
                rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_KEY(key, strlen(key)), RD_KAFKA_V_VALUE(b.p, b.len), RD_KAFKA_V_END);
            if (!err) break;
            if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) die("load: produce: %s", rd_kafka_err2str(err));
            rd_kafka_poll(rk, 50);
        }
        rd_kafka_poll(rk, 0);
        if ((i - first + 1) % 100000 == 0)
            fprintf(stderr, "load: %ld/%ld queued (%.0f/s)\n", i - first + 1, n,
                    (i - first + 1) / (now_s() - t0));
    }
    while (rd_kafka_outq_len(rk) > 0) rd_kafka_poll(rk, 100);
    double dt = now_s() - t0;
    printf("load_articles=%ld\nload_bytes=%zu\nload_seconds=%.2f\nload_rate=%.0f\nload_failed=%ld\n",
           n, bytes, dt, n / dt, g_dr_err);
    rd_kafka_destroy(rk);
    free(b.p);
    return g_dr_err ? 1 : 0;
}

/* ------------------------------------------------------------ mktopics */

static int cmd_mktopics(int argc, char **argv) {
    const char *bs = "127.0.0.1:9092";
    int parts = 3, c;
    while ((c = getopt(argc, argv, "b:p:")) != -1) {
        if (c == 'b') bs = optarg;
        else if (c == 'p') parts = atoi(optarg);
        else return 2;
    }
    int n = argc - optind;
    if (n < 1) die("mktopics: no topic");
    char e[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    kset(conf, "bootstrap.servers", bs);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, e, sizeof e);
    if (!rk) die("mktopics: %s", e);
    rd_kafka_NewTopic_t **nt = calloc((size_t)n, sizeof *nt);
    for (int i = 0; i < n; i++) nt[i] = rd_kafka_NewTopic_new(argv[optind + i], parts, 1, e, sizeof e);
    rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_AdminOptions_set_operation_timeout(o, 15000, e, sizeof e);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, nt, (size_t)n, o, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 30000);
    int rc = 0;
    if (!ev || rd_kafka_event_error(ev)) {
        fprintf(stderr, "mktopics: %s\n", ev ? rd_kafka_event_error_string(ev) : "timeout");
        rc = 1;
    } else {
        size_t cnt;
        const rd_kafka_topic_result_t **r =
            rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &cnt);
        for (size_t i = 0; i < cnt; i++) {
            rd_kafka_resp_err_t err = rd_kafka_topic_result_error(r[i]);
            if (err && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
                fprintf(stderr, "mktopics: %s: %s\n", rd_kafka_topic_result_name(r[i]),
                        rd_kafka_err2str(err));
                rc = 1;
            }
        }
    }
    if (ev) rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_NewTopic_destroy_array(nt, (size_t)n);
    free(nt);
    rd_kafka_destroy(rk);
    return rc;
}

/* ------------------------------------------------------------ ceiling */

/* The zero-work loop: newsmon's batch loop (pipeline/nm_pipeline.c)
 * without parsing, tagging or Redis. Same configuration file, so the same
 * consumer group settings (enable.auto.offset.store=false, auto-commit),
 * the same idempotent producer (linger.ms, compression), the same batch
 * size and timeout; each input is copied to OUT as soon as it arrives.
 * Pipelined as newsmon is under a backlog: a closed batch waits for its
 * deliveries (re-sending failures) while the next one fills; it is
 * finished (each partition's next offset stored) before the next one
 * closes, so offsets are stored in consumption order. */
typedef struct ceil_batch_s ceil_batch_t;

typedef struct {
    rd_kafka_message_t *msg;
    ceil_batch_t *batch;
    int state; /* 0 pending, 1 ok, 2 failed */
} ceil_slot_t;

struct ceil_batch_s {
    ceil_slot_t *slots;
    size_t ns;
    long pending; /* sent without a delivery report */
};

static void ceil_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *o) {
    (void)rk; (void)o;
    ceil_slot_t *s = m->_private;
    s->state = m->err ? 2 : 1;
    s->batch->pending--;
}

static void ceil_send(rd_kafka_t *p, const char *out, ceil_slot_t *s) {
    s->state = 0;
    for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
            p, RD_KAFKA_V_TOPIC(out), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_KEY(s->msg->key, s->msg->key_len),
            RD_KAFKA_V_VALUE(s->msg->payload, s->msg->len), RD_KAFKA_V_OPAQUE(s), RD_KAFKA_V_END);
        if (!err) { s->batch->pending++; return; }
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) { s->state = 2; return; }
        rd_kafka_poll(p, 100);
    }
}

/* A closed batch: every delivery acknowledged (failures re-sent), then each
 * partition's next offset stored and the messages freed. */
static void ceil_finish(rd_kafka_t *p, rd_kafka_t *k, const char *out, ceil_batch_t *b) {
    for (;;) {
        while (b->pending > 0) rd_kafka_poll(p, 100);
        int failed = 0;
        for (size_t i = 0; i < b->ns; i++)
            if (b->slots[i].state == 2) { failed++; ceil_send(p, out, &b->slots[i]); }
        if (!failed) break;
    }
    for (size_t i = 0; i < b->ns; i++) {
        rd_kafka_message_t *mm = b->slots[i].msg;
        int last = 1;
        for (size_t j = i + 1; j < b->ns && last; j++)
            if (b->slots[j].msg->partition == mm->partition && b->slots[j].msg->rkt == mm->rkt)
                last = 0;
        if (last) {
            rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
            rd_kafka_topic_partition_list_add(l, rd_kafka_topic_name(mm->rkt),
                                              mm->partition)->offset = mm->offset + 1;
            rd_kafka_offsets_store(k, l);
            rd_kafka_topic_partition_list_destroy(l);
        }
    }
    for (size_t i = 0; i < b->ns; i++) rd_kafka_message_destroy(b->slots[i].msg);
    b->ns = 0;
}

static int cmd_ceiling(int argc, char **argv) {
    const char *cpath = NULL, *out = NULL, *group = NULL;
    long n = 0;
    int c;
    while ((c = getopt(argc, argv, "c:o:g:n:")) != -1) {
        if (c == 'c') cpath = optarg;
        else if (c == 'o') out = optarg;
        else if (c == 'g') group = optarg;
        else if (c == 'n') n = atol(optarg);
        else return 2;
    }
    if (!cpath || !out) die("ceiling: -c CONF and -o OUT_TOPIC required");
    char e[1024];
    nm_config_t *cfg = nm_config_load(cpath, e, sizeof e);
    if (!cfg) die("ceiling: %s", e);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    rd_kafka_conf_t *pc = rd_kafka_conf_new();
    kset(pc, "enable.idempotence", "true");
    if (nm_kafka_conf_apply(pc, &cfg->kafka, e, sizeof e) ||
        nm_kafka_conf_apply(pc, &cfg->kafka_producer, e, sizeof e))
        die("ceiling: %s", e);
    rd_kafka_conf_set_dr_msg_cb(pc, ceil_dr);
    rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, pc, e, sizeof e);
    if (!p) die("ceiling: %s", e);

    rd_kafka_conf_t *cc = rd_kafka_conf_new();
    if (nm_kafka_conf_apply(cc, &cfg->kafka, e, sizeof e) ||
        nm_kafka_conf_apply(cc, &cfg->kafka_consumer, e, sizeof e))
        die("ceiling: %s", e);
    kset(cc, "enable.auto.offset.store", "false");
    kset(cc, "enable.partition.eof", "false");
    if (group) kset(cc, "group.id", group);
    long limit_kb = nm_fetchwake_limit_kbytes(cc);
    rd_kafka_t *k = rd_kafka_new(RD_KAFKA_CONSUMER, cc, e, sizeof e);
    if (!k) die("ceiling: %s", e);
    rd_kafka_poll_set_consumer(k);
    /* the same fetch wake-ups as newsmon's consumer (consumer/nm_fetchwake.h) */
    nm_fetchwake_t *wake = nm_fetchwake_start(k, limit_kb);
    rd_kafka_topic_partition_list_t *tl = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(tl, cfg->input_topic, RD_KAFKA_PARTITION_UA);
    if (rd_kafka_subscribe(k, tl)) die("ceiling: subscribe failed");
    rd_kafka_topic_partition_list_destroy(tl);

    long bsz = cfg->batch_size;
    ceil_batch_t bt[2] = {{calloc((size_t)bsz, sizeof(ceil_slot_t)), 0, 0},
                          {calloc((size_t)bsz, sizeof(ceil_slot_t)), 0, 0}};
    if (!bt[0].slots || !bt[1].slots) die("ceiling: out of memory");
    ceil_batch_t *fill = &bt[0], *closed = NULL;
    long done = 0, batches = 0;
    double tfirst = 0, tlast = 0, bstart = 0, cpu0 = 0;
    while (!g_stop && (n <= 0 || done < n)) {
        int wait = 100;
        if (fill->ns) {
            double left = cfg->batch_timeout_ms - (now_s() - bstart) * 1e3;
            wait = left > 0 ? (int)left : 0;
        }
        rd_kafka_message_t *m = rd_kafka_consumer_poll(k, wait);
        if (m && m->err) { rd_kafka_message_destroy(m); m = NULL; }
        if (m) {
            nm_fetchwake_taken(wake, m->len + m->key_len);
            if (!tfirst) { tfirst = now_s(); cpu0 = cpu_self_s(); }
            if (!fill->ns) bstart = now_s();
            ceil_slot_t *sl = &fill->slots[fill->ns++];
            sl->msg = m;
            sl->batch = fill;
            ceil_send(p, out, sl);
        }
        rd_kafka_poll(p, 0);
        if (closed && closed->pending <= 0) { /* acknowledged while the next one filled */
            ceil_finish(p, k, out, closed);
            closed = NULL;
        }
        if (fill->ns && ((long)fill->ns >= bsz || (now_s() - bstart) * 1e3 >= cfg->batch_timeout_ms)) {
            if (closed) ceil_finish(p, k, out, closed); /* at most one closed batch in flight */
            done += (long)fill->ns;
            batches++;
            closed = fill;
            fill = fill == &bt[0] ? &bt[1] : &bt[0];
        }
    }
    if (closed) ceil_finish(p, k, out, closed);
    if (fill->ns) ceil_finish(p, k, out, fill);
    tlast = now_s();
    free(bt[0].slots);
    free(bt[1].slots);
    double cpu = cpu_self_s() - cpu0;
    double dt = tlast - tfirst;
    printf("ceiling_articles=%ld\nceiling_batches=%ld\nceiling_seconds=%.3f\nceiling_rate=%.0f\n"
           "ceiling_cpu_s=%.2f\n",
           done, batches, dt, dt > 0 ? (done - 1) / dt : 0, cpu);
    fflush(stdout);
    rd_kafka_commit(k, NULL, 0);
    nm_fetchwake_stop(wake);
    rd_kafka_consumer_close(k);
    rd_kafka_destroy(k);
    rd_kafka_flush(p, 10000);
    rd_kafka_destroy(p);
    nm_config_destroy(cfg);
    return 0;
}

/* ------------------------------------------------------------ watch */

/* A consumer without a group, assigned every partition of a topic at the
 * given offsets (beginning, or the current end when at_end). */
static rd_kafka_t *assign_all(const char *bs, const char *topic, int at_end, const char *extra_k,
                              const char *extra_v) {
    char e[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    kset(conf, "bootstrap.servers", bs);
    char g[64];
    snprintf(g, sizeof g, "nm-bench-watch-%d", (int)getpid());
    kset(conf, "group.id", g);
    kset(conf, "enable.auto.commit", "false");
    kset(conf, "enable.partition.eof", "false");
    if (extra_k) kset(conf, extra_k, extra_v);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, e, sizeof e);
    if (!rk) die("consumer: %s", e);
    rd_kafka_poll_set_consumer(rk);
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_topic_t *t = rd_kafka_topic_new(rk, topic, NULL);
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    for (int tries = 0; tries < 50; tries++) {
        err = rd_kafka_metadata(rk, 0, t, &md, 5000);
        if (!err && md->topic_cnt == 1 && !md->topics[0].err && md->topics[0].partition_cnt > 0) break;
        if (!err) { rd_kafka_metadata_destroy(md); md = NULL; }
        usleep(200000);
    }
    if (!md) die("metadata for %s: %s", topic, rd_kafka_err2str(err));
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(md->topics[0].partition_cnt);
    for (int i = 0; i < md->topics[0].partition_cnt; i++) {
        int32_t part = md->topics[0].partitions[i].id;
        int64_t lo = 0, hi = 0;
        if (at_end) {
            err = rd_kafka_query_watermark_offsets(rk, topic, part, &lo, &hi, 10000);
            if (err) die("watermarks %s[%d]: %s", topic, (int)part, rd_kafka_err2str(err));
        }
        rd_kafka_topic_partition_list_add(l, topic, part)->offset =
            at_end ? hi : RD_KAFKA_OFFSET_BEGINNING;
    }
    rd_kafka_assign(rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(t);
    return rk;
}

static int cmd_watch(int argc, char **argv) {
    const char *bs = "127.0.0.1:9092", *topic = NULL, *prefix = "watch";
    long n = 1;
    double timeout = 3600, idle = 120;
    int c;
    while ((c = getopt(argc, argv, "b:t:n:T:I:P:")) != -1) {
        if (c == 'b') bs = optarg;
        else if (c == 't') topic = optarg;
        else if (c == 'n') n = atol(optarg);
        else if (c == 'T') timeout = atof(optarg);
        else if (c == 'I') idle = atof(optarg);
        else if (c == 'P') prefix = optarg;
        else return 2;
    }
    if (!topic) die("watch: -t TOPIC required");
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    rd_kafka_t *rk = assign_all(bs, topic, 0, NULL, NULL);
    fprintf(stderr, "watch: reading %s until %ld messages\n", topic, n);
    long cnt = 0;
    size_t bytes = 0;
    double t0 = now_s(), first = 0, last = 0, first_wall = 0, last_wall = 0, lastprog = now_s();
    while (!g_stop && cnt < n) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
        double t = now_s();
        if (m) {
            if (!m->err) {
                if (!cnt) { first = t; first_wall = wall_ms(); }
                cnt++;
                bytes += m->len;
                last = t;
                lastprog = t;
                if (cnt % 50000 == 0)
                    fprintf(stderr, "watch: %s %ld/%ld (%.0f/s)\n", topic, cnt, n,
                            cnt > 1 ? (cnt - 1) / (t - first) : 0.0);
            }
            rd_kafka_message_destroy(m);
        }
        if (t - t0 > timeout || t - lastprog > idle) {
            fprintf(stderr, "watch: giving up on %s at %ld/%ld\n", topic, cnt, n);
            break;
        }
    }
    last_wall = first_wall + (last - first) * 1e3;
    printf("%s_count=%ld\n%s_bytes=%zu\n%s_first_ms=%.0f\n%s_last_ms=%.0f\n%s_seconds=%.3f\n"
           "%s_rate=%.0f\n",
           prefix, cnt, prefix, bytes, prefix, first_wall, prefix, last_wall, prefix, last - first,
           prefix, cnt > 1 && last > first ? (cnt - 1) / (last - first) : 0.0);
    fflush(stdout);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return cnt >= n ? 0 : 1;
}

/* ------------------------------------------------------------ latency */

typedef struct {
    rd_kafka_t *rk;
    int64_t *sent, *lat; /* per sequence number, µs (lat -1: not yet) */
    long total, received, dup, foreign;
    char tag[32];
    volatile int stop;
} lat_ctx_t;

static void *lat_consumer(void *arg) {
    lat_ctx_t *L = arg;
    size_t taglen = strlen(L->tag);
    while (!L->stop && L->received < L->total) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(L->rk, 100);
        if (!m) continue;
        int64_t t = now_us();
        if (!m->err && m->key && m->key_len > taglen + 1 &&
            !memcmp(m->key, L->tag, taglen) && ((char *)m->key)[taglen] == '-') {
            long seq = 0;
            for (size_t i = taglen + 1; i < m->key_len; i++)
                seq = seq * 10 + (((char *)m->key)[i] - '0');
            if (seq >= 0 && seq < L->total && L->sent[seq]) {
                if (L->lat[seq] < 0) {
                    L->lat[seq] = t - L->sent[seq];
                    __atomic_add_fetch(&L->received, 1, __ATOMIC_RELAXED);
                } else L->dup++;
            } else L->foreign++;
        } else if (!m->err) L->foreign++;
        rd_kafka_message_destroy(m);
    }
    return NULL;
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int cmd_latency(int argc, char **argv) {
    const char *bs = "127.0.0.1:9092", *in = NULL, *out = NULL, *prefix = "lat", *linger = "0";
    const char *dump = NULL;
    double rate = 1000, dur = 20, warm = 3, drain = 30;
    uint64_t seed = 7;
    int c;
    while ((c = getopt(argc, argv, "b:i:o:r:d:w:s:L:P:D:O:")) != -1) {
        if (c == 'O') { dump = optarg; continue; }
        if (c == 'b') bs = optarg;
        else if (c == 'i') in = optarg;
        else if (c == 'o') out = optarg;
        else if (c == 'r') rate = atof(optarg);
        else if (c == 'd') dur = atof(optarg);
        else if (c == 'w') warm = atof(optarg);
        else if (c == 's') seed = strtoull(optarg, NULL, 10);
        else if (c == 'L') linger = optarg;
        else if (c == 'P') prefix = optarg;
        else if (c == 'D') drain = atof(optarg);
        else return 2;
    }
    if (!in || !out || rate <= 0 || dur <= 0) die("latency: -i IN -o OUT -r RATE -d SECS required");
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    lat_ctx_t L = {0};
    L.total = (long)(rate * dur);
    snprintf(L.tag, sizeof L.tag, "lat%d%ld", (int)getpid() % 100000, (long)time(NULL) % 100000);
    L.sent = calloc((size_t)L.total, sizeof *L.sent);
    L.lat = malloc((size_t)L.total * sizeof *L.lat);
    if (!L.sent || !L.lat) die("latency: out of memory");
    for (long i = 0; i < L.total; i++) L.lat[i] = -1;

    /* 2,000 distinct articles; the id (and key) of each send is patched in:
     * "<tag>-<10 digits>" at a known offset */
    enum { NTPL = 2000 };
    char **tpl = calloc(NTPL, sizeof *tpl);
    size_t *tlen = calloc(NTPL, sizeof *tlen), *idoff = calloc(NTPL, sizeof *idoff);
    char idph[64];
    snprintf(idph, sizeof idph, "%s-0000000000", L.tag);
    nc_buf_t b = {0};
    for (int k = 0; k < NTPL; k++) {
        nc_article(seed, k, idph, &b, NULL);
        tpl[k] = malloc(b.len);
        memcpy(tpl[k], b.p, b.len);
        tlen[k] = b.len;
        idoff[k] = (size_t)(strstr(tpl[k], idph) - tpl[k]) + strlen(L.tag) + 1;
    }

    L.rk = assign_all(bs, out, 1, NULL, NULL);
    pthread_t th;
    pthread_create(&th, NULL, lat_consumer, &L);

    char e[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    kset(conf, "bootstrap.servers", bs);
    kset(conf, "linger.ms", linger);
    kset(conf, "compression.type", "lz4");
    rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, conf, e, sizeof e);
    if (!p) die("latency: %s", e);
    /* the assignment has to be active before the first send: give the
     * consumer a moment to fetch from the explicit offsets */
    usleep(1500000);
    fprintf(stderr, "latency: %s -> %s: %ld articles at %.0f/s (%.0f s)\n", in, out, L.total, rate, dur);
    int64_t t0 = now_us();
    long sent = 0;
    char key[64];
    for (long i = 0; i < L.total && !g_stop; i++) {
        int64_t due = t0 + (int64_t)(i * 1e6 / rate);
        int64_t ahead = due - now_us();
        if (ahead > 200) {
            struct timespec ts = {ahead / 1000000, (ahead % 1000000) * 1000};
            nanosleep(&ts, NULL);
        }
        int k = (int)(i % NTPL);
        char d[24];
        snprintf(d, sizeof d, "%010ld", i);
        memcpy(tpl[k] + idoff[k], d, 10);
        int kl = snprintf(key, sizeof key, "%s-%010ld", L.tag, i);
        for (;;) {
            L.sent[i] = now_us();
            rd_kafka_resp_err_t err = rd_kafka_producev(
                p, RD_KAFKA_V_TOPIC(in), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_KEY(key, (size_t)kl), RD_KAFKA_V_VALUE(tpl[k], tlen[k]), RD_KAFKA_V_END);
            if (!err) break;
            if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) die("latency: produce: %s", rd_kafka_err2str(err));
            rd_kafka_poll(p, 10);
        }
        sent++;
        rd_kafka_poll(p, 0);
    }
    double send_s = (now_us() - t0) / 1e6;
    rd_kafka_flush(p, 30000);
    /* wait for the stragglers */
    double tw = now_s();
    while (!g_stop && __atomic_load_n(&L.received, __ATOMIC_RELAXED) < sent && now_s() - tw < drain)
        usleep(50000);
    L.stop = 1;
    pthread_join(th, NULL);

    if (dump) { /* per article: sequence, send time (ms since start), latency (ms; -1 lost) */
        FILE *f = fopen(dump, "w");
        for (long i = 0; f && i < sent; i++)
            fprintf(f, "%ld %.3f %.3f\n", i, (L.sent[i] - t0) / 1e3, L.lat[i] < 0 ? -1.0 : L.lat[i] / 1e3);
        if (f) fclose(f);
    }
    long skip = (long)(warm * rate), m = 0;
    int64_t *v = malloc((size_t)L.total * sizeof *v);
    for (long i = skip; i < sent; i++)
        if (L.lat[i] >= 0) v[m++] = L.lat[i];
    qsort(v, (size_t)m, sizeof *v, cmp_i64);
#define PCT(q) (m ? v[(long)((q) * (double)(m - 1) + 0.5)] / 1000.0 : NAN)
    double sum = 0;
    for (long i = 0; i < m; i++) sum += (double)v[i];
    printf("%s_offered_rate=%.0f\n%s_sent=%ld\n%s_send_rate=%.0f\n%s_received=%ld\n%s_lost=%ld\n"
           "%s_samples=%ld\n%s_p50_ms=%.2f\n%s_p90_ms=%.2f\n%s_p99_ms=%.2f\n%s_p999_ms=%.2f\n"
           "%s_max_ms=%.2f\n%s_mean_ms=%.2f\n%s_dup=%ld\n",
           prefix, rate, prefix, sent, prefix, sent / send_s, prefix, L.received, prefix,
           sent - L.received, prefix, m, prefix, PCT(0.50), prefix, PCT(0.90), prefix, PCT(0.99),
           prefix, PCT(0.999), prefix, m ? v[m - 1] / 1000.0 : NAN, prefix,
           m ? sum / m / 1000.0 : NAN, prefix, L.dup);
    fflush(stdout);
    rd_kafka_destroy(p);
    rd_kafka_consumer_close(L.rk);
    rd_kafka_destroy(L.rk);
    for (int k = 0; k < NTPL; k++) free(tpl[k]);
    free(tpl); free(tlen); free(idoff); free(b.p); free(v); free(L.sent); free(L.lat);
    return 0;
}

/* ------------------------------------------------------------ rusage */

static int cmd_rusage(int argc, char **argv) {
    const char *outf = NULL, *inf = NULL, *prefix = "run";
    int c;
    while ((c = getopt(argc, argv, "+o:i:P:")) != -1) {
        if (c == 'o') outf = optarg;
        else if (c == 'i') inf = optarg;
        else if (c == 'P') prefix = optarg;
        else return 2;
    }
    if (optind >= argc) die("rusage: no command");
    double t0 = now_s();
    pid_t pid = fork();
    if (pid < 0) die("fork: %s", strerror(errno));
    if (pid == 0) {
        if (outf) {
            int fd = open(outf, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (fd < 0 || dup2(fd, 1) < 0) _exit(127);
            close(fd);
        }
        if (inf) {
            int fd = open(inf, O_RDONLY);
            if (fd < 0 || dup2(fd, 0) < 0) _exit(127);
            close(fd);
        }
        execvp(argv[optind], argv + optind);
        _exit(127);
    }
    int st;
    struct rusage ru;
    if (wait4(pid, &st, 0, &ru) < 0) die("wait4: %s", strerror(errno));
    double wall = now_s() - t0;
    double u = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
    double s = ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
    printf("%s_wall_s=%.3f\n%s_user_s=%.3f\n%s_sys_s=%.3f\n%s_cpu_s=%.3f\n%s_maxrss_kb=%ld\n%s_exit=%d\n",
           prefix, wall, prefix, u, prefix, s, prefix, u + s, prefix, ru.ru_maxrss, prefix,
           WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
    return 0;
}

/* ------------------------------------------------------------ matcher */

static void matcher_count(void *ud, uint32_t id, size_t end, size_t len) {
    (void)end;
    uint64_t *c = ud;
    c[0]++;
    c[1] += id + len; /* used, so the scan cannot be optimised away */
}

/* The Aho-Corasick scan alone over N generated articles, normalised as the
 * tagger does (title, '\n', body). -e touches EVICT_KB of other memory
 * between articles (untimed), as the daemon's Kafka and JSON work does, so
 * the automaton is scanned from a cold cache rather than a hot one. */
static int cmd_matcher(int argc, char **argv) {
    const char *conf = NULL;
    long n = 2000, repeat = 3, evict_kb = 0;
    uint64_t seed = 1;
    int c;
    while ((c = getopt(argc, argv, "c:n:s:r:e:")) != -1) {
        if (c == 'c') conf = optarg;
        else if (c == 'n') n = atol(optarg);
        else if (c == 's') seed = strtoull(optarg, NULL, 10);
        else if (c == 'r') repeat = atol(optarg);
        else if (c == 'e') evict_kb = atol(optarg);
        else return 2;
    }
    if (!conf || n < 1 || repeat < 1) die("matcher: -c CONF required, N and REPEAT >= 1");
    char err[512];
    nm_config_t *cfg = nm_config_load(conf, err, sizeof err);
    if (!cfg) die("%s", err);
    nm_text_t *text = nm_text_new();
    if (!text) die("out of memory");
    double t0 = now_s();
    nm_rules_t *rules = nm_rules_load(
        text, &(nm_rule_paths_t){cfg->gazetteer, cfg->rules, cfg->languages, cfg->topic_model}, err,
        sizeof err);
    if (!rules) die("%s", err);
    double build_s = now_s() - t0;
    /* normalise every article once, into one buffer */
    nm_textbuf_t tb;
    nm_textbuf_init(&tb);
    size_t *off = malloc((size_t)(n + 1) * sizeof *off);
    if (!off) die("out of memory");
    nc_buf_t b = {0};
    nc_meta_t m;
    nm_article_limits_t lim = {(size_t)cfg->max_message_bytes, (size_t)cfg->max_body_bytes,
                               (size_t)cfg->max_json_depth};
    char *flat = NULL;
    size_t flat_len = 0, flat_cap = 0;
    for (long i = 0; i < n; i++) {
        b.len = 0;
        nc_article(seed, i, NULL, &b, &m);
        nm_article_t a;
        if (nm_article_parse(b.p, b.len, &lim, &a, err, sizeof err)) die("article %ld: %s", i, err);
        nm_textbuf_reset(&tb);
        if (nm_text_append(text, &tb, a.title, a.title_len, NM_TEXT_HTML)) die("out of memory");
        nm_textbuf_break(&tb, '\n');
        if (nm_text_append(text, &tb, a.body, a.body_len, NM_TEXT_HTML)) die("out of memory");
        nm_article_clear(&a);
        if (flat_len + tb.len > flat_cap) {
            flat_cap = (flat_len + tb.len) * 2;
            flat = realloc(flat, flat_cap);
            if (!flat) die("out of memory");
        }
        off[i] = flat_len;
        memcpy(flat + flat_len, tb.s, tb.len);
        flat_len += tb.len;
    }
    off[n] = flat_len;
    size_t evict_n = (size_t)evict_kb * 1024;
    volatile unsigned char *evict = evict_n ? calloc(1, evict_n) : NULL;
    if (evict_n && !evict) die("out of memory");
    uint64_t cnt[2] = {0, 0};
    double best = 0;
    for (long r = 0; r < repeat; r++) {
        double scan = 0;
        cnt[0] = 0;
        for (long i = 0; i < n; i++) {
            for (size_t k = 0; k < evict_n; k += 64) evict[k]++;
            double s0 = cpu_thread_s(); /* CPU time: the machine may be shared */
            nm_ac_scan(rules->ac, flat + off[i], off[i + 1] - off[i], matcher_count, cnt);
            scan += cpu_thread_s() - s0;
        }
        if (r == 0 || scan < best) best = scan;
    }
    printf("matcher_states=%zu\nmatcher_memory_bytes=%zu\nmatcher_build_s=%.3f\n",
           nm_ac_states(rules->ac), nm_ac_memory(rules->ac), build_s);
    printf("matcher_articles=%ld\nmatcher_bytes=%zu\nmatcher_evict_kb=%ld\n", n, flat_len, evict_kb);
    printf("matcher_matches_per_article=%.1f\nmatcher_scan_s=%.4f\nmatcher_ns_per_byte=%.3f\n"
           "matcher_mb_per_s=%.1f\nmatcher_checksum=%" PRIu64 "\n",
           (double)cnt[0] / n, best, best * 1e9 / flat_len, flat_len / 1e6 / best, cnt[1]);
    free((void *)evict);
    free(flat);
    free(off);
    free(b.p);
    nm_textbuf_free(&tb);
    nm_rules_destroy(rules);
    nm_text_destroy(text);
    nm_config_destroy(cfg);
    return 0;
}

/* ------------------------------------------------------------ rmtopics */

static int cmd_rmtopics(int argc, char **argv) {
    const char *bs = "127.0.0.1:9092";
    int c;
    while ((c = getopt(argc, argv, "b:")) != -1) {
        if (c == 'b') bs = optarg;
        else return 2;
    }
    int n = argc - optind;
    if (n < 1) return 0;
    char e[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    kset(conf, "bootstrap.servers", bs);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, e, sizeof e);
    if (!rk) die("rmtopics: %s", e);
    rd_kafka_DeleteTopic_t **dt = calloc((size_t)n, sizeof *dt);
    for (int i = 0; i < n; i++) dt[i] = rd_kafka_DeleteTopic_new(argv[optind + i]);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_DeleteTopics(rk, dt, (size_t)n, NULL, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 30000);
    int rc = !ev || rd_kafka_event_error(ev);
    if (rc) fprintf(stderr, "rmtopics: %s\n", ev ? rd_kafka_event_error_string(ev) : "timeout");
    if (ev) rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    rd_kafka_DeleteTopic_destroy_array(dt, (size_t)n);
    free(dt);
    rd_kafka_destroy(rk);
    return rc;
}

/* ------------------------------------------------------------ main */

static void usage(FILE *f) {
    fputs("Usage: nm_bench gen|load|mktopics|ceiling|watch|latency|rusage|rmtopics|matcher [options]\n"
          "  gen      -n N [-s SEED] [-f FIRST]                     corpus (JSON Lines) on stdout\n"
          "  load     -b BOOTSTRAP -t TOPIC -n N [-s SEED]          produce the corpus into TOPIC\n"
          "  mktopics -b BOOTSTRAP [-p PARTS] TOPIC...              create topics\n"
          "  ceiling  -c CONF -o OUT [-g GROUP] [-n N]              zero-work consume->produce loop\n"
          "  watch    -b BOOTSTRAP -t TOPIC -n N [-T S] [-I S] [-P PREFIX]  read TOPIC until N\n"
          "  latency  -b BOOTSTRAP -i IN -o OUT -r RATE -d SECS [-w WARMUP_S] [-L LINGER_MS] [-P PREFIX] [-O DUMP]\n"
          "  rusage   [-o OUT] [-i IN] [-P PREFIX] -- CMD ARGS...   CPU time and peak RSS of CMD\n"
          "  rmtopics -b BOOTSTRAP TOPIC...                         delete topics\n"
          "  matcher  -c CONF [-n N] [-s SEED] [-r REPEAT] [-e EVICT_KB]  time the matcher's scan alone\n",
          f);
}

int main(int argc, char **argv) {
    if (argc < 2) { usage(stderr); return 2; }
    const char *cmd = argv[1];
    argc--;
    argv++;
    optind = 1;
    if (!strcmp(cmd, "gen")) return cmd_gen(argc, argv);
    if (!strcmp(cmd, "load")) return cmd_load(argc, argv);
    if (!strcmp(cmd, "mktopics")) return cmd_mktopics(argc, argv);
    if (!strcmp(cmd, "ceiling")) return cmd_ceiling(argc, argv);
    if (!strcmp(cmd, "watch")) return cmd_watch(argc, argv);
    if (!strcmp(cmd, "latency")) return cmd_latency(argc, argv);
    if (!strcmp(cmd, "rusage")) return cmd_rusage(argc, argv);
    if (!strcmp(cmd, "rmtopics")) return cmd_rmtopics(argc, argv);
    if (!strcmp(cmd, "matcher")) return cmd_matcher(argc, argv);
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) { usage(stdout); return 0; }
    usage(stderr);
    return 2;
}
