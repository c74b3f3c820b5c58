/* nm_web.c - the dashboard's HTTP server: static assets and /api/. */
#include "nm_web.h"

#include <jansson.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nm_metrics.h"
#include "nm_web_assets.h"
#include "nm_web_data.h"

#define NM_WEB_MAX_IDS 32
#define NM_WEB_MAX_STREAM 500

struct nm_web_s {
    const nm_config_t *cfg;
    nm_web_data_t *data; /* used only on the server's one thread */
    char *names;         /* /api/names, built once */
    struct MHD_Daemon *httpd;
};

/* Every response: no caching (the page polls), nothing loaded from
 * elsewhere (the page must work offline, and a title in an alert must not
 * be able to pull a script in). */
static enum MHD_Result nm_web_send(struct MHD_Connection *c, unsigned code, const char *type,
                                   const void *body, size_t len,
                                   enum MHD_ResponseMemoryMode mode) {
    struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, mode);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                            "script-src 'self'; connect-src 'self'; frame-ancestors 'none'");
    enum MHD_Result ret = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return ret;
}

/* Steals `doc`. */
static enum MHD_Result nm_web_json(struct MHD_Connection *c, unsigned code, json_t *doc) {
    char *s = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!s)
        return nm_web_send(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "application/json",
                           "{\"error\":\"out of memory\"}", 25, MHD_RESPMEM_PERSISTENT);
    return nm_web_send(c, code, "application/json", s, strlen(s), MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result nm_web_error(struct MHD_Connection *c, unsigned code, const char *msg) {
    json_t *o = json_pack("{s:s,s:s}", "error", msg, "redis",
                          code == MHD_HTTP_SERVICE_UNAVAILABLE ? "down" : "up");
    return nm_web_json(c, code, o);
}

/* A failed read: Redis trouble is 503 (the page shows "Redis down"). */
static enum MHD_Result nm_web_fail(struct MHD_Connection *c, nm_err_t err, const char *msg) {
    return nm_web_error(c, err == NM_ERR_USAGE ? MHD_HTTP_BAD_REQUEST
                           : err == NM_ERR_NOMEM ? MHD_HTTP_INTERNAL_SERVER_ERROR
                                                 : MHD_HTTP_SERVICE_UNAVAILABLE,
                        msg);
}

/* Query arguments ------------------------------------------------------- */

static int nm_web_long(struct MHD_Connection *c, const char *name, long def, long lo, long hi,
                       long *out) {
    const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
    if (!v || !*v) {
        *out = def;
        return 0;
    }
    char *end;
    long x = strtol(v, &end, 10);
    if (*end || x < lo || x > hi) return -1;
    *out = x;
    return 0;
}

static int nm_web_kind(struct MHD_Connection *c, nm_web_kind_t *kind) {
    const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "kind");
    if (!v || !strcmp(v, "entity")) *kind = NM_WEB_ENTITY;
    else if (!strcmp(v, "topic")) *kind = NM_WEB_TOPIC;
    else return -1;
    return 0;
}

static const char *nm_web_kind_name(nm_web_kind_t k) { return k == NM_WEB_TOPIC ? "topic" : "entity"; }

/* Rows ------------------------------------------------------------------ */

/* Counts are whole numbers in Redis; print them so. */
static json_t *nm_web_num(double v) {
    return v == (double)(json_int_t)v ? json_integer((json_int_t)v) : json_real(v);
}

static int nm_web_id_cmp(const void *a, const void *b) {
    return strcmp(((const nm_web_row_t *)a)->id, ((const nm_web_row_t *)b)->id);
}

static json_t *nm_web_row_json(const nm_web_row_t *r, nm_web_kind_t kind) {
    json_t *o = json_pack("{s:s,s:o}", "id", r->id, "articles", nm_web_num(r->articles));
    if (!o) return NULL;
    if (kind == NM_WEB_ENTITY) json_object_set_new(o, "mentions", nm_web_num(r->mentions));
    json_object_set_new(o, "stories", r->stories < 0 ? json_null() : nm_web_num(r->stories));
    return o;
}

