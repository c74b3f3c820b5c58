/* nm_web_data.c - the dashboard's Redis reads, all through producer/nm_counts.h
 * (which owns the key schema: no key name is built in web/).
 *
 * Hourly series are one merged read per hour bucket (nm_counts_top over one
 * hour): 168 small round trips for a week, a few ms on a local Redis.
 * Stories (issue 14): distinct stories per id (entity:stories,
 * topic:stories and their hours) next to the articles, when any exist (the
 * daemon runs with [stories] enabled), else reported absent (-1, false in
 * the status) so the page says so instead of drawing zeros; surges are the
 * capped record of the surge alerts as they fired (nm_counts_recent_surges).
 */
#include "nm_web_data.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nm_counts.h"

#define NM_WD_MAX_HOURS (24 * 366)

struct nm_web_data_s {
    nm_counts_t *counts; /* reconnects by itself after an error */
};

void nm_web_table_free(nm_web_table_t *t) {
    free(t->rows);
    memset(t, 0, sizeof *t);
}

/* Append a row (ids from one read are distinct: no lookup). */
static nm_web_row_t *nm_wd_add(nm_web_table_t *t, const char *id) {
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
    if (d && !(d->counts = nm_counts_new(cfg))) {
        free(d);
        d = NULL;
    }
    return d;
}

void nm_web_data_destroy(nm_web_data_t *d) {
    if (!d) return;
    nm_counts_destroy(d->counts);
    free(d);
}

static nm_counts_kind_t nm_wd_kind(nm_web_kind_t k) {
    return k == NM_WEB_TOPIC ? NM_COUNTS_TOPICS : NM_COUNTS_ENTITIES;
}

static nm_counts_kind_t nm_wd_story_kind(nm_web_kind_t k) {
    return k == NM_WEB_TOPIC ? NM_COUNTS_TOPIC_STORIES : NM_COUNTS_ENTITY_STORIES;
}

/* Whether any story counts exist (the daemon counts them with [stories]
 * enabled): every story of an article that names an entity is in
 * entity:stories. */
static nm_err_t nm_wd_have_stories(nm_web_data_t *d, time_t now, int *have, char *errstr,
                                   size_t errstr_size) {
    nm_counts_row_t *rows;
    size_t n;
    nm_err_t err = nm_counts_top(d->counts, NM_COUNTS_ENTITY_STORIES, 0, now, 1, &rows, &n,
                                 errstr, errstr_size);
    *have = !err && n > 0;
    nm_counts_rows_free(rows, n);
    return err;
}

static int nm_wd_row_id_cmp(const void *x, const void *y) {
    return strcmp(((const nm_counts_row_t *)x)->id, ((const nm_counts_row_t *)y)->id);
}

/* The story count of `id` in rows sorted by id (0: none). */
static double nm_wd_stories_of(const nm_counts_row_t *rows, size_t n, const char *id) {
    nm_counts_row_t key = {.id = (char *)id};
    const nm_counts_row_t *r = n ? bsearch(&key, rows, n, sizeof *rows, nm_wd_row_id_cmp) : NULL;
    return r ? r->articles : 0;
}

/* Distinct stories per id over `hours` up to `at` (hours 0: all time),
 * sorted by id for nm_wd_stories_of. */
static nm_err_t nm_wd_story_rows(nm_web_data_t *d, nm_web_kind_t kind, long hours, time_t at,
                                 nm_counts_row_t **rows, size_t *n, char *errstr,
                                 size_t errstr_size) {
    nm_err_t err = nm_counts_top(d->counts, nm_wd_story_kind(kind), hours, at, SIZE_MAX, rows, n,
                                 errstr, errstr_size);
    if (!err && *n) qsort(*rows, *n, sizeof **rows, nm_wd_row_id_cmp);
    return err;
}

nm_err_t nm_web_data_window(nm_web_data_t *d, nm_web_kind_t kind, time_t now, long skip,
                            long hours, nm_web_table_t *out, char *errstr, size_t errstr_size) {
    if (hours < 0 || hours > NM_WD_MAX_HOURS || skip < 0 || skip > NM_WD_MAX_HOURS)
        return nm_seterr(errstr, errstr_size, NM_ERR_USAGE, "window out of range");
    time_t at = now - (time_t)(hours ? skip : 0) * 3600;
    int have;
    nm_counts_row_t *rows, *st = NULL;
    size_t n, nst = 0;
    nm_err_t err = nm_wd_have_stories(d, now, &have, errstr, errstr_size);
    if (!err && have) err = nm_wd_story_rows(d, kind, hours, at, &st, &nst, errstr, errstr_size);
    if (err) return err;
    err = nm_counts_top(d->counts, nm_wd_kind(kind), hours, at, SIZE_MAX, &rows, &n, errstr,
                        errstr_size);
    for (size_t i = 0; !err && i < n; i++) {
        nm_web_row_t *r = nm_wd_add(out, rows[i].id);
        if (!r) {
            err = nm_seterr(errstr, errstr_size, NM_ERR_NOMEM, "out of memory");
            break;
        }
        r->articles = rows[i].articles;
        r->mentions = rows[i].mentions;
        r->stories = have ? nm_wd_stories_of(st, nst, rows[i].id) : -1;
    }
    nm_counts_rows_free(rows, n);
    nm_counts_rows_free(st, nst);
    return err;
}

