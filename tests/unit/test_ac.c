/* test_ac.c - nm_ac: Aho-Corasick byte matcher vs. a naive search. */
#include "nm_test_util.h"

#include "nm_ac.h"

typedef struct {
    uint32_t id;
    size_t end, len;
} match_t;

typedef struct {
    match_t *m;
    size_t n, cap;
} matches_t;

static void on_match(void *ud, uint32_t id, size_t end, size_t len) {
    matches_t *ms = ud;
    if (ms->n == ms->cap) {
        ms->cap = ms->cap ? ms->cap * 2 : 64;
        ms->m = realloc(ms->m, ms->cap * sizeof *ms->m);
        assert_non_null(ms->m);
    }
    ms->m[ms->n++] = (match_t){id, end, len};
}

static int match_cmp(const void *a, const void *b) {
    const match_t *x = a, *y = b;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    if (x->id != y->id) return x->id < y->id ? -1 : 1;
    return (x->len > y->len) - (x->len < y->len);
}

typedef struct {
    const char *p;
    size_t len;
    uint32_t id;
} pat_t;

static nm_ac_t *build(const pat_t *pats, size_t n) {
    nm_ac_builder_t *b = nm_ac_builder_new();
    assert_non_null(b);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(nm_ac_builder_add(b, pats[i].p, pats[i].len, pats[i].id), NM_OK);
    char err[256] = "";
    nm_ac_t *ac = nm_ac_build(b, err, sizeof err);
    assert_non_null(ac);
    return ac;
}

static matches_t scan(const nm_ac_t *ac, const char *s, size_t len) {
    matches_t ms = {0};
    nm_ac_scan(ac, s, len, on_match, &ms);
    /* the callback contract: non-decreasing end positions */
    for (size_t i = 1; i < ms.n; i++) assert_true(ms.m[i].end >= ms.m[i - 1].end);
    return ms;
}

static matches_t naive(const pat_t *pats, size_t np, const char *s, size_t len) {
    matches_t ms = {0};
    for (size_t end = 1; end <= len; end++)
        for (size_t k = 0; k < np; k++)
            if (pats[k].len <= end && memcmp(s + end - pats[k].len, pats[k].p, pats[k].len) == 0)
                on_match(&ms, pats[k].id, end, pats[k].len);
    return ms;
}

static void assert_same(matches_t *a, matches_t *b) {
    /* qsort(NULL, 0, ...) is undefined behaviour (UBSan): skip empty sets */
    if (a->n) qsort(a->m, a->n, sizeof *a->m, match_cmp);
    if (b->n) qsort(b->m, b->n, sizeof *b->m, match_cmp);
    if (a->n != b->n) fail_msg("automaton reported %zu matches, naive search %zu", a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        assert_int_equal(a->m[i].id, b->m[i].id);
        assert_int_equal(a->m[i].end, b->m[i].end);
        assert_int_equal(a->m[i].len, b->m[i].len);
    }
}

#define P(s, id) {s, sizeof(s) - 1, id}

static void check(const pat_t *pats, size_t np, const char *s, size_t len, size_t expect_n) {
    nm_ac_t *ac = build(pats, np);
    matches_t got = scan(ac, s, len), want = naive(pats, np, s, len);
    assert_int_equal(got.n, expect_n);
    assert_same(&got, &want);
    free(got.m);
    free(want.m);
    nm_ac_destroy(ac);
}

static void test_overlapping_patterns(void **state) {
    (void)state;
    const pat_t pats[] = {P("he", 1), P("she", 2), P("his", 3), P("hers", 4)};
    /* ushers: she@4, he@4, hers@6 */
    check(pats, 4, "ushers", 6, 3);
    /* aaaa with "aa": three overlapping occurrences */
    const pat_t aa[] = {P("aa", 7)};
    check(aa, 1, "aaaa", 4, 3);
}

static void test_shared_prefixes(void **state) {
    (void)state;
    const pat_t pats[] = {P("russ", 1), P("russia", 2), P("russian", 3), P("rus", 4)};
    check(pats, 4, "russians", 8, 4);
    check(pats, 4, "ru rus russ", 11, 3);
}

