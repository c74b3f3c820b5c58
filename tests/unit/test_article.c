/* test_article.c - nm_article: parsing, validation, limits, id derivation. */
#include "nm_test_util.h"

#include <time.h>

#include "nm_article.h"

static const nm_article_limits_t LIM = {4194304, 2097152, 32};

static nm_err_t parse(const char *json, nm_article_t *a, char *reason) {
    return nm_article_parse(json, strlen(json), &LIM, a, reason, 256);
}

#define EXPECT_REJECT(json, code, reason_part)                                         \
    do {                                                                               \
        nm_article_t a_;                                                               \
        char r_[256] = "";                                                             \
        nm_err_t rc_ = parse((json), &a_, r_);                                         \
        if (rc_ != (code)) fail_msg("%s: rc %d, expected %d (%s)", (json), rc_, (code), r_); \
        if (!strstr(r_, (reason_part)))                                                \
            fail_msg("%s: reason \"%s\" lacks \"%s\"", (json), r_, (reason_part));     \
        nm_article_clear(&a_);                                                         \
    } while (0)

static void test_valid_article(void **state) {
    (void)state;
    nm_article_t a;
    char reason[256] = "";
    const char *json = "{\"id\":\"a1\",\"url\":\"https://x.example/1\",\"source\":\"Example\","
                       "\"lang\":\"en\",\"published_at\":\"2024-06-19T10:00:00Z\","
                       "\"title\":\"Kim meets Putin\",\"body\":\"Body text \\u00e9 \\n ok\","
                       "\"extra\":{\"nested\":[1,2,3]}}";
    assert_int_equal(parse(json, &a, reason), NM_OK);
    assert_string_equal(a.id, "a1");
    assert_string_equal(a.url, "https://x.example/1");
    assert_string_equal(a.source, "Example");
    assert_string_equal(a.lang, "en");
    assert_string_equal(a.published_at, "2024-06-19T10:00:00Z");
    assert_string_equal(a.title, "Kim meets Putin");
    assert_int_equal(a.title_len, 15);
    assert_string_equal(a.body, "Body text \xC3\xA9 \n ok");
    assert_int_equal(a.body_len, strlen("Body text \xC3\xA9 \n ok"));
    assert_int_equal(a.utf8_repaired, 0);
    assert_non_null(a.strings);
    nm_article_clear(&a);
    assert_null(a.strings);
    assert_null(a.title);
    /* optional fields may be null or absent; an empty body with a title is fine */
    assert_int_equal(parse("{\"title\":\"T\",\"body\":\"\",\"url\":null,\"lang\":null}", &a,
                           reason), NM_OK);
    assert_null(a.url);
    assert_null(a.lang);
    assert_int_equal(a.body_len, 0);
    nm_article_clear(&a);
}

static void test_id_derivation(void **state) {
    (void)state;
    nm_article_t a;
    char reason[256], want[32];
    /* from the url */
    assert_int_equal(parse("{\"url\":\"https://n.example/a\",\"title\":\"T\",\"body\":\"B\"}",
                           &a, reason), NM_OK);
    snprintf(want, sizeof want, "u-%016llx",
             nm_article_hash("https://n.example/a", strlen("https://n.example/a"), 0));
    assert_string_equal(a.id, want);
    assert_int_equal(strlen(a.id), 18);
    nm_article_clear(&a);
    /* an empty url falls through to the content hash */
    assert_int_equal(parse("{\"url\":\"\",\"title\":\"T\",\"body\":\"B\"}", &a, reason), NM_OK);
    unsigned long long h = nm_article_hash("T", 1, 0);
    h = nm_article_hash("\n", 1, h);
    h = nm_article_hash("B", 1, h);
    snprintf(want, sizeof want, "h-%016llx", h);
    assert_string_equal(a.id, want);
    nm_article_clear(&a);
    /* the same content always gives the same id; title/body boundary matters */
    assert_int_equal(parse("{\"title\":\"T\",\"body\":\"B\"}", &a, reason), NM_OK);
    assert_string_equal(a.id, want);
    nm_article_clear(&a);
    assert_int_equal(parse("{\"title\":\"TB\",\"body\":\"\"}", &a, reason), NM_OK);
    assert_string_not_equal(a.id, want);
    nm_article_clear(&a);
    /* FNV-1a 64 reference values */
    assert_true(nm_article_hash("", 0, 0) == 14695981039346656037ULL);
    assert_true(nm_article_hash("a", 1, 0) == 0xaf63dc4c8601ec8cULL);
    /* an explicit id wins, and must be 1..256 bytes */
    assert_int_equal(parse("{\"id\":\"x\",\"url\":\"u\",\"title\":\"T\",\"body\":\"B\"}", &a,
                           reason), NM_OK);
    assert_string_equal(a.id, "x");
    nm_article_clear(&a);
    EXPECT_REJECT("{\"id\":\"\",\"title\":\"T\",\"body\":\"B\"}", NM_ERR_INPUT,
                  "field 'id' must be 1 to 256 bytes");
    char big[400];
    snprintf(big, sizeof big, "{\"id\":\"%0257d\",\"title\":\"T\",\"body\":\"B\"}", 0);
    EXPECT_REJECT(big, NM_ERR_INPUT, "field 'id' must be 1 to 256 bytes");
    EXPECT_REJECT("{\"id\":7,\"title\":\"T\",\"body\":\"B\"}", NM_ERR_INPUT,
                  "field 'id' is not a string");
}

