/* nm_event.h - the enriched event and the alert, as JSON. */
#ifndef NM_EVENT_H
#define NM_EVENT_H

#include <jansson.h>

#include "nm_article.h"
#include "nm_rules.h"
#include "nm_tagger.h"

/** @brief The enriched event: input fields (body unless !include_body) plus
 *  relevant, score, topics (with evidence), entities, lang, processed_at,
 *  newsmon_version, rules_version.
 *  @returns a new reference, NULL on OOM. */
json_t *nm_event_enriched(const nm_article_t *a, const nm_rules_t *rules,
                          const nm_tag_result_t *res, int include_body,
                          const char *processed_at);

/** @brief The compact alert for a relevant article: id, url, source, title,
 *  lang, published_at, score, topic ids, top entity ids, processed_at,
 *  rules_version. @returns a new reference, NULL on OOM. */
json_t *nm_event_alert(const nm_article_t *a, const nm_rules_t *rules,
                       const nm_tag_result_t *res, const char *processed_at);

/** @brief ISO-8601 UTC timestamp with milliseconds, into buf[32]. */
void nm_event_now(char buf[32]);

#endif
