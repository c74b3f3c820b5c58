/* nm_surge.c - the surge rule, its Lua twin, alert ids, bucket time. */
#include "nm_surge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nm_article.h"

void nm_surge_defaults(nm_surge_params_t *p) {
    memset(p, 0, sizeof *p);
    p->min_count = 5;
    p->ratio = 5.0;
    p->baseline_hours = 72;
    p->cooldown_hours = 6;
    p->min_history_hours = 24;
    p->top_articles = 5;
}

const char *nm_surge_kind_name(nm_surge_kind_t kind) {
    static const char *const names[NM_SURGE_KINDS] = {"entity", "topic", "pair"};
    return kind < NM_SURGE_KINDS ? names[kind] : "?";
}

const char *nm_surge_count_base(nm_surge_kind_t kind, int stories) {
    /* distinct stories when the daemon counts them ([stories] enabled), else articles */
    static const char *const base[2][NM_SURGE_KINDS] = {
        {"entity:articles", "topic:articles", "pair:articles"},
        {"entity:stories", "topic:stories", "pair:stories"}};
    return kind < NM_SURGE_KINDS ? base[stories != 0][kind] : "?";
}

const char *nm_surge_count_unit(int stories) { return stories ? "stories" : "articles"; }

double nm_surge_ratio(double count, double baseline_sum, long baseline_hours) {
    double b = baseline_hours > 0 ? baseline_sum / (double)baseline_hours : 0.0;
    return (count + 1.0) / (b + 1.0);
}

nm_surge_verdict_t nm_surge_decide(const nm_surge_params_t *p, const nm_surge_input_t *in) {
    if (in->count < (double)p->min_count) return NM_SURGE_TOO_FEW;
    if (in->history_hours < p->min_history_hours) return NM_SURGE_NO_HISTORY;
    if (in->nearest_fired >= 0 && in->nearest_fired < p->cooldown_hours) return NM_SURGE_COOLING;
    if (nm_surge_ratio(in->count, in->baseline_sum, p->baseline_hours) < p->ratio)
        return NM_SURGE_BELOW_RATIO;
    return NM_SURGE_FIRES;
}

/* Keep in step with nm_surge_decide and nm_surge_ratio: the same tests in
 * the same order, the same double arithmetic. */
const char nm_surge_lua[] =
    "local function surge_verdict(count, history, nearest, bsum, min_count, ratio,\n"
    "                             baseline_hours, cooldown_hours, min_history)\n"
    "  if count < min_count then return 1 end\n"
    "  if history < min_history then return 2 end\n"
    "  local d = nearest()\n"
    "  if d >= 0 and d < cooldown_hours then return 3 end\n"
    "  local b = 0\n"
    "  if baseline_hours > 0 then b = bsum() / baseline_hours end\n"
    "  if (count + 1) / (b + 1) < ratio then return 4 end\n"
    "  return 0\n"
    "end\n";

void nm_surge_alert_id(nm_surge_kind_t kind, const char *key, const char *hour,
                       const char *rules_version, char out[20]) {
    const char *kn = nm_surge_kind_name(kind);
    unsigned long long h = 14695981039346656037ULL; /* FNV-1a offset basis */
    h = nm_article_hash(kn, strlen(kn) + 1, h); /* the NULs separate the parts */
    h = nm_article_hash(key, strlen(key) + 1, h);
    h = nm_article_hash(hour, strlen(hour) + 1, h);
    h = nm_article_hash(rules_version, strlen(rules_version), h);
    snprintf(out, 20, "sg-%016llx", h);
}

static int nm_digits(const char *s, int n, int *out) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int nm_surge_parse_time(const char *s, time_t *out) {
    if (!s) return -1;
    struct tm tm = {0};
    int y, mo, d, h = 0, mi = 0, sec = 0;
    if (nm_digits(s, 4, &y) || s[4] != '-' || nm_digits(s + 5, 2, &mo) || s[7] != '-' ||
        nm_digits(s + 8, 2, &d))
        return -1;
    const char *p = s + 10;
    long offset = 0;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        if (nm_digits(p + 1, 2, &h) || p[3] != ':' || nm_digits(p + 4, 2, &mi)) return -1;
        p += 6;
        if (*p == ':') {
            if (nm_digits(p + 1, 2, &sec)) return -1;
            p += 3;
            if (*p == '.' || *p == ',') {
                p++;
                if (*p < '0' || *p > '9') return -1;
                while (*p >= '0' && *p <= '9') p++;
            }
        }
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int oh, om = 0, sign = *p == '-' ? -1 : 1;
            if (nm_digits(p + 1, 2, &oh)) return -1;
            p += 3;
            if (*p == ':') p++;
            if (*p >= '0' && *p <= '9') {
                if (nm_digits(p, 2, &om)) return -1;
                p += 2;
            }
            if (oh > 23 || om > 59) return -1;
            offset = sign * (oh * 3600L + om * 60L);
        }
    }
    if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return -1;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    time_t t = timegm(&tm);
    if (t == (time_t)-1) return -1;
    *out = t - offset;
    return 0;
}

time_t nm_surge_bucket_time(const char *published_at, time_t kafka_s,
                            const nm_surge_window_t *w, int *used_published) {
    time_t t;
    *used_published = 0;
    if (nm_surge_parse_time(published_at, &t) || t < kafka_s - w->max_age_s ||
        t > kafka_s + w->max_ahead_s)
        return kafka_s;
    *used_published = 1;
    return t;
}

void nm_surge_hour(time_t t, char out[11]) {
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y%m%d%H", &tm);
}
