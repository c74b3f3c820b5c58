/* nm_async.c - one job at a time on one thread (nm_async.h). */
#include "nm_async.h"

#include <pthread.h>
#include <stdlib.h>

struct nm_async_s {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t go, end;
    nm_async_fn fn; /* the job to run or running; NULL: none */
    void *ctx;
    void (*on_done)(void *ud);
    void *on_done_ud;
    int quit;
};

static void *nm_async_main(void *arg) {
    nm_async_t *a = arg;
    pthread_mutex_lock(&a->mu);
    for (;;) {
        while (!a->quit && !a->fn) pthread_cond_wait(&a->go, &a->mu);
        if (!a->fn) break; /* quit, and no job left */
        nm_async_fn fn = a->fn;
        void *ctx = a->ctx;
        pthread_mutex_unlock(&a->mu);
        fn(ctx);
        pthread_mutex_lock(&a->mu);
        a->fn = NULL;
        pthread_cond_signal(&a->end);
        if (a->on_done) a->on_done(a->on_done_ud);
    }
    pthread_mutex_unlock(&a->mu);
    return NULL;
}

nm_async_t *nm_async_new(void) {
    nm_async_t *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->go, NULL);
    pthread_cond_init(&a->end, NULL);
    if (pthread_create(&a->th, NULL, nm_async_main, a)) {
        pthread_cond_destroy(&a->go);
        pthread_cond_destroy(&a->end);
        pthread_mutex_destroy(&a->mu);
        free(a);
        return NULL;
    }
    return a;
}

void nm_async_on_done(nm_async_t *a, void (*fn)(void *ud), void *ud) {
    pthread_mutex_lock(&a->mu);
    a->on_done = fn;
    a->on_done_ud = ud;
    pthread_mutex_unlock(&a->mu);
}

void nm_async_start(nm_async_t *a, nm_async_fn fn, void *ctx) {
    pthread_mutex_lock(&a->mu);
    a->fn = fn;
    a->ctx = ctx;
    pthread_cond_signal(&a->go);
    pthread_mutex_unlock(&a->mu);
}

int nm_async_done(nm_async_t *a) {
    pthread_mutex_lock(&a->mu);
    int done = a->fn == NULL;
    pthread_mutex_unlock(&a->mu);
    return done;
}

void nm_async_wait(nm_async_t *a) {
    pthread_mutex_lock(&a->mu);
    while (a->fn) pthread_cond_wait(&a->end, &a->mu);
    pthread_mutex_unlock(&a->mu);
}

void nm_async_destroy(nm_async_t *a) {
    if (!a) return;
    pthread_mutex_lock(&a->mu);
    a->quit = 1;
    pthread_cond_signal(&a->go);
    pthread_mutex_unlock(&a->mu);
    pthread_join(a->th, NULL);
    pthread_cond_destroy(&a->go);
    pthread_cond_destroy(&a->end);
    pthread_mutex_destroy(&a->mu);
    free(a);
}
