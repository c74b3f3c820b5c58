/* nm_stories.h - the daemon's stories: the story of every article of a
 * batch from the index of recent signatures in Redis, and the alert once
 * per story.
 *
 * Why this shape. The story is part of the enriched event and decides the
 * alert, so it must be known before the batch is produced; the index is in
 * Redis so that every instance, and a restart, sees the same window. So a
 * batch makes one lookup (nm_counts_story_lookup: two calls) before it is
 * produced, never one per article: for each article, the decision already
 * stored with its dedupe key (a redelivery or a replay gets the same story
 * and alert, and moves no count), else the signatures found in its band
 * keys. The decision is then made here in C with the offline code: the
 * candidates (in the order they were indexed) and then the batch's own
 * articles (in batch order) go into an nm_story index and each new article
 * is nm_story_assign'ed, exactly as `newsmon tag --stories` does over its
 * input, so the daemon and the offline tool give copies the same stories
 * and earlier articles of the batch are candidates too. Every write (band
 * keys, signature, the decision, the story's members and alerted topics)
 * goes into the counts script after delivery (nm_counts_apply), atomically
 * with the article counts: a batch that is not committed leaves nothing
 * behind, and its redo decides again from the same window.
 *
 * Alerts: an article that would alert (nm_pipeline_out_t.alert) alerts on
 * the topics its story has not alerted on yet, and not at all when there
 * are none; the first article of a story alerts as before.
 *
 * Races (documented, not prevented): two instances deciding copies of one
 * new article in the same moment both find no candidate and start two
 * stories; each article keeps its story (its decision is stored), later
 * copies join the one they match best. A story lives as long as its first
 * article is in the window ([stories] window_s): a copy after that starts
 * a new story.
 *
 * Not thread-safe: one per thread.
 */
#ifndef NM_STORIES_H
#define NM_STORIES_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "nm_counts.h"
#include "nm_err.h"
#include "nm_story.h"

/** One article of the batch, in batch order. Borrowed for the call; sig
 *  and the topic ids must stay valid until the counts are applied (the
 *  output's counts part points at sig). */
typedef struct {
    const char *id;
    const nm_story_sig_t *sig;
    int ntopics;                 /* the topics it alerts on (0: it does not alert) */
    const char *const *topics;
} nm_stories_in_t;

/** The decision for one article. Owned by the nm_stories_t, valid until
 *  its next nm_stories_decide. */
typedef struct {
    nm_story_t story;
    int redelivered;   /* its decision was stored: the same story and alert */
    uint32_t alert;    /* bit t: it alerts on topics[t]; 0: no alert */
    nm_counts_story_t counts; /* its story writes, for nm_counts_item_t.story */
} nm_stories_out_t;

typedef struct nm_stories_s nm_stories_t;

/** @returns a new decider (caller destroys), NULL on OOM. */
nm_stories_t *nm_stories_new(void);
void nm_stories_destroy(nm_stories_t *S);

/** @brief Decide the stories of a batch from what the window holds
 *  (`found`, from nm_counts_story_lookup for these articles, in order);
 *  index_hour ("YYYYMMDDHH") is when the batch's articles are indexed.
 *  prev: NULL, or the decider of the batch before, not counted yet (below).
 *  out[] has n entries. Deterministic.
 *  @returns NM_OK, NM_ERR_NOMEM, NM_ERR_INPUT (a bad id) with errstr set.
 *
 *  Following (prev): the batch prev decided last is seen as if its counts
 *  were applied: its articles not seen before are candidates (after the
 *  window's), their decisions are found for their ids, its stories'
 *  alerted topics are known. So a batch's lookup may run while the batch
 *  before it waits for its acks and counts (the pipeline's two deciders
 *  take turns).
 *  The lookup leaves out the refs that batch's band writes will push out
 *  of full band fields (nm_counts_ahead_t), so the decisions are the ones
 *  made after its counts, byte for byte, as long as no other instance
 *  writes in between (which is the race of nm_stories.h either way).
 *  prev != S; its batch (ids, signatures, outputs) must be alive and prev
 *  not decide again until S has. */
nm_err_t nm_stories_decide(nm_stories_t *S, const nm_stories_in_t *in, size_t n,
                           const nm_counts_found_t *found, const char *index_hour,
                           const nm_stories_t *prev, nm_stories_out_t *out, char *errstr,
                           size_t errstr_size);

/** @brief Lookup (two Redis calls) and decide, at time `now`, following
 *  prev as nm_stories_decide does (NULL: none).
 *  @returns NM_OK, or NM_ERR_REDIS (retry) / NM_ERR_NOMEM with errstr set. */
nm_err_t nm_stories_assign(nm_stories_t *S, nm_counts_t *c, const nm_stories_in_t *in,
                           size_t n, time_t now, const nm_stories_t *prev,
                           nm_stories_out_t *out, char *errstr, size_t errstr_size);

#endif
