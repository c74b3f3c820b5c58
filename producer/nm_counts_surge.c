/* nm_counts_surge.c - the surge part of the batch script (nm_counts_surge.h).
 *
 * Surge arguments, from ARGV[sa] on (sa is ARGV[5] of the batch script):
 *   kb (KEYS index of K surge:first_hour; K surge:pending, K surge:records and
 *   K surges:recent follow it), now_ms, lease_ms, min_count, ratio, baseline_hours,
 *   cooldown_hours, min_history_hours, top_articles, rules_version, unit,
 *   n_done, done id*,
 *   n_window, (epoch hour, KEYS index of its entity, topic and pair count
 *   keys)*,  (every hour of the batch and the baseline_hours before each)
 *   n_articles, (epoch hour, summary)* in article order,
 *   n_keys, (kind, key, epoch hour, "YYYYMMDDHH", alert id, KEYS index of
 *   its surge:<id>, surge:fired:... and surge:top:... keys, n, article
 *   number*)*   (each distinct key and hour the batch's articles touch)
 * A key is evaluated only when a new (not already seen) article touched it.
 */
#include "nm_counts_surge.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nm_decimal.h"
#include "nm_surge.h"

const char nm_csurge_lua[] =
    "local function surge_eval(fresh, seen0, sa, hour_ttl)\n"
    "  local a = sa\n"
    "  local function nx() local v = ARGV[a]; a = a + 1; return v end\n"
    "  local function nn() return tonumber(nx()) end\n"
    "  local kb, now, lease = nn(), nn(), nn()\n"
    "  local min_count, ratio, bh, cool, min_hist, top_n = nn(), nn(), nn(), nn(), nn(), nn()\n"
    "  local rv, unit = nx(), nx()\n"
    "  local firstk, pend, recs, recent = KEYS[kb], KEYS[kb + 1], KEYS[kb + 2], KEYS[kb + 3]\n"
    "  local nrecent = tonumber(ARGV[3])\n"
    "  for d = 1, nn() do\n"
    "    local id = nx(); redis.call('ZREM', pend, id); redis.call('HDEL', recs, id)\n"
    "  end\n"
    "  local win = {}\n"
    "  for u = 1, nn() do local h = nn(); win[h] = nn() end\n"
    "  local na = nn()\n"
    "  local ahour, summ, first = {}, {}, nil\n"
    "  for k = 1, na do\n"
    "    ahour[k] = nn(); summ[k] = nx()\n"
    "    if fresh[seen0 + k] and (not first or ahour[k] < first) then first = ahour[k] end\n"
    "  end\n"
    "  local known = tonumber(redis.call('GET', firstk) or '')\n"
    "  if first and (not known or first < known) then redis.call('SET', firstk, first)\n"
    "  else first = known end\n"
    "  local kinds = {'entity', 'topic', 'pair'}\n"
    "  local out = {}\n"
    "  for t = 1, nn() do\n"
    "    local kind, member, h, hs, id = nn(), nx(), nn(), nx(), nx()\n"
    "    local kt, ni = nn(), nn()\n"
    "    local newi = {}\n"
    "    for k = 1, ni do\n"
    "      local it = nn(); if fresh[seen0 + it] then newi[#newi + 1] = it end\n"
    "    end\n"
    "    if #newi > 0 then\n"
    "      local ck = KEYS[win[h] + kind]\n"
    "      if kind == 2 then\n"
    "        -- a pair counts a story once per hour (its members set), or each article\n"
    "        local by = 0\n"
    "        for _, it in ipairs(newi) do\n"
    "          local sk = fresh[seen0 + it]\n"
    "          if sk == 0 or redis.call('SADD', KEYS[sk], hs .. 'p' .. member) == 1 then\n"
    "            by = by + 1\n"
    "          end\n"
    "        end\n"
    "        if by > 0 then\n"
    "          redis.call('ZINCRBY', ck, by, member); redis.call('EXPIRE', ck, hour_ttl)\n"
    "        end\n"
    "      end\n"
    "      if top_n > 0 then\n"
    "        local len = redis.call('LLEN', KEYS[kt + 2])\n"
    "        if len < top_n then\n"
    "          for k = 1, math.min(#newi, top_n - len) do\n"
    "            if summ[newi[k]] ~= '' then redis.call('RPUSH', KEYS[kt + 2], summ[newi[k]]) end\n"
    "          end\n"
    "          if len == 0 then redis.call('EXPIRE', KEYS[kt + 2], hour_ttl) end\n"
    "        end\n"
    "      end\n"
    "      local count = tonumber(redis.call('ZSCORE', ck, member) or '0')\n"
    "      if count >= min_count and redis.call('EXISTS', KEYS[kt]) == 0 then\n"
    "        local s = nil\n"
    "        local function bsum()\n"
    "          if not s then\n"
    "            s = 0\n"
    "            for u = h - bh, h - 1 do\n"
    "              s = s + tonumber(redis.call('ZSCORE', KEYS[win[u] + kind], member) or '0')\n"
    "            end\n"
    "          end\n"
    "          return s\n"
    "        end\n"
    "        local function nearest()\n"
    "          local d = -1\n"
    "          for _, x in ipairs(redis.call('ZRANGEBYSCORE', KEYS[kt + 1], h - cool + 1, h + cool - 1)) do\n"
    "            local dd = math.abs(tonumber(x) - h)\n"
    "            if d < 0 or dd < d then d = dd end\n"
    "          end\n"
    "          return d\n"
    "        end\n"
    "        if surge_verdict(count, h - (first or h), nearest, bsum, min_count, ratio, bh, cool,\n"
    "                         min_hist) == 0 then\n"
    "          local b = bsum() / bh\n"
    "          local js = '{\"id\":' .. cjson.encode(id) .. ',\"kind\":\"' .. kinds[kind + 1] ..\n"
    "            '\",\"key\":' .. cjson.encode(member) .. ',\"hour\":\"' .. string.sub(hs, 1, 4) ..\n"
    "            '-' .. string.sub(hs, 5, 6) .. '-' .. string.sub(hs, 7, 8) .. 'T' ..\n"
    "            string.sub(hs, 9, 10) .. ':00:00Z\",\"count\":' .. string.format('%d', count) ..\n"
    "            ',\"baseline\":' .. string.format('%.4f', b) .. ',\"ratio\":' ..\n"
    "            string.format('%.4f', (count + 1) / (b + 1)) .. ',\"baseline_hours\":' ..\n"
    "            string.format('%d', bh) .. ',\"unit\":' .. cjson.encode(unit) ..\n"
    "            ',\"rules_version\":' .. cjson.encode(rv) .. ',\"detected_ms\":' ..\n"
    "            string.format('%d', now) .. ',\"articles\":[' ..\n"
    "            table.concat(redis.call('LRANGE', KEYS[kt + 2], 0, -1), ',') .. ']}'\n"
    "          if redis.call('SET', KEYS[kt], js, 'NX', 'EX', hour_ttl) then\n"
    "            redis.call('ZADD', KEYS[kt + 1], h, h); redis.call('EXPIRE', KEYS[kt + 1], hour_ttl)\n"
    "            redis.call('HSET', recs, id, js); redis.call('ZADD', pend, now + lease, id)\n"
    "            if nrecent > 0 then\n"
    "              redis.call('XADD', recent, 'MAXLEN', '~', nrecent, '*', 'surge', js)\n"
    "            end\n"
    "            out[#out + 1] = id; out[#out + 1] = js; out[#out + 1] = 0; out[#out + 1] = now\n"
    "          end\n"
    "        end\n"
    "      end\n"
    "    end\n"
    "  end\n"
    "  -- surges whose lease ran out (their daemon died before marking them\n"
    "  -- delivered): this caller takes them over\n"
    "  for _, id in ipairs(redis.call('ZRANGEBYSCORE', pend, '-inf', now, 'LIMIT', 0, 64)) do\n"
    "    local js = redis.call('HGET', recs, id)\n"
    "    if js then\n"
    "      redis.call('ZADD', pend, now + lease, id)\n"
    "      out[#out + 1] = id; out[#out + 1] = js; out[#out + 1] = 1\n"
    "      out[#out + 1] = tonumber(string.match(js, '\"detected_ms\":(%d+)') or '0')\n"
    "    else redis.call('ZREM', pend, id) end\n"
    "  end\n"
    "  return out\n"
    "end\n";

