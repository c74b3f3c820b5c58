/* test_tagger.c - nm_tagger: relevance, scoring, topics, entities,
 * evidence and language detection on small hand-written articles. */
#include <sys/stat.h>

#include "nm_test_util.h"

#include "nm_rules.h"
#include "nm_tagger.h"


static nm_tag_result_t tag_with(const nm_rules_t *r, const char *title, const char *body,
                                const char *lang) {
    nm_tag_result_t res;
    assert_int_equal(nm_tagger_tag(r, g_ws, title, strlen(title), body, strlen(body), lang, &res),
                     NM_OK);
    return res;
}

static nm_tag_result_t tag(const char *title, const char *body, const char *lang) {
    return tag_with(g_rules, title, body, lang);
}

static const nm_entity_tag_t *entity(const nm_tag_result_t *res, const char *id) {
    int e = nm_rules_entity_index(g_rules, id);
    assert_true(e >= 0);
    for (int i = 0; i < res->nentities; i++)
        if (res->entities[i].entity == e) return &res->entities[i];
    return NULL;
}

static const nm_topic_tag_t *topic(const nm_tag_result_t *res, const char *id) {
    int t = nm_rules_topic_index(g_rules, id);
    assert_true(t >= 0);
    for (int i = 0; i < res->ntopics; i++)
        if (res->topics[i].topic == t) return &res->topics[i];
    return NULL;
}

/* Scores (fixture settings): title x2, lead x1.5, paragraph 0.6, document 0.2. */
static void test_relevant_english_article_score_and_topics(void **state) {
    (void)state;
    const char *title = "North Korea sends artillery shells to Russia";
    const char *body = "Pyongyang has shipped artillery shells to Russia, officials said.\n"
                       "The munitions were used in Ukraine.";
    nm_tag_result_t r = tag(title, body, NULL);
    /* title 1*1*2 + body sentence 1*1*1.5 + document-level 1*0.2*1.5 */
    assert_double_eq(r.score, 2.0 + 1.5 + 0.3);
    assert_true(r.relevant);
    assert_int_equal(r.ntopics, 1);
    const nm_topic_tag_t *t = topic(&r, "arms_transfer");
    assert_non_null(t);
    assert_double_eq(t->score, 3.8);
    assert_int_equal(t->nev, 3);
    assert_string_equal(r.lang, "en");
    assert_string_equal(r.lang_detected, "en");
    /* entities: russia twice (title + body), most mentioned first */
    assert_int_equal(r.nentities, 4);
    assert_int_equal(r.entities[0].entity, nm_rules_entity_index(g_rules, "country:russia"));
    assert_int_equal(r.entities[0].mentions, 2);
    assert_int_equal(entity(&r, "country:north_korea")->mentions, 1);
    assert_int_equal(entity(&r, "place:pyongyang")->mentions, 1);
    assert_int_equal(entity(&r, "country:ukraine")->mentions, 1);
    assert_null(entity(&r, "person:kim_jong_un"));
}

static void test_evidence_points_into_original_text(void **state) {
    (void)state;
    const char *title = "North Korea sends artillery shells to Russia";
    const char *body = "Pyongyang has shipped artillery shells to Russia, officials said.\n"
                       "The munitions were used in Ukraine.";
    nm_tag_result_t r = tag(title, body, NULL);
    const nm_topic_tag_t *t = topic(&r, "arms_transfer");
    assert_non_null(t);
    int seen_title = 0, seen_body = 0, seen_mun = 0;
    for (int k = 0; k < t->nev; k++) {
        const nm_evidence_t *ev = &t->ev[k];
        const char *field = ev->field ? body : title;
        size_t flen = strlen(field);
        assert_true(ev->offset < flen);
        assert_true(ev->snippet >= field && ev->snippet + ev->snippet_len <= field + flen);
        assert_true(ev->snippet <= field + ev->offset);
        assert_true(ev->weight > 0);
        if (strcmp(ev->term, "artillery shell*") == 0) {
            assert_string_equal(ev->rule, "rules.conf:24");
            assert_memory_equal(field + ev->offset, "artillery shells", 16);
            if (ev->field == 0) {
                seen_title++;
                assert_int_equal(ev->offset, strstr(title, "artillery") - title);
                assert_double_eq(ev->weight, 2.0);
            } else {
                seen_body++;
                assert_int_equal(ev->offset, strstr(body, "artillery") - body);
                assert_double_eq(ev->weight, 1.5);
            }
        } else {
            assert_string_equal(ev->term, "munition*");
            assert_int_equal(ev->field, 1);
            assert_int_equal(ev->offset, strstr(body, "munitions") - body);
            assert_double_eq(ev->weight, 0.3);
            seen_mun++;
        }
    }
    assert_int_equal(seen_title + seen_body + seen_mun, 3);
    assert_int_equal(seen_title, 1);
    assert_int_equal(seen_body, 1);
    /* entity evidence: first mention of Russia is in the title */
    const nm_entity_tag_t *e = entity(&r, "country:russia");
    assert_int_equal(e->ev.field, 0);
    assert_int_equal(e->ev.offset, strstr(title, "Russia") - title);
    assert_string_equal(e->ev.term, "russia*");
    assert_string_equal(e->ev.rule, "gazetteer.conf:5");
    e = entity(&r, "place:pyongyang");
    assert_int_equal(e->ev.field, 1);
    assert_int_equal(e->ev.offset, 0);
}

static void test_evidence_offsets_with_html_and_multibyte(void **state) {
    (void)state;
    const char *body = "<p>Pyongyang &amp; Moscow agreed: more <b>Artillery shells</b>.</p>"
                       "<p>Corée du Nord et Russie: des obus.</p>";
    nm_tag_result_t r = tag("", body, NULL);
    assert_true(r.relevant);
    const nm_topic_tag_t *t = topic(&r, "arms_transfer");
    assert_non_null(t);
    int found = 0;
    for (int k = 0; k < t->nev; k++) {
        const nm_evidence_t *ev = &t->ev[k];
        assert_int_equal(ev->field, 1);
        if (strcmp(ev->term, "artillery shell*") == 0) {
            found++;
            assert_int_equal(ev->offset, strstr(body, "Artillery") - body);
        } else if (strcmp(ev->term, "obus") == 0) {
            found++;
            assert_int_equal(ev->offset, strstr(body, "obus") - body);
        }
        /* a snippet never starts inside a UTF-8 sequence */
        assert_true(((unsigned char)ev->snippet[0] & 0xC0) != 0x80);
    }
    assert_int_equal(found, 2);
    const nm_entity_tag_t *e = entity(&r, "country:north_korea");
    assert_non_null(e);
    assert_int_equal(e->ev.offset, strstr(body, "Corée") - body);
    e = entity(&r, "place:moscow");
    assert_non_null(e);
    assert_int_equal(e->ev.offset, strstr(body, "Moscow") - body);
}

