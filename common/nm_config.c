/* nm_config.c - declarative newsmon.conf loader. */
#include "nm_config.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "nm_ini.h"

typedef enum { T_STR, T_LONG, T_BOOL, T_PATH } nm_ctype_t;

typedef struct {
    const char *section, *key;
    nm_ctype_t type;
    size_t off;
    const char *def;
    long min, max;
} nm_cdef_t;

#define C(sec, key, type, field, def, lo, hi) {sec, key, type, offsetof(nm_config_t, field), def, lo, hi}
static const nm_cdef_t nm_cdefs[] = {
    C("input", "topic", T_STR, input_topic, "news.raw", 0, 0),
    C("input", "batch_size", T_LONG, batch_size, "100", 1, 100000),
    C("input", "batch_timeout_ms", T_LONG, batch_timeout_ms, "5", 1, 60000),
    C("input", "max_message_bytes", T_LONG, max_message_bytes, "4194304", 1024, 1L << 30),
    C("input", "max_body_bytes", T_LONG, max_body_bytes, "2097152", 1, 1L << 30),
    C("input", "max_json_depth", T_LONG, max_json_depth, "32", 2, 10000),
    C("input", "max_stall_s", T_LONG, max_stall_s, "300", 0, 86400),
    C("input", "workers", T_LONG, workers, "1", 1, 64),
    C("input", "published_max_age_s", T_LONG, published_max_age_s, "2592000", 0, 1L << 31),
    C("input", "published_max_ahead_s", T_LONG, published_max_ahead_s, "3600", 0, 1L << 31),
    C("output", "enriched_topic", T_STR, enriched_topic, "news.enriched", 0, 0),
    C("output", "alert_topic_prefix", T_STR, alert_topic_prefix, "alerts.", 0, 0),
    C("output", "dlq_topic", T_STR, dlq_topic, "news.dlq", 0, 0),
    C("output", "include_body", T_BOOL, include_body, "true", 0, 1),
    C("output", "max_output_bytes", T_LONG, max_output_bytes, "1000000", 1024, 1L << 30),
    C("output", "exactly_once", T_BOOL, exactly_once, "false", 0, 1),
    C("output", "transactional_id", T_STR, transactional_id, "", 0, 0),
    C("output", "surge_topic", T_STR, surge_topic, "alerts.surge", 0, 0),
    C("output", "surge_retry_s", T_LONG, surge_retry_s, "600", 1, 86400),
    C("redis", "host", T_STR, redis_host, "127.0.0.1", 0, 0),
    C("redis", "port", T_LONG, redis_port, "6379", 1, 65535),
    C("redis", "user", T_STR, redis_user, "", 0, 0),
    C("redis", "password", T_STR, redis_password, "", 0, 0),
    C("redis", "prefix", T_STR, redis_prefix, "nm:", 0, 0),
    C("redis", "timeout_ms", T_LONG, redis_timeout_ms, "5000", 10, 600000),
    C("redis", "hour_ttl_s", T_LONG, redis_hour_ttl_s, "2592000", 60, 1L << 31),
    C("redis", "seen_ttl_s", T_LONG, redis_seen_ttl_s, "2592000", 60, 1L << 31),
    C("redis", "retry_max_ms", T_LONG, redis_retry_max_ms, "5000", 10, 600000),
    C("redis", "recent_alerts", T_LONG, redis_recent_alerts, "1000", 0, 1000000),
    C("redis", "wait_replicas", T_LONG, redis_wait_replicas, "0", 0, 100),
    C("stories", "enabled", T_BOOL, stories_enabled, "true", 0, 1),
    C("stories", "window_s", T_LONG, stories_window_s, "259200", 3600, 2592000),
    C("rules", "gazetteer", T_PATH, gazetteer, "gazetteer.conf", 0, 0),
    C("rules", "rules", T_PATH, rules, "rules.conf", 0, 0),
    C("rules", "languages", T_PATH, languages, "lang", 0, 0),
    C("rules", "topic_model", T_PATH, topic_model, "", 0, 0),
    C("log", "level", T_STR, log_level, "info", 0, 0),
    C("http", "listen", T_STR, http_listen, "127.0.0.1:9465", 0, 0),
    C("web", "listen", T_STR, web_listen, "127.0.0.1:9480", 0, 0),
    C("web", "refresh_s", T_LONG, web_refresh_s, "15", 1, 3600),
};
#undef C
#define NCDEFS (sizeof nm_cdefs / sizeof nm_cdefs[0])

typedef struct {
    nm_config_t *cfg;
    char dir[PATH_MAX];
    rd_kafka_conf_t *probe; /* checks [kafka*] properties as they are read */
} nm_cload_t;

/* librdkafka judges its own properties: an unknown name or a bad value is a
 * configuration error at load time, with the file and line, not a failure
 * when the client starts. */
