/* nm_explain.h - `newsmon tag --explain`: why an article got its tags. */
#ifndef NM_EXPLAIN_H
#define NM_EXPLAIN_H

#include <stdio.h>

#include "nm_pipeline.h"

/** @brief Process one input record the daemon's way (nm_pipeline_article,
 *  with p's tagger traced) and print, to f, what a rule writer needs: each
 *  scored term with its sentence, context, position and contribution, the
 *  thresholds, and why each topic did or did not fire. Nothing is printed
 *  for a record the daemon would dead-letter.
 *  @returns the pipeline's result (owned by p, as nm_pipeline_article's). */
const nm_pipeline_out_t *nm_explain_article(FILE *f, const nm_rules_t *rules,
                                            nm_pipeline_proc_t *p, const char *buf,
                                            size_t len);

#endif
