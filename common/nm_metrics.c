/* nm_metrics.c - counters, histogram, lag gauges and the HTTP endpoint. */
#include "nm_metrics.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const double nm_buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                    0.1,   0.25,   0.5,   1,    2.5,   5, 10};
#define NBUCKETS (sizeof nm_buckets / sizeof nm_buckets[0])

typedef struct {
    char topic[128];
    int32_t partition;
    int64_t lag;
} nm_lag_t;

struct nm_metrics_s {
    pthread_mutex_t lock;
    struct MHD_Daemon *httpd;
    char version[32];
    char rules_version[32];
    char topic_ids[NM_MAX_TOPICS][64];
    size_t ntopics;
    uint64_t reloads, reload_failures;
    nm_metrics_batch_t tot; /* latency_s unused here */
    uint64_t hist[NBUCKETS + 1];
    double hist_sum;
    uint64_t hist_count;
    nm_lag_t lags[NM_METRICS_MAX_PARTS];
    size_t nlags;
    int kafka_assigned, redis_ready;
    int partitions;         /* assigned now */
    double assignment_at;   /* epoch s of the last change, 0: none yet */
};

nm_metrics_t *nm_metrics_new(const char *version) {
    nm_metrics_t *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    pthread_mutex_init(&m->lock, NULL);
    snprintf(m->version, sizeof m->version, "%s", version);
    return m;
}

void nm_metrics_destroy(nm_metrics_t *m) {
    if (!m) return;
    if (m->httpd) MHD_stop_daemon(m->httpd);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

void nm_metrics_add_batch(nm_metrics_t *m, nm_metrics_batch_t *b) {
    pthread_mutex_lock(&m->lock);
    nm_metrics_batch_t *t = &m->tot;
    t->consumed += b->consumed;
    t->enriched += b->enriched;
    t->dead_lettered += b->dead_lettered;
    t->delivery_failures += b->delivery_failures;
    t->alerts_all += b->alerts_all;
    t->relevant_all += b->relevant_all;
    t->redis_errors += b->redis_errors;
    t->redis_retries += b->redis_retries;
    t->story_records_kept += b->story_records_kept;
    t->story_records_read += b->story_records_read;
    t->fetch_wakeups += b->fetch_wakeups;
    for (size_t i = 0; i < NM_MAX_TOPICS; i++) {
        t->alerts[i] += b->alerts[i];
        t->relevant[i] += b->relevant[i];
    }
    for (size_t i = 0; i < b->nlatency; i++) {
        size_t k = 0;
        while (k < NBUCKETS && b->latency_s[i] > nm_buckets[k]) k++;
        m->hist[k]++;
        m->hist_sum += b->latency_s[i];
        m->hist_count++;
    }
    pthread_mutex_unlock(&m->lock);
    memset(b, 0, sizeof *b);
}

void nm_metrics_set_rules(nm_metrics_t *m, const char *version, const char *const *topic_ids,
                          size_t ntopics, int reloaded, int reload_failed) {
    pthread_mutex_lock(&m->lock);
    if (version) snprintf(m->rules_version, sizeof m->rules_version, "%s", version);
    if (topic_ids) {
        /* counts stay attached to indices: a reload that reorders topics
         * would move them, so rules.conf keeps its order (documented) */
        m->ntopics = ntopics < NM_MAX_TOPICS ? ntopics : NM_MAX_TOPICS;
        for (size_t i = 0; i < m->ntopics; i++)
            snprintf(m->topic_ids[i], sizeof m->topic_ids[i], "%s", topic_ids[i]);
    }
    m->reloads += (uint64_t)reloaded;
    m->reload_failures += (uint64_t)reload_failed;
    pthread_mutex_unlock(&m->lock);
}

void nm_metrics_set_ready(nm_metrics_t *m, int kafka_assigned, int redis_ready) {
    pthread_mutex_lock(&m->lock);
    m->kafka_assigned = kafka_assigned;
    m->redis_ready = redis_ready;
    pthread_mutex_unlock(&m->lock);
}

void nm_metrics_set_assigned(nm_metrics_t *m, int partitions) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    pthread_mutex_lock(&m->lock);
    m->partitions = partitions;
    m->kafka_assigned = partitions > 0;
    m->assignment_at = (double)now.tv_sec + now.tv_nsec / 1e9;
    pthread_mutex_unlock(&m->lock);
}

void nm_metrics_kafka_stats(nm_metrics_t *m, const char *json, size_t len) {
    json_t *root = json_loadb(json, len, 0, NULL);
    json_t *topics = root ? json_object_get(root, "topics") : NULL;
    nm_lag_t lags[NM_METRICS_MAX_PARTS];
    size_t n = 0;
    const char *tname;
    json_t *t;
    json_object_foreach(topics, tname, t) {
        const char *pname;
        json_t *p;
        json_object_foreach(json_object_get(t, "partitions"), pname, p) {
            json_t *lag = json_object_get(p, "consumer_lag");
            int32_t part = atoi(pname);
            /* -1 is librdkafka's internal UA partition; lag -1 is unknown */
            if (part < 0 || !json_is_integer(lag) || n == NM_METRICS_MAX_PARTS) continue;
            if (json_integer_value(lag) < 0) continue;
            snprintf(lags[n].topic, sizeof lags[n].topic, "%s", tname);
            lags[n].partition = part;
            lags[n].lag = json_integer_value(lag);
            n++;
        }
    }
    json_decref(root);
    pthread_mutex_lock(&m->lock);
    memcpy(m->lags, lags, n * sizeof *lags);
    m->nlags = n;
    pthread_mutex_unlock(&m->lock);
}

