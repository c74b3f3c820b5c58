/* nm_web_data.c - the dashboard's Redis reads; every key name of web/ is here.
 *
 * Keys (prefix P = [redis] prefix; README, "Redis keys"):
 *   P entity:articles | entity:mentions | topic:articles   all-time zsets
 *   P <the same>:<YYYYMMDDHH>                              per UTC hour
 *   P entity:stories | topic:stories [:<YYYYMMDDHH>]       distinct stories (issue 14)
 *   P stats                                                hash: articles, relevant
 *   P alerts:recent                                        capped stream of alerts
 *   P surges:recent                                        capped stream of surges (issue 15)
 * The surge stream's name is ours until issue 15 fixes one.
 */
#include "nm_web_data.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nm_counts.h"

#define NM_WD_MAX_HOURS (24 * 366)

struct nm_web_data_s {
    const nm_config_t *cfg;
    nm_counts_t *counts; /* connection owner; dropped after an I/O error */
};

static const char *const nm_wd_kind[2] = {"entity", "topic"};

void nm_web_table_free(nm_web_table_t *t) {
    free(t->rows);
    memset(t, 0, sizeof *t);
}

nm_web_row_t *nm_web_table_row(nm_web_table_t *t, const char *id) {
    for (size_t i = 0; i < t->n; i++)
        if (!strcmp(t->rows[i].id, id)) return &t->rows[i];
    if (t->n == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 64;
        nm_web_row_t *nr = realloc(t->rows, nc * sizeof *nr);
        if (!nr) return NULL;
        t->rows = nr;
        t->cap = nc;
    }
    nm_web_row_t *r = &t->rows[t->n++];
    memset(r, 0, sizeof *r);
    snprintf(r->id, sizeof r->id, "%s", id);
    return r;
}

nm_web_data_t *nm_web_data_new(const nm_config_t *cfg) {
    nm_web_data_t *d = calloc(1, sizeof *d);
    if (d) d->cfg = cfg;
    return d;
}

void nm_web_data_destroy(nm_web_data_t *d) {
    if (!d) return;
    nm_counts_destroy(d->counts);
    free(d);
}

/* The connection, made (with AUTH) by nm_counts so there is one connect path. */
static redisContext *nm_wd_ctx(nm_web_data_t *d, char *errstr, size_t errstr_size) {
    if (!d->counts) d->counts = nm_counts_new(d->cfg);
    if (!d->counts) {
        nm_seterr(errstr, errstr_size, NM_ERR_NOMEM, "out of memory");
        return NULL;
    }
    redisContext *rc = nm_counts_context(d->counts, errstr, errstr_size);
    if (!rc) {
        nm_counts_destroy(d->counts);
        d->counts = NULL;
    }
    return rc;
}

/* A failed reply: text into errstr; a dead connection is dropped. */
static nm_err_t nm_wd_fail(nm_web_data_t *d, redisContext *rc, redisReply *r, const char *what,
                           char *errstr, size_t errstr_size) {
    nm_seterr(errstr, errstr_size, NM_ERR_REDIS, "%s: %s", what,
              r && r->str ? r->str : rc->err ? rc->errstr : "unexpected reply");
    if (r) freeReplyObject(r);
    if (rc->err) {
        nm_counts_destroy(d->counts);
        d->counts = NULL;
    }
    return NM_ERR_REDIS;
}

static void nm_wd_hour(time_t at, char out[16]) {
    struct tm tm;
    gmtime_r(&at, &tm);
    strftime(out, 16, "%Y%m%d%H", &tm);
}

/* P<kind>:<metric>[:<hour>] */
static void nm_wd_key(const nm_web_data_t *d, char *buf, size_t size, nm_web_kind_t kind,
                      const char *metric, const char *hour) {
    snprintf(buf, size, "%s%s:%s%s%s", d->cfg->redis_prefix, nm_wd_kind[kind], metric,
             hour ? ":" : "", hour ? hour : "");
}

static int nm_wd_exists(nm_web_data_t *d, redisContext *rc, const char *key, int *out,
                        char *errstr, size_t errstr_size) {
    redisReply *r = redisCommand(rc, "EXISTS %s", key);
    if (!r || r->type != REDIS_REPLY_INTEGER)
        return nm_wd_fail(d, rc, r, "EXISTS", errstr, errstr_size);
    *out = r->integer > 0;
    freeReplyObject(r);
    return NM_OK;
}