/* one (kind, key, hour) touched by one article of the batch */
typedef struct {
    int kind;
    const char *key;
    int hour; /* index among the batch's hours */
    long eh;  /* that hour, in hours since the epoch */
    int item; /* 1-based article number */
} nm_touch_t;

struct nm_csurge_s {
    char *prefix;
    long hour_ttl, lease_ms;
    int stories; /* [stories] enabled: the rule counts distinct stories */
    const nm_rules_t *rules; /* borrowed; NULL: no surge evaluation */
    char **pair_names;       /* "entity|topic" per rules->surge.pairs */
    size_t npairs;
    char (*done)[20];
    size_t ndone, capdone, ndone_sent;
    nm_counts_surge_t *claimed;
    size_t nclaimed;
    /* the plan */
    nm_touch_t *touch;
    size_t ntouch, captouch;
    long *win;
    size_t nwin, capwin;
    long *eh; /* per batch hour: hours since the epoch (sscanf and timegm, once) */
    size_t capeh;
    const char **keys, **args;
    size_t *keylen, *arglen;
    size_t nkeys, nargs, capkeys, capargs;
    char *buf;
    size_t used, capbuf;
    char **bufs; /* earlier, full buffers of this plan (pointers into them stay valid) */
    size_t nbufs;
};

nm_csurge_t *nm_csurge_new(const nm_config_t *cfg, const char *prefix) {
    nm_csurge_t *s = calloc(1, sizeof *s);
    if (!s || !(s->prefix = strdup(prefix))) {
        free(s);
        return NULL;
    }
    s->hour_ttl = cfg->redis_hour_ttl_s;
    s->lease_ms = cfg->surge_retry_s * 1000L;
    s->stories = cfg->stories_enabled;
    return s;
}

