/* nm_explain.h - `newsmon tag --explain`: why an article got its tags. */
#ifndef NM_EXPLAIN_H
#define NM_EXPLAIN_H

#include <stdio.h>

#include "nm_article.h"
#include "nm_tagger.h"

/** @brief Tag one article and print, to f, the trace a rule writer needs:
 *  each scored term with its sentence, context, position and contribution,
 *  the thresholds, and why each topic did or did not fire. The result is
 *  left in *res (borrowing from ws, as nm_tagger_tag's).
 *  @returns NM_OK or NM_ERR_NOMEM. */
nm_err_t nm_explain_article(FILE *f, const nm_rules_t *rules, nm_tagger_ws_t *ws,
                            const nm_article_t *a, nm_tag_result_t *res);

#endif
