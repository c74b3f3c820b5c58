/* test_pipeline.c - the daemon's batch states against librdkafka's mock
 * cluster (rd_kafka_mock_cluster_new) and a real local Redis
 * ($NM_REDIS_PORT, default 6379): a batch completes (counted, delivered,
 * offsets committed), the next batch is tagged while one waits for its
 * acks, Redis retries, stopping while Redis is down commits
 * nothing, a rebalance drains the batch in flight, a reload finishes the
 * batch with the old rules, an aborted transaction is redone, and a batch
 * stalled on Redis or Kafka is given up after max_stall_s. */
#include "nm_test_util.h"

#include <hiredis/hiredis.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <pthread.h>
#include <time.h>

#include "nm_config.h"
#include "nm_counts.h"
#include "nm_pipeline.h"

#define NPART 2

typedef struct {
    rd_kafka_t *rk; /* owns the mock cluster */
    rd_kafka_mock_cluster_t *mc;
    char bootstraps[256];
    char *dir, *conf_path, run[64];
    nm_config_t *cfg;
    nm_text_t *text;
} nm_env_t;

static long redis_port(void) {
    const char *p = getenv("NM_REDIS_PORT");
    return p ? atol(p) : 6379;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void copy_file(const char *from, const char *dir, const char *name) {
    FILE *f = fopen(from, "rb");
    assert_non_null(f);
    char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    free(nm_write_file(dir, name, buf));
}

/* A mock cluster, its topics, a config naming it (`output_extra` appended
 * to [output], `producer_extra` to [kafka.producer]), the fixture rules
 * copied to a temporary folder. */
static void env_new2(nm_env_t *E, int batch_size, long batch_timeout_ms, const char *output_extra,
                     int redis_timeout_ms, const char *producer_extra) {
    static int seq;
    memset(E, 0, sizeof *E);
    char e[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", e, sizeof e);
    E->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, e, sizeof e);
    assert_non_null(E->rk);
    E->mc = rd_kafka_mock_cluster_new(E->rk, 3);
    assert_non_null(E->mc);
    snprintf(E->bootstraps, sizeof E->bootstraps, "%s", rd_kafka_mock_cluster_bootstraps(E->mc));
    const char *topics[] = {"in", "enr", "dlq", "al.all", "al.arms_transfer", "al.troops",
                            "al.missile"};
    for (size_t i = 0; i < sizeof topics / sizeof *topics; i++)
        assert_int_equal(rd_kafka_mock_topic_create(E->mc, topics[i], NPART, 1), 0);
    snprintf(E->run, sizeof E->run, "utp%d-%d", (int)getpid(), seq++);
    E->dir = nm_tmpdir_new();
    copy_file(NM_FIX("gazetteer.conf"), E->dir, "gazetteer.conf");
    copy_file(NM_FIX("rules.conf"), E->dir, "rules.conf");
    char conf_text[4096];
    snprintf(conf_text, sizeof conf_text,
             "[input]\ntopic = in\nbatch_size = %d\nbatch_timeout_ms = %ld\n"
             "[output]\nenriched_topic = enr\nalert_topic_prefix = al.\ndlq_topic = dlq\n%s\n"
             "[redis]\nport = %ld\nprefix = %s:\ntimeout_ms = %d\nretry_max_ms = 200\n"
             "[rules]\ngazetteer = gazetteer.conf\nrules = rules.conf\n"
             "languages =\n"
             "[http]\nlisten =\n[log]\nlevel = error\n"
             "[kafka]\nbootstrap.servers = %s\n"
             "[kafka.consumer]\ngroup.id = %s\nauto.offset.reset = earliest\n"
             "session.timeout.ms = 6000\nheartbeat.interval.ms = 500\n"
             "[kafka.producer]\nlinger.ms = 1\n%s\n",
             batch_size, batch_timeout_ms, output_extra, redis_port(), E->run, redis_timeout_ms,
             E->bootstraps, E->run, producer_extra);
    E->conf_path = nm_write_file(E->dir, "newsmon.conf", conf_text);
    E->cfg = nm_config_load(E->conf_path, e, sizeof e);
    if (!E->cfg) fail_msg("config: %s", e);
    const char *lvl = getenv("NM_TEST_LOG"); /* e.g. "info" to see the daemon's log */
    nm_log_set_level(lvl ? (nm_log_level_t)nm_log_level_parse(lvl) : NM_LOG_ERROR);
    E->text = nm_text_new();
    assert_non_null(E->text);
}

/* output_extra that turns stories off (a section of its own after [output]) */
#define NM_NO_STORIES "\n[stories]\nenabled = false"

static void env_new(nm_env_t *E, int batch_size, long batch_timeout_ms, const char *output_extra,
                    int redis_timeout_ms) {
    env_new2(E, batch_size, batch_timeout_ms, output_extra, redis_timeout_ms, "");
}

static nm_rules_t *env_rules(nm_env_t *E) {
    char e[512];
    nm_rules_t *r = nm_rules_load(E->text, &(nm_rule_paths_t){E->cfg->gazetteer, E->cfg->rules,
                                                              NULL, NULL},
                                  e, sizeof e);
    if (!r) fail_msg("rules: %s", e);
    return r;
}

static nm_pipeline_t *env_pipeline(nm_env_t *E) {
    char e[512];
    nm_pipeline_t *P = nm_pipeline_new(E->cfg, E->text, env_rules(E), e, sizeof e);
    if (!P) fail_msg("pipeline: %s", e);
    return P;
}

/* Delete this run's Redis keys. */
static void drop_keys(nm_env_t *E) {
    redisContext *rc = redisConnect("127.0.0.1", (int)redis_port());
    assert_non_null(rc);
    redisReply *r = redisCommand(rc, "KEYS {%s}:*", E->run);
    for (size_t i = 0; r && i < r->elements; i++)
        freeReplyObject(redisCommand(rc, "DEL %s", r->element[i]->str));
    if (r) freeReplyObject(r);
    redisFree(rc);
}

static void env_free(nm_env_t *E) {
    drop_keys(E);
    nm_text_destroy(E->text);
    nm_config_destroy(E->cfg);
    rd_kafka_mock_cluster_destroy(E->mc);
    rd_kafka_destroy(E->rk);
    free(E->conf_path);
    nm_tmpdir_rm(E->dir);
}

static rd_kafka_conf_t *client_conf(nm_env_t *E) {
    char e[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", E->bootstraps, e, sizeof e);
    rd_kafka_conf_set(conf, "log_level", "3", e, sizeof e);
    return conf;
}

/* n articles "a<first>".. on topic "in", spread over the partitions. */
static void produce_articles(nm_env_t *E, int first, int n) {
    char e[512];
    rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, client_conf(E), e, sizeof e);
    assert_non_null(p);
    for (int i = first; i < first + n; i++) {
        char id[32], json[256];
        snprintf(id, sizeof id, "a%d", i);
        snprintf(json, sizeof json,
                 "{\"id\":\"%s\",\"title\":\"North Korea sends artillery shells to Russia\","
                 "\"body\":\"Pyongyang shipped munitions to Moscow.\"}", id);
        assert_int_equal(rd_kafka_producev(p, RD_KAFKA_V_TOPIC("in"),
                                           RD_KAFKA_V_PARTITION(i % NPART),
                                           RD_KAFKA_V_KEY(id, strlen(id)),
                                           RD_KAFKA_V_VALUE(json, strlen(json)),
                                           RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
                         0);
    }
    assert_int_equal(rd_kafka_flush(p, 10000), 0);
    rd_kafka_destroy(p);
}

/* Every message of `topic` (all partitions, from the start); each value is
 * passed to `each` (may be NULL). read_committed when `committed`. */
static int read_topic(nm_env_t *E, const char *topic, int committed,
                      void (*each)(const char *v, size_t len, void *ud), void *ud) {
    char e[512];
    rd_kafka_conf_t *conf = client_conf(E);
    rd_kafka_conf_set(conf, "group.id", "reader", e, sizeof e);
    rd_kafka_conf_set(conf, "enable.partition.eof", "true", e, sizeof e);
    rd_kafka_conf_set(conf, "isolation.level", committed ? "read_committed" : "read_uncommitted",
                      e, sizeof e);
    rd_kafka_t *c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, e, sizeof e);
    assert_non_null(c);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(NPART);
    for (int p = 0; p < NPART; p++)
        rd_kafka_topic_partition_list_add(l, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    assert_int_equal(rd_kafka_assign(c, l), 0);
    rd_kafka_topic_partition_list_destroy(l);
    int n = 0, eof = 0;
    double until = now_s() + 10;
    while (eof < NPART && now_s() < until) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 200);
        if (!m) continue;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) eof++;
        else if (!m->err) {
            n++;
            if (each) each(m->payload, m->len, ud);
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(c);
    rd_kafka_destroy(c);
    return n;
}

/* Sum of the group's committed offsets on "in" (-1 when none). */
static long committed_sum(nm_env_t *E) {
    char e[512];
    rd_kafka_conf_t *conf = client_conf(E);
    rd_kafka_conf_set(conf, "group.id", E->run, e, sizeof e);
    rd_kafka_t *c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, e, sizeof e);
    assert_non_null(c);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(NPART);
    for (int p = 0; p < NPART; p++) rd_kafka_topic_partition_list_add(l, "in", p);
    assert_int_equal(rd_kafka_committed(c, l, 10000), 0);
    long sum = -1;
    for (int p = 0; p < NPART; p++)
        if (l->elems[p].offset >= 0) sum = (sum < 0 ? 0 : sum) + (long)l->elems[p].offset;
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_destroy(c);
    return sum;
}

