/* nm_bcache.h - a bounded cache of immutable byte strings by byte-string key.
 *
 * Why: the daemon's story lookup gets back, for every batch, the records
 * of the articles its batch's band values name, and a syndicated story's
 * copies name mostly the same ones batch after batch. A record never
 * changes once written (nm_counts.c), so the client keeps the ones it has
 * read and asks Redis only for the others.
 *
 * Shape: 4-way set-associative, least recently used out of its set; all
 * memory is taken by nm_bcache_new (entries of at most NM_BCACHE_KEY_MAX
 * and NM_BCACHE_VALUE_MAX bytes: longer ones are simply not kept, and are
 * asked for every time). A miss is never wrong, only slower, so what is
 * evicted does not matter for correctness. Not thread-safe: one per
 * thread (as the nm_counts_t that owns it).
 */
#ifndef NM_BCACHE_H
#define NM_BCACHE_H

#include <stddef.h>

#define NM_BCACHE_KEY_MAX 80    /* "YYYYMMDDHH" + an article id of up to 70 bytes */
#define NM_BCACHE_VALUE_MAX 240 /* a story record with a first-article id of up to 82 bytes */

typedef struct nm_bcache_s nm_bcache_t;

/** @brief A cache of `entries` entries (rounded up to a multiple of 4; at
 *  least 4), about 340 bytes each. @returns it (caller destroys), NULL on
 *  OOM. */
nm_bcache_t *nm_bcache_new(size_t entries);
void nm_bcache_destroy(nm_bcache_t *b);

/** @brief The value stored under key, or NULL. The pointer (and *vlen
 *  bytes) stays valid until the next nm_bcache_put on this cache. */
const char *nm_bcache_get(nm_bcache_t *b, const char *key, size_t klen, size_t *vlen);

/** @brief Keep value under key (a copy), replacing what the key had and
 *  evicting the set's least recently used entry. Does nothing when the key
 *  or the value is too long for an entry. */
void nm_bcache_put(nm_bcache_t *b, const char *key, size_t klen, const char *value, size_t vlen);

/** @brief Entries held now, and the hits and misses of nm_bcache_get so far. */
size_t nm_bcache_size(const nm_bcache_t *b);
void nm_bcache_stats(const nm_bcache_t *b, unsigned long long *hits, unsigned long long *misses);

#endif