static void test_suffix_patterns(void **state) {
    (void)state;
    /* "korea" is a suffix of "north korea", "a" of both */
    const pat_t pats[] = {P("north korea", 1), P("korea", 2), P("a", 3), P("rea", 4)};
    nm_ac_t *ac = build(pats, 4);
    matches_t got = scan(ac, "north korea", 11);
    /* all four end at 11: reported at once, longest first (own output, then dict chain) */
    assert_int_equal(got.n, 4);
    for (size_t i = 0; i < 4; i++) assert_int_equal(got.m[i].end, 11);
    assert_int_equal(got.m[0].len, 11);
    assert_int_equal(got.m[1].len, 5);
    assert_int_equal(got.m[2].len, 3);
    assert_int_equal(got.m[3].len, 1);
    free(got.m);
    nm_ac_destroy(ac);
    /* korea x2, rea x2, a x3 (south korea, and, north korea), north korea x1 */
    check(pats, 4, "south korea and north korea", 27, 2 + 2 + 3 + 1);
}

static void test_duplicate_patterns_several_ids(void **state) {
    (void)state;
    const pat_t pats[] = {P("la", 10), P("la", 11), P("la", 10), P("l", 12)};
    nm_ac_t *ac = build(pats, 4);
    matches_t got = scan(ac, "la la", 5);
    assert_int_equal(got.n, 2 * 4); /* each occurrence: 3 x "la" + 1 x "l" */
    int seen10 = 0, seen11 = 0, seen12 = 0;
    for (size_t i = 0; i < got.n; i++) {
        seen10 += got.m[i].id == 10;
        seen11 += got.m[i].id == 11;
        seen12 += got.m[i].id == 12;
    }
    assert_int_equal(seen10, 4);
    assert_int_equal(seen11, 2);
    assert_int_equal(seen12, 2);
    free(got.m);
    nm_ac_destroy(ac);
}

static void test_empty_input_and_no_match(void **state) {
    (void)state;
    const pat_t pats[] = {P("abc", 1)};
    nm_ac_t *ac = build(pats, 1);
    matches_t got = scan(ac, "", 0);
    assert_int_equal(got.n, 0);
    got = scan(ac, NULL, 0);
    assert_int_equal(got.n, 0);
    got = scan(ac, "abxabd", 6);
    assert_int_equal(got.n, 0);
    nm_ac_destroy(ac);
}

static void test_empty_pattern_rejected_and_empty_automaton(void **state) {
    (void)state;
    nm_ac_builder_t *b = nm_ac_builder_new();
    assert_non_null(b);
    assert_int_equal(nm_ac_builder_add(b, "", 0, 1), NM_ERR_CONFIG);
    char err[128];
    nm_ac_t *ac = nm_ac_build(b, err, sizeof err); /* no patterns at all */
    assert_non_null(ac);
    assert_int_equal(nm_ac_states(ac), 1);
    assert_true(nm_ac_memory(ac) > 0);
    matches_t got = scan(ac, "anything", 8);
    assert_int_equal(got.n, 0);
    nm_ac_destroy(ac);
    nm_ac_builder_destroy(NULL);
    nm_ac_destroy(NULL);
    /* a builder that is never built is freed by nm_ac_builder_destroy */
    b = nm_ac_builder_new();
    assert_int_equal(nm_ac_builder_add(b, "x", 1, 1), NM_OK);
    nm_ac_builder_destroy(b);
}

static void test_binary_bytes(void **state) {
    (void)state;
    const pat_t pats[] = {{"\0\0", 2, 1}, {"\xFF\x00\xFF", 3, 2}, {"\x80", 1, 3},
                          {"a\0b", 3, 4}};
    const char s[] = "\0\0\0\xFF\0\xFF\x80" "a\0b";
    check(pats, 4, s, sizeof s - 1, 2 + 1 + 1 + 1 + 0);
    /* a pattern using all 256 byte values */
    char all[256];
    for (int i = 0; i < 256; i++) all[i] = (char)i;
    const pat_t big[] = {{all, 256, 9}, {all + 250, 6, 8}};
    char text[600];
    memcpy(text, all, 256);
    memcpy(text + 256, all, 256);
    check(big, 2, text, 512, 2 + 2);
    /* every byte used, and the root (a full row) leaves on 0xFF */
    const pat_t top[] = {{all, 256, 9}, {"\xFF\xFE", 2, 7}};
    char text2[260] = "\xFF\xFE";
    memcpy(text2 + 2, all, 256);
    check(top, 2, text2, 258, 1 + 1);
}