/* Story counts exist once newsmon writes them (issue 14). */
static nm_err_t nm_wd_have_stories(nm_web_data_t *d, redisContext *rc, nm_web_kind_t kind,
                                   int *out, char *errstr, size_t errstr_size) {
    char key[512];
    nm_wd_key(d, key, sizeof key, kind, "stories", NULL);
    return nm_wd_exists(d, rc, key, out, errstr, errstr_size);
}

/* One merged read of a metric over the window: ZUNION of the hourly keys
 * (ZRANGE of the all-time key for hours 0), added into column `col`. */
static nm_err_t nm_wd_sum(nm_web_data_t *d, redisContext *rc, nm_web_kind_t kind,
                          const char *metric, time_t now, long skip, long hours,
                          nm_web_table_t *out, size_t col, char *errstr, size_t errstr_size) {
    size_t nkeys = hours ? (size_t)hours : 1, argc = hours ? nkeys + 3 : 5;
    char **argv = calloc(argc, sizeof *argv);
    char (*keys)[512] = malloc(nkeys * sizeof *keys);
    char numkeys[32];
    if (!argv || !keys) {
        free(argv);
        free(keys);
        return nm_seterr(errstr, errstr_size, NM_ERR_NOMEM, "out of memory");
    }
    if (hours) {
        snprintf(numkeys, sizeof numkeys, "%zu", nkeys);
        argv[0] = "ZUNION";
        argv[1] = numkeys;
        for (size_t h = 0; h < nkeys; h++) {
            char hour[16];
            nm_wd_hour(now - (time_t)(skip + (long)h) * 3600, hour);
            nm_wd_key(d, keys[h], sizeof keys[h], kind, metric, hour);
            argv[2 + h] = keys[h];
        }
        argv[argc - 1] = "WITHSCORES";
    } else {
        nm_wd_key(d, keys[0], sizeof keys[0], kind, metric, NULL);
        argv[0] = "ZRANGE";
        argv[1] = keys[0];
        argv[2] = "0";
        argv[3] = "-1";
        argv[4] = "WITHSCORES";
    }
    redisReply *r = redisCommandArgv(rc, (int)argc, (const char **)argv, NULL);
    free(argv);
    free(keys);
    if (!r || r->type != REDIS_REPLY_ARRAY)
        return nm_wd_fail(d, rc, r, hours ? "ZUNION" : "ZRANGE", errstr, errstr_size);
    nm_err_t err = NM_OK;
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
        nm_web_row_t *row = nm_web_table_row(out, r->element[i]->str);
        if (!row) {
            err = nm_seterr(errstr, errstr_size, NM_ERR_NOMEM, "out of memory");
            break;
        }
        double v = strtod(r->element[i + 1]->str, NULL);
        if (col == 0) row->articles += v;
        else if (col == 1) row->mentions += v;
        else row->stories += v;
    }
    freeReplyObject(r);
    return err;
}

nm_err_t nm_web_data_window(nm_web_data_t *d, nm_web_kind_t kind, time_t now, long skip,
                            long hours, nm_web_table_t *out, char *errstr, size_t errstr_size) {
    if (hours < 0 || hours > NM_WD_MAX_HOURS || skip < 0 || skip > NM_WD_MAX_HOURS)
        return nm_seterr(errstr, errstr_size, NM_ERR_USAGE, "window out of range");
    redisContext *rc = nm_wd_ctx(d, errstr, errstr_size);
    if (!rc) return NM_ERR_REDIS;
    int stories = 0;
    nm_err_t err = nm_wd_have_stories(d, rc, kind, &stories, errstr, errstr_size);
    if (!err) err = nm_wd_sum(d, rc, kind, "articles", now, skip, hours, out, 0, errstr, errstr_size);
    if (!err && kind == NM_WEB_ENTITY)
        err = nm_wd_sum(d, rc, kind, "mentions", now, skip, hours, out, 1, errstr, errstr_size);
    if (!err && stories)
        err = nm_wd_sum(d, rc, kind, "stories", now, skip, hours, out, 2, errstr, errstr_size);
    for (size_t i = 0; !err && !stories && i < out->n; i++) out->rows[i].stories = -1;
    return err;
}

