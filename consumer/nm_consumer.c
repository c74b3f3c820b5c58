/* nm_consumer.c - consumer group member, poll loop helpers. */
#include "nm_consumer.h"

#include <stdlib.h>
#include <string.h>

#include "nm_fetchwake.h"

struct nm_consumer_s {
    rd_kafka_t *rk;
    nm_fetchwake_t *wake; /* NULL when it could not start: slower, not wrong */
    rd_kafka_queue_t *polled; /* the queue nm_consumer_poll waits on (nm_consumer_wake) */
    nm_consumer_revoke_cb on_revoke;
    nm_consumer_stats_cb on_stats;
    void *ud;
    int assigned;
};

static void nm_consumer_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
    (void)rk;
    (void)opaque;
    NM_LOG(NM_LOG_WARN, "consumer", "%s: %s", rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

/* Commit the stored offsets and wait for the answer at most timeout_ms: a
 * coordinator that does not answer (a hung broker, a partition) must not
 * hold a rebalance or the exit. */
static rd_kafka_resp_err_t nm_commit_bounded(rd_kafka_t *rk, int timeout_ms) {
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_resp_err_t err = rd_kafka_commit_queue(rk, NULL, q, NULL, NULL);
    if (!err) {
        rd_kafka_event_t *ev = rd_kafka_queue_poll(q, timeout_ms);
        err = ev ? rd_kafka_event_error(ev) : RD_KAFKA_RESP_ERR__TIMED_OUT;
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_queue_destroy(q);
    return err;
}

static void nm_rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                            rd_kafka_topic_partition_list_t *parts, void *opaque) {
    nm_consumer_t *c = opaque;
    int cooperative = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        NM_LOG(NM_LOG_INFO, "consumer", "assigned %d partition(s)", parts->cnt);
        if (cooperative) rd_kafka_error_destroy(rd_kafka_incremental_assign(rk, parts));
        else rd_kafka_assign(rk, parts);
        c->assigned = cooperative ? c->assigned + parts->cnt : parts->cnt;
        return;
    }
    NM_LOG(NM_LOG_INFO, "consumer", "revoking %d partition(s): finishing in-flight work",
           parts->cnt);
    if (c->on_revoke) c->on_revoke(c->ud);
    rd_kafka_resp_err_t cerr = nm_commit_bounded(rk, NM_CONSUMER_COMMIT_WAIT_MS);
    if (cerr && cerr != RD_KAFKA_RESP_ERR__NO_OFFSET)
        NM_LOG(NM_LOG_WARN, "consumer", "commit before revoke: %s", rd_kafka_err2str(cerr));
    if (cooperative) {
        rd_kafka_error_destroy(rd_kafka_incremental_unassign(rk, parts));
        c->assigned -= parts->cnt;
    } else {
        rd_kafka_assign(rk, NULL);
        c->assigned = 0;
    }
}

static int nm_stats_cb(rd_kafka_t *rk, char *json, size_t len, void *opaque) {
    (void)rk;
    nm_consumer_t *c = opaque;
    if (c->on_stats) c->on_stats(c->ud, json, len);
    return 0; /* librdkafka frees json */
}

nm_consumer_t *nm_consumer_new(const nm_config_t *cfg, const nm_kvlist_t *extra,
                               nm_consumer_revoke_cb on_revoke, nm_consumer_stats_cb on_stats,
                               void *ud, char *errstr, size_t errstr_size) {
    nm_consumer_t *c = calloc(1, sizeof *c);
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char e[512];
    if (!c || !conf) {
        nm_seterr(errstr, errstr_size, NM_ERR_NOMEM, "out of memory");
        goto err;
    }
    c->on_revoke = on_revoke;
    c->on_stats = on_stats;
    c->ud = ud;
    /* lag metrics come from statistics; a user value below wins */
    if (on_stats && rd_kafka_conf_set(conf, "statistics.interval.ms", "5000", e, sizeof e)) {
        nm_seterr(errstr, errstr_size, NM_ERR_CONFIG, "Kafka consumer: %s", e);
        goto err;
    }
    if (nm_kafka_conf_apply(conf, &cfg->kafka, errstr, errstr_size) ||
        nm_kafka_conf_apply(conf, &cfg->kafka_consumer, errstr, errstr_size) ||
        (extra && nm_kafka_conf_apply(conf, extra, errstr, errstr_size)))
        goto err;
    /* at-least-once: only completed articles' offsets are stored */
    if (rd_kafka_conf_set(conf, "enable.auto.offset.store", "false", e, sizeof e) ||
        rd_kafka_conf_set(conf, "enable.partition.eof", "false", e, sizeof e)) {
        nm_seterr(errstr, errstr_size, NM_ERR_CONFIG, "Kafka consumer: %s", e);
        goto err;
    }
    rd_kafka_conf_set_log_cb(conf, nm_kafka_log_cb);
    rd_kafka_conf_set_error_cb(conf, nm_consumer_error_cb);
    rd_kafka_conf_set_rebalance_cb(conf, nm_rebalance_cb);
    if (on_stats) rd_kafka_conf_set_stats_cb(conf, nm_stats_cb);
    rd_kafka_conf_set_opaque(conf, c);
    long limit_kb = nm_fetchwake_limit_kbytes(conf);
    c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, e, sizeof e);
    if (!c->rk) {
        nm_seterr(errstr, errstr_size, NM_ERR_KAFKA, "Kafka consumer: %s", e);
        goto err;
    }
    conf = NULL; /* owned by rk now */
    rd_kafka_poll_set_consumer(c->rk);
    c->polled = rd_kafka_queue_get_consumer(c->rk); /* NULL without group.id: subscribe fails */
    c->wake = nm_fetchwake_start(c->rk, limit_kb);
    if (!c->wake) NM_LOG(NM_LOG_WARN, "consumer", "no fetch waker (out of memory or threads)");
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, cfg->input_topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t err = rd_kafka_subscribe(c->rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (err) {
        nm_seterr(errstr, errstr_size, NM_ERR_KAFKA, "subscribe to %s: %s", cfg->input_topic,
                  rd_kafka_err2str(err));
        goto err;
    }
    return c;
err:
    if (conf) rd_kafka_conf_destroy(conf);
    if (c) nm_fetchwake_stop(c->wake);
    if (c && c->polled) rd_kafka_queue_destroy(c->polled);
    if (c && c->rk) rd_kafka_destroy(c->rk);
    free(c);
    return NULL;
}

