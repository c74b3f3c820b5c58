/* test_rules.c - nm_rules: loading the rule files and language packs, errors, term
 * boundaries and `not` phrases (docs/RULES.md). */
#include "nm_test_util.h"

#include "nm_rules.h"
#include "nm_tagger.h"


static const nm_term_t *find_term(const char *text) {
    for (size_t i = 0; i < g_rules->nterms; i++)
        if (strcmp(g_rules->terms[i].text, text) == 0) return &g_rules->terms[i];
    fail_msg("no term '%s'", text);
    return NULL;
}

/* Mentions of entity `id` when `body` in `lang` is tagged with rule set r
 * (0 when not found). */
static int mentions_in(const nm_rules_t *r, const char *body, const char *lang, const char *id) {
    nm_tag_result_t res;
    assert_int_equal(nm_tagger_tag(r, g_ws, "", 0, body, strlen(body), lang, &res), NM_OK);
    int e = nm_rules_entity_index(r, id);
    assert_true(e >= 0);
    for (int i = 0; i < res.nentities; i++)
        if (res.entities[i].entity == e) return res.entities[i].mentions;
    return 0;
}

/* Mentions of entity `id` when `body` is tagged (0 when not found). */
static int mentions(const char *body, const char *id) {
    nm_tag_result_t res;
    assert_int_equal(nm_tagger_tag(g_rules, g_ws, "", 0, body, strlen(body), "xx", &res), NM_OK);
    int e = nm_rules_entity_index(g_rules, id);
    assert_true(e >= 0);
    for (int i = 0; i < res.nentities; i++)
        if (res.entities[i].entity == e) return res.entities[i].mentions;
    return 0;
}

#define MENTIONS(body, id, n)                                                          \
    do {                                                                               \
        int m_ = mentions((body), (id));                                               \
        if (m_ != (n)) fail_msg("\"%s\": %s mentioned %d times, expected %d", (body), \
                                (id), m_, (n));                                        \
    } while (0)

static void test_load_fixture_rule_set(void **state) {
    (void)state;
    assert_int_equal(g_rules->nentities, 10);
    assert_int_equal(g_rules->ntopics, 3);
    assert_int_equal(g_rules->nlangs, 0); /* no language packs */
    int kp = nm_rules_entity_index(g_rules, "country:north_korea");
    assert_true(kp >= 0);
    assert_string_equal(g_rules->entities[kp].name, "North Korea");
    assert_string_equal(g_rules->entities[kp].type, "country");
    assert_int_equal(g_rules->entities[kp].side, NM_SIDE_KP);
    int ru = nm_rules_entity_index(g_rules, "person:vladimir_putin");
    assert_string_equal(g_rules->entities[ru].type, "person");
    assert_int_equal(g_rules->entities[ru].side, NM_SIDE_RU);
    assert_int_equal(g_rules->entities[nm_rules_entity_index(g_rules, "country:japan")].side, 0);
    assert_int_equal(nm_rules_entity_index(g_rules, "country:atlantis"), -1);
    int t = nm_rules_topic_index(g_rules, "arms_transfer");
    assert_int_equal(t, 0);
    assert_string_equal(g_rules->topics[t].name, "Arms and munitions transfers");
    assert_int_equal(nm_rules_topic_index(g_rules, "missile"), 2);
    assert_int_equal(nm_rules_topic_index(g_rules, "topic:missile"), -1);
    /* rules_version: "r-" and 16 hex digits */
    assert_int_equal(strlen(g_rules->version), 18);
    assert_memory_equal(g_rules->version, "r-", 2);
    for (int i = 2; i < 18; i++) assert_non_null(strchr("0123456789abcdef", g_rules->version[i]));
    assert_non_null(g_rules->ac);
}

static void test_settings_loaded(void **state) {
    (void)state;
    const nm_rule_settings_t *s = &g_rules->settings;
    assert_double_eq(s->relevance_threshold, 3.0);
    assert_double_eq(s->topic_threshold, 1.5);
    assert_double_eq(s->alert_threshold, 6.0);
    assert_double_eq(s->paragraph_factor, 0.6);
    assert_double_eq(s->document_factor, 0.2);
    assert_double_eq(s->title_factor, 2.0);
    assert_double_eq(s->lead_factor, 1.5);
    assert_double_eq(s->strong_weight, 2.0);
    assert_double_eq(s->negative_weight, 1.0);
    assert_int_equal(s->lead_chars, 400);
    assert_int_equal(s->max_term_hits, 3);
}