static long long counted(nm_env_t *E) {
    char e[512];
    long long arts = -1, rel;
    nm_counts_t *c = nm_counts_new(E->cfg);
    if (nm_counts_stats(c, &arts, &rel, e, sizeof e)) fail_msg("stats: %s", e);
    nm_counts_destroy(c);
    return arts;
}

/* Step until `want` articles are consumed (fails after 20 s). */
static void step_until_consumed(nm_pipeline_t *P, long long want) {
    nm_pipeline_stats_t st;
    double until = now_s() + 20;
    do {
        assert_int_equal(nm_pipeline_step(P, 50), 0);
        nm_pipeline_stats(P, &st);
    } while (st.consumed < want && now_s() < until);
    if (st.consumed < want) fail_msg("consumed %lld of %lld", st.consumed, want);
}

/* Step (polling `other` too, if not NULL: a second group member) until a
 * batch completes; fails after 30 s. */
static void step_until_batch(nm_pipeline_t *P, rd_kafka_t *other, nm_pipeline_stats_t *st) {
    double until = now_s() + 30;
    do {
        rd_kafka_message_t *m = other ? rd_kafka_consumer_poll(other, 50) : NULL;
        if (m) rd_kafka_message_destroy(m);
        assert_int_equal(nm_pipeline_step(P, 50), 0);
        nm_pipeline_stats(P, st);
    } while (st->batches == 0 && now_s() < until);
    assert_int_equal(st->batches, 1);
}