static void nm_csurge_free_claimed(nm_csurge_t *s) {
    for (size_t i = 0; i < s->nclaimed; i++) free(s->claimed[i].json);
    free(s->claimed);
    s->claimed = NULL;
    s->nclaimed = 0;
}

static void nm_csurge_free_pairs(nm_csurge_t *s) {
    for (size_t i = 0; i < s->npairs; i++) free(s->pair_names[i]);
    free(s->pair_names);
    s->pair_names = NULL;
    s->npairs = 0;
}

static void nm_csurge_reset_bufs(nm_csurge_t *s) {
    for (size_t i = 0; i < s->nbufs; i++) free(s->bufs[i]);
    free(s->bufs);
    s->bufs = NULL;
    s->nbufs = 0;
    s->used = 0;
}

void nm_csurge_destroy(nm_csurge_t *s) {
    if (!s) return;
    nm_csurge_free_claimed(s);
    nm_csurge_free_pairs(s);
    nm_csurge_reset_bufs(s);
    free(s->buf);
    free(s->prefix);
    free(s->done);
    free(s->touch);
    free(s->win);
    free(s->eh);
    free(s->keys);
    free(s->args);
    free(s->keylen);
    free(s->arglen);
    free(s);
}

void nm_csurge_set_rules(nm_csurge_t *s, const nm_rules_t *rules) {
    nm_csurge_free_pairs(s);
    s->rules = rules;
    if (!rules || !rules->surge.npairs) return;
    s->pair_names = calloc(rules->surge.npairs, sizeof *s->pair_names);
    if (!s->pair_names) {
        s->rules = NULL; /* out of memory: no surges rather than wrong ones */
        return;
    }
    for (size_t i = 0; i < rules->surge.npairs; i++) {
        const nm_surge_pair_t *p = &rules->surge.pairs[i];
        const char *e = rules->entities[p->entity].id, *t = rules->topics[p->topic].id;
        size_t len = strlen(e) + strlen(t) + 2;
        if (!(s->pair_names[i] = malloc(len))) {
            s->npairs = i;
            nm_csurge_free_pairs(s);
            s->rules = NULL;
            return;
        }
        snprintf(s->pair_names[i], len, "%s|%s", e, t);
        s->npairs = i + 1;
    }
}

#define NM_GROW(arr, cap, need)                                                   \
    do {                                                                          \
        if ((need) > (cap)) {                                                     \
            size_t nc_ = (cap) ? (cap) : 64;                                      \
            while (nc_ < (need)) nc_ *= 2;                                        \
            void *np_ = realloc((arr), nc_ * sizeof *(arr));                      \
            if (!np_) return -1;                                                  \
            (arr) = np_;                                                          \
            (cap) = nc_;                                                          \
        }                                                                         \
    } while (0)

/* Room for `len` bytes in the plan's buffer; a full buffer is kept (earlier
 * arguments point into it) and a new one started. */
