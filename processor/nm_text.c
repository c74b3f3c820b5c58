/* nm_text.c - normalisation with a per-code-point fold table. */
#include "nm_text.h"

#include <libxml/HTMLparser.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>

#ifdef __SSE2__ /* every x86-64 has it: the ASCII fast path's vector step */
#include <emmintrin.h>
#define NM_TEXT_SIMD 1
#endif

enum { CLS_WORD = 0, CLS_SPACE, CLS_NEWLINE, CLS_TERM, CLS_DOT, CLS_IGNORE };

#define NM_TEXT_TABLE 0x10000 /* the BMP: the rest is folded on the fly */

typedef struct {
    uint32_t off;   /* into blob */
    uint8_t len;    /* folded UTF-8 length (word class only) */
    uint8_t cls;
    uint8_t script;
} nm_fold_t;

struct nm_text_s {
    /* ASCII word characters (letters, digits): folded byte | script << 8,
     * 0 for the others (the fast path's one lookup per byte, instead of the
     * entry and then the blob) */
    uint16_t ascii[128];
    /* ASCII separators the word run takes in passing (nm_sep ' '): all but
     * the sentence marks, the line ends and HTML's '&' and '<' */
    uint8_t ascii_sep[128];
    /* ascii_plain: ascii[] folds exactly as the vector step does (letters
     * to lower case, script Latin; digits as they are, no script);
     * ascii_simd: the vector step is in use */
    int ascii_plain, ascii_simd;
    nm_fold_t *fold;       /* NM_TEXT_TABLE entries */
    nm_fold_t *fold_marks; /* the same with NM_TEXT_KEEP_MARKS */
    char *blob;
    size_t bloblen, blobcap;
};

static nm_script_t nm_script_of(int32_t cp) {
    if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
        (cp >= 0xC0 && cp <= 0x24F && cp != 0xD7 && cp != 0xF7) ||
        (cp >= 0x1E00 && cp <= 0x1EFF))
        return NM_SCRIPT_LATIN;
    if (cp == 0x456 || cp == 0x406 || cp == 0x457 || cp == 0x407 ||
        cp == 0x454 || cp == 0x404 || cp == 0x491 || cp == 0x490)
        return NM_SCRIPT_UKRAINIAN;
    if (cp >= 0x400 && cp <= 0x52F) return NM_SCRIPT_CYRILLIC;
    if ((cp >= 0xAC00 && cp <= 0xD7AF) || (cp >= 0x1100 && cp <= 0x11FF) ||
        (cp >= 0x3130 && cp <= 0x318F))
        return NM_SCRIPT_HANGUL;
    if ((cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0x31F0 && cp <= 0x31FF) ||
        (cp >= 0xFF66 && cp <= 0xFF9F))
        return NM_SCRIPT_KANA;
    if ((cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
        (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x20000 && cp <= 0x2FFFF))
        return NM_SCRIPT_HAN;
    if ((cp >= 0x370 && cp <= 0x3FF) || (cp >= 0x1F00 && cp <= 0x1FFF)) return NM_SCRIPT_GREEK;
    if (cp >= 0x591 && cp <= 0x5F4) return NM_SCRIPT_HEBREW;
    if (cp >= 0xE00 && cp <= 0xE7F) return NM_SCRIPT_THAI;
    if (cp >= 0xE80 && cp <= 0xEFF) return NM_SCRIPT_LAO;
    if ((cp >= 0x1780 && cp <= 0x17FF) || (cp >= 0x19E0 && cp <= 0x19FF)) return NM_SCRIPT_KHMER;
    if ((cp >= 0x1000 && cp <= 0x109F) || (cp >= 0xA9E0 && cp <= 0xA9FF) ||
        (cp >= 0xAA60 && cp <= 0xAA7F))
        return NM_SCRIPT_MYANMAR;
    return NM_SCRIPT_OTHER;
}

/* The ASCII digit of a decimal digit of any script (Arabic-Indic ٣, Persian
 * ۳, Devanagari ३, Thai ๓ ...): Unicode puts each script's 0-9 in a run. */
