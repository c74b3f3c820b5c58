/* test_event.c - nm_event: enriched event and alert JSON. */
#include "nm_test_util.h"

#include <time.h>

#include "nm_event.h"
#include "nm_story.h"

static const nm_article_limits_t LIM = {1 << 20, 1 << 20, 32};

static void parse_and_tag(const char *json, nm_article_t *a, nm_tag_result_t *res) {
    char reason[256] = "";
    nm_err_t rc = nm_article_parse(json, strlen(json), &LIM, a, reason, sizeof reason);
    if (rc) fail_msg("parse: %s", reason);
    assert_int_equal(nm_tagger_tag(g_rules, g_ws, a->title, a->title_len, a->body, a->body_len,
                                   a->lang, res), NM_OK);
}

/* The writers' output must parse as JSON; tests then inspect the tree. */
static json_t *parsed(const nm_jbuf_t *b) {
    json_error_t je;
    json_t *j = json_loadb(b->s, b->len, 0, &je);
    if (!j) fail_msg("event is not valid JSON: %s in %s", je.text, b->s);
    return j;
}

static json_t *enriched_json(const nm_article_t *a, const nm_tag_result_t *res,
                             nm_body_mode_t body, const char *at) {
    nm_jbuf_t b;
    nm_jbuf_init(&b);
    assert_int_equal(nm_event_enriched(&b, a, g_rules, res, body, at), NM_OK);
    json_t *j = parsed(&b);
    nm_jbuf_free(&b);
    return j;
}

static json_t *alert_json(const nm_article_t *a, const nm_tag_result_t *res,
                          nm_alert_form_t form, const char *at) {
    nm_jbuf_t b;
    nm_jbuf_init(&b);
    assert_int_equal(nm_event_alert(&b, a, g_rules, res, form, at), NM_OK);
    json_t *j = parsed(&b);
    nm_jbuf_free(&b);
    return j;
}

static const char *REL =
    "{\"id\":\"art-1\",\"url\":\"https://n.example/1\",\"source\":\"Example News\","
    "\"published_at\":\"2024-06-19T10:00:00Z\","
    "\"title\":\"North Korea sends artillery shells to Russia\","
    "\"body\":\"Pyongyang has shipped artillery shells to Russia, officials said.\\n"
    "The munitions were used in Ukraine.\"}";

static const char *sget(json_t *o, const char *k) {
    json_t *v = json_object_get(o, k);
    if (!json_is_string(v)) fail_msg("field '%s' is not a string", k);
    return json_string_value(v);
}

/* The enriched event has no story (the daemon's events have none yet);
 * nm_event_add_story adds one as {id, first_article, copy}, keeping every
 * other member. */
static void test_story_added_to_the_event(void **state) {
    (void)state;
    nm_article_t a;
    nm_tag_result_t res;
    parse_and_tag(REL, &a, &res);
    nm_jbuf_t ev, out;
    nm_jbuf_init(&ev);
    nm_jbuf_init(&out);
    assert_int_equal(nm_event_enriched(&ev, &a, g_rules, &res, NM_BODY_INCLUDE,
                                       "2026-01-01T00:00:00.000Z"), NM_OK);
    json_t *plain = parsed(&ev);
    assert_null(json_object_get(plain, "story"));
    nm_story_t st = {.id = "s-0123456789abcdef", .first_article = "wire \"1\"", .copy = true};
    assert_int_equal(nm_event_add_story(&out, ev.s, ev.len, &st), NM_OK);
    assert_int_equal(out.s[out.len], '\0');
    json_t *j = parsed(&out), *o = json_object_get(j, "story");
    assert_true(json_is_object(o));
    assert_int_equal(json_object_size(o), 3);
    assert_string_equal(sget(o, "id"), "s-0123456789abcdef");
    assert_string_equal(sget(o, "first_article"), "wire \"1\"");
    assert_true(json_is_true(json_object_get(o, "copy")));
    assert_true(json_object_del(j, "story") == 0);
    assert_true(json_equal(j, plain));
    json_decref(j);
    st.copy = false;
    assert_int_equal(nm_event_add_story(&out, ev.s, ev.len, &st), NM_OK);
    j = parsed(&out);
    assert_true(json_is_false(json_object_get(json_object_get(j, "story"), "copy")));
    json_decref(j);
    /* the event less its '}', then the tail: the same bytes, without a copy */
    nm_jbuf_t tail;
    nm_jbuf_init(&tail);
    assert_int_equal(nm_event_story_tail(&tail, &st), NM_OK);
    assert_int_equal(tail.s[tail.len], '\0');
    assert_int_equal(ev.len - 1 + tail.len, out.len);
    assert_memory_equal(out.s, ev.s, ev.len - 1);
    assert_memory_equal(out.s + ev.len - 1, tail.s, tail.len);
    nm_jbuf_free(&tail);
    assert_int_equal(nm_event_add_story(&out, "[1]", 3, &st), NM_ERR_INPUT);
    assert_int_equal(nm_event_add_story(&out, "", 0, &st), NM_ERR_INPUT);
    json_decref(plain);
    nm_jbuf_free(&ev);
    nm_jbuf_free(&out);
    nm_article_clear(&a);
}

