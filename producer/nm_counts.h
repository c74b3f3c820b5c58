/* nm_counts.h - entity and topic counts in Redis, idempotent per article.
 *
 * Key schema (prefix P, default "nm:"):
 *   P seen:<article id>            string, TTL seen_ttl_s: article already counted
 *   P entity:mentions              zset entity id -> mentions
 *   P entity:articles              zset entity id -> articles naming it
 *   P topic:articles               zset topic id  -> relevant articles
 *   P <each of the three>:<YYYYMMDDHH>  the same per UTC hour, TTL hour_ttl_s
 *   P stats                        hash: articles, relevant
 *
 * One batch is ONE EVALSHA: the script skips articles already seen, adds
 * up the increments of the new ones, then issues one ZINCRBY per distinct
 * member and key. So Redis does O(1) work per article plus O(distinct
 * members) per batch, and a redelivered article never counts twice.
 */
#ifndef NM_COUNTS_H
#define NM_COUNTS_H

#include <stddef.h>

#include "nm_config.h"
#include "nm_err.h"

typedef struct nm_counts_s nm_counts_t;

/** One article's contribution. All strings are borrowed for the call. */
typedef struct {
    const char *id;
    char hour[11];          /* "YYYYMMDDHH" (UTC) of the input message */
    int relevant;
    int nentities;
    const char *const *entities; /* ids */
    const int *mentions;
    int ntopics;
    const char *const *topics;   /* ids (relevant articles only) */
} nm_counts_item_t;

/** @brief A client for cfg's [redis] settings (borrowed for the call). It
 *  connects lazily and reconnects after any error.
 *  @returns a new client, NULL on OOM. */
nm_counts_t *nm_counts_new(const nm_config_t *cfg);

/** @brief Count a batch in one round trip. Reloads the script after NOSCRIPT
 *  (a restarted Redis forgets it) and reconnects after I/O errors.
 *  @param newly if not NULL, receives how many articles were new.
 *  @returns NM_OK, or NM_ERR_REDIS with errstr set (nothing or everything
 *  of the batch was applied: the script runs atomically; retry it). */
nm_err_t nm_counts_apply(nm_counts_t *c, const nm_counts_item_t *items, size_t n,
                         long long *newly, char *errstr, size_t errstr_size);

/** @brief Connected with the script loaded (a real readiness check). */
int nm_counts_ready(nm_counts_t *c);

/** @brief Connect (if needed) and return the hiredis context for read-only
 *  queries (borrowed; `newsmon top`). NULL with errstr set on failure. */
struct redisContext *nm_counts_context(nm_counts_t *c, char *errstr, size_t errstr_size);

void nm_counts_destroy(nm_counts_t *c);

#endif