static int32_t nm_ascii_digit(int32_t cp) {
    int32_t zero = cp;
    while (zero > 0 && utf8proc_category(zero - 1) == UTF8PROC_CATEGORY_ND) zero--;
    return '0' + (cp - zero) % 10;
}

/* One code point of a utf8proc mapping, folded further: the replacement,
 * or -1 to drop it. Arabic, Persian and Urdu spellings vary in the points
 * and in a few letter shapes (the unification is that of Lucene's Arabic
 * and Persian normalisers); Hebrew points are optional in print. */
static int32_t nm_fold_more(int32_t cp) {
    if (cp == 0x131) return 'i'; /* Turkish dotless i: ILIK, ılık, Ilık all match */
    if ((cp >= 0x64B && cp <= 0x65F) || cp == 0x670 || cp == 0x640 || /* harakat, tatweel */
        (cp >= 0x6D6 && cp <= 0x6ED && cp != 0x6DD && cp != 0x6DE && cp != 0x6E5 &&
         cp != 0x6E6 && cp != 0x6E9)) /* Quranic annotation marks */
        return -1;
    if (cp >= 0x591 && cp <= 0x5C7 && utf8proc_category(cp) == UTF8PROC_CATEGORY_MN)
        return -1; /* niqqud and cantillation */
    switch (cp) {
    case 0x622: case 0x623: case 0x625: case 0x671: return 0x627; /* آ أ إ ٱ -> ا */
    case 0x649: case 0x6CC: return 0x64A;                         /* ى ی -> ي */
    case 0x6A9: return 0x643;                                     /* ک -> ك */
    case 0x629: case 0x6C0: case 0x6C1: return 0x647;             /* ة ۀ ہ -> ه */
    }
    if (cp > '9' && utf8proc_category(cp) == UTF8PROC_CATEGORY_ND) return nm_ascii_digit(cp);
    return cp;
}

static int nm_is_wordcat(utf8proc_category_t c) {
    return (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_ME) ||
           (c >= UTF8PROC_CATEGORY_ND && c <= UTF8PROC_CATEGORY_NO);
}

/* Classify one code point and, for word characters, fold it into out
 * (at most 64 bytes). Returns the class; *outlen the folded length.
 * keep_marks: NM_TEXT_KEEP_MARKS (Latin letters decomposed, marks kept). */
