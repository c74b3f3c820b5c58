/* nm_pool.c - one parallel loop at a time over a fixed set of threads
 * (nm_pool.h). Everything the helpers share is under one mutex: a lock per
 * item costs nothing next to tagging an article. */
#include "nm_pool.h"

#include <pthread.h>
#include <stdlib.h>

typedef struct {
    nm_pool_t *pool;
    int worker;
    pthread_t th;
} nm_pool_helper_t;

struct nm_pool_s {
    int n;
    nm_pool_helper_t *helpers; /* n - 1 */
    int started;               /* helpers running */
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    int quit;
    nm_pool_fn fn;
    void *ctx;
    size_t count, next, finished; /* the loop in progress (count 0: none) */
};

/* Take the next item of the loop in progress and run it; called and
 * returns with the mutex held. */
static void nm_pool_one(nm_pool_t *p, int worker) {
    size_t i = p->next++;
    nm_pool_fn fn = p->fn;
    void *ctx = p->ctx;
    pthread_mutex_unlock(&p->mu);
    fn(ctx, worker, i);
    pthread_mutex_lock(&p->mu);
    if (++p->finished == p->count) pthread_cond_signal(&p->done);
}

static void *nm_pool_main(void *arg) {
    nm_pool_helper_t *h = arg;
    nm_pool_t *p = h->pool;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->quit && p->next >= p->count) pthread_cond_wait(&p->go, &p->mu);
        if (p->quit) break;
        nm_pool_one(p, h->worker);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

nm_pool_t *nm_pool_new(int nthreads) {
    nm_pool_t *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->n = nthreads < 1 ? 1 : nthreads;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->go, NULL);
    pthread_cond_init(&p->done, NULL);
    if (p->n > 1 && !(p->helpers = calloc((size_t)p->n - 1, sizeof *p->helpers))) {
        nm_pool_destroy(p);
        return NULL;
    }
    for (int w = 1; w < p->n; w++) {
        nm_pool_helper_t *h = &p->helpers[w - 1];
        h->pool = p;
        h->worker = w;
        if (pthread_create(&h->th, NULL, nm_pool_main, h)) {
            nm_pool_destroy(p);
            return NULL;
        }
        p->started++;
    }
    return p;
}

void nm_pool_run(nm_pool_t *p, size_t n, nm_pool_fn fn, void *ctx) {
    if (p->n == 1 || n < 2) {
        for (size_t i = 0; i < n; i++) fn(ctx, 0, i);
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->ctx = ctx;
    p->count = n;
    p->next = p->finished = 0;
    pthread_cond_broadcast(&p->go);
    while (p->next < p->count) nm_pool_one(p, 0);
    while (p->finished < p->count) pthread_cond_wait(&p->done, &p->mu);
    p->count = p->next = 0; /* no loop: the helpers sleep */
    pthread_mutex_unlock(&p->mu);
}

void nm_pool_destroy(nm_pool_t *p) {
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->quit = 1;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->started; i++) pthread_join(p->helpers[i].th, NULL);
    free(p->helpers);
    pthread_cond_destroy(&p->go);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->mu);
    free(p);
}
