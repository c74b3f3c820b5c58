/* nm_article.c - input article parsing with hostile-input limits. */
#include "nm_article.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nm_fastjson.h"

unsigned long long nm_article_hash(const char *s, size_t len, unsigned long long h) {
    if (!h) h = 14695981039346656037ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

/* Length of the valid UTF-8 sequence at s, or 0 if invalid. */
static size_t nm_utf8_seq(const unsigned char *s, size_t avail) {
    unsigned char c = s[0];
    size_t n;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c >= 0xE0 && c <= 0xEF) n = 3;
    else if (c >= 0xF0 && c <= 0xF4) n = 4;
    else return 0;
    if (avail < n) return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    if (c == 0xE0 && s[1] < 0xA0) return 0;  /* overlong */
    if (c == 0xED && s[1] > 0x9F) return 0;  /* surrogates */
    if (c == 0xF0 && s[1] < 0x90) return 0;  /* overlong */
    if (c == 0xF4 && s[1] > 0x8F) return 0;  /* > U+10FFFF */
    return n;
}

int nm_article_utf8_valid(const char *s, size_t len) {
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        if (p[i] < 0x80) { i++; continue; }
        size_t n = nm_utf8_seq(p + i, len - i);
        if (!n) return 0;
        i += n;
    }
    return 1;
}

char *nm_article_utf8_repair(const char *s, size_t len, size_t *out_len) {
    char *d = malloc(len * 3 + 1); /* each bad byte may become 3 */
    if (!d) return NULL;
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, k = 0;
    while (i < len) {
        size_t n = nm_utf8_seq(p + i, len - i);
        if (n) {
            memcpy(d + k, s + i, n);
            k += n;
            i += n;
        } else {
            memcpy(d + k, "\xEF\xBF\xBD", 3);
            k += 3;
            i++;
        }
    }
    d[k] = '\0';
    *out_len = k;
    return d;
}

/* Nesting depth of JSON text, checked before parsing so that a hostile
 * 100,000-deep document never reaches a recursive parser. */
static size_t nm_json_depth(const char *s, size_t len) {
    size_t depth = 0, max = 0;
    int in_str = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\') i++;
            else if (c == '"') in_str = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '{' || c == '[') {
            if (++depth > max) max = depth;
        } else if ((c == '}' || c == ']') && depth) {
            depth--;
        }
    }
    return max;
}

void nm_article_clear(nm_article_t *a) {
    free(a->repaired);
    free(a->strings);
    memset(a, 0, sizeof *a);
}

/* The members read, in the order their type errors are reported. */
enum { K_URL, K_SOURCE, K_LANG, K_PUBLISHED_AT, K_TITLE, K_BODY, K_ID, K_N };
static const char *const nm_article_keys[K_N] = {"url",   "source", "lang", "published_at",
                                                 "title", "body",   "id"};

/* The slow path, and the reference of the fast one: jansson, with the depth
 * limit checked first and invalid UTF-8 repaired. Fills f from *root (owned
 * by the caller on NM_OK). */
static nm_err_t nm_article_jansson(const char *buf, size_t len, const nm_article_limits_t *lim,
                                   nm_article_t *a, json_t **root, nm_fastjson_field_t *f,
                                   char *reason, size_t reason_size) {
    if (nm_json_depth(buf, len) > lim->max_depth)
        return nm_seterr(reason, reason_size, NM_ERR_LIMIT,
                         "JSON nested deeper than max_json_depth %zu", lim->max_depth);
    json_error_t jerr;
    *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!*root && !nm_article_utf8_valid(buf, len)) {
        /* jansson rejects invalid UTF-8: repair it and parse again (only
         * then, since validating every message up front costs ~3 %) */
        size_t rl;
        a->repaired = nm_article_utf8_repair(buf, len, &rl);
        if (!a->repaired) return NM_ERR_NOMEM;
        a->utf8_repaired = 1;
        *root = json_loadb(a->repaired, rl, JSON_REJECT_DUPLICATES, &jerr);
    }
    if (!*root)
        return nm_seterr(reason, reason_size, NM_ERR_INPUT, "malformed JSON at line %d column %d: %s",
                         jerr.line, jerr.column, jerr.text);
    if (!json_is_object(*root))
        return nm_seterr(reason, reason_size, NM_ERR_INPUT, "top level is not a JSON object");
    for (int k = 0; k < K_N; k++) {
        json_t *v = json_object_get(*root, nm_article_keys[k]);
        f[k] = (nm_fastjson_field_t){NM_FASTJSON_ABSENT, NULL, 0};
        if (!v) continue;
        if (json_is_null(v)) f[k].type = NM_FASTJSON_NULL;
        else if (!json_is_string(v)) f[k].type = NM_FASTJSON_OTHER;
        else f[k] = (nm_fastjson_field_t){NM_FASTJSON_STRING, json_string_value(v),
                                          json_string_length(v)};
    }
    return NM_OK;
}