static void test_term_kinds_boundaries_and_rule_ids(void **state) {
    (void)state;
    const nm_term_t *t = find_term("russia*");
    assert_int_equal(t->kind, NM_TERM_ENTITY);
    assert_int_equal(t->open_left, 0);
    assert_int_equal(t->open_right, 1);
    assert_string_equal(t->rule, "gazetteer.conf:5");
    assert_int_equal(t->target, nm_rules_entity_index(g_rules, "country:russia"));
    t = find_term("dprk");
    assert_int_equal(t->open_left + t->open_right, 0);
    t = find_term("북한"); /* Hangul: closed left, open right */
    assert_int_equal(t->open_left, 0);
    assert_int_equal(t->open_right, 1);
    t = find_term("北朝鮮"); /* Han: open both */
    assert_int_equal(t->open_left, 1);
    assert_int_equal(t->open_right, 1);
    t = find_term("ミサイル"); /* kana */
    assert_int_equal(t->open_left + t->open_right, 2);
    assert_int_equal(t->kind, NM_TERM_TOPIC);
    t = find_term("*lieferung*");
    assert_int_equal(t->open_left + t->open_right, 2);
    assert_string_equal(t->rule, "rules.conf:24");
    t = find_term("kn 23");
    assert_int_equal(t->strong, 1);
    assert_int_equal(t->open_left + t->open_right, 0);
    assert_int_equal(find_term("munition*")->strong, 0);
    t = find_term("kremlin");
    assert_int_equal(t->kind, NM_TERM_ACTOR);
    assert_int_equal(t->target, NM_SIDE_RU);
    assert_int_equal(find_term("sea of japan")->kind, NM_TERM_NOT_ENTITY);
    assert_int_equal(find_term("missile defence")->kind, NM_TERM_NOT_TOPIC);
    assert_int_equal(find_term("military cooperation")->kind, NM_TERM_COOP);
    assert_int_equal(find_term("football")->kind, NM_TERM_NEG);
    assert_int_equal(find_term("read more")->kind, NM_TERM_BOILER);
}

static void test_whole_word_default_latin_cyrillic(void **state) {
    (void)state;
    MENTIONS("The DPRK said", "country:north_korea", 1);
    MENTIONS("DPRKs and xdprk", "country:north_korea", 0);
    MENTIONS("ＤＰＲＫ today", "country:north_korea", 1);     /* full-width */
    MENTIONS("КНДР и Пхеньян", "country:north_korea", 1);
    MENTIONS("КНДРовский", "country:north_korea", 0);
    MENTIONS("Kim Jong Un met; KIM JONG-UN left", "person:kim_jong_un", 2);
    MENTIONS("Corée du Nord, la coree du nord", "country:north_korea", 2);
}

static void test_star_open_ends(void **state) {
    (void)state;
    MENTIONS("Russians and Russia's allies", "country:russia", 2);
    MENTIONS("Belarussia", "country:russia", 0);           /* left end still closed */
    MENTIONS("North Korean troops", "country:north_korea", 1);
    MENTIONS("Nordkoreas Armee", "country:north_korea", 1);
    MENTIONS("russische Truppen in Russland", "country:russia", 2);
    /* Russian inflection via путин* */
    MENTIONS("Путин, Путина, Путину, Путиным", "person:vladimir_putin", 4);
    MENTIONS("Распутин", "person:vladimir_putin", 0);
    MENTIONS("Україна та Росія; російські війська", "country:russia", 2);
}

static void test_hangul_open_right_closed_left(void **state) {
    (void)state;
    MENTIONS("북한은 러시아에 포탄을", "country:north_korea", 1); /* 북한은 -> 북한 */
    MENTIONS("북한군과 북한의", "country:north_korea", 2);
    MENTIONS("남북한 관계", "country:north_korea", 0);            /* closed left end */
    MENTIONS("러시아에", "country:russia", 1);
    MENTIONS("김정은 위원장", "person:kim_jong_un", 1);
}

