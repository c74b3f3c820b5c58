/* nm_producer.c - idempotent producer wrapper. */
#include "nm_producer.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nm_kafka.h"
#include "nm_limits.h"

struct nm_producer_s {
    rd_kafka_t *rk;
    nm_producer_dr_cb cb;
    void *ud;
    long max_stall_s; /* longest wait for room in a full local queue (0: none) */
    volatile sig_atomic_t *stop; /* the daemon's stop flag, or NULL */
    rd_kafka_queue_t *reports;   /* the delivery reports' queue, while on_report is set */
    void (*on_report)(void *ud);
    void *on_report_ud;
};

#define NM_STOPPING(p) ((p)->stop && *(p)->stop)

static void nm_producer_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk;
    nm_producer_t *p = opaque;
    if (m->err)
        NM_LOG(NM_LOG_WARN, "producer", "delivery to %s failed: %s", rd_kafka_topic_name(m->rkt),
               rd_kafka_err2str(m->err));
    if (p->cb) p->cb(p->ud, m->_private, m->err);
}

static void nm_producer_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
    (void)rk;
    (void)opaque;
    NM_LOG(NM_LOG_WARN, "producer", "%s: %s", rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

nm_producer_t *nm_producer_new(const nm_config_t *cfg, const nm_kvlist_t *extra,
                               nm_producer_dr_cb cb, void *ud, char *errstr,
                               size_t errstr_size) {
    nm_producer_t *p = calloc(1, sizeof *p);
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char e[512];
    if (!p || !conf) {
        nm_seterr(errstr, errstr_size, NM_ERR_NOMEM, "out of memory");
        goto err;
    }
    p->cb = cb;
    p->ud = ud;
    p->max_stall_s = cfg->max_stall_s;
    /* newsmon's defaults first so that explicit user settings still win:
     * idempotence, lz4, and no linger, because each batch waits for its
     * acks and a backlog's outputs are held and sent together anyway (a
     * linger only delays them: [kafka.producer] in config/newsmon.conf,
     * bench/RESULTS.md) */
    static const char *const defaults[][2] = {
        {"enable.idempotence", "true"}, {"compression.type", "lz4"}, {"linger.ms", "0"}};
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
        if (rd_kafka_conf_set(conf, defaults[i][0], defaults[i][1], e, sizeof e)) {
            nm_seterr(errstr, errstr_size, NM_ERR_CONFIG, "Kafka producer: %s", e);
            goto err;
        }
    if (nm_kafka_conf_apply(conf, &cfg->kafka, errstr, errstr_size) ||
        nm_kafka_conf_apply(conf, &cfg->kafka_producer, errstr, errstr_size) ||
        (extra && nm_kafka_conf_apply(conf, extra, errstr, errstr_size)))
        goto err;
    rd_kafka_conf_set_log_cb(conf, nm_kafka_log_cb);
    rd_kafka_conf_set_error_cb(conf, nm_producer_error_cb);
    rd_kafka_conf_set_dr_msg_cb(conf, nm_producer_dr);
    rd_kafka_conf_set_opaque(conf, p);
    p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, e, sizeof e);
    if (!p->rk) {
        nm_seterr(errstr, errstr_size, NM_ERR_KAFKA, "Kafka producer: %s", e);
        goto err;
    }
    return p;
err:
    if (conf && !(p && p->rk)) rd_kafka_conf_destroy(conf);
    free(p);
    return NULL;
}

nm_err_t nm_producer_send(nm_producer_t *p, const char *topic, const void *key,
                          size_t key_len, const void *value, size_t value_len, int borrow,
                          const nm_kv_t *headers, size_t nheaders, void *opaque,
                          rd_kafka_resp_err_t *kerr, char *errstr, size_t errstr_size) {
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        /* producev takes the headers on success only */
        rd_kafka_headers_t *hdrs = nheaders ? rd_kafka_headers_new(nheaders) : NULL;
        for (size_t i = 0; i < nheaders; i++)
            rd_kafka_header_add(hdrs, headers[i].key, -1, headers[i].value, -1);
        rd_kafka_resp_err_t err = rd_kafka_producev(
            p->rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_MSGFLAGS(borrow ? 0 : RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_KEY(key, key_len), RD_KAFKA_V_VALUE((void *)value, value_len),
            RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
        if (!err) return NM_OK;
        if (hdrs) rd_kafka_headers_destroy(hdrs);
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL && p->max_stall_s &&
            now.tv_sec - t0.tv_sec >= p->max_stall_s)
            err = RD_KAFKA_RESP_ERR__TIMED_OUT; /* full for max_stall_s: report it */
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || NM_STOPPING(p)) {
            if (kerr) *kerr = err;
            return nm_seterr(errstr, errstr_size, NM_ERR_KAFKA, "produce to %s: %s", topic,
                             rd_kafka_err2str(err));
        }
        /* the local queue is full: serve delivery reports to make room */
        rd_kafka_poll(p->rk, 100);
    }
}

