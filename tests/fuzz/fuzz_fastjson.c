/* fuzz_fastjson.c - differential libFuzzer target: the simdjson fast path
 * (nm_fastjson_object) against jansson, the oracle nm_article falls back on.
 * For every input, at two depth limits:
 *   - OK       => jansson (JSON_REJECT_DUPLICATES) accepts an object no
 *                 deeper than the limit, with the same type and bytes for
 *                 every member asked for;
 *   - INVALID  => jansson rejects the text;
 *   - jansson accepts an object within the limit, without a raw NUL byte,
 *     whose objects have at most 32 members (the documented reasons to
 *     decline aside) => OK.
 * So the two agree on every verdict the fast path gives, and it declines
 * only where its header says it may. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nm_fastjson.h"

static const char *const keys[] = {"url", "source", "lang", "published_at", "title", "body",
                                   "id",  "labels", "",     "a",            "\xC3\xA9"};
#define NKEYS (sizeof keys / sizeof keys[0])

/* Nesting depth of a jansson tree (containers count, the top level is 1);
 * *wide is set when an object has more than 32 members. */
static size_t tree_depth(json_t *v, int *wide) {
    size_t d = 0, sub;
    if (json_is_object(v)) {
        const char *k;
        json_t *m;
        if (json_object_size(v) > 32) *wide = 1;
        json_object_foreach(v, k, m) if ((sub = tree_depth(m, wide)) > d) d = sub;
        return d + 1;
    }
    if (json_is_array(v)) {
        size_t i;
        json_t *m;
        json_array_foreach(v, i, m) if ((sub = tree_depth(m, wide)) > d) d = sub;
        return d + 1;
    }
    return 0;
}

static void check(const uint8_t *data, size_t size, json_t *j, size_t max_depth) {
    nm_fastjson_field_t f[NKEYS];
    nm_fastjson_rc_t rc =
        nm_fastjson_object((const char *)data, size, max_depth, keys, NKEYS, f);
    int wide = 0;
    size_t depth = j ? tree_depth(j, &wide) : 0;
    if (rc == NM_FASTJSON_INVALID && j) abort();
    if (rc == NM_FASTJSON_OK) {
        if (!j || !json_is_object(j) || depth > max_depth) abort();
        for (size_t i = 0; i < NKEYS; i++) {
            json_t *v = json_object_get(j, keys[i]);
            switch (f[i].type) {
            case NM_FASTJSON_ABSENT: if (v) abort(); break;
            case NM_FASTJSON_NULL: if (!json_is_null(v)) abort(); break;
            case NM_FASTJSON_STRING:
                if (!json_is_string(v) || json_string_length(v) != f[i].len ||
                    memcmp(json_string_value(v), f[i].str, f[i].len) || f[i].str[f[i].len])
                    abort();
                break;
            case NM_FASTJSON_OTHER:
                if (!v || json_is_null(v) || json_is_string(v)) abort();
                break;
            }
        }
    }
    if (j && json_is_object(j) && depth <= max_depth && !wide && !memchr(data, 0, size) &&
        rc != NM_FASTJSON_OK)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    check(data, size, j, 32);
    check(data, size, j, 2);
    json_decref(j);
    return 0;
}