static enum MHD_Result nm_web_api_top(nm_web_t *w, struct MHD_Connection *c, time_t now) {
    nm_web_kind_t kind;
    long hours, n;
    if (nm_web_kind(c, &kind) || nm_web_long(c, "hours", 24, 0, 24 * 366, &hours) ||
        nm_web_long(c, "n", 10, 1, 1000, &n))
        return nm_web_error(c, MHD_HTTP_BAD_REQUEST,
                            "kind=entity|topic, hours=0..8784 (0: all time), n=1..1000");
    nm_web_table_t t = {0};
    char e[512];
    nm_err_t err = nm_web_data_window(w->data, kind, now, 0, hours, &t, e, sizeof e);
    if (err) {
        nm_web_table_free(&t);
        return nm_web_fail(c, err, e);
    }
    json_t *rows = json_array();
    for (size_t i = 0; rows && i < t.n && (long)i < n; i++)
        json_array_append_new(rows, nm_web_row_json(&t.rows[i], kind));
    json_t *o = json_pack("{s:s,s:I,s:I,s:s,s:o}", "kind", nm_web_kind_name(kind), "hours",
                          (json_int_t)hours, "now", (json_int_t)now, "unit", "articles",
                          "rows", rows ? rows : json_null());
    nm_web_table_free(&t);
    return nm_web_json(c, MHD_HTTP_OK, o);
}

/* ids=a,b,c into `ids` (pointers into `buf`); 0 ids when absent. */
static int nm_web_ids(struct MHD_Connection *c, char *buf, size_t size, const char **ids,
                      size_t *nids) {
    const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "ids");
    *nids = 0;
    if (!v || !*v) return 0;
    if (strlen(v) >= size) return -1;
    strcpy(buf, v);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (*nids == NM_WEB_MAX_IDS) return -1;
        ids[(*nids)++] = tok;
    }
    return 0;
}

static json_t *nm_web_numbers(const double *v, long n) {
    json_t *a = json_array();
    for (long i = 0; a && i < n; i++) json_array_append_new(a, nm_web_num(v[i]));
    return a;
}

static enum MHD_Result nm_web_api_series(nm_web_t *w, struct MHD_Connection *c, time_t now) {
    nm_web_kind_t kind;
    long hours, n;
    char buf[4096], e[512];
    const char *ids[NM_WEB_MAX_IDS];
    size_t nids;
    /* one read per hour bucket: a month at most */
    if (nm_web_kind(c, &kind) || nm_web_long(c, "hours", 168, 1, 24 * 31, &hours) ||
        nm_web_long(c, "n", 8, 1, NM_WEB_MAX_IDS, &n) ||
        nm_web_ids(c, buf, sizeof buf, ids, &nids))
        return nm_web_error(c, MHD_HTTP_BAD_REQUEST,
                            "kind=entity|topic, hours=1..744, ids=ID,ID,... (at most 32) "
                            "or n=1..32 (the top n of the window)");
    nm_web_table_t t = {0};
    if (nids == 0) { /* the window's top n */
        nm_err_t err = nm_web_data_window(w->data, kind, now, 0, hours, &t, e, sizeof e);
        if (err) {
            nm_web_table_free(&t);
            return nm_web_fail(c, err, e);
        }
        for (size_t i = 0; i < t.n && (long)i < n; i++) ids[nids++] = t.rows[i].id;
    }
    double *art = calloc(nids * (size_t)hours + 1, sizeof *art);
    double *sto = calloc(nids * (size_t)hours + 1, sizeof *sto);
    nm_err_t err = art && sto ? nm_web_data_series(w->data, kind, ids, nids, now, hours, art, sto,
                                                   e, sizeof e)
                              : nm_seterr(e, sizeof e, NM_ERR_NOMEM, "out of memory");
    json_t *o = NULL;
    if (!err) {
        json_t *t_axis = json_array(), *series = json_array();
        time_t first = (now / 3600 - (hours - 1)) * 3600;
        for (long h = 0; t_axis && h < hours; h++)
            json_array_append_new(t_axis, json_integer((json_int_t)(first + h * 3600)));
        for (size_t i = 0; series && i < nids; i++) {
            const double *s = sto + i * (size_t)hours;
            json_array_append_new(
                series, json_pack("{s:s,s:o,s:o}", "id", ids[i], "articles",
                                  nm_web_numbers(art + i * (size_t)hours, hours), "stories",
                                  s[0] < 0 ? json_null() : nm_web_numbers(s, hours)));
        }
        o = json_pack("{s:s,s:I,s:I,s:i,s:s,s:o,s:o}", "kind", nm_web_kind_name(kind), "hours",
                      (json_int_t)hours, "now", (json_int_t)now, "step", 3600, "unit",
                      "articles per UTC hour", "t", t_axis ? t_axis : json_null(), "series",
                      series ? series : json_null());
    }
    free(art);
    free(sto);
    nm_web_table_free(&t);
    if (err) return nm_web_fail(c, err, e);
    return nm_web_json(c, MHD_HTTP_OK, o);
}