static void test_missing_fields_and_wrong_types(void **state) {
    (void)state;
    EXPECT_REJECT("{\"body\":\"B\"}", NM_ERR_INPUT, "missing field 'title'");
    EXPECT_REJECT("{\"title\":\"T\"}", NM_ERR_INPUT, "missing field 'body'");
    EXPECT_REJECT("{\"title\":null,\"body\":\"B\"}", NM_ERR_INPUT, "missing field 'title'");
    EXPECT_REJECT("{\"title\":\"\",\"body\":\"\"}", NM_ERR_INPUT, "empty title and body");
    EXPECT_REJECT("{\"title\":5,\"body\":\"B\"}", NM_ERR_INPUT, "field 'title' is not a string");
    EXPECT_REJECT("{\"title\":\"T\",\"body\":[\"B\"]}", NM_ERR_INPUT,
                  "field 'body' is not a string");
    EXPECT_REJECT("{\"title\":\"T\",\"body\":\"B\",\"url\":{}}", NM_ERR_INPUT,
                  "field 'url' is not a string");
    EXPECT_REJECT("{\"title\":\"T\",\"body\":\"B\",\"lang\":true}", NM_ERR_INPUT,
                  "field 'lang' is not a string");
    EXPECT_REJECT("{\"title\":\"T\",\"body\":\"B\",\"source\":1.5}", NM_ERR_INPUT,
                  "field 'source' is not a string");
    EXPECT_REJECT("{\"title\":\"T\",\"body\":\"B\",\"published_at\":0}", NM_ERR_INPUT,
                  "field 'published_at' is not a string");
}

static void test_malformed_json(void **state) {
    (void)state;
    EXPECT_REJECT("{\"title\":\"T\",\"body\":\"B\"", NM_ERR_INPUT, "malformed JSON");
    EXPECT_REJECT("{title:\"T\"}", NM_ERR_INPUT, "malformed JSON");
    EXPECT_REJECT("not json", NM_ERR_INPUT, "malformed JSON");
    EXPECT_REJECT("{\"title\":\"T\",\"body\":\"B\"} trailing", NM_ERR_INPUT, "malformed JSON");
    EXPECT_REJECT("{\"title\":\"T\",\"title\":\"U\",\"body\":\"B\"}", NM_ERR_INPUT,
                  "malformed JSON");                                   /* duplicate key */
    EXPECT_REJECT("{\"title\":\"T\",\"body\":\"B\\x\"}", NM_ERR_INPUT, "malformed JSON");
    EXPECT_REJECT("[{\"title\":\"T\",\"body\":\"B\"}]", NM_ERR_INPUT,
                  "top level is not a JSON object");
    /* top-level scalars are refused by the JSON parser itself */
    EXPECT_REJECT("\"just a string\"", NM_ERR_INPUT, "malformed JSON");
    EXPECT_REJECT("42", NM_ERR_INPUT, "malformed JSON");
    nm_article_t a;
    char reason[256] = "";
    assert_int_equal(nm_article_parse("", 0, &LIM, &a, reason, sizeof reason), NM_ERR_INPUT);
    assert_string_equal(reason, "empty message");
    nm_article_clear(&a);
    assert_int_equal(nm_article_parse(NULL, 0, &LIM, &a, reason, sizeof reason), NM_ERR_INPUT);
    nm_article_clear(&a);
}