static void test_batches_complete(void **state) {
    (void)state;
    nm_env_t E;
    env_new(&E, 5, 50, "", 2000);
    produce_articles(&E, 0, 12);
    nm_pipeline_t *P = env_pipeline(&E);
    step_until_consumed(P, 12);
    assert_int_equal(nm_pipeline_drain(P), NM_BATCH_COMPLETE);
    nm_pipeline_stats_t st;
    nm_pipeline_stats(P, &st);
    assert_true(st.batches >= 3); /* batch_size 5 */
    assert_int_equal(st.dead, 0);
    nm_pipeline_destroy(P); /* commits */
    assert_int_equal(read_topic(&E, "enr", 0, NULL, NULL), 12);
    assert_int_equal(committed_sum(&E), 12);
    assert_int_equal(counted(&E), 12);
    env_free(&E);
}

/* Pipelined: while a batch waits for its acks (every broker answers its
 * next Produce requests after 1.5 s), the next batch is consumed and
 * tagged; the batches still complete, are counted and committed in order. */
static void test_next_batch_while_acks_wait(void **state) {
    (void)state;
    nm_env_t E;
    env_new(&E, 5, 60000, "", 2000);
    produce_articles(&E, 0, 9);
    for (int32_t b = 1; b <= 3; b++)
        rd_kafka_mock_broker_push_request_error_rtts(E.mc, b, 0 /* Produce */, 2,
                                                     RD_KAFKA_RESP_ERR_NO_ERROR, 1500,
                                                     RD_KAFKA_RESP_ERR_NO_ERROR, 1500);
    nm_pipeline_t *P = env_pipeline(&E);
    step_until_consumed(P, 9);
    nm_pipeline_stats_t st;
    nm_pipeline_stats(P, &st);
    assert_int_equal(st.batches, 0); /* the first batch (5) still waits */
    assert_int_equal(nm_pipeline_drain(P), NM_BATCH_COMPLETE);
    nm_pipeline_stats(P, &st);
    assert_int_equal(st.batches, 2);
    nm_pipeline_destroy(P);
    assert_int_equal(read_topic(&E, "enr", 0, NULL, NULL), 9);
    assert_int_equal(committed_sum(&E), 9);
    assert_int_equal(counted(&E), 9);
    env_free(&E);
}