static void test_enriched_event_fields(void **state) {
    (void)state;
    nm_article_t a;
    nm_tag_result_t res;
    parse_and_tag(REL, &a, &res);
    json_t *ev = enriched_json(&a, &res, NM_BODY_INCLUDE, "2024-06-19T10:00:01.000Z");
    assert_non_null(ev);
    assert_string_equal(sget(ev, "id"), "art-1");
    assert_string_equal(sget(ev, "url"), "https://n.example/1");
    assert_string_equal(sget(ev, "source"), "Example News");
    assert_string_equal(sget(ev, "published_at"), "2024-06-19T10:00:00Z");
    assert_string_equal(sget(ev, "title"), "North Korea sends artillery shells to Russia");
    assert_string_equal(sget(ev, "body"), a.body);
    assert_true(json_is_true(json_object_get(ev, "relevant")));
    assert_true(json_is_number(json_object_get(ev, "score")));
    assert_double_eq(json_number_value(json_object_get(ev, "score")), 3.8);
    assert_string_equal(sget(ev, "lang"), "en");
    assert_string_equal(sget(ev, "processed_at"), "2024-06-19T10:00:01.000Z");
    assert_string_equal(sget(ev, "newsmon_version"), NEWSMON_VERSION);
    assert_string_equal(sget(ev, "rules_version"), g_rules->version);
    assert_null(json_object_get(ev, "utf8_repaired"));

    json_t *topics = json_object_get(ev, "topics");
    assert_true(json_is_array(topics));
    assert_int_equal(json_array_size(topics), 1);
    json_t *t = json_array_get(topics, 0);
    assert_string_equal(sget(t, "id"), "arms_transfer");
    assert_double_eq(json_number_value(json_object_get(t, "score")), 3.8);
    json_t *evs = json_object_get(t, "evidence");
    assert_int_equal(json_array_size(evs), 3);
    size_t i;
    json_t *e;
    json_array_foreach(evs, i, e) {
        assert_int_equal(json_object_size(e), 5);
        const char *field = sget(e, "field");
        assert_true(strcmp(field, "title") == 0 || strcmp(field, "body") == 0);
        const char *text = strcmp(field, "title") == 0 ? a.title : a.body;
        json_int_t off = json_integer_value(json_object_get(e, "offset"));
        assert_true(json_is_integer(json_object_get(e, "offset")));
        const char *term = sget(e, "term");
        const char *rule = sget(e, "rule");
        const char *snip = sget(e, "snippet");
        assert_memory_equal(rule, "rules.conf:", 11);
        if (strcmp(term, "artillery shell*") == 0)
            assert_memory_equal(text + off, "artillery", 9);
        else
            assert_memory_equal(text + off, "munitions", 9);
        assert_non_null(strstr(snip, strcmp(term, "munition*") ? "artillery" : "munitions"));
        assert_null(strchr(snip, '\n')); /* newlines become spaces */
    }

    json_t *ents = json_object_get(ev, "entities");
    assert_int_equal(json_array_size(ents), 4);
    json_t *first = json_array_get(ents, 0);
    assert_string_equal(sget(first, "id"), "country:russia");
    assert_string_equal(sget(first, "name"), "Russia");
    assert_string_equal(sget(first, "type"), "country");
    assert_int_equal(json_integer_value(json_object_get(first, "mentions")), 2);
    json_t *fev = json_object_get(first, "evidence");
    assert_true(json_is_array(fev));
    assert_int_equal(json_array_size(fev), 1);
    assert_string_equal(sget(json_array_get(fev, 0), "field"), "title");
    assert_string_equal(sget(json_array_get(fev, 0), "rule"), "gazetteer.conf:5");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(fev, 0), "offset")),
                     strstr(a.title, "Russia") - a.title);

    /* the event serialises */
    char *s = json_dumps(ev, JSON_COMPACT);
    assert_non_null(s);
    free(s);
    json_decref(ev);
    nm_article_clear(&a);
}