rd_kafka_message_t *nm_consumer_poll(nm_consumer_t *c, int timeout_ms) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(c->rk, timeout_ms);
    if (m && m->err) {
        /* consumer errors are informational: librdkafka recovers by itself */
        if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
            NM_LOG(NM_LOG_WARN, "consumer", "%s", rd_kafka_message_errstr(m));
        rd_kafka_message_destroy(m);
        return NULL;
    }
    if (m) nm_fetchwake_taken(c->wake, m->len + m->key_len);
    return m;
}

nm_err_t nm_consumer_store(nm_consumer_t *c, const char *topic, int32_t partition,
                           int64_t offset) {
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, partition)->offset = offset;
    rd_kafka_resp_err_t err = rd_kafka_offsets_store(c->rk, l);
    if (!err && l->elems[0].err) err = l->elems[0].err;
    rd_kafka_topic_partition_list_destroy(l);
    if (err) {
        NM_LOG(NM_LOG_WARN, "consumer", "store offset %s[%d]@%lld: %s", topic, (int)partition,
               (long long)offset, rd_kafka_err2str(err));
        return NM_ERR_KAFKA;
    }
    return NM_OK;
}

nm_err_t nm_consumer_seek(nm_consumer_t *c, const rd_kafka_topic_partition_list_t *offsets) {
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_copy(offsets);
    rd_kafka_error_t *err = rd_kafka_seek_partitions(c->rk, l, 10000);
    nm_err_t rc = NM_OK;
    if (err) {
        NM_LOG(NM_LOG_ERROR, "consumer", "seek: %s", rd_kafka_error_string(err));
        rd_kafka_error_destroy(err);
        rc = NM_ERR_KAFKA;
    }
    for (int i = 0; i < l->cnt && rc == NM_OK; i++)
        if (l->elems[i].err) {
            NM_LOG(NM_LOG_ERROR, "consumer", "seek %s[%d]: %s", l->elems[i].topic,
                   (int)l->elems[i].partition, rd_kafka_err2str(l->elems[i].err));
            rc = NM_ERR_KAFKA;
        }
    rd_kafka_topic_partition_list_destroy(l);
    return rc;
}

void nm_consumer_commit_async(nm_consumer_t *c) {
    rd_kafka_resp_err_t err = rd_kafka_commit(c->rk, NULL, 1);
    if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
        NM_LOG(NM_LOG_WARN, "consumer", "commit: %s", rd_kafka_err2str(err));
}

int nm_consumer_assigned(const nm_consumer_t *c) { return c->assigned; }

unsigned long nm_consumer_fetch_wakeups(const nm_consumer_t *c) {
    return nm_fetchwake_count(c->wake);
}

rd_kafka_t *nm_consumer_handle(nm_consumer_t *c) { return c->rk; }

void nm_consumer_wake(nm_consumer_t *c) {
    if (c->polled) rd_kafka_queue_yield(c->polled);
}

void nm_consumer_destroy(nm_consumer_t *c) {
    if (!c) return;
    nm_fetchwake_stop(c->wake); /* before the handle it borrows */
    if (c->polled) rd_kafka_queue_destroy(c->polled);
    c->polled = NULL;
    rd_kafka_resp_err_t err = nm_commit_bounded(c->rk, NM_CONSUMER_COMMIT_WAIT_MS);
    if (!err || err == RD_KAFKA_RESP_ERR__NO_OFFSET) {
        rd_kafka_consumer_close(c->rk); /* leave the group: it rebalances at once */
        rd_kafka_destroy(c->rk);
    } else {
        /* the coordinator does not answer: closing would wait for it without
         * bound. Exit without leaving; the group reassigns the partitions
         * once the session expires (session.timeout.ms), from the offsets
         * committed before */
        NM_LOG(NM_LOG_WARN, "consumer", "final commit: %s; leaving without closing the group "
               "session", rd_kafka_err2str(err));
        rd_kafka_destroy_flags(c->rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    }
    free(c);
}
