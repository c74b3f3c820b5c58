/* nm_article.h - the input article: parsing, validation, id derivation. */
#ifndef NM_ARTICLE_H
#define NM_ARTICLE_H

#include <jansson.h> /* callers (the batch loop, tag, ingest) use it through this header */
#include <stddef.h>

#include "nm_err.h"

typedef struct {
    size_t max_message_bytes; /* whole message */
    size_t max_body_bytes;    /* the body string */
    size_t max_depth;         /* JSON nesting */
} nm_article_limits_t;

typedef struct {
    /* NUL-terminated UTF-8 without NUL, borrowed from `strings` (or idbuf);
     * NULL when absent or null (title and body are never NULL on success) */
    const char *id, *url, *source, *lang, *published_at, *title, *body;
    size_t title_len, body_len;
    int utf8_repaired; /* invalid UTF-8 in the message was replaced by U+FFFD */
    char idbuf[24];    /* derived id storage */
    char *repaired;    /* owned copy of the whole message when repaired */
    char *strings;     /* owned storage of the fields */
} nm_article_t;

/** @brief Parse one message into `a` (which is reset first).
 *  The message must be one JSON object, as jansson reads it with
 *  JSON_REJECT_DUPLICATES (simdjson takes the common case, jansson the rest:
 *  nm_fastjson.h). Other members are validated and ignored.
 *  @returns NM_OK; NM_ERR_INPUT or NM_ERR_LIMIT with a short reason for the
 *  dead-letter header in `reason`; NM_ERR_NOMEM. Call nm_article_clear()
 *  after use in every case. */
nm_err_t nm_article_parse(const char *buf, size_t len, const nm_article_limits_t *lim,
                          nm_article_t *a, char *reason, size_t reason_size);

/** @brief Release what nm_article_parse() took; `a` may be reused. */
void nm_article_clear(nm_article_t *a);

/** @brief 64-bit FNV-1a, the hash used for derived ids. */
unsigned long long nm_article_hash(const char *s, size_t len, unsigned long long h);

/** @brief Copy `len` bytes replacing invalid UTF-8 by U+FFFD.
 *  @returns a new NUL-terminated string (caller frees) or NULL on OOM;
 *  *out_len gets its length. */
char *nm_article_utf8_repair(const char *s, size_t len, size_t *out_len);

/** @brief 1 if the bytes are valid UTF-8. */
int nm_article_utf8_valid(const char *s, size_t len);

#endif
