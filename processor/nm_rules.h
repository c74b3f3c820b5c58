/* nm_rules.h - the compiled rule set: gazetteer, topic rules, language packs.
 *
 * Loaded from the files described in docs/RULES.md and then read-only, so
 * one rule set can be shared by every article in flight; a reload builds a
 * new one beside it and swaps the pointer (see nm_pipeline).
 */
#ifndef NM_RULES_H
#define NM_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "nm_ac.h"
#include "nm_err.h"
#include "nm_surge.h"
#include "nm_text.h"

typedef enum {
    NM_TERM_ENTITY = 0, /* target: entity index */
    NM_TERM_ACTOR,      /* target: side bits (1 = Russian side, 2 = DPRK side) */
    NM_TERM_TOPIC,      /* target: topic index */
    NM_TERM_COOP,       /* generic cooperation phrase; target unused */
    NM_TERM_NEG,        /* non-military cue; target unused */
    NM_TERM_BOILER,     /* page furniture at the start of a line */
    NM_TERM_NOT_ENTITY, /* suppresses matches of entity `target` inside it */
    NM_TERM_NOT_TOPIC,  /* suppresses matches of topic `target` inside it */
    NM_TERM_BACKGROUND  /* marks its sentence as background ("has been accused of") */
} nm_term_kind_t;

/* sides: the two parties of the dyad, and third states (China, Iran...) whose
 * presence in a short list ("Iran, North Korea and Russia") makes the list
 * no statement about the dyad */
/* topic terms that need each other: what moves and the movement */
enum { NM_OBJECT = 1, NM_MOVE = 2 };

enum { NM_SIDE_RU = 1, NM_SIDE_KP = 2, NM_SIDE_THIRD = 4 };

/* nm_term_t.strong of a `decisive` term: the phrase that names its topic
 * ("military-technical cooperation") fires the topic of a relevant article
 * when a sentence or paragraph naming both sides states it as news */
enum { NM_DECISIVE = 2 };

typedef struct {
    uint8_t kind;       /* nm_term_kind_t */
    uint8_t open_left;  /* 1: no word boundary needed before the term */
    uint8_t open_right; /* 1: none needed after it */
    uint8_t strong;     /* 1: weighs settings.strong_weight instead of 1; 2: also
                           decisive (NM_DECISIVE, `decisive` in docs/RULES.md) */
    uint8_t object;     /* NM_OBJECT, NM_MOVE or 0: see `objects` in docs/RULES.md */
    uint8_t stem;       /* 1: a '*' after a letter of a spaced script ("transfer*"): for
                           overlaps its hit spans the rest of its word ("transfers") */
    uint16_t target;
    uint16_t pack;      /* 1 + index of the language pack that defined it; 0: core files */
    const char *text;   /* the term as written in the file */
    const char *rule;   /* "file:line", for evidence */
} nm_term_t;

typedef struct {
    char *id;   /* "country:north_korea" */
    char *name; /* "North Korea" */
    char *type; /* "country" */
    uint8_t side; /* NM_SIDE_* bits when the entity is a listed actor */
    uint8_t is_place, is_org; /* type "place" / "org", for the tagger's hot path */
} nm_entity_t;

typedef struct {
    char *id, *name;
    double threshold; /* `threshold` of the section, else settings.topic_threshold */
    double paragraph_factor, document_factor; /* section value, else [settings] */
} nm_topic_t;

typedef struct {
    char code[8];
    const char *name;   /* from a language pack's [language] name, else NULL */
    uint8_t keep_marks; /* [language] marks = keep: NM_TEXT_KEEP_MARKS for its
                           terms and for articles in it */
} nm_lang_t;

/** Clitic prefixes of one language pack (`[language] prefixes`, docs/RULES.md):
 *  normalised, each NUL-terminated, `len` bytes in all. */
typedef struct {
    char *s;
    size_t len;
} nm_prefixes_t;

enum { NM_PREFIX_MAX = 15 }; /* bytes of one normalised prefix */

