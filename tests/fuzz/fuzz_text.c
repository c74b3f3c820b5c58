/* fuzz_text.c - libFuzzer target: nm_text_append (HTML flag) on arbitrary
 * bytes, in two appends split at a fuzzer-chosen point (exercises the
 * pending separator between appends). Checks the normalised text: valid
 * UTF-8; every code point a word character (letter, mark, number) or one of
 * the separators ' ', '.', '\n'; no separator first, last or doubled; no
 * upper-case ASCII; no '.' in TERM mode; each src offset inside the input of
 * its append. Differential: the same appends with the ASCII vector step off
 * give the same buffer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "nm_text.h"

static nm_text_t *text, *bytes; /* bytes: the vector step off */

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    text = nm_text_new();
    bytes = nm_text_new();
    if (!text || !bytes) abort();
    nm_text_set_vector(bytes, 0);
    return 0;
}

static int wordcat(utf8proc_int32_t cp) {
    utf8proc_category_t c = utf8proc_category(cp);
    return (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_ME) ||
           (c >= UTF8PROC_CATEGORY_ND && c <= UTF8PROC_CATEGORY_NO);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    unsigned flags = NM_TEXT_HTML | ((data[0] & 0x80) ? NM_TEXT_TERM : 0) |
                     ((data[0] & 0x40) ? NM_TEXT_KEEP_MARKS : 0);
    size_t split = size > 1 ? data[0] % size : 0;
    const char *in = (const char *)data + 1;
    size_t len = size - 1;
    if (split > len) split = len;
    nm_textbuf_t b;
    nm_textbuf_init(&b);
    if (nm_text_append(text, &b, in, split, flags)) abort();
    size_t first_len = b.len;
    for (size_t i = 0; i < first_len; i++)
        if (b.src[i] >= split) abort();
    if (nm_text_append(text, &b, in + split, len - split, flags)) abort();
    /* a word's src is inside its own append's input; a separator pending
     * from the first append keeps that append's offset */
    size_t maxlen = split > len - split ? split : len - split;
    for (size_t i = first_len; i < b.len; i++)
        if (nm_text_is_sep(b.s[i]) ? b.src[i] >= maxlen : b.src[i] >= len - split) abort();
    if (b.len > b.cap) abort();
    nm_textbuf_t o;
    nm_textbuf_init(&o);
    if (nm_text_append(bytes, &o, in, split, flags) ||
        nm_text_append(bytes, &o, in + split, len - split, flags))
        abort();
    if (o.len != b.len || (b.len && (memcmp(o.s, b.s, b.len) ||
                                     memcmp(o.src, b.src, b.len * sizeof *b.src))) ||
        o.marks != b.marks || memcmp(o.script_count, b.script_count, sizeof b.script_count) ||
        o.pending_sep != b.pending_sep || o.word_cps != b.word_cps)
        abort();
    nm_textbuf_free(&o);
    /* content */
    if (b.len) {
        if (nm_text_is_sep(b.s[0]) || nm_text_is_sep(b.s[b.len - 1])) abort();
    }
    size_t i = 0;
    int prev_sep = 0;
    while (i < b.len) {
        unsigned char c = (unsigned char)b.s[i];
        if (nm_text_is_sep((char)c)) {
            if (prev_sep) abort(); /* doubled separator */
            if ((flags & NM_TEXT_TERM) && c == '.') abort(); /* terms: no sentence ends */
            prev_sep = 1;
            i++;
            continue;
        }
        prev_sep = 0;
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)b.s + i, (utf8proc_ssize_t)(b.len - i), &cp);
        if (n <= 0) abort();              /* invalid UTF-8 in the output */
        if (!wordcat(cp)) abort();        /* punctuation, space, control or tag bytes */
        if (cp < 0x80 && c >= 'A' && c <= 'Z') abort(); /* not case folded */
        i += (size_t)n;
    }
    nm_textbuf_free(&b);
    return 0;
}
