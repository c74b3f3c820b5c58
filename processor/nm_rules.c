/* nm_rules.c - loading gazetteer.conf, rules.conf and the language packs
 * (lang/<code>.conf). */
#include "nm_rules.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "nm_article.h"
#include "nm_ini.h"
#include "nm_limits.h"

typedef enum { SEC_NONE, SEC_ENTITY, SEC_SETTINGS, SEC_ACTOR, SEC_TOPIC, SEC_COOP,
               SEC_NEG, SEC_BOILER, SEC_LANGUAGE, SEC_BACKGROUND, SEC_SURGE } nm_sec_t;

enum { FILE_GAZETTEER, FILE_RULES, FILE_PACK };

typedef struct {
    nm_rules_t *rules;
    nm_ac_builder_t *ac;
    nm_textbuf_t tb;
    const char *file;   /* base name, for rule ids */
    int which;          /* FILE_* */
    char packfile[300]; /* "lang/it.conf" while loading a pack */
    int pack;           /* 1 + index of the pack being loaded (nm_term_t.pack) */
    nm_sec_t sec;
    int index;          /* current entity / topic / lang index, or actor side */
    int has_name, has_terms;
    unsigned text_flags; /* nm_text_term flags of the current pack's terms */
    size_t pack_first_term; /* first term of the current pack */
    int line;
    char secname[256];
    /* list-item context */
    nm_term_kind_t kind;
    int strong, object;
    uint64_t hash;
} nm_load_t;

/* How each [settings] key maps onto nm_rule_settings_t, with its default
 * (the documented defaults are repeated in config/rules.conf). */
typedef struct {
    const char *name;
    size_t off;
    int is_long;
    double def, min, max;
} nm_setting_def_t;

#define S_D(f, d, lo, hi) {#f, offsetof(nm_rule_settings_t, f), 0, d, lo, hi}
#define S_L(f, d, lo, hi) {#f, offsetof(nm_rule_settings_t, f), 1, d, lo, hi}
static const nm_setting_def_t nm_setting_defs[] = {
    S_D(relevance_threshold, 3.0, 0, 1e6), S_D(topic_threshold, 1.5, 0, 1e6),
    S_D(alert_threshold, 6.0, 0, 1e6),     S_D(paragraph_factor, 0.6, 0, 10),
    S_D(document_factor, 0.2, 0, 10),      S_D(title_factor, 2.0, 0, 10),
    S_D(lead_factor, 1.5, 0, 10),          S_D(strong_weight, 2.0, 0, 100),
    S_D(negative_weight, 1.0, 0, 100),     S_L(lead_chars, 400, 0, 1e6),
    S_D(background_factor, 1.0, 0, 10),
    S_L(max_term_hits, 3, 1, 1000),        S_L(boilerplate_max_line, 0, 0, 1e9),
    S_L(list_gap, 0, 0, 1000),        S_L(secondary_min_sentences, 1, 0, 100),
    S_D(claim_weight, 0, 0, 100),
};
#undef S_D
#undef S_L

static void nm_hash(uint64_t *h, const char *s) {
    for (; *s; s++) { *h ^= (unsigned char)*s; *h *= 1099511628211ULL; }
    *h ^= 0xff; *h *= 1099511628211ULL;
}

static char *nm_rules_strdup(nm_rules_t *r, const char *s) {
    if (r->nstrings == r->capstrings) {
        size_t nc = r->capstrings ? r->capstrings * 2 : 256;
        char **ns = realloc(r->strings, nc * sizeof *ns);
        if (!ns) return NULL;
        r->strings = ns;
        r->capstrings = nc;
    }
    char *d = strdup(s);
    if (d) r->strings[r->nstrings++] = d;
    return d;
}

#define GROW(arr, n, cap)                                                   \
    do {                                                                    \
        if ((n) == (cap)) {                                                 \
            size_t nc_ = (cap) ? (cap) * 2 : 16;                            \
            void *np_ = realloc((arr), nc_ * sizeof *(arr));                \
            if (!np_) return NM_ERR_NOMEM;                                  \
            (arr) = np_;                                                    \
            (cap) = nc_;                                                    \
        }                                                                   \
    } while (0)

