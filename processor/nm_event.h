/* nm_event.h - the enriched event and the alert, written as compact JSON.
 *
 * Written straight into a reusable buffer rather than built as a jansson
 * tree and dumped: the event repeats the article body, and building and
 * serialising a tree per article cost more than tagging it (callgrind:
 * json_pack + json_dump were ~35% of `newsmon tag`). All strings written
 * are valid UTF-8 (input fields come from jansson's parser, rule strings
 * are checked at load, snippets are cut at character boundaries).
 */
#ifndef NM_EVENT_H
#define NM_EVENT_H

#include <stddef.h>

#include "nm_article.h"
#include "nm_rules.h"
#include "nm_tagger.h"

/** A growable output buffer; reuse it across articles. */
typedef struct {
    char *s;
    size_t len, cap;
    int oom;
} nm_jbuf_t;

void nm_jbuf_init(nm_jbuf_t *b);
void nm_jbuf_free(nm_jbuf_t *b);

typedef enum {
    NM_BODY_EXCLUDE = 0, /* no body */
    NM_BODY_INCLUDE = 1, /* the input body */
    NM_BODY_OMITTED = 2  /* no body, and "body_omitted": true (too large) */
} nm_body_mode_t;

/** @brief Write the enriched event into `out` (emptied first; NUL-terminated):
 *  the input fields (the body per `body`) plus relevant, score, topics
 *  (with evidence), entities, lang, processed_at, newsmon_version,
 *  rules_version. @returns NM_OK or NM_ERR_NOMEM. */
nm_err_t nm_event_enriched(nm_jbuf_t *out, const nm_article_t *a, const nm_rules_t *rules,
                           const nm_tag_result_t *res, nm_body_mode_t body,
                           const char *processed_at);

struct nm_story_s; /* nm_story.h */

/** @brief Write into `out` (emptied first; NUL-terminated) the enriched
 *  event `event` (len bytes, as nm_event_enriched wrote it) with the member
 *  "story": {id, first_article, copy} added last. `newsmon tag` adds it to
 *  the pipeline's event; the daemon assigns no story yet.
 *  @returns NM_OK, NM_ERR_INPUT (not an object's text), NM_ERR_NOMEM. */
nm_err_t nm_event_add_story(nm_jbuf_t *out, const char *event, size_t len,
                            const struct nm_story_s *story);

/** @brief Write into `out` (emptied first; NUL-terminated) the end of an
 *  enriched event with its story: `,"story":{id, first_article, copy}}`.
 *  The event's text less its closing '}', then this, is what
 *  nm_event_add_story writes, without a copy of the event (`newsmon tag`
 *  writes the two in turn). @returns NM_OK or NM_ERR_NOMEM. */
nm_err_t nm_event_story_tail(nm_jbuf_t *out, const struct nm_story_s *story);

typedef enum {
    NM_ALERT_TOPIC_IDS = 0,    /* "topics": ["arms_transfer", ...] (the Kafka alert) */
    NM_ALERT_TOPIC_EVIDENCE = 1 /* "topics": [{id, score, evidence}] (the recent-alerts
                                 * record a dashboard shows, see nm_counts.h) */
} nm_alert_form_t;

/** @brief Write the compact alert for a relevant article: id, url, source,
 *  published_at, title, lang, score, topics (per `form`), top entity ids,
 *  processed_at, rules_version. @returns NM_OK or NM_ERR_NOMEM. */
nm_err_t nm_event_alert(nm_jbuf_t *out, const nm_article_t *a, const nm_rules_t *rules,
                        const nm_tag_result_t *res, nm_alert_form_t form,
                        const char *processed_at);

/** @brief APPEND to `out` the article's summary for surge alerts:
 *  {id, title, url, source, published_at} (absent fields left out), so a
 *  batch's summaries share one buffer. @returns NM_OK or NM_ERR_NOMEM. */
nm_err_t nm_event_summary(nm_jbuf_t *out, const nm_article_t *a);

/** @brief ISO-8601 UTC timestamp with milliseconds, into buf[32]. */
void nm_event_now(char buf[32]);

#endif