static void test_enriched_without_body_and_not_relevant(void **state) {
    (void)state;
    nm_article_t a;
    nm_tag_result_t res;
    parse_and_tag("{\"title\":\"North Korea fires missile\",\"body\":\"Pyongyang launched "
                  "a ballistic missile.\",\"lang\":\"en\"}", &a, &res);
    json_t *ev = enriched_json(&a, &res, NM_BODY_EXCLUDE, "t");
    assert_non_null(ev);
    assert_null(json_object_get(ev, "body"));
    assert_null(json_object_get(ev, "url"));     /* absent input fields stay absent */
    assert_null(json_object_get(ev, "source"));
    assert_string_equal(sget(ev, "id"), a.id);
    assert_memory_equal(sget(ev, "id"), "h-", 2);
    assert_true(json_is_false(json_object_get(ev, "relevant")));
    assert_double_eq(json_number_value(json_object_get(ev, "score")), 0.0);
    assert_int_equal(json_array_size(json_object_get(ev, "topics")), 0);
    assert_int_equal(json_array_size(json_object_get(ev, "entities")), 2);
    json_decref(ev);
    nm_article_clear(&a);
}

static void test_enriched_marks_utf8_repair(void **state) {
    (void)state;
    nm_article_t a;
    nm_tag_result_t res;
    parse_and_tag("{\"title\":\"Bad \xFF byte\",\"body\":\"Russia\"}", &a, &res);
    json_t *ev = enriched_json(&a, &res, NM_BODY_INCLUDE, "t");
    assert_true(json_is_true(json_object_get(ev, "utf8_repaired")));
    assert_string_equal(sget(ev, "title"), "Bad \xEF\xBF\xBD byte");
    json_decref(ev);
    nm_article_clear(&a);
}

static void test_alert_is_compact(void **state) {
    (void)state;
    nm_article_t a;
    nm_tag_result_t res;
    parse_and_tag(REL, &a, &res);
    json_t *al = alert_json(&a, &res, NM_ALERT_TOPIC_IDS, "2024-06-19T10:00:01.000Z");
    assert_non_null(al);
    assert_string_equal(sget(al, "id"), "art-1");
    assert_string_equal(sget(al, "url"), "https://n.example/1");
    assert_string_equal(sget(al, "source"), "Example News");
    assert_string_equal(sget(al, "title"), a.title);
    assert_string_equal(sget(al, "lang"), "en");
    assert_string_equal(sget(al, "published_at"), "2024-06-19T10:00:00Z");
    assert_double_eq(json_number_value(json_object_get(al, "score")), 3.8);
    assert_string_equal(sget(al, "processed_at"), "2024-06-19T10:00:01.000Z");
    assert_string_equal(sget(al, "rules_version"), g_rules->version);
    json_t *topics = json_object_get(al, "topics");
    assert_int_equal(json_array_size(topics), 1);
    assert_string_equal(json_string_value(json_array_get(topics, 0)), "arms_transfer");
    json_t *ents = json_object_get(al, "entities");
    assert_int_equal(json_array_size(ents), 4);
    assert_string_equal(json_string_value(json_array_get(ents, 0)), "country:russia");
    /* compact: no body, no evidence, no per-article bulk */
    assert_null(json_object_get(al, "body"));
    assert_null(json_object_get(al, "relevant"));
    assert_null(json_object_get(al, "newsmon_version"));
    char *s = json_dumps(al, JSON_COMPACT);
    assert_non_null(s);
    assert_null(strstr(s, "evidence"));
    assert_null(strstr(s, "snippet"));
    free(s);
    json_decref(al);
    nm_article_clear(&a);
}