static int nm_add_term(void *ud, const char *raw, char *errstr, size_t errstr_size) {
    nm_load_t *L = ud;
    nm_rules_t *r = L->rules;
    size_t n = strlen(raw);
    int star_left = raw[0] == '*', star_right = n > 1 && raw[n - 1] == '*';
    char core[512];
    size_t cl = n - (size_t)star_left - (size_t)star_right;
    memcpy(core, raw + star_left, cl);
    core[cl] = '\0';
    if (strchr(core, '*'))
        return nm_seterr(errstr, errstr_size, NM_ERR_CONFIG,
                         "term '%s': '*' is allowed only at its start or end", raw);
    if (nm_text_term(r->text, &L->tb, core, L->text_flags)) return NM_ERR_NOMEM;
    if (L->tb.len == 0)
        return nm_seterr(errstr, errstr_size, NM_ERR_CONFIG,
                         "term '%s' has no letter or digit", raw);
    nm_script_t first, last;
    nm_text_edge_scripts(r->text, L->tb.s, L->tb.len, &first, &last);
    GROW(r->terms, r->nterms, r->capterms);
    nm_term_t *t = &r->terms[r->nterms];
    char rule[300];
    snprintf(rule, sizeof rule, "%s:%d", L->file, L->line);
    t->kind = (uint8_t)L->kind;
    /* scripts written without spaces have no word boundaries to check */
    t->open_left = star_left || nm_script_unspaced(first);
    t->open_right = star_right || nm_script_unspaced(last) || last == NM_SCRIPT_HANGUL;
    t->stem = star_right && !nm_script_unspaced(last);
    t->target = (uint16_t)L->index;
    t->strong = (uint8_t)L->strong;
    t->object = (uint8_t)L->object;
    t->pack = (uint16_t)L->pack;
    t->text = nm_rules_strdup(r, raw);
    t->rule = nm_rules_strdup(r, rule);
    if (!t->text || !t->rule) return NM_ERR_NOMEM;
    /* a term that needs a left boundary can only match at a word start or
     * after a clitic prefix: the matcher walks those from word starts */
    nm_err_t rc = (t->open_left ? nm_ac_builder_add : nm_ac_builder_add_word)(
        L->ac, L->tb.s, L->tb.len, (uint32_t)r->nterms);
    if (rc) return rc;
    r->nterms++;
    nm_hash(&L->hash, raw);
    return NM_OK;
}

/* One clitic prefix of a pack's [language] `prefixes`: stored normalised, so
 * it compares byte for byte with the letters before a hit. */
static int nm_add_prefix(void *ud, const char *raw, char *errstr, size_t errstr_size) {
    nm_load_t *L = ud;
    if (nm_text_term(L->rules->text, &L->tb, raw, L->text_flags)) return NM_ERR_NOMEM;
    const char *p = L->tb.s;
    size_t n = L->tb.len;
    if (n == 0 || n > NM_PREFIX_MAX || memchr(p, ' ', n) || strchr(raw, '*'))
        return nm_seterr(errstr, errstr_size, NM_ERR_CONFIG,
                         "prefix '%s' must be one word of at most %d bytes, without '*'", raw,
                         NM_PREFIX_MAX);
    nm_err_t rc = nm_ac_builder_add_prefix(L->ac, p, n);
    if (rc) return rc;
    nm_prefixes_t *px = &L->rules->prefixes[L->pack - 1];
    char *ns = realloc(px->s, px->len + n + 1);
    if (!ns) return NM_ERR_NOMEM;
    memcpy(ns + px->len, p, n);
    ns[px->len + n] = '\0';
    px->s = ns;
    px->len += n + 1;
    return NM_OK;
}

int nm_rules_prefix_ok(const nm_rules_t *r, const nm_term_t *t, const char *s, size_t start) {
    if (!t->pack || !r->prefixes[t->pack - 1].len) return 0;
    size_t w = start;
    while (w > 0 && start - w <= NM_PREFIX_MAX && !nm_text_is_sep(s[w - 1])) w--;
    size_t n = start - w;
    if (n > NM_PREFIX_MAX) return 0;
    const nm_prefixes_t *px = &r->prefixes[t->pack - 1];
    for (const char *p = px->s; p < px->s + px->len; p += strlen(p) + 1)
        if (strlen(p) == n && memcmp(p, s + w, n) == 0) return 1;
    return 0;
}

static int nm_add_actor_entity(void *ud, const char *id, char *errstr, size_t errstr_size) {
    nm_load_t *L = ud;
    int e = nm_rules_entity_index(L->rules, id);
    if (e < 0)
        return nm_seterr(errstr, errstr_size, NM_ERR_CONFIG,
                         "unknown entity '%s' (not in the gazetteer)", id);
    L->rules->entities[e].side |= (uint8_t)L->index;
    nm_hash(&L->hash, id);
    return NM_OK;
}

static int nm_terms(nm_load_t *L, nm_term_kind_t kind, int strong, const char *value,
                    char *errstr, size_t errstr_size) {
    L->kind = kind;
    L->strong = strong;
    L->object = 0;
    L->has_terms = 1;
    return nm_ini_split_list(value, nm_add_term, L, errstr, errstr_size);
}

static int nm_unknown_key(const char *key, char *errstr, size_t errstr_size) {
    return nm_seterr(errstr, errstr_size, NM_ERR_CONFIG, "unknown key '%s' here", key);
}