/* Copy the string members into a->strings and point the fields at them. */
static nm_err_t nm_article_take(nm_article_t *a, const nm_fastjson_field_t *f, const char **idv) {
    size_t total = 0;
    for (int k = 0; k < K_N; k++)
        if (f[k].type == NM_FASTJSON_STRING) total += f[k].len + 1;
    char *p = a->strings = malloc(total ? total : 1);
    if (!p) return NM_ERR_NOMEM;
    const char **dst[K_N] = {&a->url, &a->source, &a->lang, &a->published_at,
                             &a->title, &a->body, idv};
    for (int k = 0; k < K_N; k++) {
        *dst[k] = NULL;
        if (f[k].type != NM_FASTJSON_STRING) continue;
        memcpy(p, f[k].str, f[k].len);
        p[f[k].len] = '\0';
        *dst[k] = p;
        p += f[k].len + 1;
    }
    a->title_len = f[K_TITLE].len;
    a->body_len = f[K_BODY].len;
    return NM_OK;
}

nm_err_t nm_article_parse(const char *buf, size_t len, const nm_article_limits_t *lim,
                          nm_article_t *a, char *reason, size_t reason_size) {
    memset(a, 0, sizeof *a);
    if (len == 0) return nm_seterr(reason, reason_size, NM_ERR_INPUT, "empty message");
    if (len > lim->max_message_bytes)
        return nm_seterr(reason, reason_size, NM_ERR_LIMIT,
                         "message of %zu bytes exceeds max_message_bytes %zu", len,
                         lim->max_message_bytes);
    nm_fastjson_field_t f[K_N];
    json_t *root = NULL;
    nm_err_t rc = NM_OK;
    /* anything but a clean accept (errors included) takes jansson's path,
     * which also writes the error message */
    if (nm_fastjson_object(buf, len, lim->max_depth, nm_article_keys, K_N, f) != NM_FASTJSON_OK)
        rc = nm_article_jansson(buf, len, lim, a, &root, f, reason, reason_size);
    for (int k = 0; rc == NM_OK && k < K_N; k++)
        if (f[k].type == NM_FASTJSON_OTHER)
            rc = nm_seterr(reason, reason_size, NM_ERR_INPUT, "field '%s' is not a string",
                           nm_article_keys[k]);
    const char *idv = NULL;
    if (rc == NM_OK) rc = nm_article_take(a, f, &idv);
    json_decref(root);
    if (rc == NM_ERR_NOMEM)
        return nm_seterr(reason, reason_size, rc, "out of memory reading the article");
    if (rc != NM_OK) return rc;
    size_t idlen = f[K_ID].len;
    if (!a->title) return nm_seterr(reason, reason_size, NM_ERR_INPUT, "missing field 'title'");
    if (!a->body) return nm_seterr(reason, reason_size, NM_ERR_INPUT, "missing field 'body'");
    if (a->title_len + a->body_len == 0)
        return nm_seterr(reason, reason_size, NM_ERR_INPUT, "empty title and body");
    if (a->body_len > lim->max_body_bytes)
        return nm_seterr(reason, reason_size, NM_ERR_LIMIT,
                         "body of %zu bytes exceeds max_body_bytes %zu", a->body_len,
                         lim->max_body_bytes);
    if (idv) {
        if (idlen == 0 || idlen > 256 || memchr(idv, '\0', idlen))
            return nm_seterr(reason, reason_size, NM_ERR_INPUT,
                             "field 'id' must be 1 to 256 bytes without NUL");
        a->id = idv;
    } else if (a->url && *a->url) {
        snprintf(a->idbuf, sizeof a->idbuf, "u-%016llx",
                 nm_article_hash(a->url, strlen(a->url), 0));
        a->id = a->idbuf;
    } else {
        unsigned long long h = nm_article_hash(a->title, a->title_len, 0);
        h = nm_article_hash("\n", 1, h);
        h = nm_article_hash(a->body, a->body_len, h);
        snprintf(a->idbuf, sizeof a->idbuf, "h-%016llx", h);
        a->id = a->idbuf;
    }
    return NM_OK;
}