static void test_nul_escape_in_string_rejected(void **state) {
    (void)state;
    EXPECT_REJECT("{\"title\":\"T\\u0000x\",\"body\":\"B\"}", NM_ERR_INPUT, "malformed JSON");
    EXPECT_REJECT("{\"title\":\"T\",\"body\":\"B\\u0000\"}", NM_ERR_INPUT, "malformed JSON");
    EXPECT_REJECT("{\"id\":\"a\\u0000b\",\"title\":\"T\",\"body\":\"B\"}", NM_ERR_INPUT, "");
    /* a raw NUL byte in the message is not JSON either */
    nm_article_t a;
    char reason[256] = "";
    const char raw[] = "{\"title\":\"T\0\",\"body\":\"B\"}";
    assert_int_equal(nm_article_parse(raw, sizeof raw - 1, &LIM, &a, reason, sizeof reason),
                     NM_ERR_INPUT);
    nm_article_clear(&a);
}

static void test_deep_nesting_rejected_fast(void **state) {
    (void)state;
    size_t n = 100000;
    char *buf = malloc(2 * n + 64);
    assert_non_null(buf);
    memset(buf, '[', n);
    nm_article_t a;
    char reason[256] = "";
    clock_t t0 = clock();
    assert_int_equal(nm_article_parse(buf, n, &LIM, &a, reason, sizeof reason), NM_ERR_LIMIT);
    assert_non_null(strstr(reason, "JSON nested deeper than max_json_depth 32"));
    nm_article_clear(&a);
    /* inside an object, balanced, and with '{' */
    size_t k = (size_t)sprintf(buf, "{\"title\":\"T\",\"body\":\"B\",\"x\":");
    for (size_t i = 0; i < n / 2; i++) buf[k++] = i % 2 ? '{' : '[';
    buf[k] = '\0';
    assert_int_equal(nm_article_parse(buf, k, &LIM, &a, reason, sizeof reason), NM_ERR_LIMIT);
    nm_article_clear(&a);
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    assert_true(secs < 2.0); /* generous for valgrind; natively it is ~1 ms */
    /* exactly at the limit is fine; brackets inside strings do not count */
    nm_article_limits_t lim = LIM;
    lim.max_depth = 3;
    const char *ok = "{\"title\":\"[[[[[{{{{\",\"body\":\"\\\"[[[[\",\"x\":[[1]]}";
    assert_int_equal(nm_article_parse(ok, strlen(ok), &lim, &a, reason, sizeof reason), NM_OK);
    nm_article_clear(&a);
    const char *deep = "{\"title\":\"T\",\"body\":\"B\",\"x\":[[[1]]]}";
    assert_int_equal(nm_article_parse(deep, strlen(deep), &lim, &a, reason, sizeof reason),
                     NM_ERR_LIMIT);
    nm_article_clear(&a);
    free(buf);
}

static void test_size_limits(void **state) {
    (void)state;
    nm_article_limits_t lim = {64, 10, 32};
    nm_article_t a;
    char reason[256] = "";
    const char *big = "{\"title\":\"T\",\"body\":\"0123456789012345678901234567890123456789"
                      "0123456789\"}";
    assert_int_equal(nm_article_parse(big, strlen(big), &lim, &a, reason, sizeof reason),
                     NM_ERR_LIMIT);
    assert_non_null(strstr(reason, "exceeds max_message_bytes 64"));
    nm_article_clear(&a);
    const char *body11 = "{\"title\":\"T\",\"body\":\"01234567890\"}";
    assert_int_equal(nm_article_parse(body11, strlen(body11), &lim, &a, reason, sizeof reason),
                     NM_ERR_LIMIT);
    assert_non_null(strstr(reason, "body of 11 bytes exceeds max_body_bytes 10"));
    nm_article_clear(&a);
    const char *body10 = "{\"title\":\"T\",\"body\":\"0123456789\"}";
    assert_int_equal(nm_article_parse(body10, strlen(body10), &lim, &a, reason, sizeof reason),
                     NM_OK);
    nm_article_clear(&a);
}