static int nm_fold_cp(int32_t cp, char *out, size_t *outlen, int keep_marks) {
    *outlen = 0;
    if (cp == '\n' || cp == '\r' || cp == '\v' || cp == '\f' || cp == 0x2028 ||
        cp == 0x2029 || cp == 0x85)
        return CLS_NEWLINE;
    if (cp == '.') return CLS_DOT;
    if (cp == '!' || cp == '?' || cp == ';' || cp == 0x3002 || cp == 0xFF01 ||
        cp == 0xFF1F || cp == 0xFF0E || cp == 0xFF61 || cp == 0x2026 ||
        cp == 0x061F || cp == 0xFF1B || cp == 0x06D4 || /* Arabic ?, Urdu full stop */
        cp == 0x0964 || cp == 0x0965 ||                  /* danda (Hindi, Bengali) */
        cp == 0x037E || cp == 0x104B || cp == 0x17D4)    /* Greek ?, Myanmar, Khmer */
        return CLS_TERM;
    if (!utf8proc_codepoint_valid(cp)) return CLS_SPACE;
    utf8proc_category_t cat = utf8proc_category(cp);
    if (cat == UTF8PROC_CATEGORY_CF) return CLS_IGNORE; /* soft hyphen, ZWJ, BOM */
    /* combining accents on Latin/Greek/Cyrillic text vanish (accent-insensitive),
     * except where they carry meaning */
    if (cp >= 0x300 && cp <= 0x36F && !keep_marks) return CLS_IGNORE;
    /* Russian writes ё and е interchangeably */
    if (cp == 0x401 || cp == 0x451) {
        memcpy(out, "\xD0\xB5", 2); /* е */
        *outlen = 2;
        return CLS_WORD;
    }
    if (!nm_is_wordcat(cat)) return CLS_SPACE;

    utf8proc_uint8_t *mapped = NULL;
    utf8proc_uint8_t in[8];
    utf8proc_ssize_t inlen = utf8proc_encode_char(cp, in);
    int options = UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD;
    nm_script_t sc = nm_script_of(cp);
    int latin = sc == NM_SCRIPT_LATIN || (cp >= 0x300 && cp <= 0x36F);
    if (cp == 0x130) { /* Turkish İ: i, as I and ı are */
        out[0] = 'i';
        *outlen = 1;
        return CLS_WORD;
    }
    /* Latin letters decompose when their marks are kept, so that text typed
     * precomposed (à) or decomposed (a + U+0300) folds the same */
    if (latin && keep_marks)
        options = UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_DECOMPOSE | UTF8PROC_CASEFOLD;
    else if (latin || sc == NM_SCRIPT_GREEK)
        options |= UTF8PROC_STRIPMARK;
    /* most code points (CJK, Hangul, letters without case) map to
     * themselves: no decomposition, no case folding, not a mark (which
     * STRIPMARK drops). utf8proc_map, a third of start-up, is then not
     * needed (Hangul syllables decompose and recompose to themselves). */
    const utf8proc_property_t *pr = utf8proc_get_property(cp);
    if (pr->decomp_seqindex == UINT16_MAX && pr->casefold_seqindex == UINT16_MAX &&
        !(cat >= UTF8PROC_CATEGORY_MN && cat <= UTF8PROC_CATEGORY_ME)) {
        int32_t mc = nm_fold_more(cp);
        if (mc < 0) return CLS_IGNORE;
        *outlen = (size_t)utf8proc_encode_char(mc, (utf8proc_uint8_t *)out);
        return CLS_WORD;
    }
    if (utf8proc_map(in, inlen, &mapped, options) < 0) return CLS_SPACE;

    /* keep only word characters of the mapping (NFKC of a symbol can hold
     * punctuation, e.g. U+2474 -> "(1)") */
    size_t n = 0;
    utf8proc_int32_t mc;
    const utf8proc_uint8_t *p = mapped;
    utf8proc_ssize_t step;
    while (*p && (step = utf8proc_iterate(p, -1, &mc)) > 0) {
        p += step;
        if (!nm_is_wordcat(utf8proc_category(mc)) || (mc = nm_fold_more(mc)) < 0) continue;
        utf8proc_uint8_t enc[4];
        utf8proc_ssize_t el = utf8proc_encode_char(mc, enc);
        if (n + (size_t)el < 64) {
            memcpy(out + n, enc, (size_t)el);
            n += (size_t)el;
        }
    }
    free(mapped);
    *outlen = n;
    return n ? CLS_WORD : CLS_IGNORE;
}

/* Fill fold[cp] for one code point, appending its folded bytes to the blob. */
static int nm_fold_entry(nm_text_t *t, nm_fold_t *fold, int32_t cp, int keep_marks) {
    char out[64];
    size_t n = 0;
    int cls = (cp >= 0xD800 && cp <= 0xDFFF) ? CLS_SPACE : nm_fold_cp(cp, out, &n, keep_marks);
    nm_fold_t *f = &fold[cp];
    f->cls = (uint8_t)cls;
    f->script = (uint8_t)nm_script_of(cp);
    f->off = 0;
    f->len = 0;
    if (cls != CLS_WORD) return 0;
    if (t->bloblen + n + 4 > t->blobcap) { /* 4 bytes of slack: nm_word_run copies 4 */
        char *nb = realloc(t->blob, t->blobcap * 2);
        if (!nb) return -1;
        t->blob = nb;
        t->blobcap *= 2;
    }
    memcpy(t->blob + t->bloblen, out, n);
    f->off = (uint32_t)t->bloblen;
    f->len = (uint8_t)n;
    t->bloblen += n;
    return 0;
}

