/* test_wake.c - the batch loop's wake-ups (librdkafka's mock cluster):
 * nm_consumer_wake from another thread ends a nm_consumer_poll that would
 * wait 20 s, and a wake-up with nobody waiting ends the next wait on an
 * empty queue; nm_producer_on_report is called on librdkafka's thread when
 * a delivery report arrives, before anybody polls, and no more once off. */
#include "nm_test_util.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "nm_consumer.h"
#include "nm_producer.h"

typedef struct {
    rd_kafka_t *rk;
    rd_kafka_mock_cluster_t *mc;
    char *dir;
    nm_config_t *cfg;
} env_t;

static void env_new(env_t *E) {
    char e[512];
    memset(E, 0, sizeof *E);
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", e, sizeof e);
    E->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, e, sizeof e);
    assert_non_null(E->rk);
    E->mc = rd_kafka_mock_cluster_new(E->rk, 1);
    assert_non_null(E->mc);
    assert_int_equal(rd_kafka_mock_topic_create(E->mc, "in", 1, 1), 0);
    E->dir = nm_tmpdir_new();
    char text[1024];
    snprintf(text, sizeof text,
             "[input]\ntopic = in\n[http]\nlisten =\n[log]\nlevel = error\n"
             "[kafka]\nbootstrap.servers = %s\n"
             "[kafka.consumer]\ngroup.id = test-wake-%d\n[kafka.producer]\nlinger.ms = 0\n",
             rd_kafka_mock_cluster_bootstraps(E->mc), (int)getpid());
    char *path = nm_write_file(E->dir, "newsmon.conf", text);
    E->cfg = nm_config_load(path, e, sizeof e);
    free(path);
    if (!E->cfg) fail_msg("config: %s", e);
    nm_log_set_level(NM_LOG_ERROR);
}

static void env_free(env_t *E) {
    nm_config_destroy(E->cfg);
    rd_kafka_mock_cluster_destroy(E->mc);
    rd_kafka_destroy(E->rk);
    nm_tmpdir_rm(E->dir);
}

static double since_ms(const struct timespec *t0) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - t0->tv_sec) * 1e3 + (t.tv_nsec - t0->tv_nsec) / 1e6;
}

static void *wake_later(void *ud) {
    struct timespec ts = {0, 200 * 1000000L};
    nanosleep(&ts, NULL);
    nm_consumer_wake(ud);
    return NULL;
}

static void test_consumer_wake_ends_a_poll(void **state) {
    (void)state;
    env_t E;
    env_new(&E);
    char e[512];
    nm_consumer_t *c = nm_consumer_new(E.cfg, NULL, NULL, NULL, NULL, e, sizeof e);
    if (!c) fail_msg("consumer: %s", e);
    /* the topic is empty: without the wake-up each poll below waits 20 s */
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, wake_later, c), 0);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_null(nm_consumer_poll(c, 20000));
    double ms = since_ms(&t0);
    pthread_join(t, NULL);
    if (ms < 150 || ms > 5000) fail_msg("the poll returned after %.0f ms, not ~200", ms);
    /* nobody waits: the next wait on the empty queue ends at once */
    nm_consumer_wake(c);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_null(nm_consumer_poll(c, 20000));
    ms = since_ms(&t0);
    if (ms > 5000) fail_msg("a wake-up given before the poll was lost (%.0f ms)", ms);
    nm_consumer_destroy(c);
    env_free(&E);
}

typedef struct {
    atomic_int reports; /* on_report calls */
    atomic_int delivered; /* delivery callbacks (on the polling thread) */
    pthread_t caller;
    atomic_int on_caller;
} rep_t;

static void on_report(void *ud) {
    rep_t *r = ud;
    if (pthread_equal(pthread_self(), r->caller)) atomic_fetch_add(&r->on_caller, 1);
    atomic_fetch_add(&r->reports, 1);
}

static void on_delivery(void *ud, void *opaque, rd_kafka_resp_err_t err) {
    (void)opaque;
    assert_int_equal(err, 0);
    atomic_fetch_add(&((rep_t *)ud)->delivered, 1);
}

static void send_one(nm_producer_t *p) {
    char e[512];
    if (nm_producer_send(p, "in", "k", 1, "v", 1, 0, NULL, 0, NULL, NULL, e, sizeof e))
        fail_msg("send: %s", e);
}

static void test_producer_reports_call_on_report(void **state) {
    (void)state;
    env_t E;
    env_new(&E);
    static rep_t r;
    memset(&r, 0, sizeof r);
    r.caller = pthread_self();
    char e[512];
    nm_producer_t *p = nm_producer_new(E.cfg, NULL, on_delivery, &r, e, sizeof e);
    if (!p) fail_msg("producer: %s", e);
    nm_producer_on_report(p, on_report, &r);
    send_one(p);
    /* nobody polls the producer: the hook alone says the report is there */
    for (int i = 0; i < 1000 && !atomic_load(&r.reports); i++) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    assert_true(atomic_load(&r.reports) >= 1);
    assert_int_equal(atomic_load(&r.on_caller), 0);
    assert_int_equal(atomic_load(&r.delivered), 0); /* not served yet */
    nm_producer_poll(p, 0);
    assert_int_equal(atomic_load(&r.delivered), 1);
    /* off: reports still come through polling, the hook is not called */
    int before = atomic_load(&r.reports);
    nm_producer_on_report(p, NULL, NULL);
    send_one(p);
    assert_int_equal(nm_producer_flush(p, 10000), 0);
    assert_int_equal(atomic_load(&r.delivered), 2);
    assert_int_equal(atomic_load(&r.reports), before);
    nm_producer_on_report(p, on_report, &r); /* destroy turns it off itself */
    nm_producer_destroy(p);
    env_free(&E);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_consumer_wake_ends_a_poll),
        cmocka_unit_test(test_producer_reports_call_on_report),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