static void test_north_korea_only_missile_story_not_relevant(void **state) {
    (void)state;
    nm_tag_result_t r = tag("North Korea fires ballistic missile",
                            "Pyongyang launched a ballistic missile into the sea on Monday. "
                            "Kim Jong Un watched the missile test, state media said.",
                            NULL);
    assert_false(r.relevant);
    assert_double_eq(r.score, 0.0);
    assert_int_equal(r.ntopics, 0);
    assert_non_null(entity(&r, "country:north_korea"));
    assert_non_null(entity(&r, "person:kim_jong_un"));
    assert_null(entity(&r, "country:russia"));
}

static void test_russia_ukraine_only_story_not_relevant(void **state) {
    (void)state;
    nm_tag_result_t r = tag("Russian troops shell Ukrainian positions",
                            "Russian troops fired artillery shells at Ukrainian positions. "
                            "The Kremlin said its soldiers advanced. Putin praised the troops.",
                            "en");
    assert_false(r.relevant);
    assert_double_eq(r.score, 0.0);
    assert_int_equal(r.ntopics, 0);
    assert_non_null(entity(&r, "country:russia"));
    assert_non_null(entity(&r, "country:ukraine"));
    assert_non_null(entity(&r, "person:vladimir_putin"));
    assert_null(entity(&r, "country:north_korea"));
}

static void test_boilerplate_line_does_not_drive_relevance(void **state) {
    (void)state;
    const char *joint = "Russia and North Korea expand military cooperation and artillery "
                        "shells deliveries";
    char body[512];
    /* control: the same line as article text is relevant: coop 1.5 + shells 1.5 */
    snprintf(body, sizeof body, "Sunny skies are expected.\n%s", joint);
    nm_tag_result_t r = tag("Weekend weather", body, "en");
    assert_true(r.relevant);
    assert_double_eq(r.score, 3.0);
    /* as a "Read more:" line it is page furniture... */
    snprintf(body, sizeof body, "Sunny skies are expected.\nRead more: %s", joint);
    r = tag("Weekend weather", body, "en");
    assert_false(r.relevant);
    assert_double_eq(r.score, 0.0);
    assert_int_equal(r.ntopics, 0);
    /* ...but its entities still count */
    assert_int_equal(entity(&r, "country:russia")->mentions, 1);
    assert_int_equal(entity(&r, "country:north_korea")->mentions, 1);
    /* a cue in the middle of a line does not make it boilerplate */
    snprintf(body, sizeof body, "Sunny skies are expected.\nWe read more: %s", joint);
    r = tag("Weekend weather", body, "en");
    assert_true(r.relevant);
    /* other cues, other languages */
    r = tag("Météo", "Du soleil.\nLire aussi : la Russie et la Corée du Nord, obus et soldats",
            "fr");
    assert_false(r.relevant);
    assert_non_null(entity(&r, "country:north_korea"));
}

static void test_cue_alone_on_a_line_heads_the_next_line(void **state) {
    (void)state;
    const char *joint = "Russia and North Korea expand military cooperation and artillery "
                        "shells deliveries";
    char body[512];
    /* "Related News" alone on its line: the headline under it is furniture */
    snprintf(body, sizeof body, "Sunny skies are expected.\nRelated News\n%s", joint);
    nm_tag_result_t r = tag("Weekend weather", body, "en");
    assert_false(r.relevant);
    assert_double_eq(r.score, 0.0);
    assert_non_null(entity(&r, "country:north_korea")); /* entities still count */
    /* ...only the next line: the one after it is article text again */
    snprintf(body, sizeof body, "Related News\nSunny skies are expected.\n%s", joint);
    r = tag("Weekend weather", body, "en");
    assert_true(r.relevant);
    assert_double_eq(r.score, 3.0);
}

static void test_title_repeated_in_body_is_boilerplate(void **state) {
    (void)state;
    const char *title = "Russia and North Korea discuss artillery shells";
    nm_tag_result_t r = tag(title, "Russia and North Korea discuss artillery shells\n"
                                   "The weather was fine.", "en");
    /* only the title counts: 1 * 1 * title_factor */
    assert_double_eq(r.score, 2.0);
    assert_false(r.relevant);
    /* entities of the repeated line still count */
    assert_int_equal(entity(&r, "country:russia")->mentions, 2);
    /* a different line is article text */
    r = tag(title, "Russia and North Korea discussed artillery shells\nThe weather was fine.",
            "en");
    assert_double_eq(r.score, 2.0 + 1.5);
    assert_true(r.relevant);
}

static void test_context_factors(void **state) {
    (void)state;
    /* same paragraph, other sentence: paragraph_factor * lead */
    nm_tag_result_t r = tag("", "Russia hosted talks with North Korea. Officials discussed "
                                "artillery shells.", "en");
    assert_double_eq(r.score, 0.6 * 1.5);
    assert_false(r.relevant);
    /* sides only in different paragraphs: document_factor, and no joint sentence */
    r = tag("", "Russia hosted talks.\nNorth Korea agreed.\nArtillery shells were discussed.",
            "en");
    assert_double_eq(r.score, 0.2 * 1.5);
    assert_false(r.relevant);
    /* beyond lead_chars: position factor 1 */
    char body[1024];
    size_t n = 0;
    while (n < 420) n += (size_t)snprintf(body + n, sizeof body - n, "lorem ipsum ");
    snprintf(body + n, sizeof body - n, "\nRussia and North Korea traded artillery shells.");
    r = tag("", body, "en");
    assert_double_eq(r.score, 1.0);
    /* actor terms (not entities) count as a side: Kremlin */
    r = tag("", "The Kremlin and Pyongyang traded artillery shells.", "en");
    assert_double_eq(r.score, 1.5);
}

/* docs/RULES.md: relevant needs a sentence or paragraph naming both sides,
 * whatever the score. */