/* A section ends: check it had what it needs. */
static int nm_close_section(nm_load_t *L, char *errstr, size_t errstr_size) {
    if ((L->sec == SEC_ENTITY || L->sec == SEC_TOPIC) && !L->has_name)
        return nm_seterr(errstr, errstr_size, NM_ERR_CONFIG, "section [%s] has no 'name'",
                         L->secname);
    if (L->sec == SEC_ENTITY && !L->has_terms)
        return nm_seterr(errstr, errstr_size, NM_ERR_CONFIG, "section [%s] has no 'terms'",
                         L->secname);
    return NM_OK;
}

/* Sections that only hold vocabulary, shared by rules.conf and the packs.
 * Returns 1 when `sec` is one of them (and L->sec is set). */
static int nm_open_vocab_section(nm_load_t *L, const char *sec) {
    if (strcmp(sec, "actor:ru") == 0 || strcmp(sec, "actor:kp") == 0 ||
        strcmp(sec, "actor:third") == 0) {
        L->sec = SEC_ACTOR;
        L->index = sec[6] == 'r' ? NM_SIDE_RU : sec[6] == 'k' ? NM_SIDE_KP : NM_SIDE_THIRD;
    } else if (strcmp(sec, "cooperation") == 0) {
        L->sec = SEC_COOP;
    } else if (strcmp(sec, "negative") == 0) {
        L->sec = SEC_NEG;
    } else if (strcmp(sec, "boilerplate") == 0) {
        L->sec = SEC_BOILER;
    } else if (strcmp(sec, "background") == 0) {
        L->sec = SEC_BACKGROUND;
    } else {
        return 0;
    }
    return 1;
}

/* A language pack adds words to what the gazetteer and rules.conf define:
 * its entity and topic sections must name an existing entity or topic, and
 * it sets no names, thresholds or settings, so a pack cannot change how
 * another language is scored. */
static int nm_open_pack_section(nm_load_t *L, const char *sec, const char *colon,
                                char *errstr, size_t errstr_size) {
    nm_rules_t *r = L->rules;
    L->has_name = L->has_terms = 1; /* defined elsewhere */
    if (strcmp(sec, "language") == 0) {
        L->sec = SEC_LANGUAGE;
        L->index = (int)r->nlangs - 1; /* the pack's own entry */
    } else if (nm_open_vocab_section(L, sec)) {
    } else if (strncmp(sec, "topic:", 6) == 0) {
        L->index = nm_rules_topic_index(r, sec + 6);
        if (L->index < 0)
            return nm_seterr(errstr, errstr_size, NM_ERR_CONFIG,
                             "unknown topic [%s] (topics are defined in rules.conf)", sec);
        L->sec = SEC_TOPIC;
    } else if (colon && colon != sec && colon[1]) {
        L->index = nm_rules_entity_index(r, sec);
        if (L->index < 0)
            return nm_seterr(errstr, errstr_size, NM_ERR_CONFIG,
                             "unknown entity [%s] (entities are defined in the gazetteer)", sec);
        L->sec = SEC_ENTITY;
    } else {
        return nm_seterr(errstr, errstr_size, NM_ERR_CONFIG,
                         "section [%s] is not allowed in a language pack (see docs/RULES.md)",
                         sec);
    }
    return NM_OK;
}

static int nm_open_section(nm_load_t *L, const char *sec, char *errstr, size_t errstr_size) {
    nm_rules_t *r = L->rules;
    int rc = nm_close_section(L, errstr, errstr_size);
    if (rc) return rc;
    L->has_name = L->has_terms = 0;
    snprintf(L->secname, sizeof L->secname, "%s", sec);
    const char *colon = strchr(sec, ':');
    if (L->which == FILE_PACK) return nm_open_pack_section(L, sec, colon, errstr, errstr_size);
    if (L->which == FILE_GAZETTEER) {
        if (!colon || colon == sec || !colon[1])
            return nm_seterr(errstr, errstr_size, NM_ERR_CONFIG,
                             "entity section must be [type:name], got [%s]", sec);
        if (nm_rules_entity_index(r, sec) >= 0)
            return nm_seterr(errstr, errstr_size, NM_ERR_CONFIG, "duplicate entity [%s]", sec);
        GROW(r->entities, r->nentities, r->capentities);
        nm_entity_t *e = &r->entities[r->nentities];
        memset(e, 0, sizeof *e);
        e->id = nm_rules_strdup(r, sec);
        e->type = nm_rules_strdup(r, sec);
        if (!e->id || !e->type) return NM_ERR_NOMEM;
        e->type[colon - sec] = '\0';
        e->is_place = strcmp(e->type, "place") == 0;
        e->is_org = strcmp(e->type, "org") == 0;
        L->index = (int)r->nentities++;
        L->sec = SEC_ENTITY;
    } else if (nm_open_vocab_section(L, sec)) {
        /* actor, cooperation, negative, boilerplate */
    } else if (strcmp(sec, "settings") == 0) {
        L->sec = SEC_SETTINGS;
    } else if (strcmp(sec, "surge") == 0) {
        L->sec = SEC_SURGE;
    } else if (strncmp(sec, "topic:", 6) == 0 && sec[6]) {
        if (nm_rules_topic_index(r, sec + 6) >= 0)
            return nm_seterr(errstr, errstr_size, NM_ERR_CONFIG, "duplicate [%s]", sec);
        GROW(r->topics, r->ntopics, r->captopics);
        r->topics[r->ntopics].id = nm_rules_strdup(r, sec + 6);
        r->topics[r->ntopics].name = NULL;
        /* -1: the [settings] value, filled in at the end */
        r->topics[r->ntopics].threshold = -1;
        r->topics[r->ntopics].paragraph_factor = -1;
        r->topics[r->ntopics].document_factor = -1;
        if (!r->topics[r->ntopics].id) return NM_ERR_NOMEM;
        L->index = (int)r->ntopics++;
        L->sec = SEC_TOPIC;
    } else {
        return nm_seterr(errstr, errstr_size, NM_ERR_CONFIG,
                         "unknown section [%s] (see docs/RULES.md)", sec);
    }
    return NM_OK;
}