static void test_han_kana_no_boundaries(void **state) {
    (void)state;
    MENTIONS("俄罗斯向朝鲜提供", "country:russia", 1);
    MENTIONS("俄罗斯向朝鲜提供", "country:north_korea", 1);
    MENTIONS("北朝鮮がロシアに砲弾", "country:north_korea", 1);
    MENTIONS("北朝鮮がロシアに砲弾", "country:russia", 1);
    MENTIONS("プーチン大統領と金正恩総書記", "person:vladimir_putin", 1);
    MENTIONS("プーチン大統領と金正恩総書記", "person:kim_jong_un", 1);
}

static void test_not_phrases_suppress(void **state) {
    (void)state;
    MENTIONS("The missile fell into the Sea of Japan.", "country:japan", 0);
    MENTIONS("Japan said the missile fell into the Sea of Japan.", "country:japan", 1);
    MENTIONS("태평양 상공", "place:pyongyang", 0);
    MENTIONS("평양에서 태평양으로", "place:pyongyang", 1);
    MENTIONS("朝鲜半岛局势", "country:north_korea", 0);
    MENTIONS("朝鲜半岛和朝鲜", "country:north_korea", 1);
    MENTIONS("tension on the Korean peninsula", "country:north_korea", 0);
}

static void test_longer_entity_match_wins(void **state) {
    (void)state;
    MENTIONS("South Korea said", "country:south_korea", 1);
    MENTIONS("South Korea said", "region:korea", 0);
    MENTIONS("North Korea said", "region:korea", 0);
    MENTIONS("North Korea said", "country:north_korea", 1);
    MENTIONS("Korea, South Korea and North Korea", "region:korea", 1);
}

/* Topic vocabulary: German compound via *lieferung*, checked through the
 * evidence of a relevant article. */
static void test_german_compound_topic_term(void **state) {
    (void)state;
    const char *body = "Russland erhält Munitionslieferungen aus Nordkorea und Waffenlieferung "
                       "aus Pjöngjang.";
    nm_tag_result_t res;
    assert_int_equal(nm_tagger_tag(g_rules, g_ws, "", 0, body, strlen(body), "de", &res), NM_OK);
    int found = 0;
    for (int i = 0; i < res.ntopics; i++)
        for (int k = 0; k < res.topics[i].nev; k++)
            if (strcmp(res.topics[i].ev[k].term, "*lieferung*") == 0) {
                found++; /* the open left end: the hit starts inside the compound */
                assert_memory_equal(body + res.topics[i].ev[k].offset, "lieferung", 9);
            }
    /* "Munitionslieferungen": both munition* and *lieferung* hit at the same spot */
    assert_true(found >= 1);
    assert_true(res.relevant);
}

/* ---- bad files ------------------------------------------------------- */

typedef struct {
    char *dir, *gaz, *rules, *langdir, *pack;
} files_t;

/* A rule set in a fresh folder; `pack`, when not NULL, is lang/xx.conf. */
static files_t write_set(const char *gaz, const char *rules, const char *pack) {
    files_t f;
    f.dir = nm_tmpdir_new();
    f.gaz = nm_write_file(f.dir, "gazetteer.conf",
                          gaz ? gaz
                              : "[country:russia]\nname = Russia\nterms = russia\n"
                                "[country:north_korea]\nname = North Korea\nterms = dprk\n");
    f.rules = nm_write_file(f.dir, "rules.conf",
                            rules ? rules
                                  : "[actor:ru]\nentities = country:russia\n"
                                    "[topic:t]\nname = T\nterms = shells\n");
    f.langdir = f.pack = NULL;
    if (pack) {
        f.langdir = malloc(strlen(f.dir) + 6);
        assert_non_null(f.langdir);
        sprintf(f.langdir, "%s/lang", f.dir);
        assert_int_equal(mkdir(f.langdir, 0700), 0);
        f.pack = nm_write_file(f.langdir, "xx.conf", pack);
    }
    return f;
}

static void free_set(files_t *f) {
    free(f->gaz);
    free(f->rules);
    free(f->langdir);
    free(f->pack);
    nm_tmpdir_rm(f->dir);
}

/* Loading fails; errstr == "<path of file `which`>" + suffix. */
static void expect_load_error(const char *gaz, const char *rules, const char *pack, int which,
                              const char *suffix) {
    files_t f = write_set(gaz, rules, pack);
    char err[1024] = "", want[1200];
    nm_rules_t *r = nm_rules_load(g_text, &(nm_rule_paths_t){f.gaz, f.rules, f.langdir, NULL}, err, sizeof err);
    if (r) {
        nm_rules_destroy(r);
        fail_msg("loaded although '%s' was expected", suffix);
    }
    snprintf(want, sizeof want, "%s%s", which == 0 ? f.gaz : which == 1 ? f.rules : f.pack,
             suffix);
    if (strcmp(err, want) != 0) fail_msg("error \"%s\", expected \"%s\"", err, want);
    free_set(&f);
}