static void test_relevance_requires_joint_sentence_or_paragraph(void **state) {
    (void)state;
    char *dir = nm_tmpdir_new();
    char *rp = nm_write_file(dir, "rules.conf",
                             "[settings]\ndocument_factor = 10\n"
                             "[actor:ru]\nentities = country:russia\n"
                             "[actor:kp]\nentities = country:north_korea\n"
                             "[topic:arms_transfer]\nname = Arms\nterms = artillery shell*\n");
    char err[512] = "";
    nm_rules_t *r2 = nm_rules_load(g_text, &(nm_rule_paths_t){NM_FIX("gazetteer.conf"), rp, NULL, NULL}, err, sizeof err);
    if (!r2) fail_msg("%s", err);
    nm_tag_result_t r = tag_with(r2, "", "Russia hosted talks.\nNorth Korea agreed.\n"
                                         "Artillery shells were discussed.", "en");
    assert_double_eq(r.score, 10 * 1.5);
    assert_false(r.relevant);
    r = tag_with(r2, "", "Russia and North Korea met.\nArtillery shells were discussed.", "en");
    assert_true(r.relevant);
    nm_rules_destroy(r2);
    free(rp);
    nm_tmpdir_rm(dir);
}

static void test_max_term_hits_and_strong_weight(void **state) {
    (void)state;
    nm_tag_result_t r = tag("", "Russia and North Korea: artillery shells, artillery shells, "
                                "artillery shells, artillery shells, artillery shells.", "en");
    assert_double_eq(r.score, 3 * 1.5); /* max_term_hits = 3 */
    assert_int_equal(topic(&r, "arms_transfer")->nev, NM_MAX_EVIDENCE);
    /* strong terms weigh strong_weight; topics best first */
    r = tag("", "Russia got KN-23 missiles from North Korea.", "en");
    assert_true(r.relevant);
    assert_double_eq(r.score, 2 * 1.5 + 1.5);
    assert_int_equal(r.ntopics, 2);
    assert_int_equal(r.topics[0].topic, nm_rules_topic_index(g_rules, "arms_transfer"));
    assert_double_eq(r.topics[0].score, 3.0);
    assert_int_equal(r.topics[1].topic, nm_rules_topic_index(g_rules, "missile"));
    assert_double_eq(r.topics[1].score, 1.5);
    assert_string_equal(r.topics[0].ev[0].term, "kn 23");
}

static void test_negative_cues_and_topic_not_phrases(void **state) {
    (void)state;
    nm_tag_result_t r = tag("", "Russia and North Korea discussed tourism and artillery shells.",
                            "en");
    assert_double_eq(r.score, 1.5 - 1.5);
    assert_false(r.relevant);
    /* `not = missile defence` voids missile* inside it only */
    r = tag("", "Russia and North Korea discussed missile defence.", "en");
    assert_double_eq(r.score, 0.0);
    r = tag("", "Russia and North Korea discussed missile defence and missiles.", "en");
    assert_double_eq(r.score, 1.5);
}

static void test_topics_only_on_relevant_articles(void **state) {
    (void)state;
    /* relevant on cooperation alone: topics below topic_threshold are dropped,
     * except that the best topic is kept whenever it scored (nm_tagger.c) */
    nm_tag_result_t r = tag("", "Russia and North Korea pledged military cooperation. "
                                "Russia and North Korea signed a military cooperation pact. "
                                "They also discussed troops.", "en");
    assert_double_eq(r.score, 1.5 + 1.5 + 0.6 * 1.5);
    assert_true(r.relevant);
    assert_int_equal(r.ntopics, 1);
    assert_int_equal(r.topics[0].topic, nm_rules_topic_index(g_rules, "troops"));
    /* not relevant: no topics at all even with topic hits */
    r = tag("", "Russia and North Korea discussed troops.", "en");
    assert_false(r.relevant);
    assert_int_equal(r.ntopics, 0);
}

typedef struct {
    const char *lang, *title, *body;
} art_t;

static void test_relevant_in_every_language_with_detection(void **state) {
    (void)state;
    static const art_t arts[] = {
        {"fr", "La Corée du Nord livre des obus à la Russie",
         "Selon les services de Séoul, Pyongyang a envoyé des obus et des soldats en Russie."},
        {"de", "Nordkorea liefert Munition an Russland",
         "Nach Angaben aus Seoul hat Nordkorea der Armee Russlands Munition und Soldaten "
         "geschickt, die nicht an der Front sind."},
        {"es", "Corea del Norte envía tropas a Rusia",
         "Rusia recibe misiles y tropas de Corea del Norte, según el informe de la agencia."},
        {"id", "Korea Utara kirim amunisi ke Rusia",
         "Korea Utara mengirim amunisi dan pasukan ke Rusia, kata pejabat di Seoul itu."},
        {"ru", "КНДР поставляет снаряды России",
         "Пхеньян передал Москве снаряды и ракеты, сообщили в Сеуле."},
        {"uk", "КНДР передає Росії снаряди",
         "Пхеньян передав Росії снаряди та ракети, повідомили у Сеулі."},
        {"ko", "북한, 러시아에 포탄 공급", "북한은 러시아에 포탄과 미사일을 보냈다고 밝혔다."},
        {"ja", "北朝鮮がロシアに砲弾を供与", "北朝鮮はロシアに砲弾とミサイルを送った。"},
        {"zh", "朝鲜向俄罗斯提供弹药", "朝鲜向俄罗斯运送弹药和导弹。"},
        {"en", "Pyongyang ships missiles to Moscow",
         "North Korea has sent missiles and troops to Russia, the officials said."},
    };
    for (size_t i = 0; i < sizeof arts / sizeof arts[0]; i++) {
        nm_tag_result_t r = tag(arts[i].title, arts[i].body, NULL);
        if (!r.relevant)
            fail_msg("%s article not relevant (score %.3f)", arts[i].lang, r.score);
        if (strcmp(r.lang_detected, arts[i].lang) != 0)
            fail_msg("%s article detected as %s", arts[i].lang, r.lang_detected);
        assert_string_equal(r.lang, arts[i].lang);
        assert_true(r.ntopics >= 1);
        assert_non_null(entity(&r, "country:north_korea"));
        /* a given lang is kept and detection does not run, unless the
         * workspace always detects (accuracy reports) */
        r = tag(arts[i].title, arts[i].body, "xx");
        assert_string_equal(r.lang, "xx");
        assert_string_equal(r.lang_detected, "");
        nm_tagger_ws_always_detect(g_ws, true);
        r = tag(arts[i].title, arts[i].body, "xx");
        nm_tagger_ws_always_detect(g_ws, false);
        assert_string_equal(r.lang, "xx");
        assert_string_equal(r.lang_detected, arts[i].lang);
        r = tag(arts[i].title, arts[i].body, "");
        assert_string_equal(r.lang, arts[i].lang);
        r = tag(arts[i].title, arts[i].body, "French (France)");
        assert_string_equal(r.lang, arts[i].lang);
    }
}