/* The recent-alerts record: the same alert with the topics' evidence, so a
 * dashboard can show why without reading the enriched event. */
static void test_alert_record_has_topic_evidence(void **state) {
    (void)state;
    nm_article_t a;
    nm_tag_result_t res;
    parse_and_tag(REL, &a, &res);
    json_t *al = alert_json(&a, &res, NM_ALERT_TOPIC_EVIDENCE, "2024-06-19T10:00:01.000Z");
    assert_string_equal(sget(al, "id"), "art-1");
    assert_string_equal(sget(al, "url"), "https://n.example/1");
    assert_string_equal(sget(al, "title"), a.title);
    json_t *topics = json_object_get(al, "topics");
    assert_int_equal(json_array_size(topics), 1);
    json_t *t = json_array_get(topics, 0);
    assert_string_equal(sget(t, "id"), "arms_transfer");
    json_t *evs = json_object_get(t, "evidence");
    assert_int_equal(json_array_size(evs), 3);
    assert_non_null(strstr(sget(json_array_get(evs, 0), "snippet"), "artillery"));
    assert_null(json_object_get(al, "body"));
    json_decref(al);
    nm_article_clear(&a);
}

/* The snippet is the original text around the hit; when the whole field is
 * shorter than the snippet window it is the whole field. */
static void test_snippet_keeps_last_multibyte_char(void **state) {
    (void)state;
    nm_article_t a;
    nm_tag_result_t res;
    parse_and_tag("{\"title\":\"\",\"body\":\"북한은 러시아에 포탄\",\"lang\":\"ko\"}", &a,
                  &res);
    assert_true(res.nentities >= 1);
    json_t *ev = enriched_json(&a, &res, NM_BODY_INCLUDE, "t");
    json_t *ents = json_object_get(ev, "entities");
    json_t *e0 = json_array_get(json_object_get(json_array_get(ents, 0), "evidence"), 0);
    char got[256];
    snprintf(got, sizeof got, "%s", sget(e0, "snippet"));
    json_decref(ev);
    nm_article_clear(&a);
    assert_string_equal(got, "북한은 러시아에 포탄");
}

static void test_snippet_is_cut_to_valid_utf8(void **state) {
    (void)state;
    /* a long body: the snippet window cuts inside multi-byte text */
    char json[4096];
    size_t n = (size_t)snprintf(json, sizeof json, "{\"title\":\"\",\"body\":\"");
    for (int i = 0; i < 40; i++) n += (size_t)snprintf(json + n, sizeof json - n, "가나다 ");
    n += (size_t)snprintf(json + n, sizeof json - n, "북한은 ");
    for (int i = 0; i < 40; i++) n += (size_t)snprintf(json + n, sizeof json - n, "라마바 ");
    snprintf(json + n, sizeof json - n, "\"}");
    nm_article_t a;
    nm_tag_result_t res;
    parse_and_tag(json, &a, &res);
    json_t *ev = enriched_json(&a, &res, NM_BODY_EXCLUDE, "t");
    json_t *e0 = json_array_get(
        json_object_get(json_array_get(json_object_get(ev, "entities"), 0), "evidence"), 0);
    const char *snip = sget(e0, "snippet");
    assert_non_null(strstr(snip, "북한은"));
    assert_true(nm_article_utf8_valid(snip, strlen(snip)));
    assert_true(strlen(snip) < 200);
    json_decref(ev);
    nm_article_clear(&a);
}

