/* nm_event.c - enriched events and alerts, written as compact JSON. */
#include "nm_event.h"

#include "nm_story.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#ifndef NEWSMON_VERSION
#define NEWSMON_VERSION "0.0.0"
#endif

void nm_event_now(char buf[32]) {
    /* 64 bytes of room silences -Wformat-truncation for impossible years */
    char tmp[64];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             ts.tv_nsec / 1000000L);
    memcpy(buf, tmp, 31);
    buf[31] = '\0';
}

void nm_jbuf_init(nm_jbuf_t *b) { memset(b, 0, sizeof *b); }

void nm_jbuf_free(nm_jbuf_t *b) {
    free(b->s);
    nm_jbuf_init(b);
}

static int nm_jbuf_room(nm_jbuf_t *b, size_t n) {
    if (b->len + n + 1 <= b->cap) return 1;
    if (b->oom) return 0;
    size_t nc = b->cap ? b->cap : 4096;
    while (nc < b->len + n + 1) nc *= 2;
    char *ns = realloc(b->s, nc);
    if (!ns) {
        b->oom = 1;
        return 0;
    }
    b->s = ns;
    b->cap = nc;
    return 1;
}

static void nm_raw(nm_jbuf_t *b, const char *s, size_t n) {
    if (!nm_jbuf_room(b, n)) return;
    memcpy(b->s + b->len, s, n);
    b->len += n;
}

#define NM_LIT(b, lit) nm_raw(b, lit, sizeof lit - 1)

/* 1 for the bytes JSON strings must escape */
static const unsigned char nm_esc[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
};

/* Whether any of the eight bytes in x is one JSON must escape (< 0x20,
 * '"' or '\\'): the classic has-zero-byte tests, exact for "any", eight
 * bytes per step instead of one table lookup each. */
static int nm_esc8(uint64_t x) {
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    uint64_t q = x ^ (ones * '"'), bs = x ^ (ones * '\\');
    return (((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((bs - ones) & ~bs)) & highs ? 1 : 0;
}

/* The length of the run of bytes from s that JSON need not escape, at
 * most n: 16 bytes a step where SSE2 is (bodies and titles are most of an
 * event's bytes), else eight. */
static size_t nm_plain_run(const char *s, size_t n) {
    size_t run = 0;
#ifdef __SSE2__
    for (; run + 16 <= n; run += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(s + run));
        __m128i esc = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
            _mm_cmpeq_epi8(_mm_subs_epu8(v, _mm_set1_epi8(0x1F)), _mm_setzero_si128())); /* v < 0x20 */
        unsigned m = (unsigned)_mm_movemask_epi8(esc);
        if (m) return run + (unsigned)__builtin_ctz(m);
    }
#endif
    for (uint64_t x; run + 8 <= n && (memcpy(&x, s + run, 8), !nm_esc8(x));) run += 8;
    while (run < n && !nm_esc[(unsigned char)s[run]]) run++;
    return run;
}

/* A JSON string: runs of plain bytes are copied at once. With `oneline`,
 * newlines and tabs become spaces (snippets read on one line). */
static void nm_str_ex(nm_jbuf_t *b, const char *s, size_t n, int oneline) {
    if (!nm_jbuf_room(b, n + 2)) return;
    b->s[b->len++] = '"';
    size_t i = 0;
    while (i < n) {
        size_t run = i + nm_plain_run(s + i, n - i);
        nm_raw(b, s + i, run - i);
        if (run == n) break;
        unsigned char c = (unsigned char)s[run];
        char e[8];
        if (oneline && (c == '\n' || c == '\r' || c == '\t')) nm_raw(b, " ", 1);
        else if (c == '"') NM_LIT(b, "\\\"");
        else if (c == '\\') NM_LIT(b, "\\\\");
        else if (c == '\n') NM_LIT(b, "\\n");
        else if (c == '\r') NM_LIT(b, "\\r");
        else if (c == '\t') NM_LIT(b, "\\t");
        else {
            snprintf(e, sizeof e, "\\u%04x", c);
            nm_raw(b, e, 6);
        }
        i = run + 1;
    }
    nm_raw(b, "\"", 1);
}

static void nm_str(nm_jbuf_t *b, const char *s) { nm_str_ex(b, s, strlen(s), 0); }

/* ,"key": (the leading comma unless this is the object's first member).
 * Keys are this file's identifiers, with nothing to escape: copied as they
 * are (an event has ~100 of them; the escape scan was most of their cost). */