static void test_language_detection_edge_cases(void **state) {
    (void)state;
    nm_tag_result_t r = tag("", "", NULL);
    assert_string_equal(r.lang, "und");
    assert_false(r.relevant);
    assert_int_equal(r.nentities, 0);
    r = tag("!!!", "12345 ...", NULL);
    assert_string_equal(r.lang, "und");
    r = tag("", "Zorglub blix", NULL); /* too little for the detector */
    assert_string_equal(r.lang, "und");
    /* short texts (nm_langid: the thirty languages on longer ones) */
    r = tag("", "Yang di dengan untuk dari", NULL);
    assert_string_equal(r.lang, "id");
    r = tag("", "Der Hund und die Katze", NULL);
    assert_string_equal(r.lang, "de");
    r = tag("", "El perro y los gatos con una casa", NULL);
    assert_string_equal(r.lang, "es");
    r = tag("", "日本政府は発表", NULL);
    assert_string_equal(r.lang, "ja");
    r = tag("", "中国政府发表声明", NULL);
    assert_string_equal(r.lang, "zh");
    r = tag("", "Їжак і єнот", NULL);
    assert_string_equal(r.lang, "uk");
    r = tag("", "Ежик и енот", NULL); /* Russian or Bulgarian: too short to tell */
    assert_string_equal(r.lang, "und");
    r = tag("", "서울에서 발표했다", NULL);
    assert_string_equal(r.lang, "ko");
}

static void test_workspace_reuse_is_stable(void **state) {
    (void)state;
    const char *t1 = "North Korea sends artillery shells to Russia";
    const char *b1 = "Pyongyang has shipped artillery shells to Russia, officials said.\n"
                     "The munitions were used in Ukraine.";
    nm_tag_result_t a = tag(t1, b1, NULL);
    /* a large article in between grows every workspace array */
    size_t cap = 200000, n = 0;
    char *big = malloc(cap);
    assert_non_null(big);
    while (n + 100 < cap)
        n += (size_t)snprintf(big + n, cap - n, "Russia and North Korea: artillery shells. ");
    nm_tag_result_t r = tag("", big, NULL);
    assert_true(r.relevant);
    assert_int_equal(entity(&r, "country:russia")->mentions, (int)(n / 42));
    free(big);
    nm_tag_result_t b = tag(t1, b1, NULL);
    assert_double_eq(a.score, b.score);
    assert_int_equal(a.nentities, b.nentities);
    assert_int_equal(a.ntopics, b.ntopics);
}

static void test_garbage_input_never_crashes(void **state) {
    (void)state;
    uint64_t seed = 0xbadc0ffeeULL;
    static const char *const words[] = {"Russia ", "North Korea ", "artillery shells ",
                                        "<p>", "&amp;", ". ", "\n", "북한은 ", "朝鲜",
                                        "\xFF", "\0", "Read more: ", "missile defence "};
    char body[3000];
    for (int iter = 0; iter < 300; iter++) {
        size_t n = 0, want = nm_rand(&seed) % 2500;
        while (n < want) {
            if (nm_rand(&seed) % 4 == 0) {
                body[n++] = (char)(nm_rand(&seed) & 0xFF);
                continue;
            }
            const char *w = words[nm_rand(&seed) % (sizeof words / sizeof words[0])];
            size_t wl = w[0] ? strlen(w) : 1;
            if (n + wl > sizeof body) break;
            memcpy(body + n, w, wl);
            n += wl;
        }
        nm_tag_result_t r;
        size_t tl = n / 10;
        assert_int_equal(nm_tagger_tag(g_rules, g_ws, body, tl, body + tl, n - tl, NULL, &r),
                         NM_OK);
        assert_true(r.ntopics <= NM_MAX_TOPICS);
        assert_true(r.nentities >= 0 && (size_t)r.nentities <= g_rules->nentities);
        if (!r.relevant) assert_int_equal(r.ntopics, 0);
        for (int i = 0; i < r.ntopics; i++)
            for (int k = 0; k < r.topics[i].nev; k++) {
                const nm_evidence_t *ev = &r.topics[i].ev[k];
                const char *f = ev->field ? body + tl : body;
                size_t fl = ev->field ? n - tl : tl;
                assert_true(ev->offset < fl);
                assert_true(ev->snippet >= f && ev->snippet + ev->snippet_len <= f + fl);
            }
    }
}


/* topic() for another rule set than the fixture's */
static const nm_topic_tag_t *topic_r(const nm_rules_t *r, const nm_tag_result_t *res,
                                     const char *id) {
    int t = nm_rules_topic_index(r, id);
    assert_true(t >= 0);
    for (int i = 0; i < res->ntopics; i++)
        if (res->topics[i].topic == t) return &res->topics[i];
    return NULL;
}

/* A rule set from rules.conf text (and the fixture gazetteer), with
 * an optional language-pack folder and topic model; NULL and errstr set
 * when it does not load. */
static nm_rules_t *load_mech(const char *dir, const char *rules_text, const char *packs,
                             const char *model_text, char *err, size_t errlen) {
    char *rp = nm_write_file(dir, "rules.conf", rules_text);
    char *mp = model_text ? nm_write_file(dir, "model.conf", model_text) : NULL;
    nm_rules_t *r = nm_rules_load(g_text,
                                  &(nm_rule_paths_t){NM_FIX("gazetteer.conf"), rp, packs, mp},
                                  err, errlen);
    free(rp);
    free(mp);
    return r;
}

#define MECH_RULES                                                                     \
    "[settings]\nrelevance_threshold = 1\ntopic_threshold = 1\n"                       \
    "[actor:ru]\nentities = country:russia\n[actor:kp]\nentities = country:north_korea\n" \
    "[topic:arms_transfer]\nname = Arms\nterms = artillery shell*\n"                   \
    "[topic:defense_treaty]\nname = Treaty\nterms = treaty\n"

