/* nm_fetchwake.c - ListOffsets requests that wake the fetchers (why: the
 * header). */
#include "nm_fetchwake.h"

#include <stdlib.h>

#include "nm_async.h"

struct nm_fetchwake_s {
    rd_kafka_t *rk;
    nm_async_t *async;
    size_t every; /* bytes taken between two wake-ups */
    size_t taken; /* since the last one; the polling thread's alone */
    unsigned long sent;
};

/* On the async thread: one ListOffsets request per leader of the assigned
 * partitions; the answer is not used, the request is the point. */
static void nm_fetchwake_job(void *ctx) {
    nm_fetchwake_t *w = ctx;
    rd_kafka_topic_partition_list_t *l = NULL;
    if (rd_kafka_assignment(w->rk, &l) || !l) return;
    if (l->cnt) {
        for (int i = 0; i < l->cnt; i++) l->elems[i].offset = RD_KAFKA_OFFSET_END;
        (void)rd_kafka_offsets_for_times(w->rk, l, NM_FETCHWAKE_TIMEOUT_MS);
    }
    rd_kafka_topic_partition_list_destroy(l);
}

nm_fetchwake_t *nm_fetchwake_start(rd_kafka_t *rk, long limit_kbytes) {
    nm_fetchwake_t *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->rk = rk;
    w->every = (size_t)(limit_kbytes > 0 ? limit_kbytes : 1) * 1024 / NM_FETCHWAKE_PARTS;
    w->async = nm_async_new();
    if (!w->async) {
        free(w);
        return NULL;
    }
    return w;
}

void nm_fetchwake_taken(nm_fetchwake_t *w, size_t bytes) {
    if (!w) return;
    w->taken += bytes;
    if (w->taken < w->every || !nm_async_done(w->async)) return;
    w->taken = 0;
    w->sent++;
    nm_async_start(w->async, nm_fetchwake_job, w);
}

unsigned long nm_fetchwake_count(const nm_fetchwake_t *w) { return w ? w->sent : 0; }

void nm_fetchwake_stop(nm_fetchwake_t *w) {
    if (!w) return;
    nm_async_destroy(w->async);
    free(w);
}

long nm_fetchwake_limit_kbytes(const rd_kafka_conf_t *conf) {
    char v[32];
    size_t n = sizeof v;
    if (rd_kafka_conf_get(conf, "queued.max.messages.kbytes", v, &n) != RD_KAFKA_CONF_OK)
        return 65536; /* librdkafka 2.0's default */
    return atol(v);
}