static void nm_key(nm_jbuf_t *b, const char *key) {
    size_t n = strlen(key);
    if (!nm_jbuf_room(b, n + 4)) return;
    if (b->len && b->s[b->len - 1] != '{' && b->s[b->len - 1] != '[') b->s[b->len++] = ',';
    b->s[b->len++] = '"';
    memcpy(b->s + b->len, key, n);
    b->len += n;
    b->s[b->len++] = '"';
    b->s[b->len++] = ':';
}

static void nm_kstr(nm_jbuf_t *b, const char *key, const char *v) {
    if (!v) return; /* absent input fields stay absent */
    nm_key(b, key);
    nm_str(b, v);
}

/* Decimal digits of v into the end of buf; returns where they start. */
static char *nm_utoa_end(char *end, unsigned long long v) {
    do *--end = (char)('0' + v % 10); while (v /= 10);
    return end;
}

/* An integer member: what "%.0f" gives for it, without printf. */
static void nm_kint(nm_jbuf_t *b, const char *key, long long v) {
    char num[24], *end = num + sizeof num;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    char *p = nm_utoa_end(end, u);
    if (v < 0) *--p = '-';
    nm_key(b, key);
    nm_raw(b, p, (size_t)(end - p));
}

/* A score, as "%.3f" prints it. printf rounds the exact binary value, half
 * to even; v * 1000 is exact enough to decide unless it lies within 1e-6 of
 * a half, so those (and negative, huge or non-finite values) still go to
 * snprintf: the output is the same, the common case has no printf. */
static void nm_kscore(nm_jbuf_t *b, const char *key, double v) {
    char num[64];
    size_t n;
    double r = v * 1000.0, fl = floor(r), frac = r - fl;
    if (v >= 0 && !signbit(v) && v < 1e6 && fabs(frac - 0.5) > 1e-6) {
        unsigned long long m = (unsigned long long)fl + (frac > 0.5);
        char *end = num + sizeof num, *p = end;
        for (int i = 0; i < 3; i++, m /= 10) *--p = (char)('0' + m % 10);
        *--p = '.';
        p = nm_utoa_end(p, m);
        n = (size_t)(end - p);
        memmove(num, p, n);
    } else {
        n = (size_t)snprintf(num, sizeof num, "%.3f", v);
    }
    nm_key(b, key);
    nm_raw(b, num, n);
}

/* Snippets hold at most 255 bytes; drop a last UTF-8 sequence that the
 * limit cut short. */
static void nm_snippet(nm_jbuf_t *b, const char *s, size_t len) {
    size_t n = len < 255 ? len : 255;
    size_t lead = n;
    while (lead && ((unsigned char)s[lead - 1] & 0xC0) == 0x80) lead--;
    if (lead) {
        unsigned char c = (unsigned char)s[lead - 1];
        size_t want = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        if (lead - 1 + want > n) n = lead - 1;
    }
    nm_str_ex(b, s, n, 1);
}

static void nm_evidence(nm_jbuf_t *b, const nm_evidence_t *ev) {
    NM_LIT(b, "{");
    nm_kstr(b, "term", ev->term);
    nm_kstr(b, "rule", ev->rule);
    nm_kstr(b, "field", ev->field ? "body" : "title");
    nm_kint(b, "offset", (long long)ev->offset);
    nm_key(b, "snippet");
    nm_snippet(b, ev->snippet, ev->snippet_len);
    NM_LIT(b, "}");
}

/* The input fields both events start with. */
static void nm_input_fields(nm_jbuf_t *b, const nm_article_t *a, nm_body_mode_t body) {
    b->len = 0;
    b->oom = 0;
    NM_LIT(b, "{");
    nm_kstr(b, "id", a->id);
    nm_kstr(b, "url", a->url);
    nm_kstr(b, "source", a->source);
    nm_kstr(b, "published_at", a->published_at);
    nm_key(b, "title");
    nm_str_ex(b, a->title, a->title_len, 0);
    if (body == NM_BODY_INCLUDE) {
        nm_key(b, "body");
        nm_str_ex(b, a->body, a->body_len, 0);
    } else if (body == NM_BODY_OMITTED) {
        nm_key(b, "body_omitted");
        NM_LIT(b, "true");
    }
}

static nm_err_t nm_finish(nm_jbuf_t *b) {
    NM_LIT(b, "}");
    if (b->oom || !nm_jbuf_room(b, 0)) return NM_ERR_NOMEM;
    b->s[b->len] = '\0';
    return NM_OK;
}

