/* test_replyarena.c - nm_replyarena against a real local Redis (port
 * $NM_REDIS_PORT, default 6379): a reply built in the arena equals the one
 * hiredis builds itself for the same command (strings with NUL bytes,
 * nil, integers, status, errors, nested and empty arrays), also when it
 * spans several blocks; nm_replyarena_free frees hiredis's replies and
 * leaves the arena's; after a reset the arena is reused; a context read
 * through the arena still reads with hiredis's functions afterwards. */
#include "nm_test_util.h"

#include <hiredis/hiredis.h>

#include "nm_replyarena.h"

static redisContext *g_rc;

static int setup(void **state) {
    (void)state;
    const char *port = getenv("NM_REDIS_PORT");
    g_rc = redisConnect("127.0.0.1", port ? atoi(port) : 6379);
    assert_non_null(g_rc);
    assert_int_equal(g_rc->err, 0);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    redisFree(g_rc);
    return 0;
}

static void assert_same(const redisReply *a, const redisReply *b) {
    assert_int_equal(a->type, b->type);
    switch (a->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
        assert_int_equal(a->len, b->len);
        assert_memory_equal(a->str, b->str, a->len);
        assert_int_equal(a->str[a->len], '\0');
        break;
    case REDIS_REPLY_INTEGER:
        assert_int_equal(a->integer, b->integer);
        break;
    case REDIS_REPLY_ARRAY:
        assert_int_equal(a->elements, b->elements);
        for (size_t i = 0; i < a->elements; i++) assert_same(a->element[i], b->element[i]);
        break;
    default:
        break;
    }
}

/* The command's reply read through the arena and read by hiredis itself. */
static void compare(nm_replyarena_t *a, int argc, const char **argv, const size_t *len) {
    void *mine = NULL, *theirs = NULL;
    assert_int_equal(redisAppendCommandArgv(g_rc, argc, argv, len), REDIS_OK);
    assert_int_equal(nm_replyarena_read(a, g_rc, &mine), REDIS_OK);
    assert_int_equal(redisAppendCommandArgv(g_rc, argc, argv, len), REDIS_OK);
    assert_int_equal(nm_replyarena_read(NULL, g_rc, &theirs), REDIS_OK);
    assert_non_null(mine);
    assert_non_null(theirs);
    assert_same(mine, theirs);
    nm_replyarena_free(a, mine);   /* the arena's: left for the reset */
    nm_replyarena_free(a, theirs); /* hiredis's: freed (valgrind and ASan check) */
}

static void eval(nm_replyarena_t *a, const char *script) {
    const char *argv[] = {"EVAL", script, "0"};
    size_t len[] = {4, strlen(script), 1};
    compare(a, 3, argv, len);
}

static void test_replies_equal_hiredis_own(void **state) {
    (void)state;
    nm_replyarena_t *a = nm_replyarena_new();
    assert_non_null(a);
    eval(a, "return {1, 'two', {3, {'four', false}, {}}, {err = 'inner'}, -5}");
    eval(a, "return 'a\\0b'");           /* a NUL inside a string */
    eval(a, "return {ok = 'FINE'}");     /* status */
    eval(a, "return {err = 'ERR bad'}"); /* error */
    eval(a, "return false");             /* nil */
    eval(a, "return {}");                /* empty array */
    eval(a, "return 42");
    nm_replyarena_reset(a);
    eval(a, "return {'after', 'the', 'reset'}");
    nm_replyarena_destroy(a);
}

static void test_a_reply_over_several_blocks(void **state) {
    (void)state;
    nm_replyarena_t *a = nm_replyarena_new();
    assert_non_null(a);
    /* 20,000 strings of 100 bytes: ~3 MB of elements, over 256 KB blocks */
    eval(a, "local t = {} for i = 1, 20000 do t[i] = string.rep(string.char(65 + i % 26), 100) .. i end return t");
    nm_replyarena_reset(a); /* keeps the largest block */
    eval(a, "local t = {} for i = 1, 20000 do t[i] = i end return {t, 'x'}");
    nm_replyarena_destroy(a);
}

static void test_reads_after_the_arena_use_hiredis_own(void **state) {
    (void)state;
    nm_replyarena_t *a = nm_replyarena_new();
    assert_non_null(a);
    redisReply *r = redisCommand(g_rc, "EVAL %s 0", "return {'x'}");
    assert_non_null(r);
    nm_replyarena_free(a, r); /* an empty arena owns nothing */
    void *mine = NULL;
    assert_int_equal(redisAppendCommand(g_rc, "EVAL %s 0", "return {'y', 1}"), REDIS_OK);
    assert_int_equal(nm_replyarena_read(a, g_rc, &mine), REDIS_OK);
    /* the context's functions are hiredis's again: freeReplyObject works */
    r = redisCommand(g_rc, "EVAL %s 0", "return {'z', 1}");
    assert_non_null(r);
    assert_same(((redisReply *)mine)->element[1], r->element[1]);
    freeReplyObject(r);
    nm_replyarena_free(NULL, NULL); /* NULL-safe */
    nm_replyarena_reset(NULL);
    nm_replyarena_destroy(a);
    nm_replyarena_destroy(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replies_equal_hiredis_own),
        cmocka_unit_test(test_a_reply_over_several_blocks),
        cmocka_unit_test(test_reads_after_the_arena_use_hiredis_own),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