typedef struct {
    const nm_web_row_t *row;
    double previous, ratio;
} nm_web_mover_t;

static int nm_web_mover_cmp(const void *a, const void *b) {
    const nm_web_mover_t *x = a, *y = b;
    if (x->ratio != y->ratio) return x->ratio < y->ratio ? 1 : -1;
    if (x->row->articles != y->row->articles) return x->row->articles < y->row->articles ? 1 : -1;
    return strcmp(x->row->id, y->row->id);
}

/* Movers: articles in the last H hours against the H hours before,
 * ratio (current + 1) / (previous + 1), ids with at least min articles now. */
static enum MHD_Result nm_web_api_movers(nm_web_t *w, struct MHD_Connection *c, time_t now) {
    nm_web_kind_t kind;
    long hours, n, min;
    if (nm_web_kind(c, &kind) || nm_web_long(c, "hours", 24, 1, 24 * 183, &hours) ||
        nm_web_long(c, "n", 10, 1, 1000, &n) || nm_web_long(c, "min", 1, 0, 1000000, &min))
        return nm_web_error(c, MHD_HTTP_BAD_REQUEST,
                            "kind=entity|topic, hours=1..4392, n=1..1000, min=0..1000000");
    nm_web_table_t cur = {0}, prev = {0};
    char e[512];
    nm_err_t err = nm_web_data_window(w->data, kind, now, 0, hours, &cur, e, sizeof e);
    if (!err) err = nm_web_data_window(w->data, kind, now, hours, hours, &prev, e, sizeof e);
    if (!err && prev.n) qsort(prev.rows, prev.n, sizeof *prev.rows, nm_web_id_cmp);
    nm_web_mover_t *mv = err ? NULL : calloc(cur.n + 1, sizeof *mv);
    if (!err && !mv) err = nm_seterr(e, sizeof e, NM_ERR_NOMEM, "out of memory");
    size_t nm = 0;
    for (size_t i = 0; !err && i < cur.n; i++) {
        if (cur.rows[i].articles < (double)min) continue;
        const nm_web_row_t *pr = prev.n ? bsearch(&cur.rows[i], prev.rows, prev.n,
                                                  sizeof *prev.rows, nm_web_id_cmp)
                                        : NULL;
        double p = pr ? pr->articles : 0;
        mv[nm++] = (nm_web_mover_t){&cur.rows[i], p, (cur.rows[i].articles + 1) / (p + 1)};
    }
    json_t *o = NULL;
    if (!err) {
        if (nm) qsort(mv, nm, sizeof *mv, nm_web_mover_cmp);
        json_t *rows = json_array();
        for (size_t i = 0; rows && i < nm && (long)i < n; i++)
            json_array_append_new(rows, json_pack("{s:s,s:o,s:o,s:f}", "id", mv[i].row->id,
                                                  "current", nm_web_num(mv[i].row->articles),
                                                  "previous", nm_web_num(mv[i].previous),
                                                  "ratio", mv[i].ratio));
        o = json_pack("{s:s,s:I,s:I,s:s,s:o}", "kind", nm_web_kind_name(kind), "hours",
                      (json_int_t)hours, "now", (json_int_t)now, "rule",
                      "ratio = (articles in the last H hours + 1) / (articles in the H hours "
                      "before + 1)",
                      "rows", rows ? rows : json_null());
    }
    free(mv);
    nm_web_table_free(&cur);
    nm_web_table_free(&prev);
    if (err) return nm_web_fail(c, err, e);
    return nm_web_json(c, MHD_HTTP_OK, o);
}