/* ZMSCORE of the ids in every hourly key of `metric`, pipelined: one round
 * trip for the whole series. */
static nm_err_t nm_wd_hourly(nm_web_data_t *d, redisContext *rc, nm_web_kind_t kind,
                             const char *metric, const char *const *ids, size_t nids,
                             time_t now, long hours, double *vals, char *errstr,
                             size_t errstr_size) {
    const char **argv = malloc((nids + 2) * sizeof *argv);
    if (!argv) return nm_seterr(errstr, errstr_size, NM_ERR_NOMEM, "out of memory");
    argv[0] = "ZMSCORE";
    for (size_t i = 0; i < nids; i++) argv[2 + i] = ids[i];
    for (long h = 0; h < hours; h++) {
        char key[512], hour[16];
        nm_wd_hour(now - (time_t)(hours - 1 - h) * 3600, hour);
        nm_wd_key(d, key, sizeof key, kind, metric, hour);
        argv[1] = key;
        redisAppendCommandArgv(rc, (int)(nids + 2), argv, NULL);
    }
    free(argv);
    nm_err_t err = NM_OK;
    for (long h = 0; h < hours; h++) {
        redisReply *r = NULL;
        if (redisGetReply(rc, (void **)&r) != REDIS_OK)
            return nm_wd_fail(d, rc, NULL, "ZMSCORE", errstr, errstr_size);
        if (r->type != REDIS_REPLY_ARRAY || r->elements != nids) {
            /* read the rest of the pipeline so the connection stays usable */
            if (!err) err = nm_seterr(errstr, errstr_size, NM_ERR_REDIS, "ZMSCORE: %s",
                                      r->str ? r->str : "unexpected reply");
            freeReplyObject(r);
            continue;
        }
        for (size_t i = 0; i < nids; i++)
            vals[i * (size_t)hours + (size_t)h] =
                r->element[i]->type == REDIS_REPLY_STRING ? strtod(r->element[i]->str, NULL) : 0;
        freeReplyObject(r);
    }
    return err;
}

nm_err_t nm_web_data_series(nm_web_data_t *d, nm_web_kind_t kind, const char *const *ids,
                            size_t nids, time_t now, long hours, double *articles,
                            double *stories, char *errstr, size_t errstr_size) {
    if (hours < 1 || hours > NM_WD_MAX_HOURS)
        return nm_seterr(errstr, errstr_size, NM_ERR_USAGE, "hours out of range");
    if (nids == 0) return NM_OK;
    redisContext *rc = nm_wd_ctx(d, errstr, errstr_size);
    if (!rc) return NM_ERR_REDIS;
    int have = 0;
    nm_err_t err = nm_wd_have_stories(d, rc, kind, &have, errstr, errstr_size);
    if (!err)
        err = nm_wd_hourly(d, rc, kind, "articles", ids, nids, now, hours, articles, errstr,
                           errstr_size);
    if (!err && have)
        err = nm_wd_hourly(d, rc, kind, "stories", ids, nids, now, hours, stories, errstr,
                           errstr_size);
    for (size_t i = 0; !err && !have && i < nids * (size_t)hours; i++) stories[i] = -1;
    return err;
}

static void nm_wd_stream_key(const nm_web_data_t *d, char *buf, size_t size, const char *name) {
    snprintf(buf, size, "%s%s:recent", d->cfg->redis_prefix, name);
}