static void test_minimal_set_loads(void **state) {
    (void)state;
    files_t f = write_set(NULL, NULL, NULL);
    char err[512] = "";
    nm_rules_t *r = nm_rules_load(g_text, &(nm_rule_paths_t){f.gaz, f.rules, NULL, NULL}, err, sizeof err);
    if (!r) fail_msg("%s", err);
    assert_int_equal(r->nentities, 2);
    assert_int_equal(r->ntopics, 1);
    /* defaults for [settings] when the section is absent */
    assert_double_eq(r->settings.relevance_threshold, 3.0);
    assert_double_eq(r->settings.paragraph_factor, 0.6);
    assert_int_equal(r->settings.max_term_hits, 3);
    /* the same content gives the same version, other content another */
    nm_rules_t *r2 = nm_rules_load(g_text, &(nm_rule_paths_t){f.gaz, f.rules, NULL, NULL}, err, sizeof err);
    assert_non_null(r2);
    assert_string_equal(r->version, r2->version);
    assert_string_not_equal(r->version, g_rules->version);
    nm_rules_destroy(r2);
    nm_rules_destroy(r);
    free_set(&f);
}

/* [surge]: thresholds, pairs resolved to indexes, defaults, bad values */
static void test_surge_section(void **state) {
    (void)state;
    const char *base = "[actor:ru]\nentities = country:russia\n[topic:t]\nname = T\nterms = shells\n";
    char rules[512];
    snprintf(rules, sizeof rules, "%s[surge]\nmin_count = 7\nratio = 2.5\nbaseline_hours = 24\n"
             "cooldown_hours = 3\nmin_history_hours = 0\ntop_articles = 2\n"
             "pair = country:north_korea, t\n", base);
    files_t f = write_set(NULL, rules, NULL);
    char err[512] = "";
    nm_rules_t *r = nm_rules_load(g_text, &(nm_rule_paths_t){f.gaz, f.rules, NULL, NULL}, err, sizeof err);
    if (!r) fail_msg("%s", err);
    assert_int_equal(r->surge.min_count, 7);
    assert_double_eq(r->surge.ratio, 2.5);
    assert_int_equal(r->surge.baseline_hours, 24);
    assert_int_equal(r->surge.cooldown_hours, 3);
    assert_int_equal(r->surge.min_history_hours, 0);
    assert_int_equal(r->surge.top_articles, 2);
    assert_int_equal(r->surge.npairs, 1);
    assert_int_equal(r->surge.pairs[0].entity, nm_rules_entity_index(r, "country:north_korea"));
    assert_int_equal(r->surge.pairs[0].topic, 0);
    char version[24];
    snprintf(version, sizeof version, "%s", r->version);
    nm_rules_destroy(r);
    free_set(&f);
    /* without the section: the defaults; and another rules version */
    f = write_set(NULL, base, NULL);
    r = nm_rules_load(g_text, &(nm_rule_paths_t){f.gaz, f.rules, NULL, NULL}, err, sizeof err);
    if (!r) fail_msg("%s", err);
    assert_int_equal(r->surge.min_count, 5);
    assert_double_eq(r->surge.ratio, 5.0);
    assert_int_equal(r->surge.baseline_hours, 72);
    assert_int_equal(r->surge.npairs, 0);
    assert_string_not_equal(r->version, version);
    nm_rules_destroy(r);
    free_set(&f);
    snprintf(rules, sizeof rules, "%s[surge]\npair = country:north_korea, nope\n", base);
    expect_load_error(NULL, rules, NULL, 1,
                      ":7: pair: unknown topic 'nope' (pairs come after the topic sections)");
    snprintf(rules, sizeof rules, "%s[surge]\npair = country:north_korea\n", base);
    expect_load_error(NULL, rules, NULL, 1,
                      ":7: 'pair' is '<entity id>, <topic id>', got 'country:north_korea'");
    snprintf(rules, sizeof rules, "%s[surge]\nmin_count = 2.5\n", base);
    expect_load_error(NULL, rules, NULL, 1,
                      ":7: 'min_count' must be a whole number from 1 to 1e+09, got '2.5'");
    snprintf(rules, sizeof rules, "%s[surge]\nratio = 0.5\n", base);
    expect_load_error(NULL, rules, NULL, 1, ":7: 'ratio' must be a number from 1 to 1e+06, got '0.5'");
    snprintf(rules, sizeof rules, "%s[surge]\nwindow = 3\n", base);
    expect_load_error(NULL, rules, NULL, 1, ":7: unknown key 'window' here");
}