static int nm_setting(nm_load_t *L, const char *key, const char *value, char *errstr,
                      size_t errstr_size) {
    for (size_t i = 0; i < sizeof nm_setting_defs / sizeof nm_setting_defs[0]; i++) {
        const nm_setting_def_t *d = &nm_setting_defs[i];
        if (strcmp(d->name, key) != 0) continue;
        double v;
        if (nm_ini_parse_double(value, &v) || v < d->min || v > d->max)
            return nm_seterr(errstr, errstr_size, NM_ERR_CONFIG,
                             "'%s' must be a number from %g to %g, got '%s'", key, d->min,
                             d->max, value);
        char *base = (char *)&L->rules->settings + d->off;
        if (d->is_long) *(long *)base = (long)v;
        else *(double *)base = v;
        return NM_OK;
    }
    return nm_unknown_key(key, errstr, errstr_size);
}

/* [surge]: the thresholds of processor/nm_surge.h, and `pair = <entity id>,
 * <topic id>` lines naming entity x topic keys (after the topic sections). */
static int nm_surge_setting(nm_load_t *L, const char *key, const char *value, char *errstr,
                            size_t errstr_size) {
    nm_surge_params_t *p = &L->rules->surge;
    if (!strcmp(key, "pair")) {
        char ent[256], top[256];
        const char *comma = strchr(value, ',');
        size_t el = comma ? (size_t)(comma - value) : 0;
        while (el && value[el - 1] == ' ') el--;
        const char *t = comma ? comma + 1 : "";
        while (*t == ' ') t++;
        if (!comma || !el || el >= sizeof ent || strlen(t) >= sizeof top || !*t)
            return nm_seterr(errstr, errstr_size, NM_ERR_CONFIG,
                             "'pair' is '<entity id>, <topic id>', got '%s'", value);
        memcpy(ent, value, el);
        ent[el] = '\0';
        snprintf(top, sizeof top, "%s", t);
        int e = nm_rules_entity_index(L->rules, ent), tp = nm_rules_topic_index(L->rules, top);
        if (e < 0 || tp < 0)
            return nm_seterr(errstr, errstr_size, NM_ERR_CONFIG,
                             "pair: unknown %s '%s' (pairs come after the topic sections)",
                             e < 0 ? "entity" : "topic", e < 0 ? ent : top);
        nm_surge_pair_t *np = realloc(p->pairs, (p->npairs + 1) * sizeof *np);
        if (!np) return NM_ERR_NOMEM;
        p->pairs = np;
        p->pairs[p->npairs++] = (nm_surge_pair_t){e, tp};
        return NM_OK;
    }
    static const struct { const char *name; double min, max; } keys[] = {
        {"min_count", 1, 1e9},      {"ratio", 1, 1e6},          {"baseline_hours", 1, 8784},
        {"cooldown_hours", 1, 8784}, {"min_history_hours", 0, 8784}, {"top_articles", 0, 50}};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (strcmp(key, keys[i].name)) continue;
        double v;
        if (nm_ini_parse_double(value, &v) || v < keys[i].min || v > keys[i].max ||
            (i != 1 && v != (double)(long)v))
            return nm_seterr(errstr, errstr_size, NM_ERR_CONFIG,
                             "'%s' must be a%s number from %g to %g, got '%s'", key,
                             i != 1 ? " whole" : "", keys[i].min, keys[i].max, value);
        long *dst[] = {&p->min_count, NULL, &p->baseline_hours, &p->cooldown_hours,
                       &p->min_history_hours, &p->top_articles};
        if (i == 1) p->ratio = v;
        else *dst[i] = (long)v;
        return NM_OK;
    }
    return nm_unknown_key(key, errstr, errstr_size);
}