static void test_utf8_patterns(void **state) {
    (void)state;
    const pat_t pats[] = {P("북한", 1), P("한", 2), P("北朝鮮", 3), P("朝鮮", 4)};
    const char *s = "남북한 北朝鮮と朝鮮";
    check(pats, 4, s, strlen(s), 2 + 2 + 1);
}

/* Random patterns over a small alphabet (many overlaps) vs. naive search. */
static void test_random_against_naive(void **state) {
    (void)state;
    uint64_t seed = 0xC0FFEE1234ULL;
    for (int round = 0; round < 60; round++) {
        size_t alpha = 2 + nm_rand(&seed) % (round % 3 == 2 ? 254 : 4);
        size_t np = 1 + nm_rand(&seed) % 40;
        pat_t *pats = calloc(np, sizeof *pats);
        char (*store)[12] = calloc(np, sizeof *store);
        assert_non_null(pats);
        assert_non_null(store);
        for (size_t k = 0; k < np; k++) {
            size_t len = 1 + nm_rand(&seed) % 8;
            for (size_t i = 0; i < len; i++)
                store[k][i] = (char)(round % 3 == 2 ? nm_rand(&seed) % 256 : 'a' + nm_rand(&seed) % alpha);
            pats[k] = (pat_t){store[k], len, (uint32_t)(nm_rand(&seed) % 16)};
        }
        nm_ac_t *ac = build(pats, np);
        for (int t = 0; t < 5; t++) {
            char s[2000];
            size_t len = nm_rand(&seed) % sizeof s;
            for (size_t i = 0; i < len; i++)
                s[i] = (char)(round % 3 == 2 ? nm_rand(&seed) % 256 : 'a' + nm_rand(&seed) % alpha);
            matches_t got = scan(ac, s, len), want = naive(pats, np, s, len);
            assert_same(&got, &want);
            free(got.m);
            free(want.m);
        }
        nm_ac_destroy(ac);
        free(pats);
        free(store);
    }
}

static void test_many_patterns_grow_builder(void **state) {
    (void)state;
    /* more than the initial 1024 nodes and 256 outputs */
    nm_ac_builder_t *b = nm_ac_builder_new();
    char pat[16];
    for (uint32_t i = 0; i < 3000; i++) {
        int n = snprintf(pat, sizeof pat, "w%u.", i);
        assert_int_equal(nm_ac_builder_add(b, pat, (size_t)n, i), NM_OK);
    }
    char err[128];
    nm_ac_t *ac = nm_ac_build(b, err, sizeof err);
    assert_non_null(ac);
    assert_true(nm_ac_states(ac) > 3000);
    /* compact: far below a full row (4 bytes x 14 classes) per state, past
     * the stop sets of fixed size (24 KB, nm_ac.c) */
    assert_true(nm_ac_memory(ac) < nm_ac_states(ac) * 14 * 4 / 2 + 32 * 1024);
    matches_t got = scan(ac, "xw2999.w17.w1", 13);
    assert_int_equal(got.n, 2);
    assert_int_equal(got.m[0].id, 2999);
    assert_int_equal(got.m[0].end, 7);
    assert_int_equal(got.m[1].id, 17);
    free(got.m);
    nm_ac_destroy(ac);
}

/* Word patterns: the matches of an automaton where every pattern is added
 * with nm_ac_builder_add, less the word patterns' that start neither a word
 * (the text, or after a separator) nor right after a prefix that does, and
 * in the same order. Patterns, prefixes and texts over "ab", ' ' and '.'. */
typedef struct {
    const char *s;
    const uint8_t *word; /* per id: a word pattern */
    char (*pre)[4];
    size_t npre;
} word_ctx_t;

static int word_start(const char *s, size_t at) { return at == 0 || s[at - 1] == ' ' || s[at - 1] == '.'; }

static int word_ok(const word_ctx_t *c, const match_t *m) {
    size_t start = m->end - m->len;
    if (!c->word[m->id] || word_start(c->s, start)) return 1;
    for (size_t k = 0; k < c->npre; k++) {
        size_t n = strlen(c->pre[k]);
        if (n <= start && word_start(c->s, start - n) && memcmp(c->s + start - n, c->pre[k], n) == 0)
            return 1;
    }
    return 0;
}