/* An alert's topics and entities are ids, or objects with an "id". */
static int nm_web_has_id(json_t *arr, const char *id) {
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        const char *s = json_is_string(v) ? json_string_value(v)
                                          : json_string_value(json_object_get(v, "id"));
        if (s && !strcmp(s, id)) return 1;
    }
    return 0;
}

static enum MHD_Result nm_web_api_stream(nm_web_t *w, struct MHD_Connection *c, int surges) {
    long n;
    if (nm_web_long(c, "n", 50, 1, NM_WEB_MAX_STREAM, &n))
        return nm_web_error(c, MHD_HTTP_BAD_REQUEST, "n=1..500, topic=ID, entity=ID, lang=CODE");
    const char *topic = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "topic");
    const char *entity = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "entity");
    const char *lang = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "lang");
    int filtered = (topic && *topic) || (entity && *entity) || (lang && *lang);
    char e[512];
    /* filtering reads the whole capped record, then keeps n */
    size_t want = filtered ? NM_WEB_MAX_STREAM : (size_t)n;
    json_t *all = surges ? nm_web_data_surges(w->data, want, e, sizeof e)
                         : nm_web_data_alerts(w->data, want, e, sizeof e);
    if (!all) return nm_web_fail(c, NM_ERR_REDIS, e);
    json_t *keep = json_array();
    size_t i;
    json_t *a;
    json_array_foreach(all, i, a) {
        if ((long)json_array_size(keep) >= n) break;
        if (topic && *topic && !nm_web_has_id(json_object_get(a, "topics"), topic)) continue;
        if (entity && *entity && !nm_web_has_id(json_object_get(a, "entities"), entity)) continue;
        if (lang && *lang && strcmp(json_string_value(json_object_get(a, "lang")) ?: "", lang))
            continue;
        json_array_append(keep, a);
    }
    json_decref(all);
    return nm_web_json(c, MHD_HTTP_OK, json_pack("{s:o}", surges ? "surges" : "alerts", keep));
}

static enum MHD_Result nm_web_api_status(nm_web_t *w, struct MHD_Connection *c, time_t now) {
    char e[512];
    json_t *o = nm_web_data_status(w->data, now, 168, e, sizeof e);
    if (!o) return nm_web_fail(c, NM_ERR_REDIS, e);
    json_object_set_new(o, "redis", json_string("up"));
    json_object_set_new(o, "now", json_integer((json_int_t)now));
    json_object_set_new(o, "refresh_s", json_integer(w->cfg->web_refresh_s));
    json_object_set_new(o, "time_zone", json_string("UTC"));
    json_object_set_new(o, "hour_of", json_string("published_at when plausible, else the Kafka message timestamp"));
    return nm_web_json(c, MHD_HTTP_OK, o);
}