nm_text_t *nm_text_new(void) {
    nm_text_t *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->fold = calloc(NM_TEXT_TABLE, sizeof *t->fold);
    t->fold_marks = malloc(NM_TEXT_TABLE * sizeof *t->fold_marks);
    t->blobcap = 1u << 18;
    t->blob = malloc(t->blobcap);
    if (!t->fold || !t->fold_marks || !t->blob) goto err;
    for (int32_t cp = 0; cp < NM_TEXT_TABLE; cp++)
        if (nm_fold_entry(t, t->fold, cp, 0)) goto err;
    for (int c = 0; c < 128; c++)
        if (t->fold[c].cls == CLS_WORD && t->fold[c].len == 1)
            t->ascii[c] = (uint16_t)((unsigned char)t->blob[t->fold[c].off] | t->fold[c].script << 8);
    t->ascii_plain = 1;
    for (int c = 0; c < 128; c++) {
        int letter = (c | 0x20) >= 'a' && (c | 0x20) <= 'z', digit = c >= '0' && c <= '9';
        unsigned want = letter ? (unsigned)(c | 0x20) | NM_SCRIPT_LATIN << 8
                        : digit ? (unsigned)c | NM_SCRIPT_OTHER << 8
                                : 0;
        if (t->ascii[c] != want) t->ascii_plain = 0;
        t->ascii_sep[c] = t->fold[c].cls == CLS_SPACE && c != '&' && c != '<';
    }
    if (!t->ascii_sep[' ']) t->ascii_plain = 0; /* the vector step emits single spaces */
    nm_text_set_vector(t, 1);
    /* the keep-marks table differs for Latin letters and combining marks only */
    memcpy(t->fold_marks, t->fold, NM_TEXT_TABLE * sizeof *t->fold);
    for (int32_t cp = 0x80; cp < NM_TEXT_TABLE; cp++)
        if ((nm_script_of(cp) == NM_SCRIPT_LATIN || (cp >= 0x300 && cp <= 0x36F)) &&
            nm_fold_entry(t, t->fold_marks, cp, 1))
            goto err;
    return t;
err:
    nm_text_destroy(t);
    return NULL;
}

int nm_text_set_vector(nm_text_t *t, int on) {
#ifdef NM_TEXT_SIMD
    t->ascii_simd = on && t->ascii_plain;
#else
    (void)on;
    t->ascii_simd = 0;
#endif
    return t->ascii_simd;
}

void nm_text_destroy(nm_text_t *t) {
    if (!t) return;
    free(t->fold);
    free(t->fold_marks);
    free(t->blob);
    free(t);
}

void nm_textbuf_init(nm_textbuf_t *b) { memset(b, 0, sizeof *b); }

void nm_textbuf_reset(nm_textbuf_t *b) {
    b->len = 0;
    b->marks = 0;
    memset(b->script_count, 0, sizeof b->script_count);
    b->pending_sep = 0;
    b->word_cps = 0;
}

void nm_textbuf_free(nm_textbuf_t *b) {
    free(b->s);
    free(b->src);
    nm_textbuf_init(b);
}

static int nm_textbuf_reserve(nm_textbuf_t *b, size_t extra) {
    if (b->len + extra + 1 <= b->cap) return 0;
    size_t ncap = b->cap ? b->cap : 4096;
    while (ncap < b->len + extra + 1) ncap *= 2;
    char *ns = realloc(b->s, ncap);
    if (!ns) return -1;
    b->s = ns;
    uint32_t *nsrc = realloc(b->src, ncap * sizeof *nsrc);
    if (!nsrc) return -1;
    b->src = nsrc;
    b->cap = ncap;
    return 0;
}

static int nm_sep_rank(char c) { return c == '\n' ? 3 : c == '.' ? 2 : c == ' ' ? 1 : 0; }

void nm_textbuf_break(nm_textbuf_t *b, char sep) {
    if (nm_sep_rank(sep) > nm_sep_rank(b->pending_sep)) b->pending_sep = sep;
    b->word_cps = 0;
}

static void nm_sep(nm_textbuf_t *b, char sep, uint32_t src) {
    if (nm_sep_rank(sep) > nm_sep_rank(b->pending_sep)) {
        if (!b->pending_sep) b->pending_src = src;
        b->pending_sep = sep;
    }
    b->word_cps = 0;
}

