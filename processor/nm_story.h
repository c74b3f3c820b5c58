/* nm_story.h - stories, not copies: near-duplicate (syndicated copy) detection.
 *
 * One wire story is republished by many outlets with a new headline, other
 * boilerplate, a trimmed lead or a cut tail. Each article gets a signature of
 * its normalised body (title and boilerplate paragraphs left out: they are
 * what syndication changes) and is looked up in an index of the signatures
 * of recent articles; a close one makes it a copy of that article's story.
 *
 * The signature is a one-permutation MinHash (Li, Owen, Zhang 2012) over word
 * shingles: every shingle of NM_STORY_SHINGLE words is hashed to 64 bits, the
 * top bits pick one of NM_STORY_BINS bins and each bin keeps the smallest of
 * the other bits. Two texts' bins agree with probability their Jaccard
 * similarity J; with each text's shingle count that also gives the share of
 * the shorter text found in the other (containment), which is what survives
 * a cut lead or tail. Words are the runs between the normaliser's
 * separators; in scripts written without spaces (Han, kana, Thai, Lao,
 * Khmer, Myanmar) every code point is a word.
 * (A 64-bit SimHash within 3 bits, Manku et al.'s web-crawl setting, found
 * 27 % of the copies of bench/nm_copies.py: a cut tail alone moves ~10 bits.)
 *
 * The index is LSH with one-row bands over the first NM_STORY_BANDS bins: a
 * bucket per bin value, so every earlier article that agrees in one of them
 * is a candidate (one of 16 bins agrees, for texts of Jaccard 0.3, 99.7 % of
 * the time; indexing all 32 found no more copies and cost more); the candidate with the
 * largest estimated containment, at least NM_STORY_MIN_CONTAINMENT, gives
 * the story. It holds at most `window` articles (oldest dropped first) and
 * allocates nothing after nm_story_index_new(). Not thread-safe: one index
 * per thread.
 */
#ifndef NM_STORY_H
#define NM_STORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nm_err.h"
#include "nm_tagger.h"

#define NM_STORY_SHINGLE 4       /* words per shingle */
#define NM_STORY_BINS 32         /* MinHash bins (one permutation) */
#define NM_STORY_BANDS 16        /* bins the index has buckets for */
#define NM_STORY_MIN_CONTAINMENT 0.5 /* estimated share of the shorter text in the other */
#define NM_STORY_MIN_BINS 4      /* agreeing bins, at least, for a copy (fewer: chance, when sizes differ) */
#define NM_STORY_MIN_SHINGLES 8  /* a shorter body is signed with its title */
/* entries looked at per bucket (newest first); 64 found no more copies of a
 * copy set with 150 copies of each article in the window, at 2.3x the cost */
#define NM_STORY_MAX_CHAIN 16
#define NM_STORY_WINDOW_DEFAULT 32768u /* articles remembered by default */
#define NM_STORY_WINDOW_MAX (1u << 24)
#define NM_STORY_ARTICLE_ID_MAX 256 /* as nm_article: ids are 1 to 256 bytes */
#define NM_STORY_EMPTY UINT32_MAX   /* a bin no shingle fell into */

/** A signature: the smallest hash per bin and how many shingles there were
 *  (0: no text). */
typedef struct {
    uint32_t min[NM_STORY_BINS];
    uint32_t shingles;
} nm_story_sig_t;

/** The state of one signature being built; lives on the caller's stack. */
typedef struct {
    uint64_t word[NM_STORY_SHINGLE]; /* hashes of the last words, newest first */
    uint32_t nwords;
    nm_story_sig_t sig;
} nm_story_signer_t;

void nm_story_sign_begin(nm_story_signer_t *sg);
/** @brief Add normalised text (nm_text output: word bytes and the separators
 *  ' ', '.', '\n'). Shingles run on across calls, as if the texts were one. */
void nm_story_sign_text(nm_story_signer_t *sg, const char *s, size_t len);
nm_story_sig_t nm_story_sign_end(nm_story_signer_t *sg);

/** @brief Estimated share of the shorter text's shingles found in the other
 *  (0 to 1; 0 when either has no text). */
double nm_story_containment(const nm_story_sig_t *a, const nm_story_sig_t *b);

/** @brief The signature of the article last tagged with ws: its body
 *  paragraphs that are not boilerplate; a body of fewer than
 *  NM_STORY_MIN_SHINGLES shingles is signed with its title (a stub's
 *  headline is all that tells it from another stub). */
nm_story_sig_t nm_story_sign_article(const nm_tagger_ws_t *ws);

/** The story of one article. */
typedef struct nm_story_s {
    char id[19];          /* "s-" + 16 hex digits of the FNV-1a of first_article */
    char first_article[NM_STORY_ARTICLE_ID_MAX + 1]; /* id of the story's first article */
    bool copy;            /* false for the first article (and for its redeliveries) */
    double containment;   /* nm_story_containment to the article matched; 0: none */
} nm_story_t;

typedef struct nm_story_index_s nm_story_index_t;

/** @brief A new index of at most `window` articles (1 to NM_STORY_WINDOW_MAX):
 *  about 330 bytes per article, ids and buckets included (11 MB for the
 *  default window); articles whose ids average more than 48 bytes are
 *  dropped before the window is full.
 *  @returns the index (caller destroys), NULL on OOM or a bad window. */
nm_story_index_t *nm_story_index_new(size_t window);
void nm_story_index_destroy(nm_story_index_t *ix);
/** @brief Articles held now (at most the window). */
size_t nm_story_index_size(const nm_story_index_t *ix);

/** @brief The story of article `article_id` (1 to NM_STORY_ARTICLE_ID_MAX
 *  bytes) with signature sig, written to *out; the article is then added to
 *  the index. The earlier article of largest containment (at least
 *  NM_STORY_MIN_CONTAINMENT, with NM_STORY_MIN_BINS agreeing bins) gives the
 *  story, the earliest of equally close ones; none: the article starts a
 *  story of its own. An article without text (0 shingles) is
 *  neither matched nor added. Deterministic: the same articles in the same
 *  order get the same stories. @returns NM_OK, NM_ERR_INPUT (bad id length). */
nm_err_t nm_story_assign(nm_story_index_t *ix, const char *article_id, const nm_story_sig_t *sig,
                         nm_story_t *out);

/** @brief Add an article already assigned to the story whose first article
 *  is `first_article` (1 to NM_STORY_ARTICLE_ID_MAX bytes), as the newest
 *  entry, without matching it: how the daemon puts the signatures it found
 *  in Redis, and redelivered articles, into the index it decides a batch
 *  with (nm_stories.h), so the decision is nm_story_assign's. Nothing is
 *  added for a signature without text. @returns NM_OK, NM_ERR_INPUT. */
nm_err_t nm_story_index_add(nm_story_index_t *ix, const char *first_article,
                            const nm_story_sig_t *sig);

/** @brief The story whose first article is `first_article`, into *out (copy
 *  = whether article_id is another article; containment 0).
 *  @returns NM_OK, NM_ERR_INPUT (bad id length). */
nm_err_t nm_story_of(const char *first_article, const char *article_id, nm_story_t *out);

#endif