/* The article numbers ("a<N>" ids) of partition `part` of `topic`, in the
 * partition's order; returns how many (at most max). */
static int read_partition_ids(nm_env_t *E, const char *topic, int part, int *ids, int max) {
    char e[512];
    rd_kafka_conf_t *conf = client_conf(E);
    rd_kafka_conf_set(conf, "group.id", "reader", e, sizeof e);
    rd_kafka_conf_set(conf, "enable.partition.eof", "true", e, sizeof e);
    rd_kafka_t *c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, e, sizeof e);
    assert_non_null(c);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, part)->offset = RD_KAFKA_OFFSET_BEGINNING;
    assert_int_equal(rd_kafka_assign(c, l), 0);
    rd_kafka_topic_partition_list_destroy(l);
    int n = 0, eof = 0;
    double until = now_s() + 10;
    while (!eof && now_s() < until) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 200);
        if (!m) continue;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) eof = 1;
        else if (!m->err && n < max && m->key_len > 1 && m->key_len < 16) {
            char key[16];
            memcpy(key, m->key, m->key_len);
            key[m->key_len] = '\0';
            ids[n++] = atoi(key + 1);
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(c);
    rd_kafka_destroy(c);
    return n;
}

/* Two tagging threads: every article is produced, counted and committed
 * once, and the events of one input partition keep its order. */
static void test_workers_keep_order(void **state) {
    (void)state;
    nm_env_t E;
    env_new(&E, 7, 50, "", 2000);
    E.cfg->workers = 2;
    produce_articles(&E, 0, 60);
    nm_pipeline_t *P = env_pipeline(&E);
    step_until_consumed(P, 60);
    assert_int_equal(nm_pipeline_drain(P), NM_BATCH_COMPLETE);
    nm_pipeline_destroy(P);
    int total = 0;
    for (int part = 0; part < NPART; part++) {
        int ids[64], n = read_partition_ids(&E, "enr", part, ids, 64), last[NPART] = {-1, -1};
        for (int i = 0; i < n; i++) { /* input partition of article N: N % NPART */
            assert_true(ids[i] > last[ids[i] % NPART]);
            last[ids[i] % NPART] = ids[i];
        }
        total += n;
    }
    assert_int_equal(total, 60);
    assert_int_equal(committed_sum(&E), 60);
    assert_int_equal(counted(&E), 60);
    env_free(&E);
}

/* CLIENT PAUSE WRITE blocks the batch script past the socket timeout:
 * the batch is retried until Redis writes again, and counted once. */
