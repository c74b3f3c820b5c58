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
#include "nm_text.h"

typedef enum {
    NM_TERM_ENTITY = 0, /* target: entity index */
    NM_TERM_ACTOR,      /* target: side bits (1 = Russian side, 2 = DPRK side) */
    NM_TERM_TOPIC,      /* target: topic index */
    NM_TERM_COOP,       /* generic cooperation phrase; target unused */
    NM_TERM_NEG,        /* non-military cue; target unused */
    NM_TERM_BOILER,     /* page furniture at the start of a line */
    NM_TERM_NOT_ENTITY, /* suppresses matches of entity `target` inside it */
    NM_TERM_NOT_TOPIC   /* suppresses matches of topic `target` inside it */
} nm_term_kind_t;

enum { NM_SIDE_RU = 1, NM_SIDE_KP = 2 };

typedef struct {
    uint8_t kind;       /* nm_term_kind_t */
    uint8_t open_left;  /* 1: no word boundary needed before the term */
    uint8_t open_right; /* 1: none needed after it */
    uint8_t strong;     /* 1: weighs settings.strong_weight instead of 1 */
    uint16_t target;
    const char *text;   /* the term as written in the file */
    const char *rule;   /* "file:line", for evidence */
} nm_term_t;

typedef struct {
    char *id;   /* "country:north_korea" */
    char *name; /* "North Korea" */
    char *type; /* "country" */
    uint8_t side; /* NM_SIDE_* bits when the entity is a listed actor */
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

/** Scoring settings: keys of [settings] in rules.conf. */
typedef struct {
    double relevance_threshold, topic_threshold, alert_threshold;
    double paragraph_factor, document_factor, title_factor, lead_factor;
    double strong_weight, negative_weight;
    long lead_chars, max_term_hits;
} nm_rule_settings_t;

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
    nm_rule_settings_t settings;
    char version[24]; /* "r-" + 16 hex digits of a hash of the loaded content */
    /* private */
    char **strings;
    size_t nstrings, capstrings;
} nm_rules_t;

/** Where the rule files are (all borrowed). `languages` is a folder of
 *  language packs (`<code>.conf`, docs/RULES.md); NULL or "" for none. */
typedef struct {
    const char *gazetteer, *rules, *languages;
} nm_rule_paths_t;

/** @brief Load and compile the rule files and the language packs.
 *  @param text borrowed; must outlive the rule set.
 *  @returns a new rule set (free with nm_rules_destroy), or NULL with
 *  `file:line: reason` in errstr. */
nm_rules_t *nm_rules_load(const nm_text_t *text, const nm_rule_paths_t *paths,
                          char *errstr, size_t errstr_size);

void nm_rules_destroy(nm_rules_t *rules);

/** @brief 1 when the language pack of `code` ("vi", "vi-VN", "VI") keeps
 *  Latin diacritics ([language] marks = keep), else 0. */
int nm_rules_lang_keeps_marks(const nm_rules_t *rules, const char *code);

/** @brief Index of an entity/topic id, or -1. */
int nm_rules_entity_index(const nm_rules_t *rules, const char *id);
int nm_rules_topic_index(const nm_rules_t *rules, const char *id);

#endif
