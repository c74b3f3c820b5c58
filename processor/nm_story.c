/* nm_story.c - SimHash signatures of article bodies and an index of recent ones. */
#include "nm_story.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nm_article.h"
#include "nm_text.h"

/* ------------------------------------------------------------ signature */

static inline uint64_t nm_rotl(uint64_t x, unsigned r) { return r ? x << r | x >> (64 - r) : x; }

/* murmur3's finaliser: every input bit flips about half the output bits */
static inline uint64_t nm_mix(uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

/* Eight bytes at a time: words are short, and a byte-by-byte hash would be
 * most of the signature's cost. Byte order makes signatures differ between
 * little- and big-endian hosts; they are never compared across hosts. */
static uint64_t nm_word_hash(const char *p, size_t n) {
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = nm_rotl((h ^ w) * 0x87c37b91114253d5ULL, 31);
    }
    uint64_t w = 0;
    for (size_t i = 0; i < n; i++) w |= (uint64_t)(unsigned char)p[i] << (8 * i);
    return nm_mix(h ^ w);
}

/* Length of the code point at p when it belongs to a script written without
 * spaces (then it is a word of its own), else 0. */
static size_t nm_unspaced_cp(const unsigned char *p, size_t n) {
    if (p[0] >= 0xF0) return n >= 4 && p[0] == 0xF0 && (p[1] & 0x30) == 0x20 ? 4 : 0; /* U+20000-2FFFF: Han */
    if (p[0] < 0xE0 || n < 3) return 0;
    uint32_t cp = (uint32_t)(p[0] & 0x0F) << 12 | (uint32_t)(p[1] & 0x3F) << 6 | (p[2] & 0x3F);
    int unspaced = (cp >= 0x0E00 && cp <= 0x0EFF) ||  /* Thai, Lao */
                   (cp >= 0x1000 && cp <= 0x109F) ||  /* Myanmar */
                   (cp >= 0x1780 && cp <= 0x17FF) ||  /* Khmer */
                   (cp >= 0x2E80 && cp <= 0x9FFF) ||  /* CJK radicals, kana, Han */
                   (cp >= 0xF900 && cp <= 0xFAFF);    /* CJK compatibility */
    return unspaced ? 3 : 0;
}

/* The 8 bits of b, one per byte lane (lane k = bit k): SWAR counters let a
 * shingle vote with 8 additions instead of 64. */
static inline uint64_t nm_spread(uint64_t b) {
    uint64_t x = (b * 0x0101010101010101ULL) & 0x8040201008040201ULL;
    return ((x + 0x7f7f7f7f7f7f7f7fULL) >> 7) & 0x0101010101010101ULL;
}

static void nm_flush_lanes(nm_story_signer_t *sg) {
    for (int j = 0; j < 8; j++) {
        for (int k = 0; k < 8; k++) sg->votes[8 * j + k] += (uint32_t)(sg->lanes[j] >> (8 * k)) & 0xFF;
        sg->lanes[j] = 0;
    }
    sg->pending = 0;
}

/* The shingle of the last min(nwords, NM_STORY_SHINGLE) words votes. */
static void nm_vote(nm_story_signer_t *sg) {
    uint32_t w = sg->nwords < NM_STORY_SHINGLE ? sg->nwords : NM_STORY_SHINGLE;
    uint64_t x = 0;
    for (uint32_t k = 0; k < w; k++) /* rotations keep the word order in the hash */
        x ^= nm_rotl(sg->word[(sg->nwords - w + k) % NM_STORY_SHINGLE], 16 * k);
    x = nm_mix(x);
    for (int j = 0; j < 8; j++) sg->lanes[j] += nm_spread((x >> (8 * j)) & 0xFF);
    sg->shingles++;
    if (++sg->pending == 255) nm_flush_lanes(sg); /* a byte lane holds 255 votes */
}

void nm_story_sign_begin(nm_story_signer_t *sg) { memset(sg, 0, sizeof *sg); }

void nm_story_sign_text(nm_story_signer_t *sg, const char *s, size_t len) {
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        if (nm_text_is_sep(s[i])) {
            i++;
            continue;
        }
        size_t start = i, cp = u[i] >= 0xE0 ? nm_unspaced_cp(u + i, len - i) : 0;
        if (cp) {
            i += cp;
        } else {
            while (i < len && !nm_text_is_sep(s[i]) && !(u[i] >= 0xE0 && nm_unspaced_cp(u + i, len - i)))
                i++;
        }
        sg->word[sg->nwords % NM_STORY_SHINGLE] = nm_word_hash(s + start, i - start);
        if (++sg->nwords >= NM_STORY_SHINGLE) nm_vote(sg);
    }
}