static int nm_load_cb(void *ud, const char *section, const char *key, const char *value,
                      int line, char *errstr, size_t errstr_size) {
    nm_load_t *L = ud;
    nm_rules_t *r = L->rules;
    L->line = line;
    /* rule strings end up in JSON events: they must be valid UTF-8 */
    if (!nm_article_utf8_valid(section, strlen(section)) ||
        (key && !nm_article_utf8_valid(value, strlen(value))))
        return nm_seterr(errstr, errstr_size, NM_ERR_CONFIG, "invalid UTF-8");
    if (!key) return nm_open_section(L, section, errstr, errstr_size);
    nm_hash(&L->hash, section);
    nm_hash(&L->hash, key);
    nm_hash(&L->hash, value);
    int is_name = strcmp(key, "name") == 0;
    int is_terms = strcmp(key, "terms") == 0;
    int is_strong = strcmp(key, "strong") == 0;
    int is_decisive = strcmp(key, "decisive") == 0;
    int is_not = strcmp(key, "not") == 0;
    if (L->which == FILE_PACK && L->sec != SEC_LANGUAGE && !is_terms && !is_strong && !is_not &&
        !(is_decisive && L->sec == SEC_TOPIC) &&
        strcmp(key, "objects") != 0 && strcmp(key, "moves") != 0)
        return nm_seterr(errstr, errstr_size, NM_ERR_CONFIG,
                         "a language pack holds only terms, strong and not here, got '%s'", key);
    switch (L->sec) {
    case SEC_NONE:
        return nm_seterr(errstr, errstr_size, NM_ERR_CONFIG, "key outside any [section]");
    case SEC_ENTITY:
        if (is_name) {
            L->has_name = 1;
            return (r->entities[L->index].name = nm_rules_strdup(r, value)) ? 0 : NM_ERR_NOMEM;
        }
        if (is_terms) return nm_terms(L, NM_TERM_ENTITY, 0, value, errstr, errstr_size);
        if (is_not) return nm_terms(L, NM_TERM_NOT_ENTITY, 0, value, errstr, errstr_size);
        break;
    case SEC_SETTINGS:
        return nm_setting(L, key, value, errstr, errstr_size);
    case SEC_SURGE:
        return nm_surge_setting(L, key, value, errstr, errstr_size);
    case SEC_ACTOR:
        if (strcmp(key, "entities") == 0)
            return nm_ini_split_list(value, nm_add_actor_entity, L, errstr, errstr_size);
        if (is_terms) return nm_terms(L, NM_TERM_ACTOR, 0, value, errstr, errstr_size);
        break;
    case SEC_TOPIC:
        if (is_name) {
            L->has_name = 1;
            return (r->topics[L->index].name = nm_rules_strdup(r, value)) ? 0 : NM_ERR_NOMEM;
        }
        if (is_terms) return nm_terms(L, NM_TERM_TOPIC, 0, value, errstr, errstr_size);
        if (is_strong) return nm_terms(L, NM_TERM_TOPIC, 1, value, errstr, errstr_size);
        if (is_decisive)
            return nm_terms(L, NM_TERM_TOPIC, NM_DECISIVE, value, errstr, errstr_size);
        if (is_not) return nm_terms(L, NM_TERM_NOT_TOPIC, 0, value, errstr, errstr_size);
        if (!strcmp(key, "objects") || !strcmp(key, "moves")) {
            /* what moves (shells, missiles) and the movement (supplied,
             * sold): each is evidence only beside the other or a plain term
             * of the topic (arms deal) in its paragraph */
            L->kind = NM_TERM_TOPIC;
            L->strong = 0;
            L->object = key[0] == 'o' ? NM_OBJECT : NM_MOVE;
            L->has_terms = 1;
            return nm_ini_split_list(value, nm_add_term, L, errstr, errstr_size);
        }
        {
            nm_topic_t *tp = &r->topics[L->index];
            double *dst = !strcmp(key, "threshold")          ? &tp->threshold
                          : !strcmp(key, "paragraph_factor") ? &tp->paragraph_factor
                          : !strcmp(key, "document_factor")  ? &tp->document_factor
                                                             : NULL;
            double v;
            if (dst && (nm_ini_parse_double(value, &v) || v < 0 || v > 1e6))
                return nm_seterr(errstr, errstr_size, NM_ERR_CONFIG,
                                 "'%s' must be a number from 0 to 1e6, got '%s'", key, value);
            if (dst) {
                *dst = v;
                return NM_OK;
            }
        }
        break;
    case SEC_COOP:
    case SEC_NEG:
        if (is_terms || is_strong)
            return nm_terms(L, L->sec == SEC_COOP ? NM_TERM_COOP : NM_TERM_NEG,
                            is_strong, value, errstr, errstr_size);
        break;
    case SEC_BOILER:
        if (is_terms) return nm_terms(L, NM_TERM_BOILER, 0, value, errstr, errstr_size);
        break;
    case SEC_BACKGROUND:
        if (is_terms) return nm_terms(L, NM_TERM_BACKGROUND, 0, value, errstr, errstr_size);
        break;
    case SEC_LANGUAGE:
        /* the language itself is identified by nm_langid, not by words */
        if (is_name) {
            r->langs[L->index].name = nm_rules_strdup(r, value);
            return r->langs[L->index].name ? 0 : NM_ERR_NOMEM;
        }
        if (strcmp(key, "prefixes") == 0)
            return nm_ini_split_list(value, nm_add_prefix, L, errstr, errstr_size);
        if (strcmp(key, "marks") == 0) {
            if (strcmp(value, "keep") != 0 && strcmp(value, "strip") != 0)
                return nm_seterr(errstr, errstr_size, NM_ERR_CONFIG,
                                 "'marks' is 'keep' or 'strip', got '%s'", value);
            if (r->nterms != L->pack_first_term)
                return nm_seterr(errstr, errstr_size, NM_ERR_CONFIG,
                                 "'marks' must come before the pack's first term");
            r->langs[L->index].keep_marks = value[0] == 'k';
            L->text_flags = value[0] == 'k' ? NM_TEXT_KEEP_MARKS : 0;
            return NM_OK;
        }
        break;
    }
    return nm_unknown_key(key, errstr, errstr_size);
}

