/* nm_article.c - input article parsing with hostile-input limits. */
#include "nm_article.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    json_decref(a->root);
    free(a->repaired);
    memset(a, 0, sizeof *a);
}

/* Optional string member: absent/null is fine, another type is not. */
static int nm_opt_string(json_t *root, const char *key, const char **out, size_t *len,
                         char *reason, size_t reason_size) {
    json_t *v = json_object_get(root, key);
    *out = NULL;
    if (len) *len = 0;
    if (!v || json_is_null(v)) return 0;
    if (!json_is_string(v)) {
        nm_seterr(reason, reason_size, NM_ERR_INPUT, "field '%s' is not a string", key);
        return -1;
    }
    *out = json_string_value(v);
    if (len) *len = json_string_length(v);
    return 0;
}

nm_err_t nm_article_parse(const char *buf, size_t len, const nm_article_limits_t *lim,
                          nm_article_t *a, char *reason, size_t reason_size) {
    memset(a, 0, sizeof *a);
    if (len == 0) return nm_seterr(reason, reason_size, NM_ERR_INPUT, "empty message");
    if (len > lim->max_message_bytes)
        return nm_seterr(reason, reason_size, NM_ERR_LIMIT,
                         "message of %zu bytes exceeds max_message_bytes %zu", len,
                         lim->max_message_bytes);
    if (nm_json_depth(buf, len) > lim->max_depth)
        return nm_seterr(reason, reason_size, NM_ERR_LIMIT,
                         "JSON nested deeper than max_json_depth %zu", lim->max_depth);
    json_error_t jerr;
    a->root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!a->root && !nm_article_utf8_valid(buf, len)) {
        /* jansson rejects invalid UTF-8: repair it and parse again (only
         * then, since validating every message up front costs ~3 %) */
        size_t rl;
        a->repaired = nm_article_utf8_repair(buf, len, &rl);
        if (!a->repaired) return NM_ERR_NOMEM;
        a->utf8_repaired = 1;
        a->root = json_loadb(a->repaired, rl, JSON_REJECT_DUPLICATES, &jerr);
    }
    if (!a->root)
        return nm_seterr(reason, reason_size, NM_ERR_INPUT, "malformed JSON at line %d column %d: %s",
                         jerr.line, jerr.column, jerr.text);
    if (!json_is_object(a->root))
        return nm_seterr(reason, reason_size, NM_ERR_INPUT, "top level is not a JSON object");
    const char *idv;
    size_t idlen;
    if (nm_opt_string(a->root, "url", &a->url, NULL, reason, reason_size) ||
        nm_opt_string(a->root, "source", &a->source, NULL, reason, reason_size) ||
        nm_opt_string(a->root, "lang", &a->lang, NULL, reason, reason_size) ||
        nm_opt_string(a->root, "published_at", &a->published_at, NULL, reason, reason_size) ||
        nm_opt_string(a->root, "title", &a->title, &a->title_len, reason, reason_size) ||
        nm_opt_string(a->root, "body", &a->body, &a->body_len, reason, reason_size) ||
        nm_opt_string(a->root, "id", &idv, &idlen, reason, reason_size))
        return NM_ERR_INPUT;
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