static void test_pack_adds_terms_and_a_name(void **state) {
    (void)state;
    files_t f = write_set(NULL, NULL, "[language]\nname = Xish\n[country:north_korea]\nterms = xdprk\n");
    char err[512] = "";
    nm_rules_t *r = nm_rules_load(g_text, &(nm_rule_paths_t){f.gaz, f.rules, f.langdir, NULL}, err, sizeof err);
    if (!r) fail_msg("%s", err);
    assert_int_equal(r->nlangs, 1);
    assert_string_equal(r->langs[0].code, "xx");
    assert_string_equal(r->langs[0].name, "Xish");
    const nm_term_t *t = &r->terms[r->nterms - 1];
    assert_string_equal(t->text, "xdprk");
    assert_string_equal(t->rule, "lang/xx.conf:4");
    assert_int_equal(t->kind, NM_TERM_ENTITY);
    assert_int_equal(t->target, nm_rules_entity_index(r, "country:north_korea"));
    nm_rules_destroy(r);
    free_set(&f);
}

/* A pack with `marks = keep` (Vietnamese): its terms and the articles in its
 * language keep their diacritics, so Nga (Russia) is not ngà (ivory). */
static void test_pack_marks_keep(void **state) {
    (void)state;
    files_t f = write_set(NULL, NULL, "[language]\nname = Vietnamese-like\nmarks = keep\n"
                                      "[country:russia]\nterms = Nga\n");
    char err[512] = "";
    nm_rules_t *r = nm_rules_load(g_text, &(nm_rule_paths_t){f.gaz, f.rules, f.langdir, NULL}, err, sizeof err);
    if (!r) fail_msg("%s", err);
    assert_true(nm_rules_lang_keeps_marks(r, "xx"));
    assert_true(nm_rules_lang_keeps_marks(r, "XX-yy"));
    assert_false(nm_rules_lang_keeps_marks(r, "fr"));
    assert_int_equal(mentions_in(r, "Quan doi Nga va ngà voi", "xx", "country:russia"), 1);
    assert_int_equal(mentions_in(r, "NGA", "xx-YY", "country:russia"), 1);
    /* in a language that strips marks, ngà is nga */
    assert_int_equal(mentions_in(r, "Quan doi Nga va ngà voi", "fr", "country:russia"), 2);
    nm_rules_destroy(r);
    free_set(&f);
    expect_load_error(NULL, NULL, "[language]\nmarks = some\n", 2,
                      ":2: 'marks' is 'keep' or 'strip', got 'some'");
    expect_load_error(NULL, NULL, "[country:russia]\nterms = nga\n[language]\nmarks = keep\n", 2,
                      ":4: 'marks' must come before the pack's first term");
}

/* Thai, like Han and kana, has no spaces between words: its terms match
 * anywhere in a run of Thai letters. */
static void test_thai_terms_need_no_boundary(void **state) {
    (void)state;
    files_t f = write_set(NULL, NULL, "[country:russia]\nterms = รัสเซีย\n");
    char err[512] = "";
    nm_rules_t *r = nm_rules_load(g_text, &(nm_rule_paths_t){f.gaz, f.rules, f.langdir, NULL}, err, sizeof err);
    if (!r) fail_msg("%s", err);
    const nm_term_t *t = &r->terms[r->nterms - 1];
    assert_true(t->open_left && t->open_right);
    assert_int_equal(mentions_in(r, "กองทัพรัสเซียส่งทหารไปที่ชายแดน", "th", "country:russia"), 1);
    nm_rules_destroy(r);
    free_set(&f);
}