static void test_redis_retry_counts_once(void **state) {
    (void)state;
    nm_env_t E;
    env_new(&E, 100, 60000, "", 150);
    produce_articles(&E, 0, 6);
    nm_pipeline_t *P = env_pipeline(&E);
    step_until_consumed(P, 6);
    redisContext *rc = redisConnect("127.0.0.1", (int)redis_port());
    freeReplyObject(redisCommand(rc, "CLIENT PAUSE 1200 WRITE"));
    double t0 = now_s();
    assert_int_equal(nm_pipeline_drain(P), NM_BATCH_COMPLETE);
    nm_pipeline_stats_t st;
    nm_pipeline_stats(P, &st);
    assert_true(st.redis_retries > 0);
    assert_true(now_s() - t0 >= 1.0);
    nm_pipeline_destroy(P);
    freeReplyObject(redisCommand(rc, "CLIENT UNPAUSE"));
    redisFree(rc);
    assert_int_equal(counted(&E), 6);
    assert_int_equal(committed_sum(&E), 6);
    env_free(&E);
}

static volatile sig_atomic_t g_stop, g_reload;

static void *stop_later(void *ms) {
    long n = (long)(intptr_t)ms;
    struct timespec ts = {n / 1000, n % 1000 * 1000000L};
    nanosleep(&ts, NULL);
    g_stop = 1;
    return NULL;
}

/* Redis unreachable: the batch cannot complete; at stop, nothing of it is
 * committed (its articles will be redone). */
static void test_stop_while_redis_down_commits_nothing(void **state) {
    (void)state;
    nm_env_t E;
    env_new(&E, 100, 50, "", 200);
    E.cfg->redis_port = 1; /* nothing listens there */
    produce_articles(&E, 0, 4);
    nm_pipeline_t *P = env_pipeline(&E);
    step_until_consumed(P, 1);
    g_stop = g_reload = 0;
    pthread_t th;
    pthread_create(&th, NULL, stop_later, (void *)(intptr_t)2000);
    assert_int_equal(nm_pipeline_run(P, &g_stop, &g_reload), -1);
    pthread_join(th, NULL);
    nm_pipeline_stats_t st;
    nm_pipeline_stats(P, &st);
    assert_true(st.redis_retries > 0);
    assert_int_equal(st.batches, 0);
    nm_pipeline_destroy(P);
    assert_int_equal(committed_sum(&E), -1);
    E.cfg->redis_port = redis_port();
    env_free(&E);
}

typedef struct {
    char old[32];
    int n_old, n_new;
} nm_versions_t;

static void count_versions(const char *v, size_t len, void *ud) {
    nm_versions_t *V = ud;
    json_t *j = json_loadb(v, len, 0, NULL);
    assert_non_null(j);
    const char *rv = json_string_value(json_object_get(j, "rules_version"));
    assert_non_null(rv);
    if (!strcmp(rv, V->old)) V->n_old++;
    else V->n_new++;
    json_decref(j);
}

/* Stories on: a live batch closes once the input runs dry (no older batch
 * waits for its story step), not after batch_timeout_ms (60 s here): its
 * outputs wait for that step, so the timer would add to every article's
 * latency. Then a second, later article goes in a batch of its own. */
static void step_until_counted(nm_env_t *E, nm_pipeline_t *P, long long want) {
    double until = now_s() + 20, next = 0;
    long long n = -1;
    while (n < want && now_s() < until) {
        assert_int_equal(nm_pipeline_step(P, 50), 0);
        if (now_s() >= next) n = counted(E), next = now_s() + 0.1;
    }
    if (n < want) fail_msg("counted %lld of %lld within 20 s", n, want);
}

