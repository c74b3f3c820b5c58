/* test_stories.c - nm_stories_decide, the daemon's story decision, from
 * what a lookup found (no Redis): copies in the batch and in the window,
 * the alert once per story, redeliveries, ties by order of indexing. */
#include "nm_test_util.h"

#include "nm_stories.h"

/* A signature of `shingles` shingles whose bins hold base + bin (two
 * signatures of one base are the same text; another base shares no bin). */
static nm_story_sig_t sig(uint32_t base) {
    nm_story_sig_t s = {.shingles = 100};
    for (int b = 0; b < NM_STORY_BINS; b++) s.min[b] = base * 1000u + (uint32_t)b;
    return s;
}

static const char *const T1[] = {"arms_transfer"};
static const char *const T12[] = {"arms_transfer", "sanctions_un"};

static char g_e[256];

static void test_copies_in_the_batch_alert_once(void **state) {
    (void)state;
    nm_story_sig_t a = sig(1), b = sig(2);
    nm_stories_in_t in[] = {{"a1", &a, 1, T1}, {"a2", &a, 1, T1}, {"b1", &b, 0, NULL},
                            {"a3", &a, 2, T12}};
    char *dec[4] = {0};
    nm_counts_found_t f = {.decision = dec, .n = 4};
    nm_stories_out_t out[4];
    nm_stories_t *S = nm_stories_new();
    assert_non_null(S);
    assert_int_equal(
        nm_stories_decide(S, in, 4, &f, "2026120100", NULL, out, g_e, sizeof g_e),
        NM_OK);
    nm_story_t want;
    assert_int_equal(nm_story_of("a1", "a1", &want), NM_OK);
    assert_string_equal(out[0].story.id, want.id);
    assert_false(out[0].story.copy);
    assert_true(out[0].counts.starts);
    assert_int_equal(out[0].alert, 1);
    assert_string_equal(out[0].counts.alerted, ",arms_transfer,");
    assert_string_equal(out[0].counts.decision, "S20261201000,arms_transfer,\n"); /* itself */
    /* the copy later in the batch: same story, no alert (no topic added) */
    assert_string_equal(out[1].story.id, want.id);
    assert_true(out[1].story.copy);
    assert_false(out[1].counts.starts);
    assert_int_equal(out[1].alert, 0);
    assert_string_equal(out[1].counts.alerted, "");
    assert_string_equal(out[1].counts.decision, "S20261201001,\na1");
    assert_string_equal(out[1].counts.first_hour, "2026120100");
    /* another text: its own story; it would not alert */
    assert_string_equal(out[2].story.first_article, "b1");
    assert_false(out[2].story.copy);
    assert_int_equal(out[2].alert, 0);
    /* a copy adding a topic alerts on that topic only */
    assert_string_equal(out[3].story.first_article, "a1");
    assert_int_equal(out[3].alert, 2);
    assert_string_equal(out[3].counts.alerted, ",sanctions_un,");
    assert_ptr_equal(out[3].counts.sig, &a);
    nm_stories_destroy(S);
}

static void test_window_candidates_redeliveries_and_ties(void **state) {
    (void)state;
    nm_story_sig_t a = sig(1), b = sig(2), none = {.shingles = 0};
    /* the window: x1 (seq 9) and y1 (seq 3) have the same text, so a copy
     * ties between them: the one indexed first (y1) wins, whatever the
     * order found; y1's story alerted on arms_transfer already */
    nm_counts_candidate_t cand[] = {
        {.seq = 9, .first_hour = "2026113023", .sig = a, .first_article = "x1", .alerted = ","},
        {.seq = 3, .first_hour = "2026113022", .sig = a, .first_article = "y1",
         .alerted = ",arms_transfer,"},
        {.seq = 5, .first_hour = "2026113021", .sig = b, .first_article = "w1", .alerted = ","}};
    char d_re[] = "S20261130221,sanctions_un,\ny1", d_old[] = "1", d_self[] = "S20261130210,\n";
    char *dec[] = {NULL, d_re, d_old, NULL, NULL, d_self};
    nm_counts_found_t f = {.decision = dec, .n = 6, .cand = cand, .ncand = 3};
    nm_stories_in_t in[] = {{"c1", &a, 2, T12}, {"c0", &a, 2, T12}, {"old", &b, 1, T1},
                            {"c2", &b, 0, NULL}, {"e1", &none, 1, T1}, {"w9", &b, 1, T1}};
    nm_stories_out_t out[6];
    nm_stories_t *S = nm_stories_new();
    assert_non_null(S);
    for (int run = 0; run < 2; run++) { /* the same again: deterministic, reusable */
        assert_int_equal(nm_stories_decide(S, in, 6, &f, "2026120100", NULL, out, g_e, sizeof g_e),
                         NM_OK);
        assert_string_equal(out[0].story.first_article, "y1");
        assert_true(out[0].story.copy);
        assert_string_equal(out[0].counts.first_hour, "2026113022");
        assert_int_equal(out[0].alert, 2); /* sanctions_un only: arms_transfer alerted */
        /* a redelivery: its stored story and alert, whatever the window says */
        assert_true(out[1].redelivered);
        assert_string_equal(out[1].story.first_article, "y1");
        assert_int_equal(out[1].alert, 2);
        /* counted before stories ("1"): its own story, its alert as then */
        assert_true(out[2].redelivered);
        assert_string_equal(out[2].story.first_article, "old");
        assert_int_equal(out[2].alert, 1);
        /* a copy of w1's text */
        assert_string_equal(out[3].story.first_article, "w1");
        /* no text: a story of its own, and it alerts */
        assert_string_equal(out[4].story.first_article, "e1");
        assert_true(out[4].counts.starts);
        assert_int_equal(out[4].alert, 1);
        /* a redelivered first article: its decision names no first article */
        assert_true(out[5].redelivered);
        assert_string_equal(out[5].story.first_article, "w9");
        assert_false(out[5].story.copy);
        assert_int_equal(out[5].alert, 0);
    }
    f.n = 4; /* found for another batch: refused */
    assert_int_not_equal(nm_stories_decide(S, in, 6, &f, "2026120100", NULL, out, g_e, sizeof g_e),
                         NM_OK);
    nm_stories_destroy(S);
}

