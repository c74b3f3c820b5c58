/* test_async.c - nm_async: a job runs on another thread, once; done says
 * 0 while it runs and 1 once it has ended, without blocking; wait returns
 * only after it has ended; many jobs in a row; destroy waits for the last. */
#include "nm_test_util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "nm_async.h"

typedef struct {
    atomic_int runs;
    atomic_int release; /* the job spins until it is set */
    atomic_int ended;
    pthread_t caller;
    atomic_int on_caller; /* the job ran on the caller's thread */
} ctx_t;

static void job(void *ud) {
    ctx_t *c = ud;
    if (pthread_equal(pthread_self(), c->caller)) atomic_fetch_add(&c->on_caller, 1);
    while (!atomic_load(&c->release)) {
        struct timespec ts = {0, 100000L};
        nanosleep(&ts, NULL);
    }
    atomic_fetch_add(&c->runs, 1);
    atomic_store(&c->ended, 1);
}

static void test_done_and_wait(void **state) {
    (void)state;
    nm_async_t *a = nm_async_new();
    assert_non_null(a);
    assert_int_equal(nm_async_done(a), 1); /* no job yet */
    static ctx_t c;
    memset(&c, 0, sizeof c);
    c.caller = pthread_self();
    nm_async_start(a, job, &c);
    /* held by release: still running however often it is asked */
    for (int i = 0; i < 20; i++) assert_int_equal(nm_async_done(a), 0);
    atomic_store(&c.release, 1);
    nm_async_wait(a);
    assert_int_equal(atomic_load(&c.ended), 1);
    assert_int_equal(nm_async_done(a), 1);
    assert_int_equal(atomic_load(&c.runs), 1);
    assert_int_equal(atomic_load(&c.on_caller), 0);
    nm_async_destroy(a);
}

static void test_many_jobs_in_a_row(void **state) {
    (void)state;
    nm_async_t *a = nm_async_new();
    assert_non_null(a);
    static ctx_t c;
    memset(&c, 0, sizeof c);
    c.caller = pthread_self();
    atomic_store(&c.release, 1);
    for (int i = 0; i < 500; i++) {
        nm_async_start(a, job, &c);
        if (i % 2) { /* poll to the end, or wait */
            while (!nm_async_done(a)) {
            }
        } else {
            nm_async_wait(a);
        }
        assert_int_equal(atomic_load(&c.runs), i + 1);
    }
    nm_async_start(a, job, &c);
    nm_async_destroy(a); /* waits for the last job */
    assert_int_equal(atomic_load(&c.runs), 501);
    nm_async_destroy(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_done_and_wait),
        cmocka_unit_test(test_many_jobs_in_a_row),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