static void test_word_patterns_random(void **state) {
    (void)state;
    uint64_t seed = 0x5EED0FF1CEULL;
    const char alpha[] = "abab .";
    for (int round = 0; round < 200; round++) {
        size_t np = 1 + nm_rand(&seed) % 30, npre = nm_rand(&seed) % 4;
        pat_t *pats = calloc(np, sizeof *pats);
        char (*store)[8] = calloc(np, sizeof *store), pre[4][4] = {{0}};
        uint8_t word[16] = {0};
        assert_non_null(pats);
        assert_non_null(store);
        for (size_t k = 0; k < np; k++) {
            size_t len = 1 + nm_rand(&seed) % 6;
            for (size_t i = 0; i < len; i++) store[k][i] = alpha[nm_rand(&seed) % (sizeof alpha - 1)];
            if (k && nm_rand(&seed) % 4 == 0) memcpy(store[k], store[k - 1], len = pats[k - 1].len);
            uint32_t id = (uint32_t)(nm_rand(&seed) % 16);
            /* an id is one kind; the same bytes may come under both kinds */
            if (!word[id]) word[id] = (uint8_t)(1 + nm_rand(&seed) % 2);
            pats[k] = (pat_t){store[k], len, id};
        }
        for (int id = 0; id < 16; id++) word[id] = word[id] == 2;
        for (size_t k = 0; k < npre; k++) {
            size_t len = 1 + nm_rand(&seed) % 3;
            for (size_t i = 0; i < len; i++) pre[k][i] = "ab"[nm_rand(&seed) % 2];
        }
        nm_ac_builder_t *wb = nm_ac_builder_new(), *ab = nm_ac_builder_new();
        assert_non_null(wb);
        assert_non_null(ab);
        nm_ac_builder_separators(wb, " .", 2);
        assert_int_equal(nm_ac_builder_add_prefix(wb, "a b", 3), NM_OK); /* ignored: a separator */
        size_t nuniq = 0; /* distinct prefixes: one may come twice */
        char uniq[4][4] = {{0}};
        for (size_t k = 0; k < npre; k++) {
            assert_int_equal(nm_ac_builder_add_prefix(wb, pre[k], strlen(pre[k])), NM_OK);
            size_t u = 0;
            while (u < nuniq && strcmp(uniq[u], pre[k])) u++;
            if (u == nuniq) memcpy(uniq[nuniq++], pre[k], 4);
        }
        for (size_t k = 0; k < np; k++) {
            const pat_t *p = &pats[k];
            assert_int_equal((word[p->id] ? nm_ac_builder_add_word : nm_ac_builder_add)(wb, p->p, p->len, p->id), NM_OK);
            assert_int_equal(nm_ac_builder_add(ab, p->p, p->len, p->id), NM_OK);
        }
        char err[128];
        nm_ac_t *wac = nm_ac_build(wb, err, sizeof err), *aac = nm_ac_build(ab, err, sizeof err);
        assert_non_null(wac);
        assert_non_null(aac);
        for (int t = 0; t < 5; t++) {
            char s[600];
            size_t len = nm_rand(&seed) % sizeof s;
            for (size_t i = 0; i < len; i++) s[i] = alpha[nm_rand(&seed) % (sizeof alpha - 1)];
            matches_t got = scan(wac, s, len), all = scan(aac, s, len);
            word_ctx_t c = {s, word, uniq, nuniq};
            size_t k = 0;
            for (size_t i = 0; i < all.n; i++)
                if (word_ok(&c, &all.m[i])) all.m[k++] = all.m[i];
            assert_int_equal(got.n, k);
            for (size_t i = 0; i < k; i++) {
                assert_int_equal(got.m[i].id, all.m[i].id);
                assert_int_equal(got.m[i].end, all.m[i].end);
                assert_int_equal(got.m[i].len, all.m[i].len);
            }
            free(got.m);
            free(all.m);
        }
        nm_ac_destroy(wac);
        nm_ac_destroy(aac);
        free(pats);
        free(store);
    }
}

