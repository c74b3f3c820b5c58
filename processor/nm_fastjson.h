/* nm_fastjson.h - fast parse of one JSON object (simdjson) behind a C
 * interface: validates the whole text and returns the top-level members the
 * caller names.
 *
 * It answers "OK" only for text that jansson's json_loadb(...,
 * JSON_REJECT_DUPLICATES) also accepts, with the same member values, and
 * "INVALID" only for text jansson rejects (tests/fuzz/fuzz_fastjson.c checks
 * both on every input). Whatever it cannot decide cheaply it DECLINES, and the
 * caller parses with jansson: that keeps jansson the only source of error
 * messages and the reference for every corner case.
 */
#ifndef NM_FASTJSON_H
#define NM_FASTJSON_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    NM_FASTJSON_ABSENT = 0, /* no such member */
    NM_FASTJSON_NULL,       /* null */
    NM_FASTJSON_STRING,     /* a string: str/len */
    NM_FASTJSON_OTHER       /* a number, boolean, array or object */
} nm_fastjson_type_t;

typedef struct {
    nm_fastjson_type_t type;
    const char *str; /* STRING only: unescaped UTF-8 without NUL, NUL-terminated */
    size_t len;
} nm_fastjson_field_t;

typedef enum {
    NM_FASTJSON_OK = 0,   /* a JSON object, nested at most max_depth deep; fields filled */
    NM_FASTJSON_INVALID,  /* not JSON (jansson rejects it too) */
    NM_FASTJSON_DECLINED  /* undecided here (a raw NUL byte, top-level array, deeper
                             than max_depth, an object of more than 32 members, a
                             message over 1 MiB, out of memory): use jansson */
} nm_fastjson_rc_t;

/** @brief Parse `len` bytes of `buf` (no padding needed) as one JSON object
 *  and fill fields[i] with the top-level member named keys[i].
 *  Depth counts like the article limit: the top-level object is depth 1.
 *  Strings in `fields` borrow from storage of the calling thread, valid
 *  until that thread's next call (or its exit); copy what must outlive it.
 *  Thread-safe (one parser per thread). */
nm_fastjson_rc_t nm_fastjson_object(const char *buf, size_t len, size_t max_depth,
                                    const char *const *keys, size_t nkeys,
                                    nm_fastjson_field_t *fields);

#ifdef __cplusplus
}
#endif

#endif
