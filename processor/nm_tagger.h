/* nm_tagger.h - tags one article: relevance, topics, entities, language.
 *
 * I/O-free and allocation-free per article once its workspace has grown to
 * the largest article seen: all per-article memory lives in the workspace.
 */
#ifndef NM_TAGGER_H
#define NM_TAGGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nm_limits.h"
#include "nm_rules.h"

/** Why a tag was given: one matched term. Pointers are borrowed from the
 *  rule set (term, rule) or from the article text (snippet). */
typedef struct {
    const char *term;     /* as written in the rule file */
    const char *rule;     /* "rules.conf:42" */
    int field;            /* 0 title, 1 body */
    uint32_t offset;      /* byte offset in that field of the original text */
    const char *snippet;  /* into the original field text */
    size_t snippet_len;
    double weight;        /* contribution to the score */
} nm_evidence_t;

typedef struct {
    int topic;            /* index into rules->topics */
    double score;
    int nev;
    nm_evidence_t ev[NM_MAX_EVIDENCE];
} nm_topic_tag_t;

typedef struct {
    int entity;           /* index into rules->entities */
    int mentions;
    nm_evidence_t ev;     /* the first mention */
} nm_entity_tag_t;

typedef struct {
    bool relevant;
    double score;
    char lang[8];          /* given, else detected */
    char lang_detected[8]; /* always detected (for accuracy reports) */
    int ntopics;
    nm_topic_tag_t topics[NM_MAX_TOPICS]; /* relevant articles only, best first */
    int nentities;
    const nm_entity_tag_t *entities; /* workspace-owned, most mentioned first */
} nm_tag_result_t;

typedef struct nm_tagger_ws_s nm_tagger_ws_t;

/** @brief @returns a new workspace (one per thread), NULL on OOM. */
nm_tagger_ws_t *nm_tagger_ws_new(void);
void nm_tagger_ws_destroy(nm_tagger_ws_t *ws);

/** @brief Tag an article. title/body need not be NUL-terminated; lang may
 *  be NULL or "" (then detected). The result borrows from `rules`, `ws`,
 *  title and body, and is valid until the next call with the same ws.
 *  @returns NM_OK or NM_ERR_NOMEM. */
nm_err_t nm_tagger_tag(const nm_rules_t *rules, nm_tagger_ws_t *ws,
                       const char *title, size_t title_len,
                       const char *body, size_t body_len,
                       const char *lang, nm_tag_result_t *out);

#endif