static void test_word_patterns(void **state) {
    (void)state;
    nm_ac_builder_t *b = nm_ac_builder_new();
    assert_non_null(b);
    nm_ac_builder_separators(b, " .", 2);
    assert_int_equal(nm_ac_builder_add_prefix(b, "wa", 2), NM_OK);
    assert_int_equal(nm_ac_builder_add_prefix(b, "", 0), NM_ERR_CONFIG);
    assert_int_equal(nm_ac_builder_add_word(b, "korea", 5, 1), NM_OK);
    assert_int_equal(nm_ac_builder_add_word(b, "north korea", 11, 2), NM_OK);
    assert_int_equal(nm_ac_builder_add(b, "korea", 5, 3), NM_OK); /* anywhere */
    assert_int_equal(nm_ac_builder_add_word(b, "korea", 5, 4), NM_OK);
    assert_int_equal(nm_ac_builder_add_word(b, "", 0, 5), NM_ERR_CONFIG);
    char err[128];
    nm_ac_t *ac = nm_ac_build(b, err, sizeof err);
    assert_non_null(ac);
    const char *s = "korea xkorea.wakorea north korea";
    matches_t got = scan(ac, s, strlen(s));
    /* end 5: 4, 3, 1 (last added first); 12: 3 only; after the prefix
     * "wa": 4, 3, 1 at 20; 32: "north korea" first, then 4, 3, 1 */
    const match_t want[] = {{4, 5, 5},   {3, 5, 5},   {1, 5, 5},   {3, 12, 5},  {4, 20, 5},
                            {3, 20, 5},  {1, 20, 5},  {2, 32, 11}, {4, 32, 5},  {3, 32, 5},
                            {1, 32, 5}};
    assert_int_equal(got.n, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < got.n; i++) {
        assert_int_equal(got.m[i].id, want[i].id);
        assert_int_equal(got.m[i].end, want[i].end);
        assert_int_equal(got.m[i].len, want[i].len);
    }
    free(got.m);
    nm_ac_destroy(ac);
}

/* A word pattern too long for the walks is matched anywhere; a long one
 * that is not keeps ~126 walks alive at once ("a a ... a b" after each of
 * the one-letter words "a") */
static void test_word_patterns_long(void **state) {
    (void)state;
    char longp[300], text[700];
    memset(longp, 'x', sizeof longp);
    for (size_t i = 0; i < 500; i += 2) text[i] = 'a', text[i + 1] = ' ';
    text[500] = 'b';
    char many[501];
    memcpy(many, text, 501);
    nm_ac_builder_t *b = nm_ac_builder_new();
    assert_non_null(b);
    nm_ac_builder_separators(b, " ", 1);
    assert_int_equal(nm_ac_builder_add_word(b, longp, sizeof longp, 1), NM_OK);
    assert_int_equal(nm_ac_builder_add_word(b, many + 500 - 252, 253, 2), NM_OK); /* 126 words */
    char err[128];
    nm_ac_t *ac = nm_ac_build(b, err, sizeof err);
    assert_non_null(ac);
    matches_t got = scan(ac, text, 501);
    assert_int_equal(got.n, 1);
    assert_int_equal(got.m[0].id, 2);
    assert_int_equal(got.m[0].end, 501);
    free(got.m);
    char t2[400];
    t2[0] = 'y';
    memset(t2 + 1, 'x', 301); /* two occurrences, neither at a word start */
    got = scan(ac, t2, 302);
    assert_int_equal(got.n, 2);
    free(got.m);
    nm_ac_destroy(ac);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_overlapping_patterns),
        cmocka_unit_test(test_shared_prefixes),
        cmocka_unit_test(test_suffix_patterns),
        cmocka_unit_test(test_duplicate_patterns_several_ids),
        cmocka_unit_test(test_empty_input_and_no_match),
        cmocka_unit_test(test_empty_pattern_rejected_and_empty_automaton),
        cmocka_unit_test(test_binary_bytes),
        cmocka_unit_test(test_utf8_patterns),
        cmocka_unit_test(test_random_against_naive),
        cmocka_unit_test(test_many_patterns_grow_builder),
        cmocka_unit_test(test_word_patterns),
        cmocka_unit_test(test_word_patterns_random),
        cmocka_unit_test(test_word_patterns_long),
    };
    return cmocka_run_group_tests_name("nm_ac", tests, NULL, NULL);
}