/* Display names from the rule files: the counts hold ids only. */
static char *nm_web_names(const nm_rules_t *rules) {
    json_t *ents = json_object(), *topics = json_object(), *langs = json_object();
    for (size_t i = 0; ents && i < rules->nentities; i++)
        json_object_set_new(ents, rules->entities[i].id,
                            json_pack("{s:s,s:s}", "name", rules->entities[i].name, "type",
                                      rules->entities[i].type));
    for (size_t i = 0; topics && i < rules->ntopics; i++)
        json_object_set_new(topics, rules->topics[i].id, json_string(rules->topics[i].name));
    for (size_t i = 0; langs && i < rules->nlangs; i++)
        if (rules->langs[i].name)
            json_object_set_new(langs, rules->langs[i].code, json_string(rules->langs[i].name));
    json_t *o = json_pack("{s:o*,s:o*,s:o*,s:s}", "entities", ents, "topics", topics, "languages",
                          langs, "rules_version", rules->version);
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return s;
}

static enum MHD_Result nm_web_http(void *cls, struct MHD_Connection *c, const char *url,
                                   const char *method, const char *version, const char *upload,
                                   size_t *upload_size, void **con_cls) {
    nm_web_t *w = cls;
    if (strcmp(method, "GET") && strcmp(method, "HEAD"))
        return nm_web_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "GET only");
    time_t now = time(NULL);
    if (!strcmp(url, "/api/status")) return nm_web_api_status(w, c, now);
    if (!strcmp(url, "/api/names"))
        return nm_web_send(c, MHD_HTTP_OK, "application/json", w->names, strlen(w->names),
                           MHD_RESPMEM_PERSISTENT);
    if (!strcmp(url, "/api/top")) return nm_web_api_top(w, c, now);
    if (!strcmp(url, "/api/series")) return nm_web_api_series(w, c, now);
    if (!strcmp(url, "/api/movers")) return nm_web_api_movers(w, c, now);
    if (!strcmp(url, "/api/alerts")) return nm_web_api_stream(w, c, 0);
    if (!strcmp(url, "/api/surges")) return nm_web_api_stream(w, c, 1);
    for (size_t i = 0; i < nm_web_nassets; i++)
        if (!strcmp(url, nm_web_assets[i].url))
            return nm_web_send(c, MHD_HTTP_OK, nm_web_assets[i].type, nm_web_assets[i].data,
                               nm_web_assets[i].len, MHD_RESPMEM_PERSISTENT);
    return nm_web_error(c, MHD_HTTP_NOT_FOUND,
                        "not found: the page is /, the API /api/status, /api/names, /api/top, "
                        "/api/series, /api/movers, /api/alerts, /api/surges (README, Dashboard)");
}

nm_err_t nm_web_start(const nm_config_t *cfg, const nm_rules_t *rules, const char *listen,
                      nm_web_t **out, char *errstr, size_t errstr_size) {
    struct sockaddr_in sa;
    *out = NULL;
    nm_err_t err = nm_metrics_parse_listen(listen, "[web] listen", &sa, errstr, errstr_size);
    if (err) return err;
    nm_web_t *w = calloc(1, sizeof *w);
    if (w) {
        w->data = nm_web_data_new(cfg);
        w->names = nm_web_names(rules);
    }
    if (!w || !w->data || !w->names) {
        nm_web_stop(w);
        return nm_seterr(errstr, errstr_size, NM_ERR_NOMEM, "out of memory");
    }
    w->cfg = cfg;
    /* one polling thread: requests are handled one at a time, which is
     * what a single Redis connection needs */
    w->httpd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG,
                                ntohs(sa.sin_port), NULL, NULL, nm_web_http, w,
                                MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_CONNECTION_TIMEOUT, 30u,
                                MHD_OPTION_END);
    if (!w->httpd) {
        nm_web_stop(w);
        return nm_seterr(errstr, errstr_size, NM_ERR_IO, "cannot listen on %s (port in use?)",
                         listen);
    }
    *out = w;
    return NM_OK;
}

void nm_web_stop(nm_web_t *w) {
    if (!w) return;
    if (w->httpd) MHD_stop_daemon(w->httpd);
    nm_web_data_destroy(w->data);
    free(w->names);
    free(w);
}
