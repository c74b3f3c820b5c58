/* nm_event.c - enriched events and alerts, written as compact JSON. */
#include "nm_event.h"

#include "nm_decimal.h"
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

/* n decimal digits of v at p (zeros in front); returns the end. */
static char *nm_digits(char *p, unsigned v, int n) {
    for (int k = n - 1; k >= 0; k--, v /= 10) p[k] = (char)('0' + v % 10);
    return p + n;
}

void nm_event_now(char buf[32]) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    int year = tm.tm_year + 1900;
    if (year < 0 || year > 9999) { /* as printf's %04d writes it (once per article: no printf) */
        /* 64 bytes of room silences -Wformat-truncation for impossible years */
        char tmp[64];
        snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", year, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000L);
        memcpy(buf, tmp, 31);
        buf[31] = '\0';
        return;
    }
    char *p = nm_digits(buf, (unsigned)year, 4);
    *p++ = '-';
    p = nm_digits(p, (unsigned)tm.tm_mon + 1, 2);
    *p++ = '-';
    p = nm_digits(p, (unsigned)tm.tm_mday, 2);
    *p++ = 'T';
    p = nm_digits(p, (unsigned)tm.tm_hour, 2);
    *p++ = ':';
    p = nm_digits(p, (unsigned)tm.tm_min, 2);
    *p++ = ':';
    p = nm_digits(p, (unsigned)tm.tm_sec, 2);
    *p++ = '.';
    p = nm_digits(p, (unsigned)(ts.tv_nsec / 1000000L), 3);
    *p++ = 'Z';
    *p = '\0';
}

void nm_jbuf_init(nm_jbuf_t *b) { memset(b, 0, sizeof *b); }

void nm_jbuf_free(nm_jbuf_t *b) {
    free(b->s);
    nm_jbuf_init(b);
}

/* Room for n more bytes and a NUL, grown to: out of line, as it is rare
 * (the buffer is reused across articles). */
static __attribute__((noinline)) int nm_jbuf_grow(nm_jbuf_t *b, size_t n) {
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

static inline int nm_jbuf_room(nm_jbuf_t *b, size_t n) {
    return b->cap - b->len > n ? 1 : nm_jbuf_grow(b, n); /* len <= cap */
}

/* Inlined everywhere: most writes are literals, whose copy then is a store
 * or two (an event has ~500 writes; calls were most of their cost). */
static inline void nm_raw(nm_jbuf_t *b, const char *s, size_t n) {
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

/* Copy to d the run of bytes from s that JSON need not escape, at most n
 * (d has room for n), and return its length: 16 bytes a step where SSE2
 * is (bodies and titles are most of an event's bytes), else eight, each
 * stored as it is checked (the bytes stored past the run are written over
 * or lie past the end). */
static size_t nm_plain_copy(char *d, const char *s, size_t n) {
    size_t run = 0;
#ifdef __SSE2__
    for (; run + 16 <= n; run += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(s + run));
        _mm_storeu_si128((__m128i *)(d + run), v);
        __m128i esc = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
            _mm_cmpeq_epi8(_mm_subs_epu8(v, _mm_set1_epi8(0x1F)), _mm_setzero_si128())); /* v < 0x20 */
        unsigned m = (unsigned)_mm_movemask_epi8(esc);
        if (m) return run + (unsigned)__builtin_ctz(m);
    }
#endif
    for (uint64_t x; run + 8 <= n; run += 8) {
        memcpy(&x, s + run, 8);
        memcpy(d + run, &x, 8);
        if (nm_esc8(x)) break;
    }
    for (; run < n && !nm_esc[(unsigned char)s[run]]; run++) d[run] = s[run];
    return run;
}

/* The rest of a JSON string, from a byte to escape, and its closing
 * quote. Room is made once per piece of NM_STR_PIECE input bytes, for the
 * worst case (each byte escaped as \u00XX), so the writes need no check of
 * their own and a large body does not make the buffer six times its size. */
#define NM_STR_PIECE 4096

static __attribute__((noinline)) void nm_str_rest(nm_jbuf_t *b, const char *s, size_t n,
                                                  int oneline) {
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n;) {
        size_t end = n - i > NM_STR_PIECE ? i + NM_STR_PIECE : n;
        if (!nm_jbuf_room(b, 6 * (end - i))) return;
        char *d = b->s + b->len;
        while (i < end) {
            size_t run = nm_plain_copy(d, s + i, end - i);
            d += run;
            i += run;
            if (i == end) break;
            unsigned char c = (unsigned char)s[i++];
            if (oneline && (c == '\n' || c == '\r' || c == '\t')) {
                *d++ = ' ';
                continue;
            }
            *d++ = '\\';
            if (c == '"' || c == '\\') *d++ = (char)c;
            else if (c == '\n') *d++ = 'n';
            else if (c == '\r') *d++ = 'r';
            else if (c == '\t') *d++ = 't';
            else { /* as printf's \u%04x: the other bytes below 0x20 */
                memcpy(d, "u00", 3);
                d[3] = hex[c >> 4];
                d[4] = hex[c & 15];
                d += 5;
            }
        }
        b->len = (size_t)(d - b->s);
    }
    NM_LIT(b, "\"");
}