static void test_stories_batch_closes_when_input_runs_dry(void **state) {
    (void)state;
    nm_env_t E;
    env_new(&E, 1000, 60000, "", 2000);
    produce_articles(&E, 0, 3);
    nm_pipeline_t *P = env_pipeline(&E);
    step_until_counted(&E, P, 3); /* not after 60 s */
    produce_articles(&E, 3, 1);
    step_until_counted(&E, P, 4);
    nm_pipeline_stats_t st;
    nm_pipeline_stats(P, &st);
    assert_int_equal(st.consumed, 4);
    assert_true(st.batches >= 2);
    nm_pipeline_destroy(P);
    assert_int_equal(read_topic(&E, "enr", 0, NULL, NULL), 4);
    assert_int_equal(committed_sum(&E), 4);
    assert_int_equal(counted(&E), 4);
    env_free(&E);
}

/* A reload completes the open batch with the old rules, then swaps; a bad
 * rule file leaves the rules as they are. (Stories off: with stories a
 * batch closes as soon as the input runs dry, so none stays open.) */
static void test_reload_finishes_batch_with_old_rules(void **state) {
    (void)state;
    nm_env_t E;
    env_new(&E, 1000, 60000, NM_NO_STORIES, 2000);
    produce_articles(&E, 0, 4);
    nm_pipeline_t *P = env_pipeline(&E);
    nm_versions_t V = {.n_old = 0};
    const char *old = V.old;
    snprintf(V.old, sizeof V.old, "%s", nm_pipeline_rules(P)->version);
    step_until_consumed(P, 4);
    nm_pipeline_stats_t st;
    nm_pipeline_stats(P, &st);
    assert_int_equal(st.batches, 0); /* still open: size 1000, 60 s */

    /* a broken file: rejected, nothing drained */
    char *bad = nm_write_file(E.dir, "rules.conf", "[settings\n");
    assert_int_not_equal(nm_pipeline_reload(P), NM_OK);
    assert_string_equal(nm_pipeline_rules(P)->version, old);
    nm_pipeline_stats(P, &st);
    assert_int_equal(st.batches, 0);
    free(bad);

    /* a real change (a new rules version): alert_threshold 6.0 -> 6.5 */
    FILE *f = fopen(NM_FIX("rules.conf"), "rb");
    char text[1 << 16];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    char *at = strstr(text, "alert_threshold = 6.0");
    assert_non_null(at);
    at[strlen("alert_threshold = 6.")] = '5';
    free(nm_write_file(E.dir, "rules.conf", text));
    assert_int_equal(nm_pipeline_reload(P), NM_OK);
    assert_string_not_equal(nm_pipeline_rules(P)->version, old);
    nm_pipeline_stats(P, &st);
    assert_int_equal(st.batches, 1);
    produce_articles(&E, 4, 2);
    step_until_consumed(P, 6);
    nm_pipeline_destroy(P);
    assert_int_equal(read_topic(&E, "enr", 0, count_versions, &V), 6);
    assert_int_equal(V.n_old, 4); /* the batch open at the reload */
    assert_int_equal(V.n_new, 2);
    env_free(&E);
}

/* A second member joins: before our partitions are revoked, the batch in
 * flight completes (counted, delivered, offsets stored). The commit that
 * follows is not checked here: the mock refuses commits during a rebalance
 * (REBALANCE_IN_PROGRESS) where a real broker accepts them. */
static void test_rebalance_drains_batch(void **state) {
    (void)state;
    nm_env_t E;
    env_new(&E, 1000, 60000, NM_NO_STORIES, 2000); /* an open batch: see the reload test */
    produce_articles(&E, 0, 6);
    nm_pipeline_t *P = env_pipeline(&E);
    step_until_consumed(P, 6);
    nm_pipeline_stats_t st;
    nm_pipeline_stats(P, &st);
    assert_int_equal(st.batches, 0);

    char e[512];
    rd_kafka_conf_t *conf = client_conf(&E);
    rd_kafka_conf_set(conf, "group.id", E.run, e, sizeof e);
    rd_kafka_conf_set(conf, "session.timeout.ms", "6000", e, sizeof e);
    rd_kafka_conf_set(conf, "enable.auto.commit", "false", e, sizeof e);
    rd_kafka_t *other = rd_kafka_new(RD_KAFKA_CONSUMER, conf, e, sizeof e);
    assert_non_null(other);
    rd_kafka_poll_set_consumer(other);
    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(sub, "in", RD_KAFKA_PARTITION_UA);
    assert_int_equal(rd_kafka_subscribe(other, sub), 0);
    rd_kafka_topic_partition_list_destroy(sub);
    step_until_batch(P, other, &st); /* drained: neither full (1000) nor old (60 s) */
    assert_int_equal(counted(&E), 6);
    assert_int_equal(read_topic(&E, "enr", 0, NULL, NULL), 6);
    rd_kafka_consumer_close(other);
    rd_kafka_destroy(other);
    nm_pipeline_destroy(P);
    env_free(&E);
}

