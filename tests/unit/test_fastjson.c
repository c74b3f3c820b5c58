/* test_fastjson.c - nm_fastjson: the simdjson fast path's three verdicts.
 * (That they agree with jansson on every input is fuzz_fastjson's job.) */
#include "nm_test_util.h"

#include "nm_fastjson.h"

static const char *const KEYS[] = {"title", "body", "lang", "id"};
#define NK 4

static nm_fastjson_rc_t fj(const char *json, size_t max_depth, nm_fastjson_field_t *f) {
    return nm_fastjson_object(json, strlen(json), max_depth, KEYS, NK, f);
}

static void test_article_takes_the_fast_path(void **state) {
    (void)state;
    nm_fastjson_field_t f[NK];
    const char *json = "{\"title\":\"Kim \\u00e9 \\ud83d\\ude00\",\"body\":\"a\\nb\\\"c\","
                       "\"lang\":null,\"id\":7,\"extra\":{\"n\":[1,-2.5e3,true]}}";
    assert_int_equal(fj(json, 32, f), NM_FASTJSON_OK);
    assert_int_equal(f[0].type, NM_FASTJSON_STRING);
    assert_int_equal(f[0].len, strlen("Kim \xC3\xA9 \xF0\x9F\x98\x80"));
    assert_string_equal(f[0].str, "Kim \xC3\xA9 \xF0\x9F\x98\x80");
    assert_int_equal(f[1].type, NM_FASTJSON_STRING);
    assert_string_equal(f[1].str, "a\nb\"c");
    assert_int_equal(f[2].type, NM_FASTJSON_NULL);
    assert_int_equal(f[3].type, NM_FASTJSON_OTHER);
    /* absent members */
    assert_int_equal(fj("{\"x\":1}", 32, f), NM_FASTJSON_OK);
    for (int i = 0; i < NK; i++) assert_int_equal(f[i].type, NM_FASTJSON_ABSENT);
}

static void test_what_jansson_rejects_is_invalid(void **state) {
    (void)state;
    nm_fastjson_field_t f[NK];
    static const char *const bad[] = {
        "",                                  /* empty */
        "{\"title\":\"a\"",                  /* unclosed */
        "{\"title\":\"a\"} x",               /* trailing content */
        "\"a string\"",                      /* scalar top level */
        "{\"a\":1,\"a\":2}",                 /* duplicate member */
        "{\"x\":{\"\\u0061\":1,\"a\":2}}",   /* duplicate after unescaping, nested */
        "{\"title\":\"a\\u0000b\"}",         /* NUL escape (no JSON_ALLOW_NUL) */
        "{\"title\":\"a\\udc00\"}",          /* unpaired low surrogate */
        "{\"title\":\"a\\ud800\"}",          /* unpaired high surrogate */
        "{\"n\":9223372036854775808}",       /* above long long */
        "{\"title\":\"\xFF\"}",              /* invalid UTF-8 */
        "{\"title\":\"a\x01\"}",             /* raw control character */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (fj(bad[i], 32, f) != NM_FASTJSON_INVALID) fail_msg("not INVALID: %s", bad[i]);
}

static void test_declined_cases(void **state) {
    (void)state;
    nm_fastjson_field_t f[NK];
    /* depth: the top-level object is 1, like the article limit */
    assert_int_equal(fj("{\"a\":[{}]}", 3, f), NM_FASTJSON_OK);
    assert_int_equal(fj("{\"a\":[{}]}", 2, f), NM_FASTJSON_DECLINED);
    assert_int_equal(fj("{\"a\":[[]]}", 2, f), NM_FASTJSON_DECLINED);
    assert_int_equal(fj("[{\"title\":\"a\"}]", 32, f), NM_FASTJSON_DECLINED);
    assert_int_equal(nm_fastjson_object("{\"a\":1\0}", 8, 32, KEYS, NK, f), NM_FASTJSON_DECLINED);
    /* 33 members */
    char wide[512] = "{";
    for (int i = 0; i < 33; i++)
        snprintf(wide + strlen(wide), sizeof wide - strlen(wide), "%s\"k%d\":%d", i ? "," : "", i, i);
    strcat(wide, "}");
    assert_int_equal(fj(wide, 32, f), NM_FASTJSON_DECLINED);
    char *last = strrchr(wide, ','); /* drop the 33rd member */
    last[0] = '}';
    last[1] = '\0';
    assert_int_equal(fj(wide, 32, f), NM_FASTJSON_OK);
    /* a message over 1 MiB */
    size_t n = (1u << 20) + 64;
    char *big = malloc(n + 1);
    assert_non_null(big);
    memset(big, ' ', n);
    memcpy(big, "{\"body\":\"b\"}", 12);
    big[n] = '\0';
    assert_int_equal(fj(big, 32, f), NM_FASTJSON_DECLINED);
    assert_int_equal(nm_fastjson_object(big, 1u << 20, 32, KEYS, NK, f), NM_FASTJSON_OK);
    assert_string_equal(f[1].str, "b");
    free(big);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_article_takes_the_fast_path),
        cmocka_unit_test(test_what_jansson_rejects_is_invalid),
        cmocka_unit_test(test_declined_cases),
    };
    return cmocka_run_group_tests_name("nm_fastjson", tests, NULL, NULL);
}
