/* test_surge.c - the surge rule (nm_surge_decide) on its edge cases, alert
 * ids, and the bucket time from published_at. The Lua twin of the rule is
 * checked against these same cases in test_counts.c (real Redis). */
#include "nm_test_util.h"

#include "nm_surge.h"

static nm_surge_params_t P(void) {
    nm_surge_params_t p;
    nm_surge_defaults(&p); /* min 5, ratio 5, baseline 72 h, cool-down 6 h, history 24 h */
    return p;
}

static nm_surge_verdict_t decide(double count, double bsum, long history, long nearest) {
    nm_surge_params_t p = P();
    nm_surge_input_t in = {count, bsum, history, nearest};
    return nm_surge_decide(&p, &in);
}

static void test_empty_baseline(void **state) {
    (void)state;
    /* a key never seen before: baseline 0, ratio = count + 1 */
    assert_int_equal(decide(5, 0, 100, -1), NM_SURGE_FIRES);
    assert_int_equal(decide(4, 0, 100, -1), NM_SURGE_TOO_FEW);
    assert_true(nm_surge_ratio(5, 0, 72) == 6.0);
}

static void test_first_hour(void **state) {
    (void)state;
    /* the first hours of the counts: every baseline is empty, nothing fires */
    assert_int_equal(decide(50, 0, 0, -1), NM_SURGE_NO_HISTORY);
    assert_int_equal(decide(50, 0, 23, -1), NM_SURGE_NO_HISTORY);
    assert_int_equal(decide(50, 0, 24, -1), NM_SURGE_FIRES);
    nm_surge_params_t p = P();
    p.min_history_hours = 0;
    nm_surge_input_t in = {50, 0, 0, -1};
    assert_int_equal(nm_surge_decide(&p, &in), NM_SURGE_FIRES);
}

static void test_ratio_boundary(void **state) {
    (void)state;
    /* baseline mean 1 (72 over 72 h): (9 + 1) / 2 = 5 fires, 8 does not */
    assert_int_equal(decide(9, 72, 100, -1), NM_SURGE_FIRES);
    assert_int_equal(decide(8, 72, 100, -1), NM_SURGE_BELOW_RATIO);
    /* a steady busy key: 20 an hour against a mean of 10 is only 1.9x */
    assert_int_equal(decide(20, 720, 100, -1), NM_SURGE_BELOW_RATIO);
    /* fractional baseline: mean 0.5 -> needs (c + 1) >= 7.5 */
    assert_int_equal(decide(6, 36, 100, -1), NM_SURGE_BELOW_RATIO);
    assert_int_equal(decide(7, 36, 100, -1), NM_SURGE_FIRES);
}

static void test_cooldown(void **state) {
    (void)state;
    /* a surge of the key 5 h before (or after: late data) blocks; 6 h does not */
    assert_int_equal(decide(30, 0, 100, 5), NM_SURGE_COOLING);
    assert_int_equal(decide(30, 0, 100, 1), NM_SURGE_COOLING);
    assert_int_equal(decide(30, 0, 100, 6), NM_SURGE_FIRES);
    /* the same hour fired already (any rules version): never twice */
    assert_int_equal(decide(30, 0, 100, 0), NM_SURGE_COOLING);
    /* the cheap tests come first: too few wins over cooling */
    assert_int_equal(decide(2, 0, 100, 0), NM_SURGE_TOO_FEW);
}

static void test_late_data(void **state) {
    (void)state;
    /* late articles for a past hour: its count grows from below to above
     * the threshold, so the re-evaluation fires; late articles for the hours
     * before it raise its baseline, which can keep it quiet */
    assert_int_equal(decide(4, 0, 100, -1), NM_SURGE_TOO_FEW);
    assert_int_equal(decide(6, 0, 100, -1), NM_SURGE_FIRES);
    assert_int_equal(decide(6, 72, 100, -1), NM_SURGE_BELOW_RATIO);
}