/* Exactly-once: the broker refuses the first transaction's commit; the
 * transaction is aborted, the input rewound and the batch redone. */
static void test_txn_abort_redoes_batch(void **state) {
    (void)state;
    nm_env_t E;
    env_new(&E, 1000, 100, "exactly_once = true\ntransactional_id = ut-txn", 2000);
    produce_articles(&E, 0, 4);
    nm_pipeline_t *P = env_pipeline(&E);
    rd_kafka_mock_push_request_errors(E.mc, 26 /* EndTxn */, 1,
                                      RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
    nm_pipeline_stats_t st;
    step_until_batch(P, NULL, &st);
    assert_true(st.redone >= 4);
    assert_int_equal(st.consumed, 4 + st.redone);
    nm_pipeline_destroy(P);
    /* (the mock's TxnOffsetCommit keeps no offsets: the real broker's are
     * checked by tests/integration/test_exactly_once.sh) */
    assert_int_equal(counted(&E), 4); /* redone, counted once */
    env_free(&E);
}

/* Bounded retries: Redis stays down; after max_stall_s the batch is given
 * up, nothing committed, and the daemon is told to exit (step: -1). */
static void test_redis_down_gives_up_after_max_stall(void **state) {
    (void)state;
    nm_env_t E;
    env_new(&E, 100, 50, "", 200);
    E.cfg->redis_port = 1; /* nothing listens there */
    E.cfg->max_stall_s = 1;
    produce_articles(&E, 0, 3);
    nm_pipeline_t *P = env_pipeline(&E);
    double until = now_s() + 20, t0 = 0;
    nm_pipeline_stats_t st = {0};
    int rc = 0;
    while (rc == 0 && now_s() < until) {
        if (!t0 && st.consumed) t0 = now_s();
        rc = nm_pipeline_step(P, 50);
        nm_pipeline_stats(P, &st);
    }
    assert_int_equal(rc, -1); /* fatal: exit 1 */
    assert_true(st.consumed > 0);
    assert_int_equal(st.batches, 0);
    assert_true(now_s() - t0 < 6);
    nm_pipeline_destroy(P);
    assert_int_equal(committed_sum(&E), -1);
    E.cfg->redis_port = redis_port();
    env_free(&E);
}

/* Bounded retries: the enriched topic cannot be produced to (no leader);
 * deliveries time out and are re-sent until max_stall_s, then the batch
 * is given up with nothing committed. */
static void test_kafka_refusing_gives_up_after_max_stall(void **state) {
    (void)state;
    nm_env_t E;
    env_new2(&E, 100, 50, "", 2000, "message.timeout.ms = 500");
    E.cfg->max_stall_s = 2;
    produce_articles(&E, 0, 3);
    rd_kafka_mock_topic_set_error(E.mc, "enr", RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE);
    nm_pipeline_t *P = env_pipeline(&E);
    double until = now_s() + 30;
    nm_pipeline_stats_t st = {0};
    int rc = 0;
    while (rc == 0 && now_s() < until) {
        rc = nm_pipeline_step(P, 50);
        nm_pipeline_stats(P, &st);
    }
    assert_int_equal(rc, -1);
    assert_int_equal(st.batches, 0);
    rd_kafka_mock_topic_set_error(E.mc, "enr", RD_KAFKA_RESP_ERR_NO_ERROR);
    nm_pipeline_destroy(P);
    assert_int_equal(committed_sum(&E), -1);
    env_free(&E);
}

/* Bounded retries: the enriched topic has no leader and the producer's
 * queue holds five messages, so a send waits for room; SIGTERM (the stop
 * flag) ends the wait and the batch is given up within the 10 s allowed for
 * deliveries at shutdown, not after max_stall_s (300 s here). */
static void test_stop_while_queue_full_commits_nothing(void **state) {
    (void)state;
    nm_env_t E;
    env_new2(&E, 100, 50, "", 2000, "queue.buffering.max.messages = 5");
    produce_articles(&E, 0, 20);
    rd_kafka_mock_topic_set_error(E.mc, "enr", RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE);
    nm_pipeline_t *P = env_pipeline(&E);
    g_stop = g_reload = 0;
    pthread_t th;
    pthread_create(&th, NULL, stop_later, (void *)(intptr_t)8000); /* after the group join */
    double t0 = now_s();
    assert_int_equal(nm_pipeline_run(P, &g_stop, &g_reload), -1);
    double took = now_s() - t0;
    pthread_join(th, NULL);
    /* 8 s, then at most 10 s for the deliveries and 5 s to purge them */
    assert_true(took < 8 + 10 + 5 + 5);
    nm_pipeline_stats_t st;
    nm_pipeline_stats(P, &st);
    assert_true(st.consumed > 0);
    assert_int_equal(st.batches, 0);
    rd_kafka_mock_topic_set_error(E.mc, "enr", RD_KAFKA_RESP_ERR_NO_ERROR);
    nm_pipeline_destroy(P);
    assert_int_equal(committed_sum(&E), -1);
    env_free(&E);
}

/* Counts after delivery: the broker refuses enriched events for good
 * (MSG_SIZE_TOO_LARGE on the first Produce request: one partition's);
 * those articles go to the dead-letter topic and are not counted, the
 * others are. */
static void test_refused_event_is_not_counted(void **state) {
    (void)state;
    nm_env_t E;
    env_new(&E, 100, 200, "", 2000);
    produce_articles(&E, 0, 6);
    nm_pipeline_t *P = env_pipeline(&E);
    rd_kafka_mock_push_request_errors(E.mc, 0 /* Produce */, 1,
                                      RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
    nm_pipeline_stats_t st;
    step_until_consumed(P, 6); /* in one batch or more (stories: closed when the input runs dry) */
    assert_int_equal(nm_pipeline_drain(P), NM_BATCH_COMPLETE);
    nm_pipeline_stats(P, &st);
    nm_pipeline_destroy(P);
    assert_int_equal(st.consumed, 6);
    assert_true(st.dead > 0 && st.dead < st.consumed);
    assert_int_equal(counted(&E), st.consumed - st.dead);
    assert_int_equal(read_topic(&E, "dlq", 0, NULL, NULL), st.dead);
    assert_int_equal(read_topic(&E, "enr", 0, NULL, NULL), st.consumed - st.dead);
    env_free(&E);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batches_complete),
        cmocka_unit_test(test_next_batch_while_acks_wait),
        cmocka_unit_test(test_workers_keep_order),
        cmocka_unit_test(test_redis_retry_counts_once),
        cmocka_unit_test(test_stop_while_redis_down_commits_nothing),
        cmocka_unit_test(test_stories_batch_closes_when_input_runs_dry),
        cmocka_unit_test(test_reload_finishes_batch_with_old_rules),
        cmocka_unit_test(test_rebalance_drains_batch),
        cmocka_unit_test(test_txn_abort_redoes_batch),
        cmocka_unit_test(test_redis_down_gives_up_after_max_stall),
        cmocka_unit_test(test_kafka_refusing_gives_up_after_max_stall),
        cmocka_unit_test(test_stop_while_queue_full_commits_nothing),
        cmocka_unit_test(test_refused_event_is_not_counted),
    };
    return cmocka_run_group_tests_name("nm_pipeline", tests, NULL, NULL);
}