static nm_err_t nm_load_file(nm_load_t *L, const char *path, int which, char *errstr,
                             size_t errstr_size) {
    const char *slash = strrchr(path, '/');
    L->file = which == FILE_PACK ? L->packfile : slash ? slash + 1 : path;
    L->which = which;
    L->sec = SEC_NONE;
    L->has_name = L->has_terms = 0;
    nm_err_t rc = nm_ini_parse_file(path, nm_load_cb, L, errstr, errstr_size);
    if (rc) return rc;
    char reason[512];
    if (nm_close_section(L, reason, sizeof reason))
        return nm_seterr(errstr, errstr_size, NM_ERR_CONFIG, "%s:%d: %s", path, L->line,
                         reason);
    return NM_OK;
}

const char *const nm_topic_feature_names[NM_TOPIC_NFEATURES] = {
    "log_score", "share_of_best", "is_best", "log_sentences", "title",
    "lead_share", "log_strong", "max_sentence_share", "joint_share", "log_article_sentences",
    "one"};

typedef struct {
    nm_rules_t *rules;
    uint64_t *hash;
    int has_weights;
} nm_model_load_t;

static int nm_model_weight(void *ud, const char *item, char *errstr, size_t errstr_size) {
    nm_model_load_t *M = ud;
    nm_topic_model_t *m = &M->rules->model;
    if (M->has_weights >= NM_TOPIC_NFEATURES)
        return nm_seterr(errstr, errstr_size, NM_ERR_CONFIG, "more than %d weights",
                         NM_TOPIC_NFEATURES);
    if (nm_ini_parse_double(item, &m->weights[M->has_weights]))
        return nm_seterr(errstr, errstr_size, NM_ERR_CONFIG, "weight '%s' is not a number", item);
    M->has_weights++;
    return NM_OK;
}

static int nm_model_cb(void *ud, const char *section, const char *key, const char *value,
                       int line, char *errstr, size_t errstr_size) {
    nm_model_load_t *M = ud;
    nm_rules_t *r = M->rules;
    (void)line;
    if (!key) {
        if (strcmp(section, "topic_model") && strcmp(section, "bias"))
            return nm_seterr(errstr, errstr_size, NM_ERR_CONFIG,
                             "unknown section [%s] (expected [topic_model] or [bias])", section);
        return NM_OK;
    }
    nm_hash(M->hash, key);
    nm_hash(M->hash, value);
    double v;
    if (!strcmp(section, "bias")) {
        int k = nm_rules_topic_index(r, key);
        if (k < 0)
            return nm_seterr(errstr, errstr_size, NM_ERR_CONFIG, "unknown topic '%s'", key);
        if (nm_ini_parse_double(value, &v))
            return nm_seterr(errstr, errstr_size, NM_ERR_CONFIG, "'%s' is not a number", value);
        r->model.bias[k] = v;
        return NM_OK;
    }
    if (!strcmp(section, "topic_model") && !strcmp(key, "features")) {
        /* the file names the features it was trained on: they must be ours */
        char want[1024] = "";
        for (int i = 0; i < NM_TOPIC_NFEATURES; i++)
            snprintf(want + strlen(want), sizeof want - strlen(want), "%s%s", i ? ", " : "",
                     nm_topic_feature_names[i]);
        if (strcmp(value, want))
            return nm_seterr(errstr, errstr_size, NM_ERR_CONFIG,
                             "features must be exactly '%s' (retrain the model)", want);
        return NM_OK;
    }
    if (!strcmp(section, "topic_model") && !strcmp(key, "weights"))
        return nm_ini_split_list(value, nm_model_weight, M, errstr, errstr_size);
    if (!strcmp(section, "topic_model") && !strcmp(key, "threshold")) {
        if (nm_ini_parse_double(value, &v) || v <= 0 || v >= 1)
            return nm_seterr(errstr, errstr_size, NM_ERR_CONFIG,
                             "threshold must be a probability between 0 and 1");
        r->model.threshold = v;
        return NM_OK;
    }
    return nm_seterr(errstr, errstr_size, NM_ERR_CONFIG, "unknown key '%s' here", key);
}