static void test_bad_files_fail_with_file_line_reason(void **state) {
    (void)state;
    /* rules.conf */
    expect_load_error(NULL, "[topic:t]\nname = T\nterms = x\n\n[actors:ru]\n", NULL, 1,
                      ":5: unknown section [actors:ru] (see docs/RULES.md)");
    expect_load_error(NULL, "[topic:t]\nname = T\nterm = x\n", NULL, 1,
                      ":3: unknown key 'term' here");
    expect_load_error(NULL, "[topic:t]\nterms = x\n[cooperation]\nterms = y\n", NULL, 1,
                      ":3: section [topic:t] has no 'name'");
    expect_load_error(NULL, "[topic:t]\nname = T\nterms = ok, --, x\n", NULL, 1,
                      ":3: term '--' has no letter or digit");
    expect_load_error(NULL, "[topic:t]\nname = T\nterms = *\n", NULL, 1,
                      ":3: term '*' has no letter or digit");
    expect_load_error(NULL, "[topic:t]\nname = T\nterms = x\n[actor:kp]\n"
                            "entities = country:north_korea, country:atlantis\n",
                      NULL, 1, ":5: unknown entity 'country:atlantis' (not in the gazetteer)");
    expect_load_error(NULL, "[settings]\nrelevance_threshold = lots\n[topic:t]\nname=T\nterms=x\n",
                      NULL, 1, ":2: 'relevance_threshold' must be a number from 0 to 1e+06, got 'lots'");
    expect_load_error(NULL, "[settings]\nmax_term_hits = 0\n[topic:t]\nname=T\nterms=x\n",
                      NULL, 1, ":2: 'max_term_hits' must be a number from 1 to 1000, got '0'");
    expect_load_error(NULL, "[settings]\nlead_factor = 2.5x\n", NULL, 1,
                      ":2: 'lead_factor' must be a number from 0 to 10, got '2.5x'");
    expect_load_error(NULL, "[settings]\nrelevance = 3\n", NULL, 1,
                      ":2: unknown key 'relevance' here");
    expect_load_error(NULL, "name = x\n", NULL, 1, ":1: key outside any [section]");
    expect_load_error(NULL, "[topic:t]\nname = T\nterms = x\n[topic:t]\nname = U\n", NULL, 1,
                      ":4: duplicate [topic:t]");
    expect_load_error(NULL, "[cooperation]\nterms = x\n", NULL, 1, ": no [topic:...] section");
    /* gazetteer.conf */
    expect_load_error("[country:russia]\nterms = russia\n[country:x]\nname = X\nterms = x\n",
                      NULL, NULL, 0, ":3: section [country:russia] has no 'name'");
    expect_load_error("[country:russia]\nname = Russia\n[country:x]\nname = X\nterms = x\n",
                      NULL, NULL, 0, ":3: section [country:russia] has no 'terms'");
    expect_load_error(NULL, "[topic:t]\nname = T\nterms = военн* сотрудничеств*\n", NULL, 1,
                      ":3: term 'военн* сотрудничеств*': '*' is allowed only at its start or end");
    expect_load_error("[russia]\nname = Russia\nterms = russia\n", NULL, NULL, 0,
                      ":1: entity section must be [type:name], got [russia]");
    expect_load_error("[country:russia]\nname = R\nterms = r\n[country:russia]\n", NULL, NULL, 0,
                      ":4: duplicate entity [country:russia]");
    expect_load_error("[country:russia]\nname = R\nterms = r\nwords = x\n", NULL, NULL, 0,
                      ":4: unknown key 'words' here");
    expect_load_error("[country:russia]\nname = R\nterms = r, ...\n", NULL, NULL, 0,
                      ":3: term '...' has no letter or digit");
    /* language packs: the language is identified by nm_langid, so a pack
     * lists no words for that any more */
    expect_load_error(NULL, NULL, "[language]\nname = X\nwords = the\n", 2,
                      ":3: unknown key 'words' here");
    expect_load_error(NULL, NULL, "[lang:xx]\nwords = the\n", 2,
                      ":1: unknown entity [lang:xx] (entities are defined in the gazetteer)");
    expect_load_error(NULL, NULL, "[settings]\nrelevance_threshold = 1\n", 2,
                      ":1: section [settings] is not allowed in a language pack (see docs/RULES.md)");
}