nm_err_t nm_web_data_series(nm_web_data_t *d, nm_web_kind_t kind, const char *const *ids,
                            size_t nids, time_t now, long hours, double *articles,
                            double *stories, char *errstr, size_t errstr_size) {
    if (hours < 1 || hours > NM_WD_MAX_HOURS)
        return nm_seterr(errstr, errstr_size, NM_ERR_USAGE, "hours out of range");
    int have;
    nm_err_t err = nm_wd_have_stories(d, now, &have, errstr, errstr_size);
    if (err) return err;
    for (size_t i = 0; i < nids * (size_t)hours; i++) {
        articles[i] = 0;
        stories[i] = have ? 0 : -1;
    }
    for (long h = 0; h < hours && nids; h++) {
        time_t at = now - (time_t)(hours - 1 - h) * 3600;
        nm_counts_row_t *rows;
        size_t n;
        err = nm_counts_top(d->counts, nm_wd_kind(kind), 1, at, SIZE_MAX, &rows, &n, errstr,
                            errstr_size);
        if (err) return err;
        for (size_t r = 0; r < n; r++)
            for (size_t i = 0; i < nids; i++)
                if (!strcmp(rows[r].id, ids[i])) articles[i * (size_t)hours + (size_t)h] = rows[r].articles;
        nm_counts_rows_free(rows, n);
        if (!have) continue;
        if ((err = nm_wd_story_rows(d, kind, 1, at, &rows, &n, errstr, errstr_size))) return err;
        for (size_t i = 0; i < nids; i++)
            stories[i * (size_t)hours + (size_t)h] = nm_wd_stories_of(rows, n, ids[i]);
        nm_counts_rows_free(rows, n);
    }
    return NM_OK;
}

/* Any count in the hour of `at`: every counted article that names an entity
 * or has a topic is in one of the two. */
static nm_err_t nm_wd_hour_used(nm_web_data_t *d, time_t at, int *used, char *errstr,
                                size_t errstr_size) {
    *used = 0;
    for (int k = 0; k < 2 && !*used; k++) {
        nm_counts_row_t *rows;
        size_t n;
        nm_err_t err = nm_counts_top(d->counts, k ? NM_COUNTS_TOPICS : NM_COUNTS_ENTITIES, 1, at,
                                     1, &rows, &n, errstr, errstr_size);
        if (err) return err;
        *used = n > 0;
        nm_counts_rows_free(rows, n);
    }
    return NM_OK;
}

json_t *nm_web_data_status(nm_web_data_t *d, time_t now, long hours, char *errstr,
                           size_t errstr_size) {
    long long articles, relevant;
    if (nm_counts_stats(d->counts, &articles, &relevant, errstr, errstr_size)) return NULL;
    long newest = -1;
    for (long h = 0; h < hours && newest < 0; h++) {
        int used;
        if (nm_wd_hour_used(d, now - (time_t)h * 3600, &used, errstr, errstr_size)) return NULL;
        if (used) newest = h;
    }
    int stories;
    if (nm_wd_have_stories(d, now, &stories, errstr, errstr_size)) return NULL;
    nm_counts_alert_t *al;
    size_t nal;
    if (nm_counts_recent_alerts(d->counts, 1, &al, &nal, errstr, errstr_size)) return NULL;
    nm_counts_alerts_free(al, nal);
    nm_counts_alert_t *sg;
    size_t nsg;
    if (nm_counts_recent_surges(d->counts, 1, &sg, &nsg, errstr, errstr_size)) return NULL;
    nm_counts_alerts_free(sg, nsg);
    json_t *o = json_pack("{s:I,s:I,s:o,s:b,s:b,s:b}", "articles", (json_int_t)articles,
                          "relevant", (json_int_t)relevant, "newest_hour",
                          newest < 0 ? json_null()
                                     : json_integer((json_int_t)((now / 3600 - newest) * 3600)),
                          "stories", stories, "alerts", nal > 0, "surges", nsg > 0);
    if (!o) nm_seterr(errstr, errstr_size, NM_ERR_NOMEM, "out of memory");
    return o;
}

/* The records of a capped stream as JSON objects with recorded_at (ms). */
static json_t *nm_wd_records(nm_counts_alert_t *al, size_t nal, char *errstr,
                             size_t errstr_size) {
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < nal; i++) {
        json_t *obj = json_loadb(al[i].json, al[i].len, 0, NULL);
        if (!json_is_object(obj)) { /* not a record newsmon wrote: skip, keep the page */
            json_decref(obj);
            continue;
        }
        /* the entry id's first part is when Redis recorded it (ms) */
        json_object_set_new(obj, "recorded_at",
                            json_integer((json_int_t)strtoll(al[i].entry_id, NULL, 10)));
        json_array_append_new(arr, obj);
    }
    nm_counts_alerts_free(al, nal);
    if (!arr) nm_seterr(errstr, errstr_size, NM_ERR_NOMEM, "out of memory");
    return arr;
}

json_t *nm_web_data_alerts(nm_web_data_t *d, size_t n, char *errstr, size_t errstr_size) {
    nm_counts_alert_t *al;
    size_t nal;
    if (nm_counts_recent_alerts(d->counts, n, &al, &nal, errstr, errstr_size)) return NULL;
    return nm_wd_records(al, nal, errstr, errstr_size);
}

json_t *nm_web_data_surges(nm_web_data_t *d, size_t n, char *errstr, size_t errstr_size) {
    nm_counts_alert_t *al;
    size_t nal;
    if (nm_counts_recent_surges(d->counts, n, &al, &nal, errstr, errstr_size)) return NULL;
    return nm_wd_records(al, nal, errstr, errstr_size);
}