typedef struct {
    char *s;
    size_t len, cap;
    int oom;
} nm_sb_t;

static void nm_sb_printf(nm_sb_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void nm_sb_printf(nm_sb_t *b, const char *fmt, ...) {
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0) { b->oom = 1; return; }
        if ((size_t)n < b->cap - b->len) { b->len += (size_t)n; return; }
        size_t nc = (b->cap + (size_t)n + 1) * 2;
        char *ns = realloc(b->s, nc);
        if (!ns) { b->oom = 1; return; }
        b->s = ns;
        b->cap = nc;
    }
}

static void nm_counter(nm_sb_t *b, const char *name, const char *help, uint64_t v) {
    nm_sb_printf(b, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name, name,
                 (unsigned long long)v);
}

static void nm_per_topic(nm_sb_t *b, const nm_metrics_t *m, const char *name, const char *help,
                         const uint64_t *v, uint64_t all) {
    nm_sb_printf(b, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
    for (size_t i = 0; i < m->ntopics; i++)
        nm_sb_printf(b, "%s{topic=\"%s\"} %llu\n", name, m->topic_ids[i], (unsigned long long)v[i]);
    nm_sb_printf(b, "%s{topic=\"all\"} %llu\n", name, (unsigned long long)all);
}

char *nm_metrics_render(nm_metrics_t *m) {
    nm_sb_t b = {malloc(8192), 0, 8192, 0};
    if (!b.s) return NULL;
    pthread_mutex_lock(&m->lock);
    const nm_metrics_batch_t *t = &m->tot;
    nm_sb_printf(&b, "# HELP newsmon_build_info Build information.\n"
                     "# TYPE newsmon_build_info gauge\nnewsmon_build_info{version=\"%s\"} 1\n",
                 m->version);
    nm_sb_printf(&b, "# HELP newsmon_rules_info Rules version in force.\n"
                     "# TYPE newsmon_rules_info gauge\nnewsmon_rules_info{version=\"%s\"} 1\n",
                 m->rules_version);
    nm_counter(&b, "newsmon_rules_reloads_total", "Successful rule reloads (SIGHUP).", m->reloads);
    nm_counter(&b, "newsmon_rules_reload_failures_total", "Rejected rule reloads.",
               m->reload_failures);
    nm_counter(&b, "newsmon_articles_consumed_total", "Input messages consumed.", t->consumed);
    nm_counter(&b, "newsmon_articles_enriched_total", "Enriched events produced.", t->enriched);
    nm_counter(&b, "newsmon_articles_dead_lettered_total", "Input messages dead-lettered.",
               t->dead_lettered);
    nm_counter(&b, "newsmon_kafka_delivery_failures_total",
               "Output deliveries that failed and were re-sent.", t->delivery_failures);
    nm_per_topic(&b, m, "newsmon_relevant_articles_total", "Relevant articles per topic.",
                 t->relevant, t->relevant_all);
    nm_per_topic(&b, m, "newsmon_alerts_total", "Alerts produced per topic.", t->alerts,
                 t->alerts_all);
    nm_counter(&b, "newsmon_redis_errors_total", "Failed Redis batch writes.", t->redis_errors);
    nm_counter(&b, "newsmon_redis_retries_total", "Redis batch write retries.", t->redis_retries);
    nm_counter(&b, "newsmon_story_records_kept_total",
               "Story records the lookup found in its cache (not read from Redis again).",
               t->story_records_kept);
    nm_counter(&b, "newsmon_story_records_read_total",
               "Story records the lookup asked Redis for (not in its cache).",
               t->story_records_read);
    nm_counter(&b, "newsmon_consumer_fetch_wakeups_total",
               "Requests sent to wake the consumer's fetchers as its prefetch queue drained.",
               t->fetch_wakeups);
    nm_sb_printf(&b, "# HELP newsmon_processing_latency_seconds From consume to offset store.\n"
                     "# TYPE newsmon_processing_latency_seconds histogram\n");
    uint64_t cum = 0;
    for (size_t k = 0; k < NBUCKETS; k++) {
        cum += m->hist[k];
        nm_sb_printf(&b, "newsmon_processing_latency_seconds_bucket{le=\"%g\"} %llu\n",
                     nm_buckets[k], (unsigned long long)cum);
    }
    cum += m->hist[NBUCKETS];
    nm_sb_printf(&b,
                 "newsmon_processing_latency_seconds_bucket{le=\"+Inf\"} %llu\n"
                 "newsmon_processing_latency_seconds_sum %.6f\n"
                 "newsmon_processing_latency_seconds_count %llu\n",
                 (unsigned long long)cum, m->hist_sum, (unsigned long long)m->hist_count);
    nm_sb_printf(&b, "# HELP newsmon_consumer_lag Messages behind the partition end "
                     "(librdkafka statistics).\n# TYPE newsmon_consumer_lag gauge\n");
    for (size_t i = 0; i < m->nlags; i++)
        nm_sb_printf(&b, "newsmon_consumer_lag{topic=\"%s\",partition=\"%d\"} %lld\n",
                     m->lags[i].topic, (int)m->lags[i].partition, (long long)m->lags[i].lag);
    nm_sb_printf(&b, "# HELP newsmon_assigned_partitions Input partitions assigned to this member.\n"
                     "# TYPE newsmon_assigned_partitions gauge\nnewsmon_assigned_partitions %d\n"
                     "# HELP newsmon_assignment_changed_timestamp_seconds When a rebalance last "
                     "changed the assignment (0: never).\n"
                     "# TYPE newsmon_assignment_changed_timestamp_seconds gauge\n"
                     "newsmon_assignment_changed_timestamp_seconds %.3f\n",
                 m->partitions, m->assignment_at);
    nm_sb_printf(&b, "# HELP newsmon_ready 1 when partitions are assigned and Redis is ready.\n"
                     "# TYPE newsmon_ready gauge\nnewsmon_ready %d\n",
                 m->kafka_assigned && m->redis_ready);
    pthread_mutex_unlock(&m->lock);
    if (b.oom) { free(b.s); return NULL; }
    return b.s;
}

static enum MHD_Result nm_reply(struct MHD_Connection *c, unsigned code, const char *type,
                                char *body, enum MHD_ResponseMemoryMode mode) {
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), body, mode);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    enum MHD_Result ret = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result nm_http(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls) {
    (void)version; (void)upload; (void)upload_size; (void)con_cls;
    nm_metrics_t *m = cls;
    if (strcmp(method, "GET") && strcmp(method, "HEAD"))
        return nm_reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", "GET only\n",
                        MHD_RESPMEM_PERSISTENT);
    if (!strcmp(url, "/healthz"))
        return nm_reply(c, MHD_HTTP_OK, "text/plain", "ok\n", MHD_RESPMEM_PERSISTENT);
    if (!strcmp(url, "/readyz")) {
        pthread_mutex_lock(&m->lock);
        int k = m->kafka_assigned, r = m->redis_ready;
        pthread_mutex_unlock(&m->lock);
        if (k && r) return nm_reply(c, MHD_HTTP_OK, "text/plain", "ready\n", MHD_RESPMEM_PERSISTENT);
        return nm_reply(c, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain",
                        !k ? "not ready: no Kafka partition assigned\n"
                           : "not ready: Redis script not loaded\n",
                        MHD_RESPMEM_PERSISTENT);
    }
    if (!strcmp(url, "/metrics")) {
        char *body = nm_metrics_render(m);
        if (!body)
            return nm_reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain", "out of memory\n",
                            MHD_RESPMEM_PERSISTENT);
        return nm_reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", body,
                        MHD_RESPMEM_MUST_FREE);
    }
    return nm_reply(c, MHD_HTTP_NOT_FOUND, "text/plain", "not found: try /metrics, /healthz, /readyz\n",
                    MHD_RESPMEM_PERSISTENT);
}