/* The limits of nm_limits.h are load errors, never silent caps. */
static void test_limits_are_load_errors(void **state) {
    (void)state;
    char rules[8192] = "", want[4400];
    for (int i = 0; i <= NM_MAX_TOPICS; i++)
        snprintf(rules + strlen(rules), sizeof rules - strlen(rules),
                 "[topic:t%d]\nname = T%d\nterms = word%d\n", i, i, i);
    snprintf(want, sizeof want, ": %d topics, at most %d (nm_limits.h)", NM_MAX_TOPICS + 1,
             NM_MAX_TOPICS);
    expect_load_error(NULL, rules, NULL, 1, want);
    /* each language pack is a language */
    files_t f = write_set(NULL, NULL, "[language]\nname = X\n");
    for (int i = 0; i < NM_MAX_LANGS; i++) {
        char name[16];
        snprintf(name, sizeof name, "x%c%c.conf", 'a' + i / 26, 'a' + i % 26);
        free(nm_write_file(f.langdir, name, "[language]\nname = X\n"));
    }
    char err[1024] = "";
    assert_null(nm_rules_load(g_text, &(nm_rule_paths_t){f.gaz, f.rules, f.langdir, NULL}, err,
                              sizeof err));
    snprintf(want, sizeof want, "%s: %d languages, at most %d (nm_limits.h)", f.langdir,
             NM_MAX_LANGS + 1, NM_MAX_LANGS);
    assert_string_equal(err, want);
    free_set(&f);
}

static void test_missing_name_at_end_of_file(void **state) {
    (void)state;
    /* the last section cannot be checked at a following header */
    expect_load_error("[country:russia]\nname = Russia\nterms = russia\n[country:x]\nterms = x\n",
                      NULL, NULL, 0, ":5: section [country:x] has no 'name'");
}

