/* nm_story.c - MinHash signatures of article bodies and an index of recent ones. */
#include "nm_story.h"

#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "nm_article.h"
#include "nm_text.h"

/* ------------------------------------------------------------ signature */

static inline uint64_t nm_rotl(uint64_t x, unsigned r) { return x << r | x >> (64 - r); } /* 0 < r < 64 */

/* murmur3's finaliser: every input bit flips about half the output bits */
static inline uint64_t nm_mix(uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

/* Length of the code point at p when it belongs to a script written without
 * spaces (then it is a word of its own), else 0. */
static inline size_t nm_unspaced_cp(const unsigned char *p, size_t n) {
    if (p[0] >= 0xF0) return n >= 4 && p[0] == 0xF0 && (p[1] & 0x30) == 0x20 ? 4 : 0; /* U+20000-2FFFF: Han */
    if (p[0] < 0xE0 || n < 3) return 0;
    /* most of CJK and Korean text decides on its lead byte: U+3000-9FFF are
     * all unspaced (kana, Han), U+A000-EFFF none (Hangul syllables) */
    if (p[0] >= 0xE3 && p[0] <= 0xE9) return 3;
    if (p[0] >= 0xEA && p[0] <= 0xEE) return 0;
    uint32_t cp = (uint32_t)(p[0] & 0x0F) << 12 | (uint32_t)(p[1] & 0x3F) << 6 | (p[2] & 0x3F);
    int unspaced = (cp >= 0x0E00 && cp <= 0x0EFF) ||  /* Thai, Lao */
                   (cp >= 0x1000 && cp <= 0x109F) ||  /* Myanmar */
                   (cp >= 0x1780 && cp <= 0x17FF) ||  /* Khmer */
                   (cp >= 0x2E80 && cp <= 0x9FFF) ||  /* CJK radicals, kana, Han */
                   (cp >= 0xF900 && cp <= 0xFAFF);    /* CJK compatibility */
    return unspaced ? 3 : 0;
}

/* What the shingle of words w3 w2 w1 w0 hashes (w0 the newest; rotations
 * keep their order in the hash). */
static inline uint64_t nm_sum(uint64_t w3, uint64_t w2, uint64_t w1, uint64_t w0) {
    _Static_assert(NM_STORY_SHINGLE == 4, "a shingle combines four words");
    return w3 ^ nm_rotl(w2, 16) ^ nm_rotl(w1, 32) ^ nm_rotl(w0, 48);
}

/* The shingle whose words sum to `sum` into its bin of min. */
static inline void nm_shingle(uint32_t *min, uint64_t sum) {
    uint64_t x = nm_mix(sum);
    uint32_t *m = &min[x >> 59], v = (uint32_t)x; /* top 5 bits: the bin of 32 */
    *m = v < *m ? v : *m; /* a store every time, no branch: whether it is smaller is a coin toss early on */
}

_Static_assert(NM_STORY_BINS == 32, "nm_shingle takes the bin from the top 5 bits");

void nm_story_sign_begin(nm_story_signer_t *sg) {
    memset(sg, 0, sizeof *sg);
    memset(sg->sig.min, 0xFF, sizeof sg->sig.min); /* every bin NM_STORY_EMPTY */
}

#define NM_GOLD 0x9e3779b97f4a7c15ULL

/* Up to eight bytes from u[at] as a little-endian number, zeros past len;
 * `inside`: the caller knows u[at + 7] is in the text. */
static inline uint64_t nm_load(const unsigned char *u, size_t at, size_t len, int inside) {
    uint64_t x = 0;
    if (inside || at + 8 <= len) {
        memcpy(&x, u + at, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        x = __builtin_bswap64(x);
#endif
        return x;
    }
    for (size_t k = at; k < len; k++) x |= (uint64_t)u[k] << (8 * (k - at)); /* the text's end */
    return x;
}

/* The hash of the word u[s..e) of a spaced script: its little-endian
 * blocks of eight bytes, then the rest with the length; one multiply at
 * the end suffices (the shingle's hash mixes fully). */
static inline uint64_t nm_word_hash(const unsigned char *u, size_t s, size_t e, size_t len,
                                    int inside) {
    static const uint64_t low[8] = {0, 0xFF, 0xFFFF, 0xFFFFFF, 0xFFFFFFFF, 0xFFFFFFFFFF,
                                    0xFFFFFFFFFFFF, 0xFFFFFFFFFFFFFF}; /* the first k bytes */
    uint64_t h = NM_GOLD;
    size_t at = s;
    for (; e - at >= 8; at += 8)
        h = nm_rotl((h ^ nm_load(u, at, e, 1)) * 0x87c37b91114253d5ULL, 31);
    uint64_t chunk = e > at ? nm_load(u, at, len, inside) & low[e - at] : 0;
    return (h ^ chunk ^ (uint64_t)(e - s) << 56) * NM_GOLD;
}

/* The hash of the unspaced code point of cp bytes at u[i]. */
static inline uint64_t nm_cp_hash(const unsigned char *u, size_t i, size_t cp, size_t len,
                                  int inside) {
    return ((nm_load(u, i, len, inside) & (~0ULL >> (64 - 8 * cp))) ^ (uint64_t)cp << 56) * NM_GOLD;
}

/* The text is classified 64 bytes at a time into two bit masks, so that
 * words are found by counting trailing zeros: a byte at a time, the loop's
 * branches were most of the signer's cost. Bit k stands for byte base + k
 * (base a multiple of 64); bytes past the text are separators. */
typedef struct {
    size_t base;     /* (size_t)0 - 64: none yet */
    uint64_t letter; /* not a separator: from '0' up (in normalised text every
                      * byte below is one: ' ', '.', '\n') */
    uint64_t lead;   /* may start an unspaced code point: from 0xE0 up, but not
                      * 0xEA-0xEE (U+A000-EFFF, Hangul: spaced); nm_unspaced_cp decides */
    uint64_t hard;   /* the leads that are not 0xE3-0xE9 (U+3000-9FFF: kana, Han, all
                      * unspaced, 3 bytes): only nm_unspaced_cp can tell */
} nm_block_t;

static nm_block_t nm_classify(const unsigned char *u, size_t len, size_t base) {
    unsigned char pad[64];
    const unsigned char *p = u + base;
    if (len - base < 64) {
        memset(pad, 0, sizeof pad);
        memcpy(pad, p, len - base);
        p = pad;
    }
    nm_block_t b = {base, 0, 0, 0};
#ifdef __SSE2__
    __m128i v[4];
    uint64_t hi = 0;
    for (int k = 0; k < 4; k++) {
        v[k] = _mm_loadu_si128((const __m128i *)(p + 16 * k));
        __m128i l = _mm_cmpeq_epi8(_mm_max_epu8(v[k], _mm_set1_epi8(0x30)), v[k]);
        __m128i h = _mm_cmpeq_epi8(_mm_max_epu8(v[k], _mm_set1_epi8((char)0xE0)), v[k]);
        b.letter |= (uint64_t)(unsigned)_mm_movemask_epi8(l) << (16 * k);
        hi |= (uint64_t)(unsigned)_mm_movemask_epi8(h) << (16 * k);
    }
    if (!hi) return b; /* no byte from 0xE0: most blocks of most scripts */
    uint64_t mid = 0, cjk = 0;
    for (int k = 0; k < 4; k++) {
        __m128i e3 = _mm_max_epu8(v[k], _mm_set1_epi8((char)0xE3));
        __m128i m = _mm_cmpeq_epi8(_mm_min_epu8(e3, _mm_set1_epi8((char)0xEE)), v[k]); /* E3-EE */
        __m128i c = _mm_cmpeq_epi8(_mm_min_epu8(e3, _mm_set1_epi8((char)0xE9)), v[k]); /* E3-E9 */
        mid |= (uint64_t)(unsigned)_mm_movemask_epi8(m) << (16 * k);
        cjk |= (uint64_t)(unsigned)_mm_movemask_epi8(c) << (16 * k);
    }
    b.hard = hi & ~mid;
#else
    uint64_t cjk = 0;
    for (int k = 0; k < 64; k++) {
        b.letter |= (uint64_t)(p[k] >= 0x30) << k;
        b.hard |= (uint64_t)(p[k] >= 0xE0 && (p[k] < 0xE3 || p[k] > 0xEE)) << k;
        cjk |= (uint64_t)(p[k] >= 0xE3 && p[k] <= 0xE9) << k;
    }
#endif
    b.lead = cjk | b.hard;
    return b;
}

static inline void nm_block_at(nm_block_t *b, const unsigned char *u, size_t len, size_t i) {
    if (i - b->base >= 64) *b = nm_classify(u, len, i & ~(size_t)63);
}

static inline uint64_t nm_from(size_t k) { return ~0ULL << k; } /* bits k.. (k < 64) */

/* The last four words, in a ring (word n - 1 - k at (n - 1 - k) % 4 is
 * the k-th newest), and the rotated sum of them that their shingle hashes.
 * Rotations distribute over xor, so a word in is one rotation of the sum,
 * not three. */
typedef struct {
    uint64_t ring[NM_STORY_SHINGLE];
    uint64_t sum; /* nm_sum of the four */
    uint32_t n;   /* words so far */
} nm_words_t;

static inline void nm_push(nm_words_t *ws, uint32_t *min, uint64_t w) {
    uint64_t *oldest = &ws->ring[ws->n & 3];
    ws->sum = nm_rotl(ws->sum ^ *oldest ^ w, 48);
    *oldest = w;
    if (++ws->n >= NM_STORY_SHINGLE) nm_shingle(min, ws->sum);
}

/* The word that starts at u[i], one at a time: an unspaced code point, or
 * a spaced word up to a separator or an unspaced code point, across
 * blocks. Returns where it ends. */
static inline size_t nm_one_word(nm_block_t *b, const unsigned char *u, size_t len, size_t i,
                                 nm_words_t *ws, uint32_t *min) {
    size_t cp = b->lead >> (i - b->base) & 1 ? nm_unspaced_cp(u + i, len - i) : 0;
    if (cp) { /* a word of its own */
        nm_push(ws, min, nm_cp_hash(u, i, cp, len, 0));
        return i + cp;
    }
    size_t start = i++;
    for (;;) {
        if (i >= len) break;
        nm_block_at(b, u, len, i);
        uint64_t stop = (~b->letter | b->lead) & nm_from(i - b->base);
        if (!stop) {
            i = b->base + 64;
            continue;
        }
        i = b->base + (size_t)__builtin_ctzll(stop);
        if (i >= len || !(b->letter >> (i - b->base) & 1) || nm_unspaced_cp(u + i, len - i)) break;
        i++; /* a lead byte that starts no unspaced code point: the word goes on */
    }
    nm_push(ws, min, nm_word_hash(u, start, i, len, 0));
    return i;
}

/* The words of a block (at base) from the letters `letters` on, where
 * `lead` (of those) holds only leads of 0xE3-0xE9 that start a code point
 * of 3 bytes, a word of its own: the other words are the runs of the other
 * letters, their k-th start and end the k-th bits of two masks. Returns
 * the letters of a word that runs on into the next block, if any, else 0.
 * `inside`: the text goes on 8 bytes past the block (no load needs a check).
 * Inlined four times: without leads (all of most texts) and with, each
 * inside the text and at its end. */
static inline __attribute__((always_inline)) uint64_t
nm_runs(nm_words_t *ws, uint32_t *min, const unsigned char *u, size_t len, size_t base,
        uint64_t letters, uint64_t lead, int inside) {
    uint64_t w = letters & ~(lead | lead << 1 | lead << 2); /* the letters of spaced words */
    uint64_t words = lead | (w & ~(w << 1)), ends = ~w & w << 1;
    for (; words; words &= words - 1) {
        size_t a = (size_t)__builtin_ctzll(words);
        if (lead >> a & 1) {
            nm_push(ws, min, nm_cp_hash(u, base + a, 3, len, inside));
            continue;
        }
        if (!ends) break; /* runs on into the next block */
        nm_push(ws, min,
                nm_word_hash(u, base + a, base + (size_t)__builtin_ctzll(ends), len, inside));
        ends &= ends - 1;
    }
    return words;
}

/* Blocks without leads but of 0xE3-0xE9 (all of most texts) go by masks
 * alone (nm_runs); the rest (other leads, bytes that are no UTF-8, and
 * words that run on into the next block) one word at a time. */
void nm_story_sign_text(nm_story_signer_t *sg, const char *s, size_t len) {
    const unsigned char *u = (const unsigned char *)s;
    uint32_t *min = sg->sig.min;
    nm_words_t ws;
    ws.n = sg->nwords;
    for (uint32_t k = 0; k < NM_STORY_SHINGLE; k++) ws.ring[(ws.n - 1 - k) & 3] = sg->word[k];
    ws.sum = nm_sum(sg->word[3], sg->word[2], sg->word[1], sg->word[0]);
    nm_block_t b = {(size_t)0 - 64, 0, 0, 0};
    for (size_t i = 0; i < len;) { /* i: the next byte that may start a word */
        nm_block_at(&b, u, len, i);
        size_t base = b.base, room = len - base;
        uint64_t from = nm_from(i - base), letters = b.letter & from, lead = b.lead & from;
        if (!lead) {
            letters = room >= 72 ? nm_runs(&ws, min, u, len, base, letters, 0, 1)
                                 : nm_runs(&ws, min, u, len, base, letters, 0, 0);
        } else if (!(b.hard & from) && !(lead & (lead << 1 | lead << 2)) &&
                   (room >= 66 || !(lead & nm_from(room >= 2 ? room - 2 : 0)))) {
            /* no lead where another's bytes are, nor closer than 3 bytes to the end */
            letters = room >= 72 ? nm_runs(&ws, min, u, len, base, letters, lead, 1)
                                 : nm_runs(&ws, min, u, len, base, letters, lead, 0);
            if (!letters) { /* past the block and the last code point's bytes in the next */
                i = base + 64 + (lead >> 62 & 1) + 2 * (lead >> 63);
                continue;
            }
        }
        if (!letters) {
            i = base + 64;
            continue;
        }
        i = nm_one_word(&b, u, len, base + (size_t)__builtin_ctzll(letters), &ws, min);
    }
    for (uint32_t k = 0; k < NM_STORY_SHINGLE; k++) sg->word[k] = ws.ring[(ws.n - 1 - k) & 3];
    sg->nwords = ws.n;
    /* a shingle ends at every word from the fourth on */
    sg->sig.shingles = ws.n >= NM_STORY_SHINGLE ? ws.n - (NM_STORY_SHINGLE - 1) : 0;
}

nm_story_sig_t nm_story_sign_end(nm_story_signer_t *sg) {
    if (!sg->sig.shingles && sg->nwords) { /* fewer words than a shingle: one */
        nm_shingle(sg->sig.min, nm_sum(sg->word[3], sg->word[2], sg->word[1], sg->word[0]));
        sg->sig.shingles = 1;
    }
    return sg->sig;
}

static nm_story_sig_t nm_sign_paragraphs(const nm_tagger_ws_t *ws, bool with_title) {
    nm_story_signer_t sg;
    nm_story_sign_begin(&sg);
    size_t n = nm_tagger_paragraphs(ws);
    for (size_t i = 0; i < n; i++) {
        nm_tagger_para_t p = nm_tagger_paragraph(ws, i);
        if (!p.boilerplate && (with_title || !p.title)) nm_story_sign_text(&sg, p.s, p.len);
    }
    return nm_story_sign_end(&sg);
}

nm_story_sig_t nm_story_sign_article(const nm_tagger_ws_t *ws) {
    nm_story_sig_t sig = nm_sign_paragraphs(ws, false);
    return sig.shingles >= NM_STORY_MIN_SHINGLES ? sig : nm_sign_paragraphs(ws, true);
}

/* One-permutation MinHash: J = agreeing bins / bins not empty in both; then
 * |A n B| = J |A u B| = J (|A| + |B|) / (1 + J), over the shorter text. */
static double nm_containment(const nm_story_sig_t *a, const nm_story_sig_t *b, int *agree) {
    /* branch-free over unsigned lanes, which the compiler vectorises: both
     * empty <=> their AND is all ones (the weighing of candidates is most of
     * the index's cost when copies are many) */
    uint32_t same = 0, empty = 0;
    for (int i = 0; i < NM_STORY_BINS; i++) {
        uint32_t x = a->min[i], y = b->min[i];
        empty += (x & y) == NM_STORY_EMPTY;
        same += (x == y) & (x != NM_STORY_EMPTY);
    }
    int used = NM_STORY_BINS - (int)empty;
    *agree = (int)same;
    if (!same) return 0;
    double j = (double)same / used, na = a->shingles, nb = b->shingles;
    double c = j * (na + nb) / ((1 + j) * (na < nb ? na : nb));
    return c < 1 ? c : 1;
}

double nm_story_containment(const nm_story_sig_t *a, const nm_story_sig_t *b) {
    int agree;
    return a->shingles && b->shingles ? nm_containment(a, b, &agree) : 0;
}

/* ------------------------------------------------------------ index */

/* Slots form a ring in arrival order (slot = seq % window). Each of the
 * first NM_STORY_BANDS bins has a bucket table (heads indexed by the low
 * bits of the bin's value); chains
 * link each entry to the previous one in the same bucket, newest first, and
 * are never unlinked: a link is followed only while it leads to a live,
 * older entry, so evicting is just advancing `oldest`. Ids live in a byte
 * ring filled in the same order, so it empties from its tail as entries go. */
typedef struct {
    nm_story_sig_t sig;
    uint64_t seq, story; /* story: FNV-1a of the story's first article id */
    uint64_t weighed;    /* the query (ix->next then) that last weighed it, + 1 */
    uint32_t next[NM_STORY_BANDS]; /* slot + 1 of the previous entry in the bucket; 0 none */
    uint32_t id_off;              /* first article id in the id ring */
    uint16_t id_len;
} nm_story_entry_t;

#define NM_STORY_ID_AVG 48 /* id ring bytes per slot: longer ids evict earlier */

struct nm_story_index_s {
    size_t window;
    uint64_t oldest, next; /* live entries have oldest <= seq < next */
    nm_story_entry_t *ent;
    uint32_t *head; /* [band][value & mask]: slot + 1 of the newest entry, 0 none */
    uint32_t mask;  /* buckets per bin - 1 (a power of two >= window) */
    char *ids;
    size_t ids_cap, ids_used, ids_at; /* ring: used bytes end at ids_at */
};

nm_story_index_t *nm_story_index_new(size_t window) {
    if (window < 1 || window > NM_STORY_WINDOW_MAX) return NULL;
    nm_story_index_t *ix = calloc(1, sizeof *ix);
    if (!ix) return NULL;
    ix->window = window;
    size_t buckets = 256;
    while (buckets < window) buckets *= 2;
    ix->mask = (uint32_t)buckets - 1;
    ix->ids_cap = window * NM_STORY_ID_AVG + NM_STORY_ARTICLE_ID_MAX;
    ix->ent = calloc(window, sizeof *ix->ent);
    ix->head = calloc(NM_STORY_BANDS * buckets, sizeof *ix->head);
    ix->ids = malloc(ix->ids_cap);
    if (!ix->ent || !ix->head || !ix->ids) {
        nm_story_index_destroy(ix);
        return NULL;
    }
    return ix;
}

void nm_story_index_destroy(nm_story_index_t *ix) {
    if (!ix) return;
    free(ix->ent);
    free(ix->head);
    free(ix->ids);
    free(ix);
}

size_t nm_story_index_size(const nm_story_index_t *ix) { return (size_t)(ix->next - ix->oldest); }

static inline uint32_t *nm_bucket(const nm_story_index_t *ix, int bin, uint32_t v) {
    return &ix->head[(size_t)bin * (ix->mask + 1) + (v & ix->mask)];
}

static void nm_evict_oldest(nm_story_index_t *ix) {
    ix->ids_used -= ix->ent[ix->oldest % ix->window].id_len;
    ix->oldest++;
}

/* Copy an entry's id out of the ring (it may wrap). */
static void nm_entry_id(const nm_story_index_t *ix, const nm_story_entry_t *e, char *out) {
    size_t first = ix->ids_cap - e->id_off < e->id_len ? ix->ids_cap - e->id_off : e->id_len;
    memcpy(out, ix->ids + e->id_off, first);
    memcpy(out + first, ix->ids, e->id_len - first);
    out[e->id_len] = '\0';
}

/* The lines of entry `link` (slot + 1) a walk of band b reads first. */
static inline void nm_prefetch_entry(const nm_story_index_t *ix, uint32_t link, int b) {
    __builtin_prefetch(&ix->ent[link - 1].seq);
    __builtin_prefetch(&ix->ent[link - 1].sig.min[b]);
}

/* A candidate shares bins with the article, often many (copies of a story
 * share most): each is weighed once per query, marked with the query's
 * number (ix->next: every query is followed by a put, so it is unique);
 * weighing one twice would not change the answer, only the cost.
 * The bands' chains are walked side by side, a step of each in turn, with
 * the next entry of each prefetched: the walks are independent pointer
 * chases whose misses then overlap, where one walk after another waited
 * for each miss in turn. The answer does not depend on that order: the
 * largest containment wins, and of equal ones the oldest entry. */
static const nm_story_entry_t *nm_closest(nm_story_index_t *ix, const nm_story_sig_t *sig,
                                          double *containment) {
    const nm_story_entry_t *best = NULL;
    const uint64_t query = ix->next + 1;
    double bestc = 0;
    uint32_t link[NM_STORY_BANDS];
    uint64_t newer[NM_STORY_BANDS];
    int live = 0;
    /* the bucket heads are cache misses: issue them all before any walk */
    for (int b = 0; b < NM_STORY_BANDS; b++) {
        link[b] = sig->min[b] == NM_STORY_EMPTY ? 0 : *nm_bucket(ix, b, sig->min[b]);
        newer[b] = ix->next;
    }
    for (int b = 0; b < NM_STORY_BANDS; b++)
        if (link[b]) {
            nm_prefetch_entry(ix, link[b], b);
            live++;
        }
    for (int n = 0; live && n < NM_STORY_MAX_CHAIN; n++) {
        for (int b = 0; b < NM_STORY_BANDS; b++) {
            if (!link[b]) continue;
            nm_story_entry_t *e = &ix->ent[link[b] - 1];
            uint32_t v = sig->min[b];
            /* an evicted entry, or a slot reused by a newer one (of another
             * bucket, or later in this one): the chain ended there */
            if (e->seq < ix->oldest || e->seq >= newer[b] || ((e->sig.min[b] ^ v) & ix->mask)) {
                link[b] = 0;
                live--;
                continue;
            }
            newer[b] = e->seq;
            link[b] = e->next[b];
            if (link[b]) nm_prefetch_entry(ix, link[b], b);
            else live--;
            if (e->sig.min[b] != v || e->weighed == query) continue; /* another value, same bucket */
            e->weighed = query;
            int agree;
            double c = nm_containment(sig, &e->sig, &agree);
            if (agree < NM_STORY_MIN_BINS || c < NM_STORY_MIN_CONTAINMENT) continue;
            if (c > bestc || (c == bestc && e->seq < best->seq)) {
                best = e;
                bestc = c;
            }
        }
    }
    *containment = bestc;
    return best;
}

/* The entry of an article of story `story` (first article `first`, flen
 * bytes): room in the slot ring and the id ring, oldest out first. */
static void nm_index_put(nm_story_index_t *ix, const char *first, size_t flen, uint64_t story,
                         const nm_story_sig_t *sig) {
    while (ix->next - ix->oldest >= ix->window || ix->ids_used + flen > ix->ids_cap)
        nm_evict_oldest(ix);
    uint32_t slot = (uint32_t)(ix->next % ix->window);
    nm_story_entry_t *e = &ix->ent[slot];
    e->sig = *sig;
    e->seq = ix->next++;
    e->story = story;
    e->weighed = 0;
    e->id_off = (uint32_t)ix->ids_at;
    e->id_len = (uint16_t)flen;
    size_t head = ix->ids_cap - ix->ids_at < flen ? ix->ids_cap - ix->ids_at : flen;
    memcpy(ix->ids + ix->ids_at, first, head);
    memcpy(ix->ids, first + head, flen - head);
    ix->ids_at = (ix->ids_at + flen) % ix->ids_cap;
    ix->ids_used += flen;
    for (int b = 0; b < NM_STORY_BANDS; b++) {
        e->next[b] = 0;
        if (sig->min[b] == NM_STORY_EMPTY) continue;
        uint32_t *h = nm_bucket(ix, b, sig->min[b]);
        e->next[b] = *h;
        *h = slot + 1;
    }
}

static uint64_t nm_story_hash(const char *first, size_t flen) {
    return nm_article_hash(first, flen, 0xcbf29ce484222325ULL);
}

static void nm_story_fill(nm_story_t *out, uint64_t story, const char *article_id) {
    out->copy = strcmp(out->first_article, article_id) != 0; /* a redelivery is no copy */
    static const char hex[] = "0123456789abcdef"; /* "s-%016llx", without printf */
    out->id[0] = 's';
    out->id[1] = '-';
    for (int k = 0; k < 16; k++) out->id[2 + k] = hex[story >> (60 - 4 * k) & 15];
    out->id[18] = '\0';
}

nm_err_t nm_story_assign(nm_story_index_t *ix, const char *article_id, const nm_story_sig_t *sig,
                         nm_story_t *out) {
    size_t idlen = strlen(article_id);
    if (idlen < 1 || idlen > NM_STORY_ARTICLE_ID_MAX) return NM_ERR_INPUT;
    out->containment = 0;
    const nm_story_entry_t *m = sig->shingles ? nm_closest(ix, sig, &out->containment) : NULL;
    uint64_t story;
    if (m) {
        nm_entry_id(ix, m, out->first_article);
        story = m->story;
    } else {
        memcpy(out->first_article, article_id, idlen + 1);
        story = nm_story_hash(article_id, idlen);
    }
    nm_story_fill(out, story, article_id);
    if (sig->shingles) nm_index_put(ix, out->first_article, strlen(out->first_article), story, sig);
    return NM_OK;
}

nm_err_t nm_story_index_add(nm_story_index_t *ix, const char *first_article,
                            const nm_story_sig_t *sig) {
    size_t flen = strlen(first_article);
    if (flen < 1 || flen > NM_STORY_ARTICLE_ID_MAX) return NM_ERR_INPUT;
    if (sig->shingles) nm_index_put(ix, first_article, flen, nm_story_hash(first_article, flen), sig);
    return NM_OK;
}

nm_err_t nm_story_of(const char *first_article, const char *article_id, nm_story_t *out) {
    size_t flen = strlen(first_article);
    if (flen < 1 || flen > NM_STORY_ARTICLE_ID_MAX) return NM_ERR_INPUT;
    memcpy(out->first_article, first_article, flen + 1);
    out->containment = 0;
    nm_story_fill(out, nm_story_hash(first_article, flen), article_id);
    return NM_OK;
}