/* A sentence that recalls context ("last year") weighs background_factor. */
static void test_background_sentences_weigh_less(void **state) {
    (void)state;
    char *dir = nm_tmpdir_new(), err[512] = "";
    nm_rules_t *r = load_mech(dir, MECH_RULES "[settings]\nbackground_factor = 0.5\n"
                                              "[background]\nterms = last year\n",
                              NULL, NULL, err, sizeof err);
    if (!r) fail_msg("%s", err);
    nm_tag_result_t t = tag_with(r, "", "Russia and North Korea traded artillery shells.", "en");
    assert_double_eq(t.score, 1.5); /* lead factor */
    t = tag_with(r, "", "Last year Russia and North Korea traded artillery shells.", "en");
    assert_double_eq(t.score, 0.75);
    /* only the sentence holding the cue */
    t = tag_with(r, "", "Last year was cold. Russia and North Korea traded artillery shells.", "en");
    assert_double_eq(t.score, 1.5);
    nm_rules_destroy(r);
    nm_tmpdir_rm(dir);
}

/* A secondary topic needs evidence in secondary_min_sentences sentences (or
 * the title, or a strong term); the best topic does not. */
static void test_secondary_topic_needs_sentences(void **state) {
    (void)state;
    char *dir = nm_tmpdir_new(), err[512] = "";
    nm_rules_t *r = load_mech(dir, MECH_RULES "[settings]\nsecondary_min_sentences = 2\n", NULL,
                              NULL, err, sizeof err);
    if (!r) fail_msg("%s", err);
    const char *one = "Russia and North Korea traded artillery shells. Russia and North Korea "
                      "moved artillery shells again. Russia and North Korea cited the treaty.";
    nm_tag_result_t t = tag_with(r, "", one, "en");
    assert_true(t.relevant);
    assert_int_equal(t.ntopics, 1);
    assert_null(topic_r(r, &t, "defense_treaty"));
    char two[512];
    snprintf(two, sizeof two, "%s Russia and North Korea ratified the treaty.", one);
    t = tag_with(r, "", two, "en");
    assert_int_equal(t.ntopics, 2);
    assert_non_null(topic_r(r, &t, "defense_treaty"));
    assert_int_equal(topic_r(r, &t, "defense_treaty")->sentences, 2);
    /* in the title it is salient */
    t = tag_with(r, "Treaty", one, "en");
    assert_non_null(topic_r(r, &t, "defense_treaty"));
    nm_rules_destroy(r);
    nm_tmpdir_rm(dir);
}

/* docs/RULES.md, language packs: a pack adds terms to existing entities and
 * topics, and may not define or change anything else. */