static void test_missing_file(void **state) {
    (void)state;
    char err[512] = "";
    assert_null(nm_rules_load(g_text, &(nm_rule_paths_t){NM_FIX("gazetteer.conf"), "/nonexistent/rules.conf", NULL, NULL}, err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/rules.conf: cannot open"));
    nm_rules_destroy(NULL);
}

/* ---- clitic prefixes of a language pack ------------------------------- */

#define MENTIONS_IN(r, body, id, n)                                                    \
    do {                                                                               \
        int m_ = mentions_in((r), (body), "xx", (id));                                 \
        if (m_ != (n)) fail_msg("\"%s\": %s mentioned %d times, expected %d", (body), \
                                (id), m_, (n));                                        \
    } while (0)

/* Loads the default minimal set plus packs ar.conf and he.conf; NULL with
 * the error in err when loading fails. */
static nm_rules_t *load_with_packs(files_t *f, const char *ar, const char *he, char *err,
                                   size_t errsize) {
    *f = write_set(NULL, NULL, NULL);
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/lang", f->dir);
    assert_int_equal(mkdir(dir, 0700), 0);
    free(nm_write_file(dir, "ar.conf", ar));
    free(nm_write_file(dir, "he.conf", he));
    return nm_rules_load(g_text, &(nm_rule_paths_t){f->gaz, f->rules, dir, NULL}, err,
                         errsize);
}

static void test_pack_prefixes_open_the_left_boundary(void **state) {
    (void)state;
    files_t f;
    char err[1024] = "";
    /* a prefix key may repeat, and may follow the terms it applies to */
    const char *ar = "[language]\nname = Arabic\nprefixes = و, ب\n"
                     "[country:russia]\nterms = روسيا, روسي*\n"
                     "[country:north_korea]\nterms = كوريا الشمالية\n"
                     "[language]\nprefixes = ال, وال\n";
    const char *he = "[language]\nname = Hebrew\nprefixes = ה, ו, וה\n"
                     "[country:russia]\nterms = רוסיה, רוסי\n";
    nm_rules_t *r = load_with_packs(&f, ar, he, err, sizeof err);
    if (!r) fail_msg("%s", err);
    assert_int_equal(r->npacks, 2);
    MENTIONS_IN(r, "وصلت الشحنة من روسيا أمس", "country:russia", 1);
    MENTIONS_IN(r, "اتفاق بين كوريا الشمالية وروسيا", "country:russia", 1);
    MENTIONS_IN(r, "اتفاق بين كوريا الشمالية وروسيا", "country:north_korea", 1);
    MENTIONS_IN(r, "سافر الوفد بروسيا", "country:russia", 1);
    MENTIONS_IN(r, "قال المتحدث الروسي", "country:russia", 1);   /* ال + روسي* */
    MENTIONS_IN(r, "والروسية أيضا", "country:russia", 1);        /* وال, a later key */
    MENTIONS_IN(r, "ووكوريا الشمالية", "country:north_korea", 0); /* two prefixes: not listed */
    MENTIONS_IN(r, "فروسيا", "country:russia", 0);               /* ف is not listed */
    MENTIONS_IN(r, "هذاروسيا", "country:russia", 0);             /* letters, not a prefix */
    /* Hebrew: its own pack's prefixes only */
    MENTIONS_IN(r, "השגריר הרוסי נפגש", "country:russia", 1);
    MENTIONS_IN(r, "סין ורוסיה", "country:russia", 1);
    MENTIONS_IN(r, "והרוסי", "country:russia", 1);
    MENTIONS_IN(r, "ברוסיה", "country:russia", 0);               /* ב not listed for he */
    MENTIONS_IN(r, "וروسيا", "country:russia", 0);               /* a Hebrew prefix on an Arabic term */
    MENTIONS_IN(r, "والرוסיה", "country:russia", 0);             /* an Arabic prefix on a Hebrew term */
    /* core terms (gazetteer.conf) take no prefixes */
    MENTIONS_IN(r, "وrussia", "country:russia", 0);
    MENTIONS_IN(r, "in russia now", "country:russia", 1);
    nm_rules_destroy(r);
    free_set(&f);
}

static void test_pack_prefix_errors(void **state) {
    (void)state;
    const char *he = "[language]\nname = Hebrew\n";
    struct {
        const char *ar, *suffix;
    } cases[] = {
        {"[language]\nprefixes = و ب\n",
         "/lang/ar.conf:2: prefix 'و ب' must be one word of at most 15 bytes, without '*'"},
        {"[language]\nprefixes = و*\n",
         "/lang/ar.conf:2: prefix 'و*' must be one word of at most 15 bytes, without '*'"},
        {"[language]\nprefixes = وبالبالبالبال\n",
         "/lang/ar.conf:2: prefix 'وبالبالبالبال' must be one word of at most 15 bytes, "
         "without '*'"},
        {"[country:russia]\nprefixes = و\n",
         "/lang/ar.conf:2: a language pack holds only terms, strong and not here, got 'prefixes'"},
        {"[language]\nprefixes = و\n[country:russia]\nterms = روسيا\nprefix = ب\n",
         "/lang/ar.conf:5: a language pack holds only terms, strong and not here, got 'prefix'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        files_t f;
        char err[1024] = "", want[4400];
        nm_rules_t *r = load_with_packs(&f, cases[i].ar, he, err, sizeof err);
        if (r) {
            nm_rules_destroy(r);
            fail_msg("loaded although '%s' was expected", cases[i].suffix);
        }
        snprintf(want, sizeof want, "%s%s", f.dir, cases[i].suffix);
        if (strcmp(err, want) != 0) fail_msg("error \"%s\", expected \"%s\"", err, want);
        free_set(&f);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_fixture_rule_set),
        cmocka_unit_test(test_settings_loaded),
        cmocka_unit_test(test_term_kinds_boundaries_and_rule_ids),
        cmocka_unit_test(test_whole_word_default_latin_cyrillic),
        cmocka_unit_test(test_star_open_ends),
        cmocka_unit_test(test_hangul_open_right_closed_left),
        cmocka_unit_test(test_han_kana_no_boundaries),
        cmocka_unit_test(test_not_phrases_suppress),
        cmocka_unit_test(test_longer_entity_match_wins),
        cmocka_unit_test(test_german_compound_topic_term),
        cmocka_unit_test(test_minimal_set_loads),
        cmocka_unit_test(test_surge_section),
        cmocka_unit_test(test_pack_adds_terms_and_a_name),
        cmocka_unit_test(test_pack_marks_keep),
        cmocka_unit_test(test_thai_terms_need_no_boundary),
        cmocka_unit_test(test_bad_files_fail_with_file_line_reason),
        cmocka_unit_test(test_missing_name_at_end_of_file),
        cmocka_unit_test(test_limits_are_load_errors),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_pack_prefixes_open_the_left_boundary),
        cmocka_unit_test(test_pack_prefix_errors),
    };
    return cmocka_run_group_tests_name("nm_rules", tests, nm_fixture_setup, nm_fixture_teardown);
}
