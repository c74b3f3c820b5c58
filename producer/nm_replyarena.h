/* nm_replyarena.h - hiredis replies built in an arena: no malloc per
 * element.
 *
 * Why: the story lookup's replies hold thousands of elements per batch
 * (every band field's value, every record), and hiredis allocates each
 * element and its string separately, then frees them one by one: glibc's
 * malloc and free were about a quarter of the lookup thread's time
 * (bench/RESULTS.md). While a context reads with the arena's functions
 * (nm_replyarena_read), its replies live in the arena's blocks until
 * nm_replyarena_reset; nm_replyarena_free frees a reply the ordinary way
 * unless the arena owns it, so one call frees either kind. One arena per
 * connection user (not thread-safe).
 */
#ifndef NM_REPLYARENA_H
#define NM_REPLYARENA_H

#include <hiredis/hiredis.h>

typedef struct nm_replyarena_s nm_replyarena_t;

/* The first block's size; a block that cannot hold an element is
 * followed by one twice as large (or as large as the element). */
#define NM_REPLYARENA_BLOCK (256 * 1024)

/** @brief A new, empty arena. @returns it, or NULL when out of memory. */
nm_replyarena_t *nm_replyarena_new(void);

/** @brief One reply from rc (as redisGetReply), built in the arena when
 *  `a` is not NULL (hiredis's own allocation otherwise). The reply is the
 *  arena's until nm_replyarena_reset: free it with nm_replyarena_free.
 *  @returns REDIS_OK or REDIS_ERR as redisGetReply. */
int nm_replyarena_read(nm_replyarena_t *a, redisContext *rc, void **reply);

/** @brief Free a reply (NULL-safe): freeReplyObject unless the arena (may
 *  be NULL) owns it; the arena's are freed by nm_replyarena_reset. */
void nm_replyarena_free(const nm_replyarena_t *a, void *reply);

/** @brief Drop every reply built so far (their memory is reused); the
 *  newest (largest) block is kept for the next replies. NULL-safe. */
void nm_replyarena_reset(nm_replyarena_t *a);

/** @brief Free the arena and its blocks. NULL-safe. */
void nm_replyarena_destroy(nm_replyarena_t *a);

#endif