static void test_language_pack_adds_vocabulary(void **state) {
    (void)state;
    char *dir = nm_tmpdir_new(), err[512] = "";
    char packs[4200];
    snprintf(packs, sizeof packs, "%s/lang", dir);
    assert_int_equal(mkdir(packs, 0700), 0);
    free(nm_write_file(packs, "xx.conf",
                       "[language]\nname = Testish\n[country:north_korea]\nterms = nordlandia\n"
                       "[topic:arms_transfer]\nterms = bombix*\n[boilerplate]\nterms = lesen sie\n"));
    free(nm_write_file(packs, "README.txt", "not a pack\n"));
    nm_rules_t *r = load_mech(dir, MECH_RULES, packs, NULL, err, sizeof err);
    if (!r) fail_msg("%s", err);
    assert_string_equal(r->langs[r->nlangs - 1].code, "xx");
    assert_string_equal(r->langs[r->nlangs - 1].name, "Testish");
    nm_tag_result_t t = tag_with(r, "", "Russia and Nordlandia traded bombixes.\n"
                                        "Lesen sie: Russia and Nordlandia bombix deal", "xx");
    assert_true(t.relevant);
    assert_double_eq(t.score, 1.5); /* the boilerplate line adds nothing */
    assert_string_equal(t.topics[0].ev[0].rule, "lang/xx.conf:6");
    nm_rules_destroy(r);
    static const char *const bad[][2] = {
        {"[topic:nope]\nterms = x\n", "unknown topic [topic:nope]"},
        {"[country:atlantis]\nterms = x\n", "unknown entity [country:atlantis]"},
        {"[topic:arms_transfer]\nthreshold = 1\n", "holds only terms, strong and not"},
        {"[settings]\nstrong_weight = 9\n", "not allowed in a language pack"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        free(nm_write_file(packs, "xx.conf", bad[i][0]));
        assert_null(load_mech(dir, MECH_RULES, packs, NULL, err, sizeof err));
        if (!strstr(err, bad[i][1]) || !strstr(err, "xx.conf:"))
            fail_msg("pack %zu: error \"%s\" lacks \"%s\"", i, err, bad[i][1]);
    }
    nm_tmpdir_rm(dir);
}

/* The learned layer decides the secondary topics when a model is loaded;
 * the best topic always fires. */
static void test_topic_model_decides_secondary_topics(void **state) {
    (void)state;
    char *dir = nm_tmpdir_new(), err[512] = "";
    const char *head = "[topic_model]\nfeatures = log_score, share_of_best, is_best, "
                       "log_sentences, title, lead_share, log_strong, max_sentence_share, "
                       "joint_share, log_article_sentences, one\n"
                       "weights = 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0\nthreshold = 0.5\n[bias]\n";
    const char *text = "Russia and North Korea traded artillery shells. Russia and North Korea "
                       "moved artillery shells. Russia and North Korea cited the treaty.";
    char model[1024];
    for (int on = 0; on < 2; on++) {
        snprintf(model, sizeof model, "%sdefense_treaty = %s\n", head, on ? "5" : "-5");
        nm_rules_t *r = load_mech(dir, MECH_RULES, NULL, model, err, sizeof err);
        if (!r) fail_msg("%s", err);
        nm_tag_result_t t = tag_with(r, "", text, "en");
        assert_non_null(topic_r(r, &t, "arms_transfer"));
        assert_true((topic_r(r, &t, "defense_treaty") != NULL) == on);
        assert_true(t.candidates[1].prob > 0 && t.candidates[1].prob < 1);
        nm_rules_destroy(r);
    }
    /* a model trained on other inputs is refused */
    assert_null(load_mech(dir, MECH_RULES, NULL, "[topic_model]\nfeatures = a, b\n", err,
                          sizeof err));
    assert_non_null(strstr(err, "retrain the model"));
    snprintf(model, sizeof model, "%snope = 1\n", head);
    assert_null(load_mech(dir, MECH_RULES, NULL, model, err, sizeof err));
    assert_non_null(strstr(err, "unknown topic 'nope'"));
    nm_tmpdir_rm(dir);
}


#define MECH_ACTORS_RU_PLACE                                                           \
    "[settings]\nrelevance_threshold = 1\ntopic_threshold = 1\n"                       \
    "[actor:ru]\nentities = country:russia, place:moscow\n"                            \
    "[actor:kp]\nentities = country:north_korea\n"                                     \
    "[actor:third]\nentities = country:japan\n"                                        \
    "[topic:arms_transfer]\nname = Arms\nterms = artillery shell*, missile*\n"         \
    "[boilerplate]\nterms = photo\n"

/* A caption cue opening a whole article scraped onto one line makes only
 * its own sentence furniture when the line is longer than
 * boilerplate_max_line. */
static void test_long_line_after_a_caption_cue_is_text(void **state) {
    (void)state;
    char *dir = nm_tmpdir_new(), err[512] = "", body[1024];
    snprintf(body, sizeof body, "Photo: Agency pictures, Russia and North Korea archive. ");
    while (strlen(body) < 500) strcat(body, "Officials met in the capital to talk. ");
    strcat(body, "Russia and North Korea traded artillery shells.");
    for (int on = 0; on < 2; on++) {
        char rules[1024];
        snprintf(rules, sizeof rules, "%s[settings]\nboilerplate_max_line = %d\n",
                 MECH_ACTORS_RU_PLACE, on ? 400 : 0);
        nm_rules_t *r = load_mech(dir, rules, NULL, NULL, err, sizeof err);
        if (!r) fail_msg("%s", err);
        nm_tag_result_t t = tag_with(r, "", body, "en");
        assert_true(t.relevant == on);
        /* a short line after the cue stays furniture either way */
        t = tag_with(r, "", "Photo: Russia and North Korea traded artillery shells.", "en");
        assert_false(t.relevant);
        nm_rules_destroy(r);
    }
    nm_tmpdir_rm(dir);
}

/* A dateline ("MOSCOW (AP) -") names where a story was filed: its place is
 * no actor. */
static void test_dateline_place_is_no_actor(void **state) {
    (void)state;
    char *dir = nm_tmpdir_new(), err[512] = "";
    nm_rules_t *r = load_mech(dir, MECH_ACTORS_RU_PLACE, NULL, NULL, err, sizeof err);
    if (!r) fail_msg("%s", err);
    const char *filed[] = {"MOSCOW (AP) - North Korea fired a ballistic missile on Sunday.",
                           "Moscow, 3 June (Agency) North Korea fired missiles at sea.",
                           "MOSCOW \xe2\x80\x94 North Korea fired a missile into the sea."};
    for (size_t i = 0; i < sizeof filed / sizeof filed[0]; i++) {
        nm_tag_result_t t = tag_with(r, "", filed[i], "en");
        if (t.relevant) fail_msg("dateline taken as an actor: %s", filed[i]);
        assert_int_equal(t.nentities, 2); /* the place is still named */
    }
    /* the same place in the sentence is an actor */
    nm_tag_result_t t = tag_with(r, "", "North Korea sent missiles to Moscow - officials said.", "en");
    assert_true(t.relevant);
    t = tag_with(r, "", "Talks in Moscow: North Korea sent missiles.", "en");
    assert_true(t.relevant);
    nm_rules_destroy(r);
    nm_tmpdir_rm(dir);
}

/* Both sides and a third state named one after the other, at most list_gap
 * bytes apart ("Japan, North Korea and Russia"), are a list, not the dyad
 * acting together. */
static void test_short_list_with_a_third_state_is_no_pair(void **state) {
    (void)state;
    char *dir = nm_tmpdir_new(), err[512] = "";
    char rules[1024];
    snprintf(rules, sizeof rules, "%s[settings]\nlist_gap = 6\n", MECH_ACTORS_RU_PLACE);
    nm_rules_t *r = load_mech(dir, rules, NULL, NULL, err, sizeof err);
    if (!r) fail_msg("%s", err);
    nm_tag_result_t t = tag_with(r, "", "Sanctions hit Japan, North Korea and Russia, and "
                                        "missiles were tested.", "en");
    assert_false(t.relevant);
    /* without the third state, or when it is not in the list, the pair stands */
    t = tag_with(r, "", "Sanctions hit North Korea and Russia, and missiles were tested.", "en");
    assert_true(t.relevant);
    t = tag_with(r, "", "North Korea sent missiles to Russia, Japan said.", "en");
    assert_true(t.relevant);
    t = tag_with(r, "", "Russia and North Korea signed a missile deal as Japan protested.", "en");
    assert_true(t.relevant);
    nm_rules_destroy(r);
    nm_tmpdir_rm(dir);
}

/* docs/RULES.md, objects and moves: what moves ("missiles") and the
 * movement ("sold") are evidence only together, or beside a plain term,
 * in one paragraph. */
static void test_objects_and_moves_need_each_other(void **state) {
    (void)state;
    char *dir = nm_tmpdir_new(), err[512] = "";
    nm_rules_t *r = load_mech(dir,
                              "[settings]\nrelevance_threshold = 0.1\ntopic_threshold = 0.1\n"
                              "[actor:ru]\nentities = country:russia\n"
                              "[actor:kp]\nentities = country:north_korea\n"
                              "[topic:arms_transfer]\nname = Arms\nobjects = missiles\n"
                              "moves = sold\nterms = arms deal\n",
                              NULL, NULL, err, sizeof err);
    if (!r) fail_msg("%s", err);
    nm_tag_result_t t = tag_with(r, "", "Russia and North Korea tested missiles.", "en");
    assert_false(t.relevant);
    t = tag_with(r, "", "Russia and North Korea sold grain.", "en");
    assert_false(t.relevant);
    t = tag_with(r, "", "North Korea sold missiles to Russia.", "en");
    assert_true(t.relevant);
    assert_double_eq(t.score, 2 * 1.5);
    t = tag_with(r, "", "Russia and North Korea signed an arms deal. They discussed missiles.", "en");
    assert_double_eq(t.score, 1.5 + 0.6 * 1.5); /* the second sentence: paragraph context */
    /* another paragraph does not help */
    t = tag_with(r, "", "Russia and North Korea sold grain.\nRussia and North Korea tested missiles.",
                 "en");
    assert_false(t.relevant);
    nm_rules_destroy(r);
    nm_tmpdir_rm(dir);
}


/* One mention is one piece of evidence: overlapping terms of a topic count
 * once, as the longer; another topic's term on the same words still counts. */
static void test_overlapping_terms_of_a_topic_count_once(void **state) {
    (void)state;
    char *dir = nm_tmpdir_new(), err[512] = "";
    nm_rules_t *r = load_mech(dir, MECH_RULES "[topic:sanctions_un]\nname = UN\n"
                                              "terms = sanctions, un sanctions, un\n",
                              NULL, NULL, err, sizeof err);
    if (!r) fail_msg("%s", err);
    nm_tag_result_t t = tag_with(r, "", "Russia and North Korea breach UN sanctions.", "en");
    assert_double_eq(t.score, 1.5);
    assert_int_equal(topic_r(r, &t, "sanctions_un")->nev, 1);
    assert_string_equal(topic_r(r, &t, "sanctions_un")->ev[0].term, "un sanctions");
    nm_rules_destroy(r);
    r = load_mech(dir, MECH_RULES "[topic:sanctions_un]\nname = UN\nterms = treaty\n", NULL,
                  NULL, err, sizeof err);
    if (!r) fail_msg("%s", err);
    t = tag_with(r, "", "Russia and North Korea cite the treaty.", "en");
    assert_double_eq(t.score, 2 * 1.5); /* defense_treaty and sanctions_un */
    nm_rules_destroy(r);
    nm_tmpdir_rm(dir);
}


/* A stem term ("technology transfer*") covers the rest of its word, so
 * "transfers" inside "technology transfers" is not a second mention. */
static void test_stem_term_covers_its_whole_word(void **state) {
    (void)state;
    char *dir = nm_tmpdir_new(), err[512] = "";
    nm_rules_t *r = load_mech(dir, MECH_RULES "[topic:technology_transfer]\nname = Tech\n"
                                              "terms = technology transfer*, transfers\n",
                              NULL, NULL, err, sizeof err);
    if (!r) fail_msg("%s", err);
    nm_tag_result_t t = tag_with(r, "", "Russia and North Korea discuss technology transfers.", "en");
    assert_double_eq(t.score, 1.5);
    assert_int_equal(topic_r(r, &t, "technology_transfer")->nev, 1);
    assert_string_equal(topic_r(r, &t, "technology_transfer")->ev[0].term, "technology transfer*");
    /* the word ends at the space: "transfers" in the next word still counts */
    t = tag_with(r, "", "Russia and North Korea discuss technology transfer transfers.", "en");
    assert_double_eq(t.score, 2 * 1.5);
    nm_rules_destroy(r);
    nm_tmpdir_rm(dir);
}

/* A decisive phrase stated as news fires its topic below the threshold;
 * recalled as background, or with both sides only in the article, it is an
 * ordinary strong term. */
static void test_decisive_term_fires_its_topic(void **state) {
    (void)state;
    char *dir = nm_tmpdir_new(), err[512] = "";
    nm_rules_t *r = load_mech(dir, MECH_RULES "[settings]\nbackground_factor = 0.5\n"
                                              "[background]\nterms = last year\n"
                                              "[topic:technology_transfer]\nname = Tech\nthreshold = 50\n"
                                              "decisive = military technical cooperation\n",
                              NULL, NULL, err, sizeof err);
    if (!r) fail_msg("%s", err);
    int tech = nm_rules_topic_index(r, "technology_transfer");
    const char *body = "Russia and North Korea signed a treaty. A treaty it is, Russia said of "
                       "North Korea. Russia does not rule out military technical cooperation "
                       "with North Korea, the president said.";
    nm_tag_result_t t = tag_with(r, "", body, "en");
    assert_true(t.relevant);
    const nm_topic_tag_t *tt = topic_r(r, &t, "technology_transfer");
    assert_non_null(tt);
    assert_int_equal(tt->ndecisive, 1);
    assert_true(tt->score < 50);
    /* the same phrase recalled as background does not decide */
    t = tag_with(r, "", "Russia and North Korea signed a treaty. A treaty it is, Russia said of "
                        "North Korea. Last year Russia offered military technical cooperation "
                        "to North Korea.",
                 "en");
    assert_true(t.relevant);
    assert_null(topic_r(r, &t, "technology_transfer"));
    for (int k = 0; k < t.ncandidates; k++)
        if (t.candidates[k].topic == tech) assert_int_equal(t.candidates[k].ndecisive, 0);
    /* nor does it when only the article as a whole names both sides */
    t = tag_with(r, "", "Russia and North Korea signed a treaty. A treaty it is, Russia said of "
                        "North Korea.\nThe minister praised military technical cooperation.",
                 "en");
    assert_true(t.relevant);
    assert_null(topic_r(r, &t, "technology_transfer"));
    nm_rules_destroy(r);
    /* a language pack may list its language's decisive phrases */
    char packs[4200];
    snprintf(packs, sizeof packs, "%s/lang", dir);
    assert_int_equal(mkdir(packs, 0700), 0);
    free(nm_write_file(packs, "xx.conf", "[topic:technology_transfer]\ndecisive = tekno kerja\n"));
    r = load_mech(dir, MECH_RULES "[topic:technology_transfer]\nname = Tech\nthreshold = 50\n",
                  packs, NULL, err, sizeof err);
    if (!r) fail_msg("%s", err);
    t = tag_with(r, "", "Russia and North Korea signed a treaty. A treaty it is, Russia said of "
                        "North Korea. Russia offers tekno kerja to North Korea.",
                 "en");
    assert_non_null(topic_r(r, &t, "technology_transfer"));
    nm_rules_destroy(r);
    nm_tmpdir_rm(dir);
}

/* An object and a movement of a topic in one sentence naming both sides
 * state a claim ("North Korea supplied missiles to Russia"): claim_weight
 * (x position) once; not in a background sentence, nor split over sentences. */
static void test_claim_in_one_sentence(void **state) {
    (void)state;
    char *dir = nm_tmpdir_new(), err[512] = "";
    nm_rules_t *r = load_mech(dir, MECH_RULES "[settings]\nclaim_weight = 2\nbackground_factor = 0.5\n"
                                              "[background]\nterms = last year\n"
                                              "[topic:sanctions_un]\nname = UN\n"
                                              "objects = missiles\nmoves = supplied\n",
                              NULL, NULL, err, sizeof err);
    if (!r) fail_msg("%s", err);
    /* lead x1.5: (1 + 1) x 1.5 for the hits, 2 x 1.5 for the claim */
    nm_tag_result_t t =
        tag_with(r, "", "North Korea supplied missiles and more missiles to Russia.", "en");
    assert_double_eq(t.score, 2 * 1.5 + 1.5 + 2 * 1.5);
    t = tag_with(r, "", "Last year North Korea supplied missiles to Russia.", "en");
    assert_double_eq(t.score, 2 * 1.5 * 0.5);
    /* both kinds in the paragraph, but no sentence with both and both sides */
    t = tag_with(r, "", "North Korea supplied them. Russia got missiles.", "en");
    assert_double_eq(t.score, 2 * 1.5 * 0.6);
    nm_rules_destroy(r);
    nm_tmpdir_rm(dir);
}

/* An organisation's `not` phrases name other bodies: a topic term inside
 * one ("national security council") is no evidence. */
static void test_no_topic_evidence_inside_an_organisations_not_phrase(void **state) {
    (void)state;
    char *dir = nm_tmpdir_new(), err[512] = "";
    char *gp = nm_write_file(dir, "gazetteer.conf",
                             "[country:russia]\nname = Russia\nterms = russia\n"
                             "[country:north_korea]\nname = North Korea\nterms = north korea\n"
                             "[org:un_security_council]\nname = UNSC\nterms = security council\n"
                             "not = national security council\n");
    char *rp = nm_write_file(dir, "rules.conf", MECH_RULES "[topic:sanctions_un]\nname = UN\n"
                                                "terms = security council\n");
    nm_rules_t *r = nm_rules_load(g_text, &(nm_rule_paths_t){gp, rp, NULL, NULL}, err, sizeof err);
    if (!r) fail_msg("%s", err);
    nm_tag_result_t t = tag_with(r, "", "Russia and North Korea went to the security council.", "en");
    assert_double_eq(t.score, 1.5);
    t = tag_with(r, "", "Russia and North Korea met the national security council.", "en");
    assert_double_eq(t.score, 0);
    nm_rules_destroy(r);
    free(gp);
    free(rp);
    nm_tmpdir_rm(dir);
}


/* The same words listed twice (a pack repeating a core name, "veto" and
 * "veto*") are one mention. */
static void test_duplicate_terms_are_one_mention(void **state) {
    (void)state;
    char *dir = nm_tmpdir_new(), err[512] = "", packs[4200];
    snprintf(packs, sizeof packs, "%s/lang", dir);
    assert_int_equal(mkdir(packs, 0700), 0);
    free(nm_write_file(packs, "xx.conf", "[country:north_korea]\nterms = north korea, north kor*\n"
                                         "[negative]\nstrong = tourists, touris*\n"));
    nm_rules_t *r = load_mech(dir, MECH_RULES "[negative]\nstrong = tourists\n", packs, NULL,
                              err, sizeof err);
    if (!r) fail_msg("%s", err);
    nm_tag_result_t t = tag_with(r, "", "Russia and North Korea traded artillery shells.", "en");
    int kp = nm_rules_entity_index(r, "country:north_korea");
    for (int i = 0; i < t.nentities; i++)
        if (t.entities[i].entity == kp) assert_int_equal(t.entities[i].mentions, 1);
    t = tag_with(r, "", "Russia and North Korea traded artillery shells with tourists.", "en");
    assert_double_eq(t.neg, 2 * 1.5); /* one strong (x2) negative hit, in the lead */
    nm_rules_destroy(r);
    nm_tmpdir_rm(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_relevant_english_article_score_and_topics),
        cmocka_unit_test(test_evidence_points_into_original_text),
        cmocka_unit_test(test_evidence_offsets_with_html_and_multibyte),
        cmocka_unit_test(test_north_korea_only_missile_story_not_relevant),
        cmocka_unit_test(test_russia_ukraine_only_story_not_relevant),
        cmocka_unit_test(test_boilerplate_line_does_not_drive_relevance),
        cmocka_unit_test(test_cue_alone_on_a_line_heads_the_next_line),
        cmocka_unit_test(test_title_repeated_in_body_is_boilerplate),
        cmocka_unit_test(test_context_factors),
        cmocka_unit_test(test_relevance_requires_joint_sentence_or_paragraph),
        cmocka_unit_test(test_max_term_hits_and_strong_weight),
        cmocka_unit_test(test_negative_cues_and_topic_not_phrases),
        cmocka_unit_test(test_topics_only_on_relevant_articles),
        cmocka_unit_test(test_relevant_in_every_language_with_detection),
        cmocka_unit_test(test_language_detection_edge_cases),
        cmocka_unit_test(test_workspace_reuse_is_stable),
        cmocka_unit_test(test_garbage_input_never_crashes),
        cmocka_unit_test(test_background_sentences_weigh_less),
        cmocka_unit_test(test_secondary_topic_needs_sentences),
        cmocka_unit_test(test_language_pack_adds_vocabulary),
        cmocka_unit_test(test_topic_model_decides_secondary_topics),
        cmocka_unit_test(test_long_line_after_a_caption_cue_is_text),
        cmocka_unit_test(test_dateline_place_is_no_actor),
        cmocka_unit_test(test_short_list_with_a_third_state_is_no_pair),
        cmocka_unit_test(test_objects_and_moves_need_each_other),
        cmocka_unit_test(test_overlapping_terms_of_a_topic_count_once),
        cmocka_unit_test(test_stem_term_covers_its_whole_word),
        cmocka_unit_test(test_decisive_term_fires_its_topic),
        cmocka_unit_test(test_claim_in_one_sentence),
        cmocka_unit_test(test_no_topic_evidence_inside_an_organisations_not_phrase),
        cmocka_unit_test(test_duplicate_terms_are_one_mention),
    };
    return cmocka_run_group_tests_name("nm_tagger", tests, nm_fixture_setup, nm_fixture_teardown);
}