nm_story_sig_t nm_story_sign_end(nm_story_signer_t *sg) {
    if (!sg->shingles && sg->nwords) nm_vote(sg); /* fewer words than a shingle: one shingle */
    nm_flush_lanes(sg);
    uint64_t h = 0;
    for (int i = 0; i < 64; i++)
        if (sg->votes[i] * 2 > sg->shingles) h |= 1ULL << i;
    return (nm_story_sig_t){h, sg->shingles};
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

int nm_story_distance(uint64_t a, uint64_t b) { return __builtin_popcountll(a ^ b); }

/* ------------------------------------------------------------ index */

/* Slots form a ring in arrival order (slot = seq % window). Band chains link
 * each entry to the previous one with the same band value, newest first, and
 * are never unlinked: a link is followed only while it leads to a live, older
 * entry, so evicting is just advancing `oldest`. Ids live in a byte ring
 * filled in the same order, so it empties from its tail as entries go. */
typedef struct {
    uint64_t sig, seq, story; /* story: FNV-1a of the story's first article id */
    uint32_t next[NM_STORY_BANDS]; /* slot + 1 of the previous entry in the band bucket; 0 none */
    uint32_t id_off;               /* first article id in the id ring */
    uint16_t id_len;
} nm_story_entry_t;

#define NM_STORY_ID_AVG 48 /* id ring bytes per slot: longer ids evict earlier */

struct nm_story_index_s {
    size_t window;
    uint64_t oldest, next; /* live entries have oldest <= seq < next */
    nm_story_entry_t *ent;
    uint32_t *head; /* [band][16-bit value]: slot + 1 of the newest entry, 0 none */
    char *ids;
    size_t ids_cap, ids_used, ids_at; /* ring: used bytes end at ids_at */
};

nm_story_index_t *nm_story_index_new(size_t window) {
    if (window < 1 || window > NM_STORY_WINDOW_MAX) return NULL;
    nm_story_index_t *ix = calloc(1, sizeof *ix);
    if (!ix) return NULL;
    ix->window = window;
    ix->ids_cap = window * NM_STORY_ID_AVG + NM_STORY_ARTICLE_ID_MAX;
    ix->ent = calloc(window, sizeof *ix->ent);
    ix->head = calloc((size_t)NM_STORY_BANDS << 16, sizeof *ix->head);
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

static inline uint32_t nm_band(uint64_t sig, int b) { return (uint32_t)(sig >> (16 * b)) & 0xFFFF; }

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

static const nm_story_entry_t *nm_closest(const nm_story_index_t *ix, uint64_t sig, int *dist) {
    const nm_story_entry_t *best = NULL;
    int bestd = NM_STORY_MAX_DISTANCE + 1;
    for (int b = 0; b < NM_STORY_BANDS; b++) {
        uint32_t v = nm_band(sig, b), link = ix->head[(size_t)b << 16 | v];
        uint64_t newer = ix->next;
        for (int n = 0; link && n < NM_STORY_MAX_CHAIN; n++) {
            const nm_story_entry_t *e = &ix->ent[link - 1];
            /* a reused slot holds a newer entry: the chain ended there */
            if (e->seq < ix->oldest || e->seq >= newer || nm_band(e->sig, b) != v) break;
            int d = nm_story_distance(sig, e->sig);
            if (d < bestd || (best && d == bestd && e->seq < best->seq)) {
                best = e;
                bestd = d;
            }
            newer = e->seq;
            link = e->next[b];
        }
    }
    *dist = best ? bestd : -1;
    return best;
}

nm_err_t nm_story_assign(nm_story_index_t *ix, const char *article_id, nm_story_sig_t sig,
                         nm_story_t *out) {
    size_t idlen = strlen(article_id);
    if (idlen < 1 || idlen > NM_STORY_ARTICLE_ID_MAX) return NM_ERR_INPUT;
    const nm_story_entry_t *m = sig.shingles ? nm_closest(ix, sig.hash, &out->distance) : NULL;
    uint64_t story;
    if (m) {
        nm_entry_id(ix, m, out->first_article);
        story = m->story;
    } else {
        out->distance = -1;
        memcpy(out->first_article, article_id, idlen + 1);
        story = nm_article_hash(article_id, idlen, 0xcbf29ce484222325ULL);
    }
    size_t flen = strlen(out->first_article);
    out->copy = strcmp(out->first_article, article_id) != 0; /* a redelivery is no copy */
    snprintf(out->id, sizeof out->id, "s-%016llx", (unsigned long long)story);
    if (!sig.shingles) return NM_OK;

    /* add it: room in the slot ring and the id ring, oldest out first */
    while (ix->next - ix->oldest >= ix->window || ix->ids_used + flen > ix->ids_cap)
        nm_evict_oldest(ix);
    uint32_t slot = (uint32_t)(ix->next % ix->window);
    nm_story_entry_t *e = &ix->ent[slot];
    e->sig = sig.hash;
    e->seq = ix->next++;
    e->story = story;
    e->id_off = (uint32_t)ix->ids_at;
    e->id_len = (uint16_t)flen;
    size_t first = ix->ids_cap - ix->ids_at < flen ? ix->ids_cap - ix->ids_at : flen;
    memcpy(ix->ids + ix->ids_at, out->first_article, first);
    memcpy(ix->ids, out->first_article + first, flen - first);
    ix->ids_at = (ix->ids_at + flen) % ix->ids_cap;
    ix->ids_used += flen;
    for (int b = 0; b < NM_STORY_BANDS; b++) {
        uint32_t *h = &ix->head[(size_t)b << 16 | nm_band(sig.hash, b)];
        e->next[b] = *h;
        *h = slot + 1;
    }
    return NM_OK;
}