/* A JSON string. Most (ids, names, terms) need no escape: one copy as
 * they are scanned, into room for them and the quotes; the rest goes on
 * from the first byte to escape (nm_str_rest). With `oneline`, newlines
 * and tabs become spaces (snippets read on one line). */
static void nm_str_ex(nm_jbuf_t *b, const char *s, size_t n, int oneline) {
    if (!nm_jbuf_room(b, n + 2)) return;
    char *d = b->s + b->len;
    *d++ = '"';
    size_t run = nm_plain_copy(d, s, n);
    if (run == n) {
        d[n] = '"';
        b->len += n + 2;
        return;
    }
    b->len += 1 + run;
    nm_str_rest(b, s + run, n - run, oneline);
}

static void nm_str(nm_jbuf_t *b, const char *s) { nm_str_ex(b, s, strlen(s), 0); }

/* ,"key": (the leading comma unless this is the object's first member).
 * Keys are this file's literals, with nothing to escape: copied as they
 * are, their length known (NM_KEY; an event has ~100 of them). */
static inline void nm_key(nm_jbuf_t *b, const char *key, size_t n) {
    if (!nm_jbuf_room(b, n + 4)) return;
    char *d = b->s + b->len;
    if (b->len && d[-1] != '{' && d[-1] != '[') *d++ = ',';
    *d++ = '"';
    memcpy(d, key, n);
    d += n;
    *d++ = '"';
    *d++ = ':';
    b->len = (size_t)(d - b->s);
}

#define NM_KEY(b, lit) nm_key(b, lit, sizeof lit - 1)

static void nm_kstr(nm_jbuf_t *b, const char *key, size_t keylen, const char *v) {
    if (!v) return; /* absent input fields stay absent */
    nm_key(b, key, keylen);
    nm_str(b, v);
}

#define NM_KSTR(b, lit, v) nm_kstr(b, lit, sizeof lit - 1, v)

/* An integer member: what "%.0f" gives for it, without printf. */
static void nm_kint(nm_jbuf_t *b, const char *key, size_t keylen, long long v) {
    char num[24], *end = num + sizeof num;
    char *p = nm_decimal_signed_end(end, v);
    nm_key(b, key, keylen);
    nm_raw(b, p, (size_t)(end - p));
}

/* A score, as "%.3f" prints it. printf rounds the exact binary value, half
 * to even; v * 1000 is exact enough to decide unless it lies within 1e-6 of
 * a half, so those (and negative, huge or non-finite values) still go to
 * snprintf: the output is the same, the common case has no printf. */
static void nm_kscore(nm_jbuf_t *b, const char *key, size_t keylen, double v) {
    char num[64];
    size_t n;
    double r = v * 1000.0, fl = floor(r), frac = r - fl;
    if (v >= 0 && !signbit(v) && v < 1e6 && fabs(frac - 0.5) > 1e-6) {
        unsigned long long m = (unsigned long long)fl + (frac > 0.5);
        char *end = num + sizeof num, *p = end;
        for (int i = 0; i < 3; i++, m /= 10) *--p = (char)('0' + m % 10);
        *--p = '.';
        p = nm_decimal_end(p, m);
        n = (size_t)(end - p);
        memmove(num, p, n);
    } else {
        n = (size_t)snprintf(num, sizeof num, "%.3f", v);
    }
    nm_key(b, key, keylen);
    nm_raw(b, num, n);
}

/* Snippets hold at most 255 bytes; drop a last UTF-8 sequence that the
 * limit cut short. */
#define NM_KINT(b, lit, v) nm_kint(b, lit, sizeof lit - 1, v)
#define NM_KSCORE(b, lit, v) nm_kscore(b, lit, sizeof lit - 1, v)

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
    NM_KSTR(b, "term", ev->term);
    NM_KSTR(b, "rule", ev->rule);
    NM_KEY(b, "field");
    if (ev->field) NM_LIT(b, "\"body\"");
    else NM_LIT(b, "\"title\"");
    NM_KINT(b, "offset", (long long)ev->offset);
    NM_KEY(b, "snippet");
    nm_snippet(b, ev->snippet, ev->snippet_len);
    NM_LIT(b, "}");
}