static void test_event_now_format(void **state) {
    (void)state;
    char buf[32];
    nm_event_now(buf);
    assert_int_equal(strlen(buf), 24);
    assert_int_equal(buf[4], '-');
    assert_int_equal(buf[7], '-');
    assert_int_equal(buf[10], 'T');
    assert_int_equal(buf[13], ':');
    assert_int_equal(buf[16], ':');
    assert_int_equal(buf[19], '.');
    assert_int_equal(buf[23], 'Z');
    assert_true(strncmp(buf, "2024", 4) >= 0);
    /* the digits are the time now, as strftime writes it */
    for (int tries = 0;; tries++) {
        time_t before = time(NULL);
        nm_event_now(buf);
        time_t after = time(NULL);
        if (before != after && tries < 5) continue; /* a second ticked: again */
        struct tm tm;
        gmtime_r(&before, &tm);
        char want[32];
        strftime(want, sizeof want, "%Y-%m-%dT%H:%M:%S.", &tm);
        assert_memory_equal(buf, want, 20);
        assert_true(buf[20] >= '0' && buf[20] <= '9' && buf[21] >= '0' && buf[21] <= '9' &&
                    buf[22] >= '0' && buf[22] <= '9');
        break;
    }
}

/* Scores are written as "%.3f" prints them (without printf in the common
 * case): halves that are exact in binary round to even, near-halves by the
 * exact value, and random values, small and large. */
static void test_score_matches_printf(void **state) {
    (void)state;
    nm_article_t a;
    nm_tag_result_t res;
    parse_and_tag(REL, &a, &res);
    double fixed[] = {0, 1e-9, 0.0005, 0.0015, 0.0625, 0.1875, 2.675, 1.0005, 0.1235,
                      12.3455, 999.9995, 3.8, 0.9999999, 123456.7895, 1e7, 5e15, -0.0,
                      -1.5, 0.4995, 7.0625};
    unsigned seed = 7;
    nm_jbuf_t b;
    nm_jbuf_init(&b);
    for (int i = 0; i < 20000; i++) {
        double v;
        if (i < (int)(sizeof fixed / sizeof fixed[0])) {
            v = fixed[i];
        } else {
            seed = seed * 1103515245u + 12345u;
            double u = (seed >> 8) / (double)(1u << 24);
            v = i % 3 == 0 ? u : i % 3 == 1 ? u * 50 : (seed % 40000) / 8192.0; /* exact halves */
        }
        res.score = v;
        b.len = 0;
        assert_int_equal(nm_event_enriched(&b, &a, g_rules, &res, NM_BODY_EXCLUDE, "t"), NM_OK);
        char want[80], *at = strstr(b.s, "\"relevant\":true,\"score\":");
        assert_non_null(at);
        at += strlen("\"relevant\":true,\"score\":");
        int n = snprintf(want, sizeof want, "%.3f", v);
        if (strncmp(at, want, (size_t)n) || at[n] != ',')
            fail_msg("score %.17g: wrote %.24s, printf %s", v, at, want);
    }
    nm_jbuf_free(&b);
    nm_article_clear(&a);
}

/* Every ASCII byte, at every position of two 16-byte blocks and the tail
 * after them, survives the escaping: the event parses back to the same
 * title. */
static void test_escape_every_byte_and_position(void **state) {
    (void)state;
    for (int c = 1; c < 0x80; c++)
        for (int at = 0; at < 40; at++) {
            char title[48];
            memset(title, 'a', 40);
            title[40] = '\0';
            title[at] = (char)c;
            json_t *in = json_pack("{s:s, s:s}", "title", title, "body", "Body.");
            char *text = json_dumps(in, 0);
            nm_article_t a;
            nm_tag_result_t res;
            parse_and_tag(text, &a, &res);
            json_t *ev = enriched_json(&a, &res, NM_BODY_INCLUDE, "t");
            assert_string_equal(sget(ev, "title"), a.title);
            json_decref(ev);
            nm_article_clear(&a);
            free(text);
            json_decref(in);
        }
}