json_t *nm_web_data_status(nm_web_data_t *d, time_t now, long hours, char *errstr,
                           size_t errstr_size) {
    redisContext *rc = nm_wd_ctx(d, errstr, errstr_size);
    if (!rc) return NULL;
    char key[512];
    snprintf(key, sizeof key, "%sstats", d->cfg->redis_prefix);
    redisReply *r = redisCommand(rc, "HMGET %s articles relevant", key);
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
        nm_wd_fail(d, rc, r, "HMGET", errstr, errstr_size);
        return NULL;
    }
    long long articles = r->element[0]->str ? atoll(r->element[0]->str) : 0;
    long long relevant = r->element[1]->str ? atoll(r->element[1]->str) : 0;
    freeReplyObject(r);
    /* the newest hour with any count: every counted article that names an
     * entity or has a topic touches one of these two keys */
    for (long h = 0; h < hours; h++) {
        char hour[16], k1[512], k2[512];
        nm_wd_hour(now - (time_t)h * 3600, hour);
        nm_wd_key(d, k1, sizeof k1, NM_WEB_ENTITY, "articles", hour);
        nm_wd_key(d, k2, sizeof k2, NM_WEB_TOPIC, "articles", hour);
        redisAppendCommand(rc, "EXISTS %s %s", k1, k2);
    }
    long newest = -1, failed = 0;
    for (long h = 0; h < hours; h++) {
        r = NULL;
        if (redisGetReply(rc, (void **)&r) != REDIS_OK) {
            nm_wd_fail(d, rc, NULL, "EXISTS", errstr, errstr_size);
            return NULL;
        }
        if (r->type != REDIS_REPLY_INTEGER) failed = 1;
        else if (r->integer > 0 && newest < 0) newest = h;
        freeReplyObject(r);
    }
    if (failed) {
        nm_seterr(errstr, errstr_size, NM_ERR_REDIS, "EXISTS: unexpected reply");
        return NULL;
    }
    int have[4] = {0};
    nm_err_t err = nm_wd_have_stories(d, rc, NM_WEB_ENTITY, &have[0], errstr, errstr_size);
    if (!err) err = nm_wd_have_stories(d, rc, NM_WEB_TOPIC, &have[1], errstr, errstr_size);
    nm_wd_stream_key(d, key, sizeof key, "alerts");
    if (!err) err = nm_wd_exists(d, rc, key, &have[2], errstr, errstr_size);
    nm_wd_stream_key(d, key, sizeof key, "surges");
    if (!err) err = nm_wd_exists(d, rc, key, &have[3], errstr, errstr_size);
    if (err) return NULL;
    json_t *o = json_pack("{s:I,s:I,s:o,s:b,s:b,s:b}", "articles", (json_int_t)articles,
                          "relevant", (json_int_t)relevant, "newest_hour",
                          newest < 0 ? json_null()
                                     : json_integer((json_int_t)((now / 3600 - newest) * 3600)),
                          "stories", have[0] || have[1], "alerts", have[2], "surges", have[3]);
    if (!o) nm_seterr(errstr, errstr_size, NM_ERR_NOMEM, "out of memory");
    return o;
}

/* XREVRANGE of a capped stream: each entry's JSON (field "alert"/"surge" or
 * the first value that is a JSON object) plus recorded_at. */
static json_t *nm_wd_stream(nm_web_data_t *d, const char *name, size_t n, char *errstr,
                            size_t errstr_size) {
    redisContext *rc = nm_wd_ctx(d, errstr, errstr_size);
    if (!rc) return NULL;
    char key[512];
    nm_wd_stream_key(d, key, sizeof key, name);
    char count[32];
    snprintf(count, sizeof count, "%zu", n);
    redisReply *r = redisCommand(rc, "XREVRANGE %s + - COUNT %s", key, count);
    if (!r || r->type != REDIS_REPLY_ARRAY) {
        nm_wd_fail(d, rc, r, "XREVRANGE", errstr, errstr_size);
        return NULL;
    }
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < r->elements; i++) {
        redisReply *e = r->element[i];
        if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
            e->element[1]->type != REDIS_REPLY_ARRAY)
            continue;
        redisReply *f = e->element[1];
        json_t *obj = NULL;
        for (size_t k = 0; !obj && k + 1 < f->elements; k += 2) {
            json_t *v = json_loadb(f->element[k + 1]->str, f->element[k + 1]->len, 0, NULL);
            if (json_is_object(v)) obj = v;
            else json_decref(v);
        }
        if (!obj) continue; /* not ours: skip rather than fail the page */
        json_object_set_new(obj, "recorded_at",
                            json_integer((json_int_t)strtoll(e->element[0]->str, NULL, 10)));
        json_array_append_new(arr, obj);
    }
    freeReplyObject(r);
    if (!arr) nm_seterr(errstr, errstr_size, NM_ERR_NOMEM, "out of memory");
    return arr;
}

json_t *nm_web_data_alerts(nm_web_data_t *d, size_t n, char *errstr, size_t errstr_size) {
    return nm_wd_stream(d, "alerts", n, errstr, errstr_size);
}

json_t *nm_web_data_surges(nm_web_data_t *d, size_t n, char *errstr, size_t errstr_size) {
    return nm_wd_stream(d, "surges", n, errstr, errstr_size);
}
