/* nm_surge_out.c - looking for a surge alert on its topic (nm_surge_out.h). */
#include "nm_surge_out.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "nm_kafka.h"

#define NM_FIND_TIMEOUT_MS 30000

static long long nm_now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Scan the assigned partitions to their ends for `id`. */
static nm_err_t nm_scan(rd_kafka_t *rk, int nparts, const char *id, int *found, char *errstr,
                        size_t errstr_size) {
    size_t idlen = strlen(id);
    long long until = nm_now_ms() + NM_FIND_TIMEOUT_MS;
    int ended = 0;
    while (ended < nparts && !*found) {
        if (nm_now_ms() > until)
            return nm_seterr(errstr, errstr_size, NM_ERR_KAFKA,
                             "looking for surge %s: no end of topic within %d ms", id,
                             NM_FIND_TIMEOUT_MS);
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
        if (!m) continue;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            ended++;
        } else if (m->err) {
            nm_seterr(errstr, errstr_size, NM_ERR_KAFKA, "looking for surge %s: %s", id,
                      rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
            return NM_ERR_KAFKA;
        } else if (m->key_len == idlen && !memcmp(m->key, id, idlen)) {
            *found = 1;
        }
        rd_kafka_message_destroy(m);
    }
    return NM_OK;
}

nm_err_t nm_surge_out_find(const nm_config_t *cfg, const char *topic, const char *id,
                           long long since_ms, int *found, char *errstr, size_t errstr_size) {
    *found = 0;
    char e[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    static const char *const props[][2] = {{"group.id", "newsmon-surge-lookup"},
                                           {"enable.auto.commit", "false"},
                                           {"enable.partition.eof", "true"},
                                           {"isolation.level", "read_committed"},
                                           {"auto.offset.reset", "earliest"}};
    if (nm_kafka_conf_apply(conf, &cfg->kafka, e, sizeof e)) {
        rd_kafka_conf_destroy(conf);
        return nm_seterr(errstr, errstr_size, NM_ERR_KAFKA, "%s", e);
    }
    for (size_t i = 0; i < sizeof props / sizeof props[0]; i++)
        if (rd_kafka_conf_set(conf, props[i][0], props[i][1], e, sizeof e) != RD_KAFKA_CONF_OK) {
            rd_kafka_conf_destroy(conf);
            return nm_seterr(errstr, errstr_size, NM_ERR_KAFKA, "%s", e);
        }
    rd_kafka_conf_set_log_cb(conf, nm_kafka_log_cb);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, e, sizeof e);
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        return nm_seterr(errstr, errstr_size, NM_ERR_KAFKA, "%s", e);
    }
    nm_err_t rc = NM_OK;
    rd_kafka_topic_partition_list_t *parts = NULL;
    const rd_kafka_metadata_t *md = NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    rd_kafka_resp_err_t err = rkt ? rd_kafka_metadata(rk, 0, rkt, &md, 10000)
                                  : RD_KAFKA_RESP_ERR__INVALID_ARG;
    if (!err && (md->topic_cnt != 1 || md->topics[0].err))
        err = md->topic_cnt == 1 ? md->topics[0].err : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC;
    if (err) {
        rc = nm_seterr(errstr, errstr_size, NM_ERR_KAFKA, "metadata of %s: %s", topic,
                       rd_kafka_err2str(err));
        goto out;
    }
    /* from the first message at or after since - slack, per partition */
    parts = rd_kafka_topic_partition_list_new(md->topics[0].partition_cnt);
    for (int p = 0; p < md->topics[0].partition_cnt; p++)
        rd_kafka_topic_partition_list_add(parts, topic, md->topics[0].partitions[p].id)->offset =
            since_ms - NM_SURGE_FIND_SLACK_MS;
    if ((err = rd_kafka_offsets_for_times(rk, parts, 10000))) {
        rc = nm_seterr(errstr, errstr_size, NM_ERR_KAFKA, "offsets of %s: %s", topic,
                       rd_kafka_err2str(err));
        goto out;
    }
    /* only partitions with something since then (-1: nothing) are read */
    rd_kafka_topic_partition_list_t *read = rd_kafka_topic_partition_list_new(parts->cnt);
    for (int i = 0; i < parts->cnt && !err; i++) {
        int64_t lo, hi;
        const rd_kafka_topic_partition_t *tp = &parts->elems[i];
        if ((err = tp->err) || tp->offset < 0) continue;
        if ((err = rd_kafka_query_watermark_offsets(rk, topic, tp->partition, &lo, &hi, 10000)))
            continue;
        if (tp->offset < hi)
            rd_kafka_topic_partition_list_add(read, topic, tp->partition)->offset = tp->offset;
    }
    if (err)
        rc = nm_seterr(errstr, errstr_size, NM_ERR_KAFKA, "offsets of %s: %s", topic,
                       rd_kafka_err2str(err));
    else if (read->cnt && (err = rd_kafka_assign(rk, read)))
        rc = nm_seterr(errstr, errstr_size, NM_ERR_KAFKA, "assign %s: %s", topic,
                       rd_kafka_err2str(err));
    else if (read->cnt)
        rc = nm_scan(rk, read->cnt, id, found, errstr, errstr_size);
    rd_kafka_topic_partition_list_destroy(read);
out:
    if (parts) rd_kafka_topic_partition_list_destroy(parts);
    if (md) rd_kafka_metadata_destroy(md);
    if (rkt) rd_kafka_topic_destroy(rkt);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return rc;
}