/* Escapes are written as before the writer wrote them by hand: \" \\ \n
 * \r \t, and \u00xx (printf's \u%04x) for the other bytes below 0x20;
 * in snippets newlines and tabs are spaces. Checked byte for byte, for
 * every such byte, alone and among 40 plain bytes (the 16-byte steps and
 * the tail). */
static void test_escapes_are_exact(void **state) {
    (void)state;
    for (int c = 1; c < 0x80; c++) {
        char want[8];
        if (c == '"' || c == '\\') snprintf(want, sizeof want, "\\%c", c);
        else if (c == '\n') strcpy(want, "\\n");
        else if (c == '\r') strcpy(want, "\\r");
        else if (c == '\t') strcpy(want, "\\t");
        else if (c < 0x20) snprintf(want, sizeof want, "\\u%04x", c);
        else snprintf(want, sizeof want, "%c", c);
        for (int at = 0; at < 41; at += 13) {
            char title[48], expect[128];
            memset(title, 'a', 40);
            title[40] = '\0';
            title[at < 40 ? at : 0] = (char)c;
            snprintf(expect, sizeof expect, ",\"title\":\"%.*s%s%s\"", at < 40 ? at : 0, title, want,
                     title + (at < 40 ? at : 0) + 1);
            json_t *in = json_pack("{s:s, s:s}", "title", title, "body", "Body.");
            char *text = json_dumps(in, 0);
            nm_article_t a;
            nm_tag_result_t res;
            parse_and_tag(text, &a, &res);
            nm_jbuf_t b;
            nm_jbuf_init(&b);
            assert_int_equal(nm_event_enriched(&b, &a, g_rules, &res, NM_BODY_INCLUDE, "t"), NM_OK);
            if (!strstr(b.s, expect)) fail_msg("byte 0x%02x at %d: expected %s in %s", c, at, expect, b.s);
            nm_jbuf_free(&b);
            nm_article_clear(&a);
            free(text);
            json_decref(in);
        }
    }
}

/* Summaries are appended to one buffer, absent fields left out. */
static void test_summary_appends(void **state) {
    (void)state;
    nm_article_t a;
    nm_tag_result_t res;
    parse_and_tag(REL, &a, &res);
    nm_jbuf_t b;
    nm_jbuf_init(&b);
    assert_int_equal(nm_event_summary(&b, &a), NM_OK);
    assert_int_equal(nm_event_summary(&b, &a), NM_OK);
    const char *one = "{\"id\":\"art-1\",\"title\":\"North Korea sends artillery shells to Russia\","
                      "\"url\":\"https://n.example/1\",\"source\":\"Example News\","
                      "\"published_at\":\"2024-06-19T10:00:00Z\"}";
    char want[512];
    snprintf(want, sizeof want, "%s%s", one, one);
    assert_string_equal(b.s, want);
    nm_jbuf_free(&b);
    nm_article_clear(&a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_enriched_event_fields),
        cmocka_unit_test(test_story_added_to_the_event),
        cmocka_unit_test(test_enriched_without_body_and_not_relevant),
        cmocka_unit_test(test_enriched_marks_utf8_repair),
        cmocka_unit_test(test_alert_is_compact),
        cmocka_unit_test(test_alert_record_has_topic_evidence),
        cmocka_unit_test(test_snippet_keeps_last_multibyte_char),
        cmocka_unit_test(test_snippet_is_cut_to_valid_utf8),
        cmocka_unit_test(test_event_now_format),
        cmocka_unit_test(test_score_matches_printf),
        cmocka_unit_test(test_escape_every_byte_and_position),
        cmocka_unit_test(test_escapes_are_exact),
        cmocka_unit_test(test_summary_appends),
    };
    return cmocka_run_group_tests_name("nm_event", tests, nm_fixture_setup, nm_fixture_teardown);
}
