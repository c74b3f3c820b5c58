/* nm_test_util.h - small helpers shared by the newsmon unit tests. */
#ifndef NM_TEST_UTIL_H
#define NM_TEST_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#ifndef NM_FIXTURES
#error "NM_FIXTURES must be defined by the build"
#endif

#define NM_FIX(name) NM_FIXTURES "/" name

/* A fresh temporary directory under $TMPDIR (removed by nm_tmpdir_rm). */
static inline char *nm_tmpdir_new(void) {
    const char *base = getenv("TMPDIR");
    if (!base || !*base) base = "/tmp";
    char *p = malloc(strlen(base) + 32);
    assert_non_null(p);
    sprintf(p, "%s/nmtest.XXXXXX", base);
    assert_non_null(mkdtemp(p));
    return p;
}

/* Write `text` to dir/name; returns the malloc'ed path. */
static inline char *nm_write_file(const char *dir, const char *name, const char *text) {
    char *path = malloc(strlen(dir) + strlen(name) + 2);
    assert_non_null(path);
    sprintf(path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
    return path;
}

static inline void nm_tmpdir_rm(char *dir) {
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(dir);
}

/* Deterministic PRNG (xorshift64*) so random tests are reproducible. */
static inline uint64_t nm_rand(uint64_t *st) {
    uint64_t x = *st;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *st = x;
    return x * 2685821657736338717ULL;
}

static inline int nm_approx(double a, double b) { return a - b < 1e-9 && b - a < 1e-9; }
#define assert_double_eq(a, b)                                                           \
    do {                                                                                 \
        double a_ = (a), b_ = (b);                                                       \
        if (!nm_approx(a_, b_)) fail_msg("%s = %.6f, expected %.6f", #a, a_, b_);        \
    } while (0)

/* The fixture rule set (tests/fixtures/) and a tagger workspace, shared by
 * the suites that tag text: cmocka group setup/teardown. */
#include "nm_rules.h"
#include "nm_tagger.h"

static nm_text_t *g_text;
static nm_rules_t *g_rules;
static nm_tagger_ws_t *g_ws;

static inline int nm_fixture_setup(void **state) {
    (void)state;
    char err[512] = "";
    g_text = nm_text_new();
    if (!g_text) return -1;
    g_rules = nm_rules_load(g_text, &(nm_rule_paths_t){NM_FIX("gazetteer.conf"), NM_FIX("rules.conf"), NULL, NULL}, err, sizeof err);
    if (!g_rules) {
        fprintf(stderr, "rules: %s\n", err);
        return -1;
    }
    g_ws = nm_tagger_ws_new();
    return g_ws ? 0 : -1;
}

static inline int nm_fixture_teardown(void **state) {
    (void)state;
    nm_tagger_ws_destroy(g_ws);
    nm_rules_destroy(g_rules);
    nm_text_destroy(g_text);
    return 0;
}

#endif
