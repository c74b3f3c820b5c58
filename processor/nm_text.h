/* nm_text.h - text normalisation for matching.
 *
 * Turns scraped article text into the form every term is matched against:
 * valid UTF-8, HTML entities decoded and tags removed, NFKC + case folded,
 * accents stripped from Latin and Greek letters (unless NM_TEXT_KEEP_MARKS),
 * Arabic-script and Hebrew points and tatweel dropped, Arabic letter variants
 * unified, Turkish dotless i folded to i, every decimal digit made ASCII
 * (docs/RULES.md, "Normalisation"), and every run of non-word characters
 * reduced to ONE separator byte:
 *   ' '  between words, '.' at a sentence end, '\n' at a paragraph end.
 * So the normalised text holds only word characters and those three bytes,
 * which makes word-boundary checks a one-byte look.
 *
 * Per-code-point folding comes from a table computed once from utf8proc at
 * start-up (utf8proc_map over a whole article is far too slow for the hot
 * path); code points above U+FFFF are folded through utf8proc directly.
 */
#ifndef NM_TEXT_H
#define NM_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "nm_err.h"

typedef struct nm_text_s nm_text_t;

/** Scripts counted for language identification of very short texts and
 *  used to pick a term's word-boundary rules. */
typedef enum {
    NM_SCRIPT_OTHER = 0,
    NM_SCRIPT_LATIN,
    NM_SCRIPT_CYRILLIC,
    NM_SCRIPT_UKRAINIAN, /* Cyrillic letters only Ukrainian uses: і ї є ґ */
    NM_SCRIPT_HANGUL,
    NM_SCRIPT_KANA,
    NM_SCRIPT_HAN,
    NM_SCRIPT_GREEK,
    NM_SCRIPT_HEBREW,
    NM_SCRIPT_THAI,
    NM_SCRIPT_LAO,
    NM_SCRIPT_KHMER,
    NM_SCRIPT_MYANMAR,
    NM_SCRIPT_COUNT
} nm_script_t;

/** @brief 1 for scripts written without spaces between words (Han, kana,
 *  Thai, Lao, Khmer, Myanmar): terms in them need no word boundary. */
static inline int nm_script_unspaced(nm_script_t s) {
    return s == NM_SCRIPT_HAN || s == NM_SCRIPT_KANA || s == NM_SCRIPT_THAI ||
           s == NM_SCRIPT_LAO || s == NM_SCRIPT_KHMER || s == NM_SCRIPT_MYANMAR;
}

/** A growable normalised text. `src[i]` is the byte offset, in the input
 *  passed to the nm_text_append() call that produced s[i], of the code point
 *  s[i] came from. */
typedef struct {
    char *s;
    uint32_t *src;
    size_t len, cap;
    size_t marks; /* '.' and '\n' bytes in s: sentence and paragraph ends */
    uint32_t script_count[NM_SCRIPT_COUNT];
    /* private: pending separator state between appends */
    char pending_sep;
    uint32_t pending_src;
    unsigned word_cps; /* code points in the current word (abbreviation test) */
} nm_textbuf_t;

enum {
    NM_TEXT_HTML = 1u << 0,      /* decode entities, drop tags */
    NM_TEXT_TERM = 1u << 1,      /* rule term: sentence marks become plain spaces */
    NM_TEXT_KEEP_MARKS = 1u << 2 /* Latin diacritics carry meaning (Vietnamese):
                                    kept, in canonical decomposed order */
};

/** @brief Build the fold table (about 30 ms). @returns new object, NULL on OOM. */
nm_text_t *nm_text_new(void);
/** @brief NULL-safe. */
void nm_text_destroy(nm_text_t *text);

/** @brief Use the ASCII fast path's vector step (on by default where the
 *  CPU has SSE2) or not. Both give the same text, which the differential
 *  test and fuzz target check. @returns 1 if the vector step is in use. */
int nm_text_set_vector(nm_text_t *text, int on);

void nm_textbuf_init(nm_textbuf_t *buf);
/** @brief Empty the buffer, keep its memory. */
void nm_textbuf_reset(nm_textbuf_t *buf);
void nm_textbuf_free(nm_textbuf_t *buf);

/** @brief Normalise `len` bytes of `in` (any bytes: invalid UTF-8 and NULs
 *  are separators) and append them. Leading separators of the buffer and
 *  trailing ones of the input are dropped; a separator between two appends
 *  is kept pending until more word text follows.
 *  @returns NM_OK or NM_ERR_NOMEM. */
nm_err_t nm_text_append(const nm_text_t *text, nm_textbuf_t *buf,
                        const char *in, size_t len, unsigned flags);

/** @brief Force a separator ('\n', '.' or ' ') before the next appended word. */
void nm_textbuf_break(nm_textbuf_t *buf, char sep);

/** @brief Normalise a NUL-terminated term into `buf` (reset first, TERM mode,
 *  plus `flags`, e.g. NM_TEXT_KEEP_MARKS). @returns NM_OK or NM_ERR_NOMEM. */
nm_err_t nm_text_term(const nm_text_t *text, nm_textbuf_t *buf, const char *term,
                      unsigned flags);

/** @brief 1 if the byte is a separator of normalised text. */
static inline int nm_text_is_sep(char c) { return c == ' ' || c == '.' || c == '\n'; }

/** @brief Scripts of the first and last code points of normalised UTF-8
 *  (used to pick a term's default boundary rules). */
void nm_text_edge_scripts(const nm_text_t *text, const char *s, size_t len,
                          nm_script_t *first, nm_script_t *last);

#endif