static int nm_kafka_check(nm_cload_t *L, const char *key, const char *value, char *errstr,
                          size_t errstr_size) {
    char e[512];
    if (!L->probe && !(L->probe = rd_kafka_conf_new())) return NM_ERR_NOMEM;
    if (rd_kafka_conf_set(L->probe, key, value, e, sizeof e) != RD_KAFKA_CONF_OK)
        return nm_seterr(errstr, errstr_size, NM_ERR_CONFIG, "Kafka property %s: %s", key, e);
    return NM_OK;
}

/* Replace the value of key k if the list has it: 1 if replaced, 0 if absent,
 * NM_ERR_NOMEM (negative) on OOM. */
static int nm_kv_replace(nm_kvlist_t *l, const char *k, const char *v) {
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i].key, k) == 0) {
            char *nv = strdup(v);
            if (!nv) return NM_ERR_NOMEM;
            free(l->items[i].value);
            l->items[i].value = nv;
            return 1;
        }
    return 0;
}

static int nm_kv_add(nm_kvlist_t *l, const char *k, const char *v) {
    int r = nm_kv_replace(l, k, v);
    if (r) return r < 0 ? NM_ERR_NOMEM : 0;
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 8;
        nm_kv_t *ni = realloc(l->items, nc * sizeof *ni);
        if (!ni) return NM_ERR_NOMEM;
        l->items = ni;
        l->cap = nc;
    }
    char *nk = strdup(k), *nv = strdup(v);
    if (!nk || !nv) {
        free(nk);
        free(nv);
        return NM_ERR_NOMEM;
    }
    l->items[l->n].key = nk;
    l->items[l->n].value = nv;
    l->n++;
    return 0;
}

static void nm_kv_free(nm_kvlist_t *l) {
    for (size_t i = 0; i < l->n; i++) {
        free(l->items[i].key);
        free(l->items[i].value);
    }
    free(l->items);
}

/* Set one typed value; reason on error. */
static int nm_cset(nm_cload_t *L, const nm_cdef_t *d, const char *value, char *errstr,
                   size_t errstr_size) {
    char *base = (char *)L->cfg + d->off;
    long lv;
    int b;
    switch (d->type) {
    case T_LONG:
        if (nm_ini_parse_long(value, &lv) || lv < d->min || lv > d->max)
            return nm_seterr(errstr, errstr_size, NM_ERR_CONFIG,
                             "[%s] %s must be an integer from %ld to %ld", d->section, d->key,
                             d->min, d->max);
        *(long *)base = lv;
        return 0;
    case T_BOOL:
        if ((b = nm_ini_parse_bool(value)) < 0)
            return nm_seterr(errstr, errstr_size, NM_ERR_CONFIG,
                             "[%s] %s must be true or false", d->section, d->key);
        *(int *)base = b;
        return 0;
    case T_STR:
    case T_PATH: {
        char *nv;
        if (d->type == T_PATH && value[0] != '/' && value[0]) {
            size_t n = strlen(L->dir) + strlen(value) + 2;
            nv = malloc(n);
            if (nv) snprintf(nv, n, "%s/%s", L->dir, value);
        } else {
            nv = strdup(value);
        }
        if (!nv) return NM_ERR_NOMEM;
        free(*(char **)base);
        *(char **)base = nv;
        return 0;
    }
    }
    return 0;
}

static int nm_config_cb(void *ud, const char *section, const char *key, const char *value,
                        int line, char *errstr, size_t errstr_size) {
    nm_cload_t *L = ud;
    (void)line;
    int is_kafka = strcmp(section, "kafka") == 0;
    int is_kc = strcmp(section, "kafka.consumer") == 0;
    int is_kp = strcmp(section, "kafka.producer") == 0;
    if (!key) {
        if (is_kafka || is_kc || is_kp) return 0;
        for (size_t i = 0; i < NCDEFS; i++)
            if (strcmp(nm_cdefs[i].section, section) == 0) return 0;
        return nm_seterr(errstr, errstr_size, NM_ERR_CONFIG, "unknown section [%s]", section);
    }
    if ((is_kafka || is_kc || is_kp) && nm_kafka_check(L, key, value, errstr, errstr_size))
        return NM_ERR_CONFIG;
    if (is_kafka) return nm_kv_add(&L->cfg->kafka, key, value);
    if (is_kc) return nm_kv_add(&L->cfg->kafka_consumer, key, value);
    if (is_kp) return nm_kv_add(&L->cfg->kafka_producer, key, value);
    for (size_t i = 0; i < NCDEFS; i++)
        if (strcmp(nm_cdefs[i].section, section) == 0 && strcmp(nm_cdefs[i].key, key) == 0)
            return nm_cset(L, &nm_cdefs[i], value, errstr, errstr_size);
    return nm_seterr(errstr, errstr_size, NM_ERR_CONFIG, "unknown key '%s' in [%s]", key,
                     section);
}