/* Append folded word bytes; caller reserved space. */
static void nm_emit(nm_textbuf_t *b, const char *w, size_t n, uint32_t src) {
    if (b->pending_sep) {
        if (b->len) {
            b->marks += b->pending_sep != ' ';
            b->s[b->len] = b->pending_sep;
            b->src[b->len++] = b->pending_src;
        }
        b->pending_sep = 0;
    }
    for (size_t i = 0; i < n; i++) {
        b->s[b->len] = w[i];
        b->src[b->len++] = src;
    }
    b->word_cps++;
}

/* Decode one UTF-8 sequence; invalid input gives -1 and consumes 1 byte. */
static int32_t nm_utf8_decode(const unsigned char *p, size_t avail, size_t *used) {
    unsigned char c = p[0];
    int32_t cp;
    size_t n;
    if (c < 0x80) { *used = 1; return c; }
    if (c >= 0xC2 && c <= 0xDF) { n = 2; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { n = 3; cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 4; cp = c & 0x07; }
    else { *used = 1; return -1; }
    if (avail < n) { *used = 1; return -1; }
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80) { *used = 1; return -1; }
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (n == 4 && (cp < 0x10000 || cp > 0x10FFFF))) {
        *used = 1;
        return -1;
    }
    *used = n;
    return cp;
}

/* "&name;" or "&#NNN;" / "&#xHH;" at p; returns the code point or -1. */
static int32_t nm_html_entity(const char *p, size_t avail, size_t *used) {
    char name[16];
    size_t i = 1;
    while (i < avail && i < sizeof name && p[i] != ';' &&
           ((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
            (p[i] >= '0' && p[i] <= '9') || p[i] == '#'))
        i++;
    if (i >= avail || p[i] != ';' || i < 2) return -1;
    memcpy(name, p + 1, i - 1);
    name[i - 1] = '\0';
    *used = i + 1;
    if (name[0] == '#') {
        char *end;
        long v = (name[1] == 'x' || name[1] == 'X') ? strtol(name + 2, &end, 16)
                                                    : strtol(name + 1, &end, 10);
        if (*end || v <= 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return -1;
        return (int32_t)v;
    }
    const htmlEntityDesc *d = htmlEntityLookup((const xmlChar *)name);
    return d ? (int32_t)d->value : -1;
}

/* A tag "<x...>", "</x>", "<!...>" at p: its length (through '>'), or 0. */
static size_t nm_html_tag(const char *p, size_t avail, int *block) {
    if (avail < 3) return 0;
    char c = p[1];
    int closing = c == '/';
    if (closing) c = avail > 2 ? p[2] : 0;
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '!' || c == '?'))
        return 0;
    size_t lim = avail < 1024 ? avail : 1024;
    const char *gt = memchr(p, '>', lim);
    if (!gt) return 0;
    /* block-level elements end a paragraph; inline ones are a space */
    static const char *const blocks[] = {"p", "br", "div", "li", "h1", "h2", "h3", "h4",
                                         "h5", "h6", "tr", "ul", "ol", "table",
                                         "blockquote", "section", "article", "figcaption",
                                         "header", "footer", NULL};
    const char *nm = p + 1 + closing;
    size_t nl = 0;
    while (nm + nl < gt && ((nm[nl] >= 'a' && nm[nl] <= 'z') || (nm[nl] >= 'A' && nm[nl] <= 'Z') ||
                            (nm[nl] >= '0' && nm[nl] <= '9')))
        nl++;
    *block = 0;
    for (int i = 0; blocks[i]; i++)
        if (strlen(blocks[i]) == nl && strncasecmp(nm, blocks[i], nl) == 0) *block = 1;
    return (size_t)(gt - p) + 1;
}