nm_err_t nm_metrics_parse_listen(const char *listen, const char *what, struct sockaddr_in *sa,
                                 char *errstr, size_t errstr_size) {
    char host[256];
    const char *colon = strrchr(listen, ':');
    if (!colon || (size_t)(colon - listen) >= sizeof host)
        return nm_seterr(errstr, errstr_size, NM_ERR_CONFIG, "%s must be HOST:PORT, got '%s'",
                         what, listen);
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    int port = atoi(colon + 1);
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    if (port <= 0 || port > 65535 || inet_pton(AF_INET, host, &sa->sin_addr) != 1)
        return nm_seterr(errstr, errstr_size, NM_ERR_CONFIG, "%s must be IPv4:PORT, got '%s'",
                         what, listen);
    return NM_OK;
}

nm_err_t nm_metrics_listen(nm_metrics_t *m, const char *listen, char *errstr,
                           size_t errstr_size) {
    if (!listen || !*listen) return NM_OK;
    struct sockaddr_in sa;
    nm_err_t err = nm_metrics_parse_listen(listen, "[http] listen", &sa, errstr, errstr_size);
    if (err) return err;
    m->httpd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG,
                                ntohs(sa.sin_port), NULL, NULL, nm_http, m, MHD_OPTION_SOCK_ADDR,
                                &sa, MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
    if (!m->httpd)
        return nm_seterr(errstr, errstr_size, NM_ERR_IO, "cannot listen on %s (port in use?)",
                         listen);
    return NM_OK;
}
