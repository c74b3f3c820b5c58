/* nm_config.h - newsmon.conf: typed settings, environment overrides and the
 * Kafka client properties passed through verbatim to librdkafka.
 *
 * Every key, its default and its meaning is documented in
 * config/newsmon.conf; unknown keys are errors (typos must not pass).
 */
#ifndef NM_CONFIG_H
#define NM_CONFIG_H

#include <stddef.h>

#include "nm_err.h"

typedef struct {
    char *key, *value;
} nm_kv_t;

typedef struct {
    nm_kv_t *items;
    size_t n, cap;
} nm_kvlist_t;

typedef struct {
    /* [input] */
    char *input_topic;
    long batch_size, batch_timeout_ms;
    long max_message_bytes, max_body_bytes, max_json_depth, max_stall_s;
    long published_max_age_s, published_max_ahead_s; /* bucket time window (nm_surge.h) */
    /* [output] */
    char *enriched_topic, *alert_topic_prefix, *dlq_topic;
    int include_body;
    long max_output_bytes;
    int exactly_once;
    char *transactional_id;
    char *surge_topic; /* surge alerts (README "Surge alerts") */
    long surge_retry_s;
    /* [redis] */
    char *redis_host, *redis_user, *redis_password, *redis_prefix;
    long redis_port, redis_timeout_ms, redis_hour_ttl_s, redis_seen_ttl_s;
    long redis_retry_max_ms, redis_recent_alerts, redis_wait_replicas;
    /* [stories] (the daemon's copy detection, nm_stories.h) */
    int stories_enabled;
    long stories_window_s;
    /* [rules] (paths resolved against the config file's folder) */
    char *gazetteer, *rules, *languages, *topic_model;
    /* [log] */
    char *log_level;
    /* [http] */
    char *http_listen;
    /* [web] (`newsmon web`) */
    char *web_listen;
    long web_refresh_s;
    /* [kafka], [kafka.consumer], [kafka.producer]: librdkafka properties */
    nm_kvlist_t kafka, kafka_consumer, kafka_producer;
} nm_config_t;

/** @brief Load defaults, then `path` (may be NULL: defaults only), then
 *  NEWSMON_<SECTION>_<KEY> environment overrides (NEWSMON_KAFKA_<PROP> with
 *  '_' for '.' for Kafka properties). Errors read `file:line: reason`.
 *  @returns a new config (free with nm_config_destroy) or NULL. */
nm_config_t *nm_config_load(const char *path, char *errstr, size_t errstr_size);

void nm_config_destroy(nm_config_t *cfg);

/** @brief The config file to use when none is given: $NEWSMON_CONFIG, else
 *  ./config/newsmon.conf when it exists, else /etc/newsmon/newsmon.conf.
 *  @returns a borrowed static string. */
const char *nm_config_default_path(void);

/** @brief 1 if a Kafka property name holds a secret (never logged). */
int nm_config_is_secret(const char *key);

#endif