/* "topics": [{id, score, evidence: [...]}] */
static void nm_topic_objects(nm_jbuf_t *b, const nm_rules_t *rules, const nm_tag_result_t *res) {
    nm_key(b, "topics");
    NM_LIT(b, "[");
    for (int i = 0; i < res->ntopics; i++) {
        const nm_topic_tag_t *t = &res->topics[i];
        if (i) NM_LIT(b, ",");
        NM_LIT(b, "{");
        nm_kstr(b, "id", rules->topics[t->topic].id);
        nm_kscore(b, "score", t->score);
        nm_key(b, "evidence");
        NM_LIT(b, "[");
        for (int k = 0; k < t->nev; k++) {
            if (k) NM_LIT(b, ",");
            nm_evidence(b, &t->ev[k]);
        }
        NM_LIT(b, "]}");
    }
    NM_LIT(b, "]");
}

nm_err_t nm_event_enriched(nm_jbuf_t *b, const nm_article_t *a, const nm_rules_t *rules,
                           const nm_tag_result_t *res, nm_body_mode_t body,
                           const char *processed_at) {
    nm_input_fields(b, a, body);
    nm_key(b, "relevant");
    if (res->relevant) NM_LIT(b, "true");
    else NM_LIT(b, "false");
    nm_kscore(b, "score", res->score);
    nm_topic_objects(b, rules, res);
    nm_key(b, "entities");
    NM_LIT(b, "[");
    for (int i = 0; i < res->nentities; i++) {
        const nm_entity_tag_t *e = &res->entities[i];
        const nm_entity_t *ent = &rules->entities[e->entity];
        if (i) NM_LIT(b, ",");
        NM_LIT(b, "{");
        nm_kstr(b, "id", ent->id);
        nm_kstr(b, "name", ent->name);
        nm_kstr(b, "type", ent->type);
        nm_kint(b, "mentions", e->mentions);
        nm_key(b, "evidence");
        NM_LIT(b, "[");
        nm_evidence(b, &e->ev);
        NM_LIT(b, "]}");
    }
    NM_LIT(b, "]");
    nm_kstr(b, "lang", res->lang);
    if (a->utf8_repaired) {
        nm_key(b, "utf8_repaired");
        NM_LIT(b, "true");
    }
    nm_kstr(b, "processed_at", processed_at);
    nm_kstr(b, "newsmon_version", NEWSMON_VERSION);
    nm_kstr(b, "rules_version", rules->version);
    return nm_finish(b);
}

nm_err_t nm_event_add_story(nm_jbuf_t *b, const char *event, size_t len,
                            const nm_story_t *story) {
    if (!len || event[len - 1] != '}') return NM_ERR_INPUT;
    b->len = 0;
    b->oom = 0;
    nm_raw(b, event, len - 1); /* the event's members, then the story, then '}' */
    nm_key(b, "story");
    NM_LIT(b, "{");
    nm_kstr(b, "id", story->id);
    nm_kstr(b, "first_article", story->first_article);
    nm_key(b, "copy");
    if (story->copy) NM_LIT(b, "true}");
    else NM_LIT(b, "false}");
    return nm_finish(b);
}

nm_err_t nm_event_alert(nm_jbuf_t *b, const nm_article_t *a, const nm_rules_t *rules,
                        const nm_tag_result_t *res, nm_alert_form_t form,
                        const char *processed_at) {
    nm_input_fields(b, a, NM_BODY_EXCLUDE);
    nm_kstr(b, "lang", res->lang);
    nm_kscore(b, "score", res->score);
    if (form == NM_ALERT_TOPIC_EVIDENCE) {
        nm_topic_objects(b, rules, res);
    } else {
        nm_key(b, "topics");
        NM_LIT(b, "[");
        for (int i = 0; i < res->ntopics; i++) {
            if (i) NM_LIT(b, ",");
            nm_str(b, rules->topics[res->topics[i].topic].id);
        }
        NM_LIT(b, "]");
    }
    nm_key(b, "entities");
    NM_LIT(b, "[");
    for (int i = 0; i < res->nentities && i < NM_ALERT_MAX_ENTITIES; i++) {
        if (i) NM_LIT(b, ",");
        nm_str(b, rules->entities[res->entities[i].entity].id);
    }
    NM_LIT(b, "]");
    nm_kstr(b, "processed_at", processed_at);
    nm_kstr(b, "rules_version", rules->version);
    return nm_finish(b);
}

nm_err_t nm_event_summary(nm_jbuf_t *b, const nm_article_t *a) {
    NM_LIT(b, "{");
    nm_kstr(b, "id", a->id);
    nm_kstr(b, "title", a->title);
    nm_kstr(b, "url", a->url);
    nm_kstr(b, "source", a->source);
    nm_kstr(b, "published_at", a->published_at);
    NM_LIT(b, "}");
    if (nm_jbuf_room(b, 0)) b->s[b->len] = '\0';
    return b->oom ? NM_ERR_NOMEM : NM_OK;
}