/* After the rules: the model's biases refer to their topics. */
static nm_err_t nm_load_model(nm_load_t *L, const char *path, char *errstr, size_t errstr_size) {
    nm_rules_t *r = L->rules;
    r->model.bias = calloc(r->ntopics ? r->ntopics : 1, sizeof *r->model.bias);
    if (!r->model.bias) return nm_seterr(errstr, errstr_size, NM_ERR_NOMEM, "out of memory");
    r->model.threshold = 0.5;
    nm_model_load_t M = {r, &L->hash, 0};
    nm_err_t rc = nm_ini_parse_file(path, nm_model_cb, &M, errstr, errstr_size);
    if (rc) return rc;
    if (M.has_weights != NM_TOPIC_NFEATURES)
        return nm_seterr(errstr, errstr_size, NM_ERR_CONFIG, "%s: [topic_model] needs %d weights",
                         path, NM_TOPIC_NFEATURES);
    r->model.loaded = 1;
    return NM_OK;
}

static int nm_name_cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every `<code>.conf` of the folder, in name order (so the rule version and
 * the term order do not depend on the file system). */
static nm_err_t nm_load_packs(nm_load_t *L, const char *dir, char *errstr, size_t errstr_size) {
    DIR *d = opendir(dir);
    if (!d)
        return nm_seterr(errstr, errstr_size, NM_ERR_CONFIG, "%s: cannot open language folder",
                         dir);
    char **names = NULL;
    size_t n = 0, cap = 0;
    nm_err_t rc = NM_OK;
    struct dirent *de;
    while (rc == NM_OK && (de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (len < 6 || de->d_name[0] == '.' || strcmp(de->d_name + len - 5, ".conf") != 0)
            continue;
        if (len - 5 >= sizeof L->rules->langs[0].code) {
            rc = nm_seterr(errstr, errstr_size, NM_ERR_CONFIG,
                           "%s/%s: a pack is named <language code>.conf", dir, de->d_name);
            break;
        }
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 32;
            char **nn = realloc(names, nc * sizeof *nn);
            if (!nn) { rc = NM_ERR_NOMEM; break; }
            names = nn;
            cap = nc;
        }
        if (!(names[n] = strdup(de->d_name))) { rc = NM_ERR_NOMEM; break; }
        n++;
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, nm_name_cmp);
    nm_rules_t *r = L->rules;
    if (rc == NM_OK && n > 65535)
        rc = nm_seterr(errstr, errstr_size, NM_ERR_CONFIG, "%s: too many language packs", dir);
    if (rc == NM_OK && n && !(r->prefixes = calloc(n, sizeof *r->prefixes))) rc = NM_ERR_NOMEM;
    if (rc == NM_OK) r->npacks = n;
    const char *slash = strrchr(dir, '/');
    const char *dirbase = slash && slash[1] ? slash + 1 : dir;
    for (size_t i = 0; i < n && rc == NM_OK; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        snprintf(L->packfile, sizeof L->packfile, "%s/%s", dirbase, names[i]);
        size_t cl = strlen(names[i]) - 5;
        int dup = 0;
        for (size_t l = 0; l < r->nlangs; l++)
            dup |= strlen(r->langs[l].code) == cl && !memcmp(r->langs[l].code, names[i], cl);
        if (dup) {
            rc = nm_seterr(errstr, errstr_size, NM_ERR_CONFIG,
                           "%s: language '%.*s' is already defined", path, (int)cl, names[i]);
            break;
        }
        if (r->nlangs == r->caplangs) {
            size_t nc = r->caplangs ? r->caplangs * 2 : 16;
            nm_lang_t *nl = realloc(r->langs, nc * sizeof *nl);
            if (!nl) { rc = NM_ERR_NOMEM; break; }
            r->langs = nl;
            r->caplangs = nc;
        }
        memset(&r->langs[r->nlangs], 0, sizeof r->langs[0]);
        memcpy(r->langs[r->nlangs].code, names[i], cl);
        r->nlangs++;
        nm_hash(&L->hash, names[i]);
        L->pack = (int)i + 1;
        L->text_flags = 0;
        L->pack_first_term = r->nterms;
        rc = nm_load_file(L, path, FILE_PACK, errstr, errstr_size);
        L->text_flags = 0;
    }
    L->pack = 0;
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    return rc;
}