static nm_err_t nm_text_put_cp(const nm_text_t *t, nm_textbuf_t *b, int32_t cp,
                               const char *in, size_t len, size_t pos, size_t used,
                               unsigned flags) {
    char big[64];
    const char *w;
    size_t n;
    int cls;
    nm_script_t script;
    if (cp < 0) {
        cls = CLS_SPACE; /* invalid UTF-8: U+FFFD is a symbol, i.e. a separator */
        script = NM_SCRIPT_OTHER;
        w = NULL;
        n = 0;
    } else if (cp < NM_TEXT_TABLE) {
        const nm_fold_t *f = (flags & NM_TEXT_KEEP_MARKS) ? &t->fold_marks[cp] : &t->fold[cp];
        cls = f->cls;
        script = (nm_script_t)f->script;
        w = t->blob + f->off;
        n = f->len;
    } else {
        cls = nm_fold_cp(cp, big, &n, (flags & NM_TEXT_KEEP_MARKS) != 0);
        script = nm_script_of(cp);
        w = big;
    }
    switch (cls) {
    case CLS_WORD:
        if (nm_textbuf_reserve(b, n + 1)) return NM_ERR_NOMEM;
        nm_emit(b, w, n, (uint32_t)pos);
        b->script_count[script]++;
        break;
    case CLS_IGNORE:
        break;
    case CLS_NEWLINE:
        nm_sep(b, '\n', (uint32_t)pos);
        break;
    case CLS_TERM:
        nm_sep(b, (flags & NM_TEXT_TERM) ? ' ' : '.', (uint32_t)pos);
        break;
    case CLS_DOT: {
        /* A '.' ends a sentence only before a blank, a quote or the end, and
         * not after a one-letter word ("U.S.", "J. Smith"). */
        size_t nx = pos + used;
        unsigned char c = nx < len ? (unsigned char)in[nx] : ' ';
        int ends = (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '"' ||
                    c == '\'' || c == ')' || c >= 0x80) && b->word_cps != 1;
        nm_sep(b, (ends && !(flags & NM_TEXT_TERM)) ? '.' : ' ', (uint32_t)pos);
        break;
    }
    default:
        nm_sep(b, ' ', (uint32_t)pos);
    }
    return NM_OK;
}

/* The vector step of the ASCII fast path: at pos (16 readable bytes, room
 * for 16 more in the buffer), the run of ASCII letters and digits that
 * starts there, lower-cased 16 bytes at a time, with the single spaces
 * between its words: such a space is the separator a run of blanks folds
 * to, emitted as it is, so one step takes two or three words of most text
 * instead of one. The bytes after the run are written too (cheaper than a
 * masked store) and overwritten by what follows. Returns the run's length
 * (1..16); counts its scripts and the code points of its last word in
 * *wcps (see nm_textbuf_t.word_cps). */
#ifdef NM_TEXT_SIMD
static size_t nm_ascii_block(const unsigned char *in, size_t pos, char *s, uint32_t *src,
                             uint32_t *script_count, unsigned *wcps) {
    __m128i v = _mm_loadu_si128((const __m128i *)(in + pos));
    __m128i lower = _mm_or_si128(v, _mm_set1_epi8(0x20));
    /* signed compares: bytes >= 0x80 are negative, so never letters or digits */
    __m128i alpha = _mm_and_si128(_mm_cmpgt_epi8(lower, _mm_set1_epi8('a' - 1)),
                                  _mm_cmplt_epi8(lower, _mm_set1_epi8('z' + 1)));
    __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)),
                                  _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1)));
    unsigned am = (unsigned)_mm_movemask_epi8(alpha), dm = (unsigned)_mm_movemask_epi8(digit);
    unsigned sm = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')));
    unsigned word = am | dm; /* bit 0 is set: the caller saw a letter or digit */
    unsigned n = (unsigned)__builtin_ctz(~(word | (sm & word << 1 & word >> 1))); /* bit 16 is clear */
    unsigned keep = (1u << n) - 1;
    _mm_storeu_si128((__m128i *)s, _mm_or_si128(v, _mm_and_si128(alpha, _mm_set1_epi8(0x20))));
    __m128i off = _mm_add_epi32(_mm_set1_epi32((int)pos), _mm_setr_epi32(0, 1, 2, 3));
    for (int q = 0; q < 4; q++, off = _mm_add_epi32(off, _mm_set1_epi32(4)))
        _mm_storeu_si128((__m128i *)(src + 4 * q), off);
    /* digits and spaces are few (and popcnt is not in the x86-64 baseline) */
    unsigned digits = 0, spaces = 0, last = 0;
    for (unsigned d = dm & keep; d; d &= d - 1) digits++;
    for (unsigned d = sm & keep; d; d &= d - 1, spaces++) last = (unsigned)__builtin_ctz(d);
    script_count[NM_SCRIPT_LATIN] += n - digits - spaces;
    script_count[NM_SCRIPT_OTHER] += digits;
    *wcps = spaces ? n - 1 - last : *wcps + n;
    return n;
}
#endif

