/* nm_hash.h - FNV-1a over bytes, for the small in-memory hash tables
 * (the record cache, the story lookup's dedupes); not for anything stored. */
#ifndef NM_HASH_H
#define NM_HASH_H

#include <stddef.h>
#include <stdint.h>

#define NM_FNV0 0xcbf29ce484222325ULL /* the starting value */

/** @brief h continued over the n bytes of s (start with NM_FNV0). */
static inline uint64_t nm_fnv(uint64_t h, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
    return h;
}

#endif