/** Scoring settings: keys of [settings] in rules.conf. */
typedef struct {
    double relevance_threshold, topic_threshold, alert_threshold;
    double paragraph_factor, document_factor, title_factor, lead_factor;
    double strong_weight, negative_weight;
    long boilerplate_max_line; /* a longer line is text: only its first sentence is furniture */
    long list_gap;             /* at most this many bytes between listed names: a list */
    double background_factor; /* topic hits in a background sentence */
    long lead_chars, max_term_hits;
    /* a topic other than the best one needs evidence in this many sentences
     * (or in the title, or a strong term): one background clause is not news */
    long secondary_min_sentences;
    /* an object and a movement of one topic in one sentence that names both
     * sides and recalls no background ("Pyongyang supplied shells to
     * Moscow") state a claim: it adds claim_weight (x position), once per
     * sentence and topic */
    double claim_weight;
} nm_rule_settings_t;

/* The learned layer over the rule evidence (docs/RULES.md, "Topic model"):
 * a logistic model that decides which candidate topics a relevant article
 * carries, from how their evidence is spread. Trained by
 * scripts/train_topic_model.py on the labelled corpora. */
#define NM_TOPIC_NFEATURES 11
extern const char *const nm_topic_feature_names[NM_TOPIC_NFEATURES];

typedef struct {
    int loaded;
    double weights[NM_TOPIC_NFEATURES];
    double *bias;     /* per topic (ntopics), added to the dot product */
    double threshold; /* probability at which a secondary topic fires */
} nm_topic_model_t;

typedef struct nm_rules_s {
    const nm_text_t *text; /* borrowed normaliser */
    nm_ac_t *ac;
    nm_term_t *terms;
    size_t nterms, capterms;
    nm_entity_t *entities;
    size_t nentities, capentities;
    nm_topic_t *topics;
    size_t ntopics, captopics;
    nm_lang_t *langs;
    size_t nlangs, caplangs;
    nm_prefixes_t *prefixes; /* per language pack, indexed by nm_term_t.pack - 1 */
    size_t npacks;
    nm_rule_settings_t settings;
    nm_topic_model_t model;
    nm_surge_params_t surge; /* [surge] (nm_surge.h) */
    char version[24]; /* "r-" + 16 hex digits of a hash of the loaded content */
    /* private */
    char **strings;
    size_t nstrings, capstrings;
} nm_rules_t;

/** Where the rule files are (all borrowed). `languages` is a folder of
 *  language packs (`<code>.conf`, docs/RULES.md); NULL or "" for none.
 *  `topic_model` is the learned topic layer's weights file. */
typedef struct {
    const char *gazetteer, *rules, *languages;
    const char *topic_model; /* NULL or "": topics by thresholds alone */
} nm_rule_paths_t;

/** @brief Load and compile the rule files and the language packs.
 *  @param text borrowed; must outlive the rule set.
 *  @returns a new rule set (free with nm_rules_destroy), or NULL with
 *  `file:line: reason` in errstr. */
nm_rules_t *nm_rules_load(const nm_text_t *text, const nm_rule_paths_t *paths,
                          char *errstr, size_t errstr_size);

void nm_rules_destroy(nm_rules_t *rules);

/** @brief Left word boundary with clitic prefixes: 1 when the letters
 *  between the separator before `start` (or the text start) and `start` are
 *  exactly one of the prefixes of the pack that defined `term`
 *  ("و" + "روسيا"). `s` is normalised text, `start` > 0 the hit's start. */
int nm_rules_prefix_ok(const nm_rules_t *rules, const nm_term_t *term, const char *s,
                       size_t start);
/** @brief 1 when the language pack of `code` ("vi", "vi-VN", "VI") keeps
 *  Latin diacritics ([language] marks = keep), else 0. */
int nm_rules_lang_keeps_marks(const nm_rules_t *rules, const char *code);

/** @brief Index of an entity/topic id, or -1. */
int nm_rules_entity_index(const nm_rules_t *rules, const char *id);
int nm_rules_topic_index(const nm_rules_t *rules, const char *id);

#endif