/* The fast path: from pos, a run of word characters of the BMP (ASCII,
 * Latin, Cyrillic, Arabic, CJK...) folds by table lookup, each emitted
 * straight into the buffer, without a call per character, and the ASCII
 * separators between its words (t->ascii_sep) are taken in passing. It
 * stops at the first character that needs more (a sentence mark, markup, a
 * code point beyond the BMP, invalid UTF-8), which the general path then
 * takes. Returns the position it stopped at; *nomem on allocation failure. */
static size_t nm_word_run(const nm_text_t *t, const nm_fold_t *tab, nm_textbuf_t *b,
                          const unsigned char *in, size_t len, size_t pos, int *nomem) {
    /* locals, because a char store may alias anything the compiler would
     * otherwise reload for every character */
    size_t k = b->len, cap = b->cap, marks = b->marks;
    char *s = b->s;
    uint32_t *src = b->src;
    const char *blob = t->blob;
    char pending = b->pending_sep;
    uint32_t pending_src = b->pending_src;
    unsigned wcps = b->word_cps;
    while (pos < len) {
        unsigned c = in[pos], script, one; /* one: the folded byte when n == 1 */
        const char *w = NULL;
        size_t used, n;
        if (c < 0x80) { /* ASCII: one lookup, one byte out */
            unsigned a = t->ascii[c];
            if (!a) {
                if (!t->ascii_sep[c]) break;
                if (!pending) { /* as nm_sep(b, ' ', pos) */
                    pending = ' ';
                    pending_src = (uint32_t)pos;
                }
                wcps = 0;
                pos++;
                continue;
            }
#ifdef NM_TEXT_SIMD
            /* room for a pending separator, 16 bytes and the final NUL */
            if (t->ascii_simd && pos + 16 <= len && k + 18 <= cap) {
                if (pending) {
                    if (k) {
                        marks += pending != ' ';
                        s[k] = pending;
                        src[k++] = pending_src;
                    }
                    pending = 0;
                }
                size_t r = nm_ascii_block(in, pos, s + k, src + k, b->script_count, &wcps);
                k += r;
                pos += r;
                continue;
            }
#endif
            one = a & 0xFFu;
            n = used = 1;
            script = a >> 8;
        } else {
            const nm_fold_t *f;
            if (c >= 0xC2 && c <= 0xDF && pos + 1 < len && (in[pos + 1] & 0xC0) == 0x80) {
                f = &tab[((c & 0x1Fu) << 6) | (in[pos + 1] & 0x3Fu)];
                used = 2;
            } else if (c >= 0xE0 && c <= 0xEF && pos + 2 < len && (in[pos + 1] & 0xC0) == 0x80 &&
                       (in[pos + 2] & 0xC0) == 0x80) {
                unsigned cp =
                    ((c & 0x0Fu) << 12) | ((in[pos + 1] & 0x3Fu) << 6) | (in[pos + 2] & 0x3Fu);
                if (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)) break; /* invalid: general path */
                f = &tab[cp];
                used = 3;
            } else {
                break;
            }
            if (f->cls != CLS_WORD) break;
            w = blob + f->off;
            one = (unsigned char)w[0];
            n = f->len;
            script = f->script;
        }
        /* room for a pending separator, the folded bytes (at least 4: see
         * below) and the final NUL */
        if (k + n + 5 > cap) {
            b->len = k;
            if (nm_textbuf_reserve(b, n + 4)) {
                *nomem = 1;
                break;
            }
            s = b->s;
            src = b->src;
            cap = b->cap;
        }
        if (pending) { /* as nm_emit: the separator goes first */
            if (k) {
                marks += pending != ' ';
                s[k] = pending;
                src[k++] = pending_src;
            }
            pending = 0;
        }
        if (n == 1) {
            s[k] = (char)one;
            src[k++] = (uint32_t)pos;
        } else if (n <= 4) { /* most folds: 4 bytes copied, n kept (the blob has slack) */
            memcpy(s + k, w, 4);
#ifdef NM_TEXT_SIMD
            _mm_storeu_si128((__m128i *)(src + k), _mm_set1_epi32((int)pos));
#else
            for (int i = 0; i < 4; i++) src[k + i] = (uint32_t)pos;
#endif
            k += n;
        } else {
            for (size_t i = 0; i < n; i++, k++) {
                s[k] = w[i];
                src[k] = (uint32_t)pos;
            }
        }
        b->script_count[script]++;
        wcps++;
        pos += used;
    }
    b->len = k;
    b->marks = marks;
    b->pending_sep = pending;
    b->pending_src = pending_src;
    b->word_cps = wcps;
    return pos;
}

