/* fuzz_article.c - libFuzzer target: nm_article_parse on arbitrary bytes.
 * Checks beyond "no crash / no sanitizer report": a parsed article has a
 * 1..256-byte id, a title and a body within the limits, valid UTF-8 in its
 * fields (the parser repairs invalid input), and utf8 repair always yields
 * valid UTF-8. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nm_article.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    nm_article_limits_t lim = {1u << 20, 1u << 19, 32};
    nm_article_t a;
    char reason[256];
    nm_err_t rc = nm_article_parse((const char *)data, size, &lim, &a, reason, sizeof reason);
    if (rc == NM_OK) {
        size_t idlen = strlen(a.id);
        if (idlen == 0 || idlen > 256) abort();
        if (!a.title || !a.body) abort();
        if (a.body_len > lim.max_body_bytes) abort();
        if (a.title_len + a.body_len == 0) abort();
        if (!nm_article_utf8_valid(a.title, a.title_len)) abort();
        if (!nm_article_utf8_valid(a.body, a.body_len)) abort();
        if (a.utf8_repaired != !nm_article_utf8_valid((const char *)data, size)) abort();
    } else {
        if (reason[0] == '\0') abort(); /* a dead letter always has a reason */
    }
    nm_article_clear(&a);
    /* repair: always valid, and the identity on valid input */
    size_t rl;
    char *r = nm_article_utf8_repair((const char *)data, size, &rl);
    if (r) {
        if (!nm_article_utf8_valid(r, rl)) abort();
        if (nm_article_utf8_valid((const char *)data, size) && (rl != size || memcmp(r, data, size)))
            abort();
        free(r);
    }
    return 0;
}