/* A batch decided while the batch before it is not counted yet
 * (nm_stories_decide's prev) gets what it would get after those counts: the
 * earlier batch's articles as candidates, its decisions for a redelivery,
 * its stories' alerted topics. The reference is the lookup's answer once
 * the counts script has run: the same window plus the earlier batch's
 * records and "!" fields. */
static void test_following_a_batch_not_counted_yet(void **state) {
    (void)state;
    nm_story_sig_t a = sig(1), p = sig(3), q = sig(4), none = {.shingles = 0};
    char al_y[] = ",arms_transfer,";
    nm_counts_candidate_t win[] = {
        {.seq = 3, .first_hour = "2026113022", .sig = a, .first_article = "y1", .alerted = al_y}};
    char *dec_a[3] = {0};
    nm_counts_found_t fa = {.decision = dec_a, .n = 3, .cand = win, .ncand = 1};
    /* p1 starts a story and alerts; c1 copies y1 and adds sanctions_un; e1
     * has no text (no band: not indexed) */
    nm_stories_in_t in_a[] = {{"p1", &p, 1, T1}, {"c1", &a, 2, T12}, {"e1", &none, 1, T1}};
    nm_stories_out_t out_a[3];
    nm_stories_t *SA = nm_stories_new(), *SB = nm_stories_new(), *SR = nm_stories_new();
    assert_true(SA && SB && SR);
    assert_int_equal(
        nm_stories_decide(SA, in_a, 3, &fa, "2026120100", NULL, out_a, g_e, sizeof g_e), NM_OK);
    assert_int_equal(out_a[1].alert, 2);

    /* the next batch: p1 again, a copy of p1 adding a topic, a copy of y1
     * whose topics its story alerted on (one of them in batch A), new text */
    nm_stories_in_t in_b[] = {{"p1", &p, 1, T1}, {"p2", &p, 2, T12}, {"c2", &a, 2, T12},
                              {"q1", &q, 1, T1}};
    nm_stories_out_t out_b[4], out_r[4];
    char *dec_stale[4] = {0};
    nm_counts_found_t stale = {.decision = dec_stale, .n = 4, .cand = win, .ncand = 1};
    assert_int_equal(
        nm_stories_decide(SB, in_b, 4, &stale, "2026120101", SA, out_b, g_e, sizeof g_e), NM_OK);

    /* what the lookup finds after batch A's counts */
    char al_y2[] = ",arms_transfer,sanctions_un,", al_p[] = ",arms_transfer,";
    char d_p1[128];
    snprintf(d_p1, sizeof d_p1, "%s", out_a[0].counts.decision);
    nm_counts_candidate_t after[] = {
        {.seq = 3, .first_hour = "2026113022", .sig = a, .first_article = "y1", .alerted = al_y2},
        {.seq = 10, .first_hour = "2026120100", .sig = p, .first_article = "p1", .alerted = al_p},
        {.seq = 11, .first_hour = "2026113022", .sig = a, .first_article = "y1", .alerted = al_y2}};
    char *dec_after[4] = {d_p1, NULL, NULL, NULL};
    nm_counts_found_t fr = {.decision = dec_after, .n = 4, .cand = after, .ncand = 3};
    assert_int_equal(
        nm_stories_decide(SR, in_b, 4, &fr, "2026120101", NULL, out_r, g_e, sizeof g_e), NM_OK);
    for (int i = 0; i < 4; i++) {
        assert_string_equal(out_b[i].story.id, out_r[i].story.id);
        assert_string_equal(out_b[i].story.first_article, out_r[i].story.first_article);
        assert_int_equal(out_b[i].story.copy, out_r[i].story.copy);
        assert_int_equal(out_b[i].redelivered, out_r[i].redelivered);
        assert_int_equal(out_b[i].alert, out_r[i].alert);
        assert_int_equal(out_b[i].counts.starts, out_r[i].counts.starts);
        assert_string_equal(out_b[i].counts.decision, out_r[i].counts.decision);
        assert_string_equal(out_b[i].counts.alerted, out_r[i].counts.alerted);
        assert_string_equal(out_b[i].counts.first_hour, out_r[i].counts.first_hour);
    }
    assert_true(out_b[0].redelivered);
    assert_string_equal(out_b[1].story.first_article, "p1");
    assert_int_equal(out_b[1].alert, 2);  /* sanctions_un: p1's story had arms_transfer */
    assert_string_equal(out_b[2].story.first_article, "y1");
    assert_int_equal(out_b[2].alert, 0);  /* both alerted, sanctions_un by batch A */
    assert_false(out_b[3].story.copy);
    /* without prev it does not follow */
    assert_int_equal(
        nm_stories_decide(SB, in_b, 4, &stale, "2026120101", NULL, out_b, g_e, sizeof g_e), NM_OK);
    assert_false(out_b[0].redelivered);
    nm_stories_destroy(SA);
    nm_stories_destroy(SB);
    nm_stories_destroy(SR);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_copies_in_the_batch_alert_once),
        cmocka_unit_test(test_window_candidates_redeliveries_and_ties),
        cmocka_unit_test(test_following_a_batch_not_counted_yet),
    };
    return cmocka_run_group_tests_name("nm_stories", tests, NULL, NULL);
}