nm_err_t nm_text_append(const nm_text_t *t, nm_textbuf_t *b, const char *in,
                        size_t len, unsigned flags) {
    size_t pos = 0;
    const nm_fold_t *tab = (flags & NM_TEXT_KEEP_MARKS) ? t->fold_marks : t->fold;
    /* reserve for the common case once: folding rarely grows text by 3x */
    if (nm_textbuf_reserve(b, len + 16)) return NM_ERR_NOMEM;
    while (pos < len) {
        unsigned char c = (unsigned char)in[pos];
        if (c >= 0x80 || t->ascii[c] || t->ascii_sep[c]) { /* the fast path may take it */
            int nomem = 0;
            size_t end = nm_word_run(t, tab, b, (const unsigned char *)in, len, pos, &nomem);
            if (nomem) return NM_ERR_NOMEM;
            if (end != pos) {
                pos = end;
                continue;
            }
        }
        size_t used = 1;
        int32_t cp;
        if (c < 0x80) {
            if ((flags & NM_TEXT_HTML) && c == '&') {
                int32_t e = nm_html_entity(in + pos, len - pos, &used);
                if (e >= 0) {
                    nm_err_t rc = nm_text_put_cp(t, b, e, in, len, pos, used, flags);
                    if (rc) return rc;
                    pos += used;
                    continue;
                }
                used = 1;
            } else if ((flags & NM_TEXT_HTML) && c == '<') {
                int block;
                size_t tl = nm_html_tag(in + pos, len - pos, &block);
                if (tl) {
                    nm_sep(b, block ? '\n' : ' ', (uint32_t)pos);
                    pos += tl;
                    continue;
                }
            } else if (tab[c].cls == CLS_SPACE) {
                nm_sep(b, ' ', (uint32_t)pos); /* as nm_text_put_cp, without the call */
                pos++;
                continue;
            }
            cp = c;
        } else {
            cp = nm_utf8_decode((const unsigned char *)in + pos, len - pos, &used);
        }
        nm_err_t rc = nm_text_put_cp(t, b, cp, in, len, pos, used, flags);
        if (rc) return rc;
        pos += used;
    }
    if (b->s) b->s[b->len] = '\0';
    return NM_OK;
}

nm_err_t nm_text_term(const nm_text_t *t, nm_textbuf_t *b, const char *term, unsigned flags) {
    nm_textbuf_reset(b);
    nm_err_t rc = nm_text_append(t, b, term, strlen(term), NM_TEXT_TERM | flags);
    if (rc == NM_OK && nm_textbuf_reserve(b, 1)) rc = NM_ERR_NOMEM;
    if (rc == NM_OK) b->s[b->len] = '\0';
    return rc;
}

void nm_text_edge_scripts(const nm_text_t *t, const char *s, size_t len,
                          nm_script_t *first, nm_script_t *last) {
    (void)t;
    *first = *last = NM_SCRIPT_OTHER;
    if (!len) return;
    size_t used;
    int32_t cp = nm_utf8_decode((const unsigned char *)s, len, &used);
    *first = cp >= 0 ? nm_script_of(cp) : NM_SCRIPT_OTHER;
    size_t i = len - 1;
    while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80) i--;
    cp = nm_utf8_decode((const unsigned char *)s + i, len - i, &used);
    *last = cp >= 0 ? nm_script_of(cp) : NM_SCRIPT_OTHER;
}