static void test_alert_id(void **state) {
    (void)state;
    char a[20], b[20], c[20], d[20], e[20];
    nm_surge_alert_id(NM_SURGE_ENTITY, "weapon:kn23", "2026112301", "r-1", a);
    nm_surge_alert_id(NM_SURGE_ENTITY, "weapon:kn23", "2026112301", "r-1", b);
    nm_surge_alert_id(NM_SURGE_ENTITY, "weapon:kn23", "2026112302", "r-1", c);
    nm_surge_alert_id(NM_SURGE_TOPIC, "weapon:kn23", "2026112301", "r-1", d);
    nm_surge_alert_id(NM_SURGE_ENTITY, "weapon:kn23", "2026112301", "r-2", e);
    assert_string_equal(a, b);
    assert_int_equal(strlen(a), 19);
    assert_memory_equal(a, "sg-", 3);
    assert_string_not_equal(a, c);
    assert_string_not_equal(a, d);
    assert_string_not_equal(a, e);
    /* the parts are separated: "ab"+"c" is not "a"+"bc" */
    nm_surge_alert_id(NM_SURGE_ENTITY, "ab", "c", "r", b);
    nm_surge_alert_id(NM_SURGE_ENTITY, "a", "bc", "r", c);
    assert_string_not_equal(b, c);
    assert_string_equal(nm_surge_count_base(NM_SURGE_PAIR, 0), "pair:articles");
    assert_string_equal(nm_surge_count_base(NM_SURGE_ENTITY, 1), "entity:stories");
    assert_string_equal(nm_surge_count_unit(1), "stories");
}

static void test_parse_time(void **state) {
    (void)state;
    time_t t;
    assert_int_equal(nm_surge_parse_time("2026-11-23T01:23:08Z", &t), 0);
    assert_int_equal((long long)t, 1795396988LL);
    assert_int_equal(nm_surge_parse_time("2026-11-23T10:23:08.250+09:00", &t), 0);
    assert_int_equal((long long)t, 1795396988LL);
    assert_int_equal(nm_surge_parse_time("2026-11-22T20:23:08-0500", &t), 0);
    assert_int_equal((long long)t, 1795396988LL);
    assert_int_equal(nm_surge_parse_time("2026-11-23 01:23:08", &t), 0);
    assert_int_equal((long long)t, 1795396988LL);
    assert_int_equal(nm_surge_parse_time("2026-11-23", &t), 0);
    assert_int_equal((long long)t, 1795392000LL);
    assert_int_equal(nm_surge_parse_time("2026-11-23T01:23Z", &t), 0);
    assert_int_equal((long long)t, 1795396980LL);
    const char *bad[] = {"", "yesterday", "2026-13-01", "2026-11-23T25:00:00Z", "2026-11-23T01:23:08Zjunk",
                         "2026/11/23", "2026-11-23T01", NULL};
    for (int i = 0; bad[i]; i++) assert_int_equal(nm_surge_parse_time(bad[i], &t), -1);
    assert_int_equal(nm_surge_parse_time(NULL, &t), -1);
}

static void test_bucket_time(void **state) {
    (void)state;
    nm_surge_window_t w = {30 * 86400L, 3600};
    time_t kafka = 1795396988; /* 2026-11-23T01:23:08Z */
    int used;
    /* ten days earlier: a replayed archive keeps its own hours */
    assert_int_equal((long long)nm_surge_bucket_time("2026-11-13T05:00:00Z", kafka, &w, &used),
                     1794546000LL);
    assert_int_equal(used, 1);
    char h[11];
    nm_surge_hour(nm_surge_bucket_time("2026-11-13T05:59:59Z", kafka, &w, &used), h);
    assert_string_equal(h, "2026111305");
    /* too old (a 2024 sample), in the future, missing or garbage: Kafka's time */
    assert_int_equal((long long)nm_surge_bucket_time("2024-06-19T09:00:00Z", kafka, &w, &used),
                     (long long)kafka);
    assert_int_equal(used, 0);
    assert_int_equal((long long)nm_surge_bucket_time("2026-11-23T03:00:00Z", kafka, &w, &used),
                     (long long)kafka);
    assert_int_equal(used, 0);
    assert_int_equal((long long)nm_surge_bucket_time("2026-11-23T02:00:00Z", kafka, &w, &used),
                     1795399200LL);
    assert_int_equal(used, 1);
    assert_int_equal((long long)nm_surge_bucket_time(NULL, kafka, &w, &used), (long long)kafka);
    assert_int_equal((long long)nm_surge_bucket_time("soon", kafka, &w, &used), (long long)kafka);
    assert_int_equal(used, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_baseline), cmocka_unit_test(test_first_hour),
        cmocka_unit_test(test_ratio_boundary), cmocka_unit_test(test_cooldown),
        cmocka_unit_test(test_late_data),      cmocka_unit_test(test_alert_id),
        cmocka_unit_test(test_parse_time),     cmocka_unit_test(test_bucket_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
