/* nm_tagger.h - tags one article: relevance, topics, entities, language.
 *
 * I/O-free and allocation-free per article once its workspace has grown to
 * the largest article seen: all per-article memory lives in the workspace,
 * except the few scratch buffers CLD2 allocates when the language has to be
 * detected (nm_langid).
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
    int sentences;        /* distinct sentences with evidence */
    /* how the evidence is spread, the inputs of the topic model */
    int title, nstrong;   /* hits in the title; strong-term hits */
    int ndecisive;        /* decisive-term hits stated as news (NM_DECISIVE) */
    double lead_score;    /* score from the title and the lead */
    double joint_score;   /* score from sentences naming both sides */
    double max_sentence;  /* the largest score of one sentence */
    double prob;          /* topic model probability, -1 without a model */
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
    char lang_detected[8]; /* detected (nm_langid) when `lang` was missing or
                              invalid or the workspace always detects; else "" */
    int ntopics;
    nm_topic_tag_t topics[NM_MAX_TOPICS]; /* relevant articles only, best first */
    int nentities;
    const nm_entity_tag_t *entities; /* workspace-owned, most mentioned first */
    int ncandidates;                  /* every topic with evidence, best first, */
    const nm_topic_tag_t *candidates; /* fired or not (workspace-owned) */
    double coop, neg;                 /* cooperation and negative evidence */
    int joint;                        /* a sentence or paragraph names both sides */
} nm_tag_result_t;

typedef struct nm_tagger_ws_s nm_tagger_ws_t;

/** @brief The topic model's inputs for candidate `tt` of an article whose
 *  best candidate scored `best`, with `nsent` sentences. Writes
 *  NM_TOPIC_NFEATURES values to x (names: nm_topic_feature_names). */
void nm_tagger_topic_features(const nm_topic_tag_t *tt, double best, size_t nsent,
                              double x[NM_TOPIC_NFEATURES]);

/** One scored term hit, for `newsmon tag --explain`. Pointers borrowed. */
typedef struct {
    const nm_term_t *term;
    uint32_t start, end;     /* in the normalised text (title, '\n', body) */
    uint32_t sentence, paragraph;
    double context, position, contribution; /* contribution = weight x both */
    double claim;            /* claim_weight x position added with this hit (it
                                completed an object + movement claim), else 0 */
    const char *skipped;     /* NULL when counted, else why not */
} nm_trace_hit_t;

typedef void (*nm_tagger_trace_cb)(void *ud, const nm_trace_hit_t *hit);

/** @brief Report every topic, cooperation and negative hit of the next
 *  tagging calls to cb (NULL: stop). Costs nothing when unset. */
void nm_tagger_set_trace(nm_tagger_ws_t *ws, nm_tagger_trace_cb cb, void *ud);

/** @brief The normalised text of the last tagged article (workspace-owned),
 *  for showing a trace's sentences. */
const char *nm_tagger_text(const nm_tagger_ws_t *ws, size_t *len);

/** One paragraph of the last tagged article's normalised text (borrowed
 *  from the workspace), and what the tagger found it to be. */
typedef struct {
    const char *s;
    size_t len;
    bool title;       /* part of the title */
    bool boilerplate; /* page furniture: a boilerplate cue opens it, or it repeats the title */
} nm_tagger_para_t;

/** @brief Number of paragraphs of the last article tagged with ws (0 before
 *  the first successful nm_tagger_tag()). */
size_t nm_tagger_paragraphs(const nm_tagger_ws_t *ws);
/** @brief Paragraph i (< nm_tagger_paragraphs(ws)) of that article: no copy,
 *  valid until the next call with ws. */
nm_tagger_para_t nm_tagger_paragraph(const nm_tagger_ws_t *ws, size_t i);

/** @brief @returns a new workspace (one per thread), NULL on OOM. */
nm_tagger_ws_t *nm_tagger_ws_new(void);
void nm_tagger_ws_destroy(nm_tagger_ws_t *ws);
/** @brief Detect the language of every article, even when it comes with a
 *  valid `lang` (accuracy reports); off by default, since detection is the
 *  costliest step after parsing. */
void nm_tagger_ws_always_detect(nm_tagger_ws_t *ws, bool on);

/** @brief Tag an article. title/body need not be NUL-terminated; lang may
 *  be NULL or "" (then detected). The result borrows from `rules`, `ws`,
 *  title and body, and is valid until the next call with the same ws.
 *  @returns NM_OK or NM_ERR_NOMEM. */
nm_err_t nm_tagger_tag(const nm_rules_t *rules, nm_tagger_ws_t *ws,
                       const char *title, size_t title_len,
                       const char *body, size_t body_len,
                       const char *lang, nm_tag_result_t *out);

#endif
