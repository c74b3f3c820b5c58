/* nm_bcache.c - a bounded cache of immutable byte strings (nm_bcache.h). */
#include "nm_bcache.h"

#include "nm_hash.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NM_BCACHE_WAYS 4

typedef struct {
    uint64_t hash;
    uint64_t used; /* the cache's clock at the last get or put: LRU within the set */
    unsigned char klen, vlen; /* klen 0: empty */
    char key[NM_BCACHE_KEY_MAX];
    char value[NM_BCACHE_VALUE_MAX];
} nm_bentry_t;

_Static_assert(NM_BCACHE_KEY_MAX <= 255 && NM_BCACHE_VALUE_MAX <= 255, "lengths are bytes");

struct nm_bcache_s {
    nm_bentry_t *e;
    size_t nsets, size;
    uint64_t clock;
    unsigned long long hits, misses;
};

nm_bcache_t *nm_bcache_new(size_t entries) {
    nm_bcache_t *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    b->nsets = entries < NM_BCACHE_WAYS ? 1 : (entries + NM_BCACHE_WAYS - 1) / NM_BCACHE_WAYS;
    if (!(b->e = calloc(b->nsets * NM_BCACHE_WAYS, sizeof *b->e))) {
        free(b);
        return NULL;
    }
    return b;
}

void nm_bcache_destroy(nm_bcache_t *b) {
    if (!b) return;
    free(b->e);
    free(b);
}

static uint64_t nm_bhash(const char *s, size_t n) {
    uint64_t h = nm_fnv(NM_FNV0, s, n);
    return h ^ (h >> 29); /* the set is h % nsets: mix the high bits in */
}

/* The set of hash h, and the entry of key in it (NULL: absent). */
static nm_bentry_t *nm_bfind(nm_bcache_t *b, uint64_t h, const char *key, size_t klen,
                             nm_bentry_t **set) {
    *set = &b->e[(h % b->nsets) * NM_BCACHE_WAYS];
    for (int w = 0; w < NM_BCACHE_WAYS; w++) {
        nm_bentry_t *x = &(*set)[w];
        if (x->klen == klen && x->hash == h && !memcmp(x->key, key, klen)) return x;
    }
    return NULL;
}

const char *nm_bcache_get(nm_bcache_t *b, const char *key, size_t klen, size_t *vlen) {
    nm_bentry_t *set, *x = klen && klen <= NM_BCACHE_KEY_MAX
                               ? nm_bfind(b, nm_bhash(key, klen), key, klen, &set)
                               : NULL;
    if (!x) {
        b->misses++;
        return NULL;
    }
    b->hits++;
    x->used = ++b->clock;
    *vlen = x->vlen;
    return x->value;
}

void nm_bcache_put(nm_bcache_t *b, const char *key, size_t klen, const char *value, size_t vlen) {
    if (!klen || klen > NM_BCACHE_KEY_MAX || vlen > NM_BCACHE_VALUE_MAX) return;
    uint64_t h = nm_bhash(key, klen);
    nm_bentry_t *set, *x = nm_bfind(b, h, key, klen, &set);
    if (!x) {
        x = &set[0];
        for (int w = 1; w < NM_BCACHE_WAYS && x->klen; w++)
            if (!set[w].klen || set[w].used < x->used) x = &set[w];
        if (!x->klen) b->size++;
    }
    x->hash = h;
    x->klen = (unsigned char)klen;
    x->vlen = (unsigned char)vlen;
    memcpy(x->key, key, klen);
    memcpy(x->value, value, vlen);
    x->used = ++b->clock;
}

size_t nm_bcache_size(const nm_bcache_t *b) { return b->size; }

void nm_bcache_stats(const nm_bcache_t *b, unsigned long long *hits, unsigned long long *misses) {
    *hits = b->hits;
    *misses = b->misses;
}
