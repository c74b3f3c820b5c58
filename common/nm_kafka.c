/* nm_kafka.c - librdkafka configuration and logging glue. */
#include "nm_kafka.h"

nm_err_t nm_kafka_conf_apply(rd_kafka_conf_t *conf, const nm_kvlist_t *props, char *errstr,
                             size_t errstr_size) {
    for (size_t i = 0; i < props->n; i++) {
        char e[512];
        if (rd_kafka_conf_set(conf, props->items[i].key, props->items[i].value, e, sizeof e) !=
            RD_KAFKA_CONF_OK)
            return nm_seterr(errstr, errstr_size, NM_ERR_CONFIG, "Kafka property '%s': %s",
                             props->items[i].key, e);
    }
    return NM_OK;
}

void nm_kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
    (void)rk;
    /* syslog levels: 0-3 error, 4 warning, 5-6 info, 7 debug */
    nm_log_level_t l = level <= 3 ? NM_LOG_ERROR : level == 4 ? NM_LOG_WARN
                       : level <= 6 ? NM_LOG_INFO : NM_LOG_DEBUG;
    NM_LOG(l, "rdkafka", "%s: %s", fac, buf);
}

int nm_kafka_err_permanent(rd_kafka_resp_err_t err) {
    switch (err) {
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_MSG:
    case RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_POLICY_VIOLATION:
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT:
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
        return 1;
    default:
        return 0;
    }
}