static char *nm_csurge_room(nm_csurge_t *s, size_t len) {
    if (s->used + len > s->capbuf) {
        size_t cap = s->capbuf ? s->capbuf : 16384;
        while (cap < len) cap *= 2;
        char *nb = malloc(cap);
        if (!nb) return NULL;
        if (s->buf) {
            char **nbs = realloc(s->bufs, (s->nbufs + 1) * sizeof *nbs);
            if (!nbs) {
                free(nb);
                return NULL;
            }
            s->bufs = nbs;
            s->bufs[s->nbufs++] = s->buf;
        }
        s->buf = nb;
        s->capbuf = cap;
        s->used = 0;
    }
    char *p = s->buf + s->used;
    s->used += len;
    return p;
}

static int nm_push(const char ***v, size_t **lens, size_t *n, size_t *cap, const char *p,
                   size_t len) {
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 256;
        const char **nv = realloc(*v, nc * sizeof *nv);
        if (!nv) return -1;
        *v = nv;
        size_t *nl = realloc(*lens, nc * sizeof *nl);
        if (!nl) return -1;
        *lens = nl;
        *cap = nc;
    }
    (*v)[*n] = p;
    (*lens)[(*n)++] = len;
    return 0;
}

static int nm_arg_s(nm_csurge_t *s, const char *p, size_t len) {
    return nm_push(&s->args, &s->arglen, &s->nargs, &s->capargs, p, len);
}

