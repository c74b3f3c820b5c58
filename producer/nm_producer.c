/* nm_producer.c - idempotent producer wrapper. */
#include "nm_producer.h"

#include <stdlib.h>
#include <string.h>

#include "nm_kafka.h"

struct nm_producer_s {
    rd_kafka_t *rk;
    nm_producer_dr_cb cb;
    void *ud;
};

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
    /* idempotence first so an explicit user setting still wins */
    if (rd_kafka_conf_set(conf, "enable.idempotence", "true", e, sizeof e)) {
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
                          size_t key_len, const void *value, size_t value_len,
                          const char *header, const char *header_value, void *opaque,
                          char *errstr, size_t errstr_size) {
    for (;;) {
        rd_kafka_resp_err_t err;
        if (header)
            err = rd_kafka_producev(p->rk, RD_KAFKA_V_TOPIC(topic),
                                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                    RD_KAFKA_V_KEY(key, key_len),
                                    RD_KAFKA_V_VALUE((void *)value, value_len),
                                    RD_KAFKA_V_HEADER(header, header_value, -1),
                                    RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
        else
            err = rd_kafka_producev(p->rk, RD_KAFKA_V_TOPIC(topic),
                                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                    RD_KAFKA_V_KEY(key, key_len),
                                    RD_KAFKA_V_VALUE((void *)value, value_len),
                                    RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
        if (!err) return NM_OK;
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            return nm_seterr(errstr, errstr_size, NM_ERR_KAFKA, "produce to %s: %s", topic,
                             rd_kafka_err2str(err));
        /* the local queue is full: serve delivery reports to make room */
        rd_kafka_poll(p->rk, 100);
    }
}

void nm_producer_poll(nm_producer_t *p, int timeout_ms) { rd_kafka_poll(p->rk, timeout_ms); }

int nm_producer_flush(nm_producer_t *p, int timeout_ms) {
    rd_kafka_flush(p->rk, timeout_ms);
    return rd_kafka_outq_len(p->rk);
}

rd_kafka_t *nm_producer_handle(nm_producer_t *p) { return p->rk; }

void nm_producer_destroy(nm_producer_t *p) {
    if (!p) return;
    int left = nm_producer_flush(p, 10000);
    if (left) NM_LOG(NM_LOG_WARN, "producer", "%d message(s) not delivered at shutdown", left);
    rd_kafka_destroy(p->rk);
    free(p);
}
