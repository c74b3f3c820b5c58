/* nm_story.h - stories, not copies: near-duplicate (syndicated copy) detection.
 *
 * One wire story is republished by many outlets with a new headline, other
 * boilerplate, a trimmed lead or a cut tail. Each article gets a signature of
 * its normalised body (title and boilerplate paragraphs left out: they are
 * what syndication changes) and is looked up in an index of the signatures
 * of recent articles; a close one makes it a copy of that article's story.
 *
 * The signature is a 64-bit SimHash (Charikar 2002; Manku et al. 2007) over
 * word shingles: every shingle of NM_STORY_SHINGLE words is hashed to 64
 * bits, each bit votes +1/-1, and bit i of the signature is the sign of the
 * sum. Texts that share most shingles get signatures that differ in few
 * bits. Words are the runs between the normaliser's separators; in scripts
 * written without spaces (Han, kana, Thai, Lao, Khmer, Myanmar) every code
 * point is a word.
 *
 * The index finds every signature within NM_STORY_MAX_DISTANCE bits by the
 * pigeonhole principle: split into NM_STORY_BANDS bands of 16 bits, two
 * signatures that differ in at most NM_STORY_BANDS - 1 bits agree exactly in
 * at least one band, so one bucket per band is looked at. It holds at most
 * `window` articles (oldest dropped first) and allocates nothing after
 * nm_story_index_new(). Not thread-safe: one index per thread.
 */
#ifndef NM_STORY_H
#define NM_STORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nm_err.h"
#include "nm_tagger.h"

#define NM_STORY_SHINGLE 4       /* words per shingle */
#define NM_STORY_BANDS 4         /* 16-bit bands of the index */
#define NM_STORY_MAX_DISTANCE 3  /* differing bits that still make a copy */
#define NM_STORY_MIN_SHINGLES 8  /* a shorter body is signed with its title */
#define NM_STORY_MAX_CHAIN 64    /* entries looked at per band bucket (newest first) */
#define NM_STORY_WINDOW_DEFAULT 65536u /* articles remembered by default */
#define NM_STORY_WINDOW_MAX (1u << 24)
#define NM_STORY_ARTICLE_ID_MAX 256 /* as nm_article: ids are 1 to 256 bytes */

/** A signature: the SimHash and how many shingles voted (0: no text). */
typedef struct {
    uint64_t hash;
    uint32_t shingles;
} nm_story_sig_t;

/** The state of one signature being built; lives on the caller's stack. */
typedef struct {
    uint64_t word[NM_STORY_SHINGLE]; /* hashes of the last words, a ring */
    uint32_t nwords;
    uint32_t shingles;
    uint32_t pending;      /* shingles in `lanes` not yet added to `votes` */
    uint64_t lanes[8];     /* 8 byte-wide counters per word: lanes[j] byte k = bit 8j+k */
    uint32_t votes[64];
} nm_story_signer_t;

void nm_story_sign_begin(nm_story_signer_t *sg);
/** @brief Add normalised text (nm_text output: word bytes and the separators
 *  ' ', '.', '\n'). Shingles run on across calls, as if the texts were one. */
void nm_story_sign_text(nm_story_signer_t *sg, const char *s, size_t len);
nm_story_sig_t nm_story_sign_end(nm_story_signer_t *sg);

/** @brief The signature of the article last tagged with ws: its body
 *  paragraphs that are not boilerplate; a body of fewer than
 *  NM_STORY_MIN_SHINGLES shingles is signed with its title (a stub's
 *  headline is all that tells it from another stub). */
nm_story_sig_t nm_story_sign_article(const nm_tagger_ws_t *ws);

/** @brief Differing bits of two signatures. */
int nm_story_distance(uint64_t a, uint64_t b);

/** The story of one article. */
typedef struct nm_story_s {
    char id[19];          /* "s-" + 16 hex digits of the FNV-1a of first_article */
    char first_article[NM_STORY_ARTICLE_ID_MAX + 1]; /* id of the story's first article */
    bool copy;            /* false for the first article (and for its redeliveries) */
    int distance;         /* bits to the signature it was matched to; -1: none */
} nm_story_t;

typedef struct nm_story_index_s nm_story_index_t;

/** @brief A new index of at most `window` articles (1 to NM_STORY_WINDOW_MAX;
 *  96 bytes per article, ids included, plus 1 MB of band heads; articles
 *  whose ids average more than 48 bytes are dropped before the window is
 *  full).
 *  @returns the index (caller destroys), NULL on OOM or a bad window. */
nm_story_index_t *nm_story_index_new(size_t window);
void nm_story_index_destroy(nm_story_index_t *ix);
/** @brief Articles held now (at most the window). */
size_t nm_story_index_size(const nm_story_index_t *ix);

/** @brief The story of article `article_id` (1 to NM_STORY_ARTICLE_ID_MAX
 *  bytes) with signature sig, written to *out; the article is then added to
 *  the index. The closest earlier signature within NM_STORY_MAX_DISTANCE
 *  gives the story, the earliest of equally close ones; none: the article
 *  starts a story of its own. An article without text (0 shingles) is
 *  neither matched nor added. Deterministic: the same articles in the same
 *  order get the same stories. @returns NM_OK, NM_ERR_INPUT (bad id length). */
nm_err_t nm_story_assign(nm_story_index_t *ix, const char *article_id, nm_story_sig_t sig,
                         nm_story_t *out);

#endif