/* printf into the plan's buffer, pushed as an argument (key: 0) or a key */
static int nm_fmt(nm_csurge_t *s, int key, size_t room, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int nm_fmt(nm_csurge_t *s, int key, size_t room, const char *fmt, ...) {
    char *p = nm_csurge_room(s, room);
    if (!p) return -1;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(p, room, fmt, ap);
    va_end(ap);
    if (w < 0 || (size_t)w >= room) return -1;
    s->used -= room - (size_t)w - 1;
    return key ? nm_push(&s->keys, &s->keylen, &s->nkeys, &s->capkeys, p, (size_t)w)
               : nm_arg_s(s, p, (size_t)w);
}

/* A number pushed as an argument: most of the plan's arguments, and
 * vsnprintf made them most of its cost. */
static int nm_num(nm_csurge_t *s, long long v) {
    char d[24], *e = d + sizeof d, *b = nm_decimal_signed_end(e, v);
    size_t w = (size_t)(e - b);
    char *p = nm_csurge_room(s, w + 1);
    if (!p) return -1;
    memcpy(p, b, w);
    p[w] = '\0';
    return nm_arg_s(s, p, w);
}

static int nm_touch_cmp(const void *x, const void *y) {
    const nm_touch_t *a = x, *b = y;
    if (a->kind != b->kind) return a->kind - b->kind;
    int c = strcmp(a->key, b->key);
    if (c) return c;
    /* a key's hours oldest first: the cool-down sees them in time order */
    if (a->eh != b->eh) return a->eh < b->eh ? -1 : 1;
    return a->item - b->item;
}

static int nm_same_key(const nm_touch_t *a, const nm_touch_t *b) {
    return a->kind == b->kind && a->hour == b->hour && !strcmp(a->key, b->key);
}

static int nm_long_cmp(const void *x, const void *y) {
    long a = *(const long *)x, b = *(const long *)y;
    return (a > b) - (a < b);
}

/* "YYYYMMDDHH" -> hours since the epoch */
static long nm_epoch_hour(const char *h) {
    struct tm tm = {0};
    if (sscanf(h, "%4d%2d%2d%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour) != 4)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (long)(timegm(&tm) / 3600);
}

static int nm_add_touch(nm_csurge_t *s, int kind, const char *key, int hour, long eh,
                        int item) {
    NM_GROW(s->touch, s->captouch, s->ntouch + 1);
    s->touch[s->ntouch++] = (nm_touch_t){kind, key, hour, eh, item};
    return 0;
}

int nm_csurge_plan(nm_csurge_t *s, const nm_counts_item_t *items, size_t n,
                   const int *hour_index, const char *const *hours, size_t nh,
                   size_t first_key) {
    s->ntouch = s->nwin = s->nkeys = s->nargs = 0;
    nm_csurge_reset_bufs(s);
    const nm_surge_params_t *p = s->rules ? &s->rules->surge : NULL;
    long bh = p ? p->baseline_hours : 0;
    NM_GROW(s->eh, s->capeh, nh);
    for (size_t h = 0; h < nh; h++) s->eh[h] = nm_epoch_hour(hours[h]);
    /* what the batch touches */
    for (size_t i = 0; p && i < n; i++) {
        const nm_counts_item_t *it = &items[i];
        int h = hour_index[i];
        long eh = s->eh[h];
        for (int e = 0; e < it->nentities; e++)
            if (nm_add_touch(s, NM_SURGE_ENTITY, it->entities[e], h, eh, (int)i + 1)) return -1;
        for (int t = 0; t < it->ntopics; t++)
            if (nm_add_touch(s, NM_SURGE_TOPIC, it->topics[t], h, eh, (int)i + 1)) return -1;
        for (size_t k = 0; k < s->npairs; k++) {
            const nm_surge_pair_t *pr = &p->pairs[k];
            const char *eid = s->rules->entities[pr->entity].id;
            const char *tid = s->rules->topics[pr->topic].id;
            int he = 0, ht = 0;
            for (int e = 0; e < it->nentities && !he; e++) he = !strcmp(it->entities[e], eid);
            for (int t = 0; t < it->ntopics && !ht; t++) ht = !strcmp(it->topics[t], tid);
            if (he && ht && nm_add_touch(s, NM_SURGE_PAIR, s->pair_names[k], h, eh, (int)i + 1))
                return -1;
        }
    }
    if (s->ntouch) qsort(s->touch, s->ntouch, sizeof *s->touch, nm_touch_cmp);
    /* the window: every batch hour and the baseline_hours before it */
    if (p) {
        NM_GROW(s->win, s->capwin, nh * (size_t)(bh + 1));
        for (size_t h = 0; h < nh; h++) {
            for (long u = s->eh[h] - bh; u <= s->eh[h]; u++) s->win[s->nwin++] = u;
        }
        if (s->nwin) qsort(s->win, s->nwin, sizeof *s->win, nm_long_cmp);
        size_t m = 0;
        for (size_t i = 0; i < s->nwin; i++)
            if (!m || s->win[m - 1] != s->win[i]) s->win[m++] = s->win[i];
        s->nwin = m;
    }
    size_t plen = strlen(s->prefix);
    /* keys: first_hour, pending, records, recent; three count keys per window hour;
     * three per touched key and hour */
    if (nm_fmt(s, 1, plen + 20, "%ssurge:first_hour", s->prefix) ||
        nm_fmt(s, 1, plen + 20, "%ssurge:pending", s->prefix) ||
        nm_fmt(s, 1, plen + 20, "%ssurge:records", s->prefix) ||
        nm_fmt(s, 1, plen + 20, "%ssurges:recent", s->prefix))
        return -1;
    for (size_t u = 0; u < s->nwin; u++) {
        time_t t = (time_t)s->win[u] * 3600;
        char hs[11];
        nm_surge_hour(t, hs);
        for (int k = 0; k < NM_SURGE_KINDS; k++)
            if (nm_fmt(s, 1, plen + 48, "%s%s:%s", s->prefix, nm_surge_count_base(k, s->stories),
                       hs))
                return -1;
    }
    size_t touch_key0 = s->nkeys;
    for (size_t i = 0; i < s->ntouch; i++) {
        const nm_touch_t *t = &s->touch[i];
        if (i && nm_same_key(t, &s->touch[i - 1])) continue; /* another article of it */
        const char *kn = nm_surge_kind_name(t->kind);
        char id[20];
        nm_surge_alert_id(t->kind, t->key, hours[t->hour], s->rules->version, id);
        size_t room = plen + strlen(t->key) + 64;
        if (nm_fmt(s, 1, room, "%ssurge:%s", s->prefix, id) ||
            nm_fmt(s, 1, room, "%ssurge:fired:%s:%s", s->prefix, kn, t->key) ||
            nm_fmt(s, 1, room, "%ssurge:top:%s:%s:%s", s->prefix, kn, t->key, hours[t->hour]))
            return -1;
    }
    /* arguments */
    const char *rv = s->rules ? s->rules->version : "";
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    long long now_ms = (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    if (nm_num(s, first_key) || nm_num(s, now_ms) ||
        nm_num(s, s->lease_ms) ||
        nm_num(s, p ? p->min_count : 0) ||
        nm_fmt(s, 0, 32, "%.17g", p ? p->ratio : 0.0) || nm_num(s, bh) ||
        nm_num(s, p ? p->cooldown_hours : 1) ||
        nm_num(s, p ? p->min_history_hours : 0) ||
        nm_num(s, p ? p->top_articles : 0) || nm_arg_s(s, rv, strlen(rv)) ||
        nm_arg_s(s, nm_surge_count_unit(s->stories), strlen(nm_surge_count_unit(s->stories))))
        return -1;
    s->ndone_sent = s->ndone;
    if (nm_num(s, s->ndone)) return -1;
    for (size_t i = 0; i < s->ndone; i++)
        if (nm_arg_s(s, s->done[i], strlen(s->done[i]))) return -1;
    if (nm_num(s, s->nwin)) return -1;
    for (size_t u = 0; u < s->nwin; u++)
        if (nm_num(s, s->win[u]) ||
            nm_num(s, first_key + 4 + 3 * u))
            return -1;
    if (nm_num(s, p ? n : 0)) return -1;
    for (size_t i = 0; p && i < n; i++) {
        const char *sum = items[i].summary ? items[i].summary : "";
        if (nm_num(s, s->eh[hour_index[i]]) ||
            nm_arg_s(s, sum, items[i].summary ? items[i].summary_len : 0))
            return -1;
    }
    size_t nuniq = 0;
    for (size_t i = 0; i < s->ntouch; i++) {
        const nm_touch_t *t = &s->touch[i];
        if (i && nm_same_key(t, &s->touch[i - 1])) continue; /* another article of it */
        nuniq++;
    }
    if (nm_num(s, nuniq)) return -1;
    for (size_t i = 0, k = 0; i < s->ntouch; k++) {
        const nm_touch_t *t = &s->touch[i];
        size_t j = i + 1;
        while (j < s->ntouch && nm_same_key(&s->touch[j], t)) j++;
        char id[20];
        nm_surge_alert_id(t->kind, t->key, hours[t->hour], rv, id);
        if (nm_num(s, t->kind) || nm_arg_s(s, t->key, strlen(t->key)) ||
            nm_num(s, t->eh) ||
            nm_arg_s(s, hours[t->hour], strlen(hours[t->hour])) || nm_fmt(s, 0, 24, "%s", id) ||
            nm_num(s, first_key + touch_key0 + 3 * k) ||
            nm_num(s, j - i))
            return -1;
        for (; i < j; i++)
            if (nm_num(s, s->touch[i].item)) return -1;
    }
    return 0;
}

size_t nm_csurge_keys(const nm_csurge_t *s, const char *const **argv, const size_t **lens) {
    *argv = s->keys;
    *lens = s->keylen;
    return s->nkeys;
}

size_t nm_csurge_args(const nm_csurge_t *s, const char *const **argv, const size_t **lens) {
    *argv = s->args;
    *lens = s->arglen;
    return s->nargs;
}

int nm_csurge_take(nm_csurge_t *s, redisReply *r) {
    nm_csurge_free_claimed(s);
    /* the ids reported delivered are out of the pending set now */
    if (s->ndone_sent)
        memmove(s->done, s->done + s->ndone_sent, (s->ndone - s->ndone_sent) * sizeof *s->done);
    s->ndone -= s->ndone_sent;
    s->ndone_sent = 0;
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements % 4) return -1;
    size_t n = r->elements / 4;
    if (!n) return 0;
    if (!(s->claimed = calloc(n, sizeof *s->claimed))) return -1;
    for (size_t i = 0; i < n; i++) {
        redisReply **e = r->element + 4 * i;
        if (e[0]->type != REDIS_REPLY_STRING || e[1]->type != REDIS_REPLY_STRING ||
            e[2]->type != REDIS_REPLY_INTEGER || e[3]->type != REDIS_REPLY_INTEGER)
            return -1;
        nm_counts_surge_t *c = &s->claimed[s->nclaimed];
        snprintf(c->id, sizeof c->id, "%s", e[0]->str);
        if (!(c->json = malloc(e[1]->len + 1))) return -1;
        memcpy(c->json, e[1]->str, e[1]->len + 1);
        c->len = e[1]->len;
        c->retry = (int)e[2]->integer;
        c->detected_ms = e[3]->integer;
        s->nclaimed++;
    }
    return 0;
}

void nm_csurge_forget(nm_csurge_t *s) { nm_csurge_free_claimed(s); }

size_t nm_csurge_claimed(const nm_csurge_t *s, const nm_counts_surge_t **out) {
    *out = s->claimed;
    return s->nclaimed;
}

int nm_csurge_done(nm_csurge_t *s, const char *id) {
    NM_GROW(s->done, s->capdone, s->ndone + 1);
    snprintf(s->done[s->ndone++], sizeof s->done[0], "%s", id);
    return 0;
}

size_t nm_csurge_ndone(const nm_csurge_t *s) { return s->ndone; }