void nm_producer_set_stop(nm_producer_t *p, volatile sig_atomic_t *stop) { p->stop = stop; }

void nm_producer_poll(nm_producer_t *p, int timeout_ms) { rd_kafka_poll(p->rk, timeout_ms); }

static void nm_producer_report_event(rd_kafka_t *rk, void *opaque) {
    (void)rk;
    nm_producer_t *p = opaque;
    p->on_report(p->on_report_ud);
}

void nm_producer_on_report(nm_producer_t *p, void (*fn)(void *ud), void *ud) {
    if (p->reports) { /* off first: librdkafka calls the old one under the queue's lock */
        rd_kafka_queue_cb_event_enable(p->reports, NULL, NULL);
        rd_kafka_queue_destroy(p->reports);
        p->reports = NULL;
    }
    p->on_report = fn;
    p->on_report_ud = ud;
    if (!fn) return;
    p->reports = rd_kafka_queue_get_main(p->rk);
    rd_kafka_queue_cb_event_enable(p->reports, nm_producer_report_event, p);
}

int nm_producer_flush(nm_producer_t *p, int timeout_ms) {
    rd_kafka_flush(p->rk, timeout_ms);
    return rd_kafka_outq_len(p->rk);
}

rd_kafka_t *nm_producer_handle(nm_producer_t *p) { return p->rk; }

void nm_producer_destroy(nm_producer_t *p) {
    if (!p) return;
    int left = nm_producer_flush(p, 10000);
    if (left) NM_LOG(NM_LOG_WARN, "producer", "%d message(s) not delivered at shutdown", left);
    nm_producer_on_report(p, NULL, NULL);
    rd_kafka_destroy(p->rk);
    free(p);
}

static nm_err_t nm_txn_error(rd_kafka_error_t *err, const char *what, char *errstr,
                             size_t errstr_size) {
    if (!err) return NM_OK;
    nm_seterr(errstr, errstr_size, NM_ERR_KAFKA, "%s: %s", what, rd_kafka_error_string(err));
    rd_kafka_error_destroy(err);
    return NM_ERR_KAFKA;
}

nm_err_t nm_producer_txn_init(nm_producer_t *p, char *errstr, size_t errstr_size) {
    return nm_txn_error(rd_kafka_init_transactions(p->rk, 60000), "init_transactions", errstr,
                        errstr_size);
}

nm_err_t nm_producer_txn_begin(nm_producer_t *p, char *errstr, size_t errstr_size) {
    return nm_txn_error(rd_kafka_begin_transaction(p->rk), "begin_transaction", errstr,
                        errstr_size);
}

nm_txn_result_t nm_producer_txn_abort(nm_producer_t *p, char *errstr, size_t errstr_size) {
    rd_kafka_error_t *err;
    for (int attempt = 1; (err = rd_kafka_abort_transaction(p->rk, 60000)); attempt++) {
        int retriable = rd_kafka_error_is_retriable(err);
        nm_txn_error(err, "abort_transaction", errstr, errstr_size);
        if (!retriable || attempt == NM_TXN_ATTEMPTS || NM_STOPPING(p)) return NM_TXN_FATAL;
    }
    return NM_TXN_ABORTED;
}

nm_txn_result_t nm_producer_txn_commit(nm_producer_t *p, rd_kafka_t *consumer,
                                       const rd_kafka_topic_partition_list_t *offsets,
                                       char *errstr, size_t errstr_size) {
    rd_kafka_consumer_group_metadata_t *md = rd_kafka_consumer_group_metadata(consumer);
    for (int step = 0, attempt = 1; step < 2; attempt++) {
        rd_kafka_error_t *err =
            step == 0 ? rd_kafka_send_offsets_to_transaction(p->rk, offsets, md, 60000)
                      : rd_kafka_commit_transaction(p->rk, 60000);
        if (!err) {
            step++;
            attempt = 0;
            continue;
        }
        int retriable = rd_kafka_error_is_retriable(err);
        int abortable = rd_kafka_error_txn_requires_abort(err);
        nm_txn_error(err, step == 0 ? "send_offsets_to_transaction" : "commit_transaction",
                     errstr, errstr_size);
        NM_LOG(NM_LOG_WARN, "producer", "%s", errstr);
        /* librdkafka: the same call may simply be retried (a bounded number of times) */
        if (retriable && attempt < NM_TXN_ATTEMPTS && !NM_STOPPING(p)) continue;
        rd_kafka_consumer_group_metadata_destroy(md);
        return abortable || retriable ? nm_producer_txn_abort(p, errstr, errstr_size)
                                      : NM_TXN_FATAL;
    }
    rd_kafka_consumer_group_metadata_destroy(md);
    return NM_TXN_OK;
}