nm_rules_t *nm_rules_load(const nm_text_t *text, const nm_rule_paths_t *paths,
                          char *errstr, size_t errstr_size) {
    nm_rules_t *r = calloc(1, sizeof *r);
    nm_load_t L;
    memset(&L, 0, sizeof L);
    nm_textbuf_init(&L.tb);
    L.hash = 14695981039346656037ULL;
    L.ac = nm_ac_builder_new();
    if (L.ac) nm_ac_builder_separators(L.ac, " .\n", 3); /* nm_text_is_sep */
    if (!r || !L.ac) {
        nm_seterr(errstr, errstr_size, NM_ERR_NOMEM, "out of memory loading rules");
        goto err;
    }
    r->text = text;
    L.rules = r;
    nm_surge_defaults(&r->surge);
    for (size_t i = 0; i < sizeof nm_setting_defs / sizeof nm_setting_defs[0]; i++) {
        char *base = (char *)&r->settings + nm_setting_defs[i].off;
        if (nm_setting_defs[i].is_long) *(long *)base = (long)nm_setting_defs[i].def;
        else *(double *)base = nm_setting_defs[i].def;
    }
    if (nm_load_file(&L, paths->gazetteer, FILE_GAZETTEER, errstr, errstr_size) ||
        nm_load_file(&L, paths->rules, FILE_RULES, errstr, errstr_size) ||
        (paths->languages && paths->languages[0] &&
         nm_load_packs(&L, paths->languages, errstr, errstr_size)))
        goto err;
    if (paths->topic_model && paths->topic_model[0] &&
        nm_load_model(&L, paths->topic_model, errstr, errstr_size))
        goto err;
    if (r->ntopics == 0) {
        nm_seterr(errstr, errstr_size, NM_ERR_CONFIG, "%s: no [topic:...] section", paths->rules);
        goto err;
    }
    if (r->ntopics > NM_MAX_TOPICS) {
        nm_seterr(errstr, errstr_size, NM_ERR_CONFIG, "%s: %zu topics, at most %d (nm_limits.h)",
                  paths->rules, r->ntopics, NM_MAX_TOPICS);
        goto err;
    }
    if (r->nentities > NM_MAX_ENTITIES) {
        nm_seterr(errstr, errstr_size, NM_ERR_CONFIG, "%s: %zu entities, at most %d (nm_limits.h)",
                  paths->gazetteer, r->nentities, NM_MAX_ENTITIES);
        goto err;
    }
    if (r->nlangs > NM_MAX_LANGS) {
        nm_seterr(errstr, errstr_size, NM_ERR_CONFIG, "%s: %zu languages, at most %d (nm_limits.h)",
                  paths->languages, r->nlangs, NM_MAX_LANGS);
        goto err;
    }
    for (size_t i = 0; i < r->ntopics; i++) {
        nm_topic_t *tp = &r->topics[i];
        if (tp->threshold < 0) tp->threshold = r->settings.topic_threshold;
        if (tp->paragraph_factor < 0) tp->paragraph_factor = r->settings.paragraph_factor;
        if (tp->document_factor < 0) tp->document_factor = r->settings.document_factor;
    }
    r->ac = nm_ac_build(L.ac, errstr, errstr_size);
    L.ac = NULL;
    if (!r->ac) goto err;
    snprintf(r->version, sizeof r->version, "r-%016llx", (unsigned long long)L.hash);
    nm_textbuf_free(&L.tb);
    return r;
err:
    nm_ac_builder_destroy(L.ac);
    nm_textbuf_free(&L.tb);
    nm_rules_destroy(r);
    return NULL;
}

void nm_rules_destroy(nm_rules_t *r) {
    if (!r) return;
    nm_ac_destroy(r->ac);
    for (size_t i = 0; i < r->nstrings; i++) free(r->strings[i]);
    free(r->strings);
    free(r->terms);
    free(r->entities);
    free(r->topics);
    free(r->langs);
    free(r->model.bias);
    free(r->surge.pairs);
    for (size_t i = 0; i < r->npacks; i++) free(r->prefixes[i].s);
    free(r->prefixes);
    free(r);
}

int nm_rules_lang_keeps_marks(const nm_rules_t *r, const char *code) {
    size_t n = strcspn(code, "-_");
    for (size_t i = 0; i < r->nlangs; i++)
        if (strlen(r->langs[i].code) == n && strncasecmp(r->langs[i].code, code, n) == 0)
            return r->langs[i].keep_marks;
    return 0;
}

int nm_rules_entity_index(const nm_rules_t *r, const char *id) {
    for (size_t i = 0; i < r->nentities; i++)
        if (strcmp(r->entities[i].id, id) == 0) return (int)i;
    return -1;
}

int nm_rules_topic_index(const nm_rules_t *r, const char *id) {
    for (size_t i = 0; i < r->ntopics; i++)
        if (strcmp(r->topics[i].id, id) == 0) return (int)i;
    return -1;
}
