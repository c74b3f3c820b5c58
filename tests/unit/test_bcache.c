/* test_bcache.c - nm_bcache: what is put is got back byte for byte, a put
 * replaces the key's value, too-long keys and values are not kept, a set
 * evicts its least recently used entry, and the size never passes the
 * entries asked for. */
#include "nm_test_util.h"

#include <stdio.h>

#include "nm_bcache.h"

static void test_put_get_replace(void **state) {
    (void)state;
    nm_bcache_t *b = nm_bcache_new(64);
    assert_non_null(b);
    size_t vl = 99;
    assert_null(nm_bcache_get(b, "k1", 2, &vl));
    nm_bcache_put(b, "k1", 2, "v\0one", 5); /* values are bytes, NULs included */
    const char *v = nm_bcache_get(b, "k1", 2, &vl);
    assert_non_null(v);
    assert_int_equal(vl, 5);
    assert_memory_equal(v, "v\0one", 5);
    assert_null(nm_bcache_get(b, "k", 1, &vl)); /* a prefix is another key */
    nm_bcache_put(b, "k1", 2, "two", 3);
    v = nm_bcache_get(b, "k1", 2, &vl);
    assert_int_equal(vl, 3);
    assert_memory_equal(v, "two", 3);
    assert_int_equal(nm_bcache_size(b), 1);
    unsigned long long hits, misses;
    nm_bcache_stats(b, &hits, &misses);
    assert_int_equal(hits, 2);
    assert_int_equal(misses, 2);
    nm_bcache_destroy(b);
    nm_bcache_destroy(NULL);
}

static void test_too_long_not_kept(void **state) {
    (void)state;
    nm_bcache_t *b = nm_bcache_new(8);
    char big[NM_BCACHE_VALUE_MAX + 2];
    memset(big, 'x', sizeof big);
    size_t vl;
    nm_bcache_put(b, big, NM_BCACHE_KEY_MAX + 1, "v", 1);
    nm_bcache_put(b, "k", 1, big, NM_BCACHE_VALUE_MAX + 1);
    nm_bcache_put(b, "", 0, "v", 1);
    assert_int_equal(nm_bcache_size(b), 0);
    assert_null(nm_bcache_get(b, big, NM_BCACHE_KEY_MAX + 1, &vl));
    nm_bcache_put(b, big, NM_BCACHE_KEY_MAX, big, NM_BCACHE_VALUE_MAX); /* the limits fit */
    assert_non_null(nm_bcache_get(b, big, NM_BCACHE_KEY_MAX, &vl));
    assert_int_equal(vl, NM_BCACHE_VALUE_MAX);
    nm_bcache_destroy(b);
}

static void test_bounded_lru(void **state) {
    (void)state;
    nm_bcache_t *b = nm_bcache_new(4); /* one set of four */
    char k[16];
    size_t vl;
    for (int i = 0; i < 4; i++) {
        int n = snprintf(k, sizeof k, "key%d", i);
        nm_bcache_put(b, k, (size_t)n, k, (size_t)n);
    }
    assert_non_null(nm_bcache_get(b, "key0", 4, &vl)); /* key1 is now the oldest */
    nm_bcache_put(b, "key4", 4, "v", 1);
    assert_null(nm_bcache_get(b, "key1", 4, &vl));
    assert_non_null(nm_bcache_get(b, "key0", 4, &vl));
    assert_non_null(nm_bcache_get(b, "key4", 4, &vl));
    assert_int_equal(nm_bcache_size(b), 4);
    nm_bcache_destroy(b);
    b = nm_bcache_new(100);
    for (int i = 0; i < 5000; i++) {
        int n = snprintf(k, sizeof k, "k%d", i);
        nm_bcache_put(b, k, (size_t)n, k, (size_t)n);
        assert_true(nm_bcache_size(b) <= 100);
    }
    int kept = 0;
    for (int i = 0; i < 5000; i++) {
        int n = snprintf(k, sizeof k, "k%d", i);
        const char *v = nm_bcache_get(b, k, (size_t)n, &vl);
        if (!v) continue;
        kept++;
        assert_int_equal(vl, (size_t)n);
        assert_memory_equal(v, k, (size_t)n);
    }
    assert_int_equal(kept, 100); /* every entry holds one (a full cache) */
    nm_bcache_destroy(b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_get_replace),
        cmocka_unit_test(test_too_long_not_kept),
        cmocka_unit_test(test_bounded_lru),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