/* NEWSMON_<SECTION>_<KEY> overrides, then NEWSMON_KAFKA_<PROP>. */
static nm_err_t nm_config_env(nm_cload_t *L, char *errstr, size_t errstr_size) {
    extern char **environ;
    for (size_t i = 0; i < NCDEFS; i++) {
        char name[128];
        snprintf(name, sizeof name, "NEWSMON_%s_%s", nm_cdefs[i].section, nm_cdefs[i].key);
        for (char *p = name; *p; p++) *p = (char)toupper((unsigned char)*p);
        const char *v = getenv(name);
        if (v && nm_cset(L, &nm_cdefs[i], v, errstr, errstr_size)) {
            char reason[256];
            snprintf(reason, sizeof reason, "%s", errstr);
            return nm_seterr(errstr, errstr_size, NM_ERR_CONFIG, "environment %s: %s", name,
                             reason);
        }
    }
    static const char pfx[] = "NEWSMON_KAFKA_";
    for (char **e = environ; *e; e++) {
        if (strncmp(*e, pfx, sizeof pfx - 1) != 0) continue;
        const char *eq = strchr(*e, '=');
        if (!eq) continue;
        char prop[256];
        size_t n = (size_t)(eq - *e) - (sizeof pfx - 1);
        if (n == 0 || n >= sizeof prop) continue;
        for (size_t k = 0; k < n; k++) {
            char c = (*e)[sizeof pfx - 1 + k];
            prop[k] = c == '_' ? '.' : (char)tolower((unsigned char)c);
        }
        prop[n] = '\0';
        if (nm_kafka_check(L, prop, eq + 1, errstr, errstr_size)) {
            char reason[600];
            snprintf(reason, sizeof reason, "%s", errstr);
            return nm_seterr(errstr, errstr_size, NM_ERR_CONFIG, "environment %.*s: %s",
                             (int)(eq - *e), *e, reason);
        }
        /* the client-specific sections are applied after [kafka], so the
         * environment must replace the property there too to win */
        if (nm_kv_add(&L->cfg->kafka, prop, eq + 1) ||
            nm_kv_replace(&L->cfg->kafka_consumer, prop, eq + 1) < 0 ||
            nm_kv_replace(&L->cfg->kafka_producer, prop, eq + 1) < 0)
            return NM_ERR_NOMEM;
    }
    return NM_OK;
}

nm_config_t *nm_config_load(const char *path, char *errstr, size_t errstr_size) {
    nm_cload_t L;
    L.probe = NULL;
    if (errstr_size) errstr[0] = '\0'; /* the out-of-memory paths leave it empty */
    L.cfg = calloc(1, sizeof *L.cfg);
    if (!L.cfg) {
        nm_seterr(errstr, errstr_size, NM_ERR_NOMEM, "out of memory");
        return NULL;
    }
    snprintf(L.dir, sizeof L.dir, ".");
    if (path) {
        const char *slash = strrchr(path, '/');
        if (slash) snprintf(L.dir, sizeof L.dir, "%.*s", (int)(slash - path), path);
        if (slash == path) snprintf(L.dir, sizeof L.dir, "/");
    }
    for (size_t i = 0; i < NCDEFS; i++)
        if (nm_cset(&L, &nm_cdefs[i], nm_cdefs[i].def, errstr, errstr_size)) goto err;
    if (nm_kv_add(&L.cfg->kafka, "bootstrap.servers", "127.0.0.1:9092")) goto err;
    if (path && nm_ini_parse_file(path, nm_config_cb, &L, errstr, errstr_size)) goto err;
    if (nm_config_env(&L, errstr, errstr_size)) goto err;
    if (nm_log_level_parse(L.cfg->log_level) < 0) {
        nm_seterr(errstr, errstr_size, NM_ERR_CONFIG,
                  "%s: [log] level must be debug, info, warn or error", path ? path : "config");
        goto err;
    }
    if (L.probe) rd_kafka_conf_destroy(L.probe);
    return L.cfg;
err:
    if (errstr_size && !errstr[0])
        nm_seterr(errstr, errstr_size, NM_ERR_NOMEM, "out of memory reading the configuration");
    if (L.probe) rd_kafka_conf_destroy(L.probe);
    nm_config_destroy(L.cfg);
    return NULL;
}

void nm_config_destroy(nm_config_t *cfg) {
    if (!cfg) return;
    for (size_t i = 0; i < NCDEFS; i++)
        if (nm_cdefs[i].type == T_STR || nm_cdefs[i].type == T_PATH)
            free(*(char **)((char *)cfg + nm_cdefs[i].off));
    nm_kv_free(&cfg->kafka);
    nm_kv_free(&cfg->kafka_consumer);
    nm_kv_free(&cfg->kafka_producer);
    free(cfg);
}

const char *nm_config_default_path(void) {
    const char *env = getenv("NEWSMON_CONFIG");
    if (env && *env) return env;
    if (access("config/newsmon.conf", R_OK) == 0) return "config/newsmon.conf";
    return "/etc/newsmon/newsmon.conf";
}

int nm_config_is_secret(const char *key) {
    return strstr(key, "password") || strstr(key, "secret") || strstr(key, "sasl.oauthbearer.config") ||
           strstr(key, "ssl.key.pem") || strstr(key, "ssl_key");
}
