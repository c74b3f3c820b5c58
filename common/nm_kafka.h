/* nm_kafka.h - librdkafka helpers shared by the consumer, producer and CLI. */
#ifndef NM_KAFKA_H
#define NM_KAFKA_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>

#include "nm_config.h"
#include "nm_err.h"

/** @brief Apply a list of librdkafka properties to conf; errors name the key
 *  but never the value (it may be a secret). */
nm_err_t nm_kafka_conf_apply(rd_kafka_conf_t *conf, const nm_kvlist_t *props,
                             char *errstr, size_t errstr_size);

/** @brief 1 if a produce error will not go away by sending again (too
 *  large, invalid, not authorised): the caller must not retry it. */
int nm_kafka_err_permanent(rd_kafka_resp_err_t err);

/** @brief librdkafka log callback that writes through NM_LOG. */
void nm_kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf);

#endif