static void test_invalid_utf8_repaired(void **state) {
    (void)state;
    nm_article_t a;
    char reason[256] = "";
    const char *json = "{\"title\":\"Cor\xE9" "e\",\"body\":\"ok \xFF\xFE end \xE4\xB8\"}";
    assert_int_equal(parse(json, &a, reason), NM_OK);
    assert_int_equal(a.utf8_repaired, 1);
    assert_string_equal(a.title, "Cor\xEF\xBF\xBD" "e");
    assert_string_equal(a.body, "ok \xEF\xBF\xBD\xEF\xBF\xBD end \xEF\xBF\xBD\xEF\xBF\xBD");
    assert_true(nm_article_utf8_valid(a.body, a.body_len));
    nm_article_clear(&a);
    /* valid UTF-8 is left alone */
    assert_int_equal(parse("{\"title\":\"북한\",\"body\":\"\xF0\x9F\x98\x80\"}", &a, reason),
                     NM_OK);
    assert_int_equal(a.utf8_repaired, 0);
    nm_article_clear(&a);
}

static void test_utf8_helpers(void **state) {
    (void)state;
    assert_true(nm_article_utf8_valid("", 0));
    assert_true(nm_article_utf8_valid("a\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80", 10));
    assert_false(nm_article_utf8_valid("\xC0\xAF", 2));             /* overlong */
    assert_false(nm_article_utf8_valid("\xE0\x80\xAF", 3));         /* overlong */
    assert_false(nm_article_utf8_valid("\xED\xA0\x80", 3));         /* surrogate */
    assert_false(nm_article_utf8_valid("\xF4\x90\x80\x80", 4));     /* > U+10FFFF */
    assert_false(nm_article_utf8_valid("\xF5\x80\x80\x80", 4));
    assert_false(nm_article_utf8_valid("\xE4\xB8", 2));             /* truncated */
    assert_false(nm_article_utf8_valid("\x80", 1));
    size_t n;
    char *r = nm_article_utf8_repair("a\xFF" "b\xE4\xB8", 5, &n);
    assert_non_null(r);
    assert_int_equal(n, 1 + 3 + 1 + 6);
    assert_string_equal(r, "a\xEF\xBF\xBD" "b\xEF\xBF\xBD\xEF\xBF\xBD");
    free(r);
    r = nm_article_utf8_repair("", 0, &n);
    assert_non_null(r);
    assert_int_equal(n, 0);
    assert_string_equal(r, "");
    free(r);
}

static void test_article_reuse_after_error(void **state) {
    (void)state;
    nm_article_t a;
    char reason[256];
    assert_int_equal(parse("{\"title\":5,\"body\":\"B\"}", &a, reason), NM_ERR_INPUT);
    nm_article_clear(&a);
    assert_int_equal(parse("{\"title\":\"\xFF\",\"body\":\"B\"}", &a, reason), NM_OK);
    nm_article_clear(&a);
    assert_int_equal(parse("{\"title\":\"T\",\"body\":\"B\"}", &a, reason), NM_OK);
    assert_int_equal(a.utf8_repaired, 0);
    assert_null(a.repaired);
    nm_article_clear(&a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_article),
        cmocka_unit_test(test_id_derivation),
        cmocka_unit_test(test_missing_fields_and_wrong_types),
        cmocka_unit_test(test_malformed_json),
        cmocka_unit_test(test_nul_escape_in_string_rejected),
        cmocka_unit_test(test_deep_nesting_rejected_fast),
        cmocka_unit_test(test_size_limits),
        cmocka_unit_test(test_invalid_utf8_repaired),
        cmocka_unit_test(test_utf8_helpers),
        cmocka_unit_test(test_article_reuse_after_error),
    };
    return cmocka_run_group_tests_name("nm_article", tests, NULL, NULL);
}
