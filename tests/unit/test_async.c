/* test_async.c - nm_async: a job runs on another thread, once; done says
 * 0 while it runs and 1 once it has ended, without blocking; wait returns
 * only after it has ended; many jobs in a row; destroy waits for the last;
 * the on_done hook runs once per job, on the thread, when done says 1,
 * and never once turned off. */
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

typedef struct {
    nm_async_t *a;
    atomic_int calls, done_seen, on_caller;
    pthread_t caller;
} hook_t;

static void on_done(void *ud) {
    hook_t *h = ud;
    if (pthread_equal(pthread_self(), h->caller)) atomic_fetch_add(&h->on_caller, 1);
    atomic_fetch_add(&h->calls, 1);
}

/* reads nm_async_done from a third thread: it must wait out the hook and
 * then say 1 (the hook runs after the job counts as done) */
static void *ask_done(void *ud) {
    hook_t *h = ud;
    atomic_store(&h->done_seen, nm_async_done(h->a));
    return NULL;
}

static void test_on_done_once_per_job(void **state) {
    (void)state;
    static ctx_t c;
    static hook_t h;
    memset(&c, 0, sizeof c);
    memset(&h, 0, sizeof h);
    c.caller = h.caller = pthread_self();
    h.a = nm_async_new();
    assert_non_null(h.a);
    nm_async_on_done(h.a, on_done, &h);
    atomic_store(&c.release, 1);
    for (int i = 0; i < 50; i++) {
        nm_async_start(h.a, job, &c);
        nm_async_wait(h.a);
        /* wait returned once the job ended; the hook runs right after, under the lock */
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, ask_done, &h), 0);
        pthread_join(t, NULL);
        assert_int_equal(atomic_load(&h.done_seen), 1);
        assert_int_equal(atomic_load(&h.calls), i + 1);
    }
    assert_int_equal(atomic_load(&h.on_caller), 0);
    nm_async_on_done(h.a, NULL, NULL);
    nm_async_start(h.a, job, &c);
    nm_async_wait(h.a);
    nm_async_destroy(h.a);
    assert_int_equal(atomic_load(&h.calls), 50); /* off: not called for the last job */
    assert_int_equal(atomic_load(&c.runs), 51);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_done_and_wait),
        cmocka_unit_test(test_many_jobs_in_a_row),
        cmocka_unit_test(test_on_done_once_per_job),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