/* The input fields both events start with. */
static void nm_input_fields(nm_jbuf_t *b, const nm_article_t *a, nm_body_mode_t body) {
    b->len = 0;
    b->oom = 0;
    NM_LIT(b, "{");
    NM_KSTR(b, "id", a->id);
    NM_KSTR(b, "url", a->url);
    NM_KSTR(b, "source", a->source);
    NM_KSTR(b, "published_at", a->published_at);
    NM_KEY(b, "title");
    nm_str_ex(b, a->title, a->title_len, 0);
    if (body == NM_BODY_INCLUDE) {
        NM_KEY(b, "body");
        nm_str_ex(b, a->body, a->body_len, 0);
    } else if (body == NM_BODY_OMITTED) {
        NM_KEY(b, "body_omitted");
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
    NM_KEY(b, "topics");
    NM_LIT(b, "[");
    for (int i = 0; i < res->ntopics; i++) {
        const nm_topic_tag_t *t = &res->topics[i];
        if (i) NM_LIT(b, ",");
        NM_LIT(b, "{");
        NM_KSTR(b, "id", rules->topics[t->topic].id);
        NM_KSCORE(b, "score", t->score);
        NM_KEY(b, "evidence");
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
    NM_KEY(b, "relevant");
    if (res->relevant) NM_LIT(b, "true");
    else NM_LIT(b, "false");
    NM_KSCORE(b, "score", res->score);
    nm_topic_objects(b, rules, res);
    NM_KEY(b, "entities");
    NM_LIT(b, "[");
    for (int i = 0; i < res->nentities; i++) {
        const nm_entity_tag_t *e = &res->entities[i];
        const nm_entity_t *ent = &rules->entities[e->entity];
        if (i) NM_LIT(b, ",");
        NM_LIT(b, "{");
        NM_KSTR(b, "id", ent->id);
        NM_KSTR(b, "name", ent->name);
        NM_KSTR(b, "type", ent->type);
        NM_KINT(b, "mentions", e->mentions);
        NM_KEY(b, "evidence");
        NM_LIT(b, "[");
        nm_evidence(b, &e->ev);
        NM_LIT(b, "]}");
    }
    NM_LIT(b, "]");
    NM_KSTR(b, "lang", res->lang);
    if (a->utf8_repaired) {
        NM_KEY(b, "utf8_repaired");
        NM_LIT(b, "true");
    }
    NM_KSTR(b, "processed_at", processed_at);
    NM_KSTR(b, "newsmon_version", NEWSMON_VERSION);
    NM_KSTR(b, "rules_version", rules->version);
    return nm_finish(b);
}

/* {id, first_article, copy} */
static void nm_story_object(nm_jbuf_t *b, const nm_story_t *story) {
    NM_LIT(b, "{");
    NM_KSTR(b, "id", story->id);
    NM_KSTR(b, "first_article", story->first_article);
    NM_KEY(b, "copy");
    if (story->copy) NM_LIT(b, "true}");
    else NM_LIT(b, "false}");
}

nm_err_t nm_event_add_story(nm_jbuf_t *b, const char *event, size_t len,
                            const nm_story_t *story) {
    if (!len || event[len - 1] != '}') return NM_ERR_INPUT;
    b->len = 0;
    b->oom = 0;
    nm_raw(b, event, len - 1); /* the event's members, then the story, then '}' */
    NM_KEY(b, "story");
    nm_story_object(b, story);
    return nm_finish(b);
}

nm_err_t nm_event_story_tail(nm_jbuf_t *b, const nm_story_t *story) {
    b->len = 0;
    b->oom = 0;
    NM_LIT(b, ",\"story\":"); /* an enriched event has members: the comma */
    nm_story_object(b, story);
    return nm_finish(b);
}

nm_err_t nm_event_alert(nm_jbuf_t *b, const nm_article_t *a, const nm_rules_t *rules,
                        const nm_tag_result_t *res, nm_alert_form_t form,
                        const char *processed_at) {
    nm_input_fields(b, a, NM_BODY_EXCLUDE);
    NM_KSTR(b, "lang", res->lang);
    NM_KSCORE(b, "score", res->score);
    if (form == NM_ALERT_TOPIC_EVIDENCE) {
        nm_topic_objects(b, rules, res);
    } else {
        NM_KEY(b, "topics");
        NM_LIT(b, "[");
        for (int i = 0; i < res->ntopics; i++) {
            if (i) NM_LIT(b, ",");
            nm_str(b, rules->topics[res->topics[i].topic].id);
        }
        NM_LIT(b, "]");
    }
    NM_KEY(b, "entities");
    NM_LIT(b, "[");
    for (int i = 0; i < res->nentities && i < NM_ALERT_MAX_ENTITIES; i++) {
        if (i) NM_LIT(b, ",");
        nm_str(b, rules->entities[res->entities[i].entity].id);
    }
    NM_LIT(b, "]");
    NM_KSTR(b, "processed_at", processed_at);
    NM_KSTR(b, "rules_version", rules->version);
    return nm_finish(b);
}

nm_err_t nm_event_summary(nm_jbuf_t *b, const nm_article_t *a) {
    NM_LIT(b, "{");
    NM_KSTR(b, "id", a->id);
    NM_KSTR(b, "title", a->title);
    NM_KSTR(b, "url", a->url);
    NM_KSTR(b, "source", a->source);
    NM_KSTR(b, "published_at", a->published_at);
    NM_LIT(b, "}");
    if (nm_jbuf_room(b, 0)) b->s[b->len] = '\0';
    return b->oom ? NM_ERR_NOMEM : NM_OK;
}
