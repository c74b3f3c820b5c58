/* nm_ac.h - Aho-Corasick multi-pattern matcher over bytes.
 *
 * All gazetteer and rule terms are matched in one pass over the normalised
 * article. The automaton works over byte classes (bytes that occur in no
 * pattern share one class); hot states have full DFA rows, the many others
 * only their own edges and fail links (nm_ac.c), which keeps it a few MB
 * for 100,000+ states.
 * Patterns that can only match at a word start are added as word patterns:
 * they are found by walks from each word start instead (no fail links), so
 * the scan touches little of their trie.
 */
#ifndef NM_AC_H
#define NM_AC_H

#include <stddef.h>
#include <stdint.h>

#include "nm_err.h"

typedef struct nm_ac_s nm_ac_t;
typedef struct nm_ac_builder_s nm_ac_builder_t;

/** @brief @returns a new builder, NULL on OOM. */
nm_ac_builder_t *nm_ac_builder_new(void);
/** @brief NULL-safe; only needed when nm_ac_build() is not called. */
void nm_ac_builder_destroy(nm_ac_builder_t *b);

/** @brief Add a pattern (bytes copied) reported with `id`. The same bytes may
 *  be added under several ids. Empty patterns are rejected (NM_ERR_CONFIG). */
nm_err_t nm_ac_builder_add(nm_ac_builder_t *b, const char *pat, size_t len, uint32_t id);

/** @brief Add a word pattern: reported only where it starts at the start of
 *  the text, after a separator byte (nm_ac_builder_separators), or right
 *  after a word prefix (nm_ac_builder_add_prefix) that starts there; one of
 *  255 bytes or more is reported wherever it occurs, as with
 *  nm_ac_builder_add (the caller's own boundary check must decide). The
 *  same bytes may also be added with nm_ac_builder_add (under other ids).
 *  Matches come in the same order as if all were added with
 *  nm_ac_builder_add. */
nm_err_t nm_ac_builder_add_word(nm_ac_builder_t *b, const char *pat, size_t len, uint32_t id);

/** @brief Declare the separator bytes that start a word after them (call it
 *  before nm_ac_builder_add_prefix). */
void nm_ac_builder_separators(nm_ac_builder_t *b, const char *seps, size_t n);

/** @brief A word prefix (a clitic such as Arabic "و"): word patterns are
 *  also reported right after it when it starts a word. A prefix holding a
 *  separator is ignored (it can never be a word's first letters). Empty and
 *  over-long (255+ bytes) prefixes are rejected (NM_ERR_CONFIG). */
nm_err_t nm_ac_builder_add_prefix(nm_ac_builder_t *b, const char *p, size_t len);

/** @brief Compile. Takes ownership of and frees `b` in all cases.
 *  @returns the new automaton, or NULL with errstr set. */
nm_ac_t *nm_ac_build(nm_ac_builder_t *b, char *errstr, size_t errstr_size);

void nm_ac_destroy(nm_ac_t *ac);

/** @brief Called for every occurrence, in order of end position; `end` is
 *  one past the last byte, `len` the pattern length. */
typedef void (*nm_ac_match_cb)(void *ud, uint32_t id, size_t end, size_t len);

void nm_ac_scan(const nm_ac_t *ac, const char *s, size_t len, nm_ac_match_cb cb, void *ud);

/** @brief Number of DFA states and bytes of memory used (for benchmarks). */
size_t nm_ac_states(const nm_ac_t *ac);
size_t nm_ac_memory(const nm_ac_t *ac);

#endif
