/* test_pool.c - nm_pool: every item of a loop runs once, on a valid worker
 * index, one call at a time per worker, and the loop returns only when all
 * have returned; many loops in a row; a pool of one runs inline. */
#include "nm_test_util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "nm_pool.h"

#define NW 3
#define N 200

typedef struct {
    atomic_int runs[N];
    atomic_int inside[NW]; /* calls of a worker in progress */
    atomic_int overlap;    /* a worker ran two calls at once */
    atomic_int bad_worker;
    pthread_t caller;
    atomic_int caller_items;
} ctx_t;

static void item(void *ud, int worker, size_t i) {
    ctx_t *c = ud;
    if (worker < 0 || worker >= NW) {
        atomic_fetch_add(&c->bad_worker, 1);
        return;
    }
    if (atomic_fetch_add(&c->inside[worker], 1)) atomic_fetch_add(&c->overlap, 1);
    if (worker == 0 && pthread_equal(pthread_self(), c->caller))
        atomic_fetch_add(&c->caller_items, 1);
    struct timespec ts = {0, (long)(i % 7) * 20000L}; /* uneven work */
    nanosleep(&ts, NULL);
    atomic_fetch_add(&c->runs[i], 1);
    atomic_fetch_sub(&c->inside[worker], 1);
}

static void test_every_item_once(void **state) {
    (void)state;
    nm_pool_t *p = nm_pool_new(NW);
    assert_non_null(p);
    static ctx_t c;
    for (int loop = 0; loop < 20; loop++) {
        memset(&c, 0, sizeof c);
        c.caller = pthread_self();
        size_t n = loop % 2 ? N : (size_t)loop + 1; /* small and large loops */
        nm_pool_run(p, n, item, &c);
        for (size_t i = 0; i < N; i++) /* all done when it returns */
            assert_int_equal(atomic_load(&c.runs[i]), i < n ? 1 : 0);
        assert_int_equal(atomic_load(&c.overlap), 0);
        assert_int_equal(atomic_load(&c.bad_worker), 0);
        assert_true(atomic_load(&c.caller_items) > 0); /* the caller works too */
    }
    nm_pool_destroy(p);
}

static void test_pool_of_one_runs_inline(void **state) {
    (void)state;
    nm_pool_t *p = nm_pool_new(1);
    assert_non_null(p);
    static ctx_t c;
    memset(&c, 0, sizeof c);
    c.caller = pthread_self();
    nm_pool_run(p, 10, item, &c);
    assert_int_equal(atomic_load(&c.caller_items), 10);
    nm_pool_run(p, 0, item, &c); /* nothing to do */
    nm_pool_destroy(p);
    nm_pool_destroy(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_item_once),
        cmocka_unit_test(test_pool_of_one_runs_inline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
