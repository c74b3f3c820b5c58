/* test_fetchwake.c - nm_fetchwake: the queue limit is read from the
 * consumer's configuration; a wake-up goes out each time a quarter of the
 * limit has been taken, not before, and not while one is in flight; and a
 * consumer with a queue far smaller than its backlog (librdkafka's mock
 * cluster) reads every message exactly once with the waker sending its
 * requests beside the fetches. How much faster that is, is measured by
 * bench/run.sh (the zero-work loop uses the waker too), not here. */
#include "nm_test_util.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <time.h>

#include "nm_fetchwake.h"

static void kset(rd_kafka_conf_t *c, const char *k, const char *v) {
    char e[256];
    assert_int_equal(rd_kafka_conf_set(c, k, v, e, sizeof e), RD_KAFKA_CONF_OK);
}

static void test_limit_from_the_configuration(void **state) {
    (void)state;
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    assert_int_equal(nm_fetchwake_limit_kbytes(c), 65536); /* librdkafka 2.0's default */
    kset(c, "queued.max.messages.kbytes", "12288");
    assert_int_equal(nm_fetchwake_limit_kbytes(c), 12288);
    rd_kafka_conf_destroy(c);
}

/* A consumer that is not subscribed: its job finds no assignment and ends
 * at once, without a request. */
static rd_kafka_t *idle_consumer(void) {
    char e[256];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    kset(c, "group.id", "test-fetchwake");
    kset(c, "bootstrap.servers", "127.0.0.1:1"); /* nothing listens there */
    kset(c, "log_level", "0");
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, e, sizeof e);
    assert_non_null(rk);
    return rk;
}

static void test_a_wakeup_per_quarter_taken(void **state) {
    (void)state;
    rd_kafka_t *rk = idle_consumer();
    nm_fetchwake_t *w = nm_fetchwake_start(rk, 4); /* a quarter: 1,024 bytes */
    assert_non_null(w);
    nm_fetchwake_taken(w, 1000);
    assert_int_equal(nm_fetchwake_count(w), 0);
    nm_fetchwake_taken(w, 23);
    assert_int_equal(nm_fetchwake_count(w), 0);
    nm_fetchwake_taken(w, 1);
    assert_int_equal(nm_fetchwake_count(w), 1);
    nm_fetchwake_taken(w, 10); /* the count restarted at the wake-up */
    assert_int_equal(nm_fetchwake_count(w), 1);
    nm_fetchwake_stop(w);
    nm_fetchwake_taken(NULL, 4096); /* NULL-safe, as stop is */
    assert_int_equal(nm_fetchwake_count(NULL), 0);
    nm_fetchwake_stop(NULL);
    rd_kafka_destroy(rk);
}

#define NPART 3
#define NMSG 300
#define MSG_BYTES 4096

static void test_small_queue_reads_every_message_once(void **state) {
    (void)state;
    char e[512];
    rd_kafka_conf_t *pc = rd_kafka_conf_new();
    kset(pc, "log_level", "3");
    rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, pc, e, sizeof e);
    assert_non_null(p);
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(p, 1);
    assert_non_null(mc);
    assert_int_equal(rd_kafka_mock_topic_create(mc, "in", NPART, 1), 0);
    const char *bs = rd_kafka_mock_cluster_bootstraps(mc);

    /* the backlog: message i says i, in partition i % NPART */
    rd_kafka_conf_t *wc = rd_kafka_conf_new();
    kset(wc, "bootstrap.servers", bs);
    kset(wc, "linger.ms", "5");
    rd_kafka_t *wp = rd_kafka_new(RD_KAFKA_PRODUCER, wc, e, sizeof e);
    assert_non_null(wp);
    static char body[MSG_BYTES];
    for (int i = 0; i < NMSG; i++) {
        memset(body, 'a' + i % 26, sizeof body);
        int n = snprintf(body, sizeof body, "%d", i);
        body[n] = ' ';
        assert_int_equal(rd_kafka_producev(wp, RD_KAFKA_V_TOPIC("in"),
                                           RD_KAFKA_V_PARTITION(i % NPART),
                                           RD_KAFKA_V_VALUE(body, sizeof body),
                                           RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                           RD_KAFKA_V_END),
                         0);
    }
    assert_int_equal(rd_kafka_flush(wp, 30000), 0);
    rd_kafka_destroy(wp);

    /* a queue of 64 KB: sixteen messages, a twentieth of the backlog */
    rd_kafka_conf_t *cc = rd_kafka_conf_new();
    kset(cc, "bootstrap.servers", bs);
    kset(cc, "group.id", "test-fetchwake-small");
    kset(cc, "auto.offset.reset", "earliest");
    kset(cc, "queued.max.messages.kbytes", "64");
    kset(cc, "fetch.message.max.bytes", "8192");
    long limit = nm_fetchwake_limit_kbytes(cc);
    assert_int_equal(limit, 64);
    rd_kafka_t *k = rd_kafka_new(RD_KAFKA_CONSUMER, cc, e, sizeof e);
    assert_non_null(k);
    rd_kafka_poll_set_consumer(k);
    nm_fetchwake_t *w = nm_fetchwake_start(k, limit);
    assert_non_null(w);
    rd_kafka_topic_partition_list_t *tl = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(tl, "in", RD_KAFKA_PARTITION_UA);
    assert_int_equal(rd_kafka_subscribe(k, tl), 0);
    rd_kafka_topic_partition_list_destroy(tl);

    static int seen[NMSG];
    memset(seen, 0, sizeof seen);
    int64_t next[NPART] = {0};
    int got = 0;
    time_t give_up = time(NULL) + 120; /* a bound on a hang, not a speed check */
    while (got < NMSG && time(NULL) < give_up) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(k, 200);
        if (!m) continue;
        if (!m->err) {
            nm_fetchwake_taken(w, m->len + m->key_len);
            assert_int_equal(m->len, MSG_BYTES);
            int i = atoi(m->payload);
            assert_true(i >= 0 && i < NMSG);
            assert_int_equal(m->partition, i % NPART);
            assert_int_equal(m->offset, next[m->partition]); /* in order, none skipped */
            next[m->partition]++;
            seen[i]++;
            got++;
        }
        rd_kafka_message_destroy(m);
    }
    assert_int_equal(got, NMSG);
    for (int i = 0; i < NMSG; i++) assert_int_equal(seen[i], 1);
    /* one request per 16 KB taken at most (fewer when one was in flight) */
    unsigned long sent = nm_fetchwake_count(w);
    assert_true(sent >= 1);
    assert_true(sent <= (unsigned long)NMSG * MSG_BYTES / (64 * 1024 / NM_FETCHWAKE_PARTS));
    nm_fetchwake_stop(w);
    rd_kafka_consumer_close(k);
    rd_kafka_destroy(k);
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limit_from_the_configuration),
        cmocka_unit_test(test_a_wakeup_per_quarter_taken),
        cmocka_unit_test(test_small_queue_reads_every_message_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
