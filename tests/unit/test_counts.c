/* test_counts.c - nm_counts against a real local Redis (port $NM_REDIS_PORT,
 * default 6379; scripts/test.sh starts it): key schema, idempotent batches,
 * the server-side merged reads, the recent-alerts stream. Each run uses its
 * own key prefix and deletes its keys. */
#include "nm_test_util.h"

#include <hiredis/hiredis.h>
#include <time.h>

#include "nm_config.h"
#include "nm_counts.h"
#include "nm_rules.h"
#include "nm_surge.h"
#include "nm_stories.h"

static nm_config_t *g_cfg;
static char g_prefix[64];
static char g_e[512];

static redisContext *raw(void) {
    redisContext *rc = redisConnect(g_cfg->redis_host, (int)g_cfg->redis_port);
    if (!rc || rc->err) fail_msg("Redis on port %ld does not answer", g_cfg->redis_port);
    return rc;
}

/* Delete every key of this run ("{<prefix>}..."). */
static void drop_keys(const char *tagged) {
    redisContext *rc = raw();
    char pat[128];
    snprintf(pat, sizeof pat, "%s*", tagged);
    redisReply *r = redisCommand(rc, "KEYS %s", pat);
    for (size_t i = 0; r && i < r->elements; i++)
        freeReplyObject(redisCommand(rc, "DEL %s", r->element[i]->str));
    if (r) freeReplyObject(r);
    redisFree(rc);
}

static int setup(void **state) {
    (void)state;
    g_cfg = nm_config_load(NULL, g_e, sizeof g_e);
    if (!g_cfg) return -1;
    const char *port = getenv("NM_REDIS_PORT");
    if (port) g_cfg->redis_port = atol(port);
    snprintf(g_prefix, sizeof g_prefix, "ut%ld-%d:", (long)time(NULL), (int)getpid());
    free(g_cfg->redis_prefix);
    g_cfg->redis_prefix = strdup(g_prefix);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    nm_config_destroy(g_cfg);
    return 0;
}

static void test_prefix_is_one_hash_tag(void **state) {
    (void)state;
    static const char *cases[][2] = {
        {"nm:", "{nm}:"}, {"news", "{news}"}, {"", "{nm}"}, {"{app}:nm:", "{app}:nm:"},
        {"a{b}c:", "a{b}c:"}, {"x{}:", "{x{}}:"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        free(g_cfg->redis_prefix);
        g_cfg->redis_prefix = strdup(cases[i][0]);
        nm_counts_t *c = nm_counts_new(g_cfg);
        assert_non_null(c);
        assert_string_equal(nm_counts_prefix(c), cases[i][1]);
        nm_counts_destroy(c);
    }
    free(g_cfg->redis_prefix);
    g_cfg->redis_prefix = strdup(g_prefix);
}

static nm_counts_item_t item(const char *id, const char *hour, int nent,
                             const char *const *ents, const int *ment, int ntop,
                             const char *const *tops, const char *alert) {
    nm_counts_item_t it = {.id = id, .relevant = ntop > 0, .nentities = nent, .entities = ents,
                           .mentions = ment, .ntopics = ntop, .topics = tops, .alert = alert,
                           .alert_len = alert ? strlen(alert) : 0};
    snprintf(it.hour, sizeof it.hour, "%s", hour);
    return it;
}

static void hour_of(time_t t, char out[11]) {
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y%m%d%H", &tm);
}

/* nm_counts_top gives `want_n` rows, the first being `id` with these counts. */
static void expect_top(nm_counts_t *c, nm_counts_kind_t kind, long hours, time_t now, size_t n,
                       size_t want_n, const char *id, double articles, double mentions) {
    nm_counts_row_t *rows;
    size_t got;
    assert_int_equal(nm_counts_top(c, kind, hours, now, n, &rows, &got, g_e, sizeof g_e), NM_OK);
    assert_int_equal(got, want_n);
    assert_string_equal(rows[0].id, id);
    assert_double_eq(rows[0].articles, articles);
    assert_double_eq(rows[0].mentions, mentions);
    nm_counts_rows_free(rows, got);
}

static void test_batches_count_once_and_merge_hours(void **state) {
    (void)state;
    nm_counts_t *c = nm_counts_new(g_cfg);
    assert_non_null(c);
    time_t now = time(NULL);
    char h0[11], h1[11];
    hour_of(now, h0);
    hour_of(now - 3600, h1);
    const char *e1[] = {"country:russia", "country:north_korea"};
    const int m1[] = {3, 1};
    const char *e2[] = {"country:north_korea"};
    const int m2[] = {5};
    const char *t1[] = {"arms_transfer"};
    nm_counts_item_t b1[] = {item("a1", h0, 2, e1, m1, 1, t1, NULL),
                             item("a2", h1, 1, e2, m2, 0, NULL, NULL)};
    long long newly = -1;
    assert_int_equal(nm_counts_apply(c, b1, 2, &newly, g_e, sizeof g_e), NM_OK);
    assert_int_equal(newly, 2);
    /* a redelivered batch (plus one new article) counts only the new one */
    nm_counts_item_t b2[] = {b1[0], b1[1], item("a3", h0, 1, e2, m2, 0, NULL, NULL)};
    assert_int_equal(nm_counts_apply(c, b2, 3, &newly, g_e, sizeof g_e), NM_OK);
    assert_int_equal(newly, 1);

    long long arts, rel;
    assert_int_equal(nm_counts_stats(c, &arts, &rel, g_e, sizeof g_e), NM_OK);
    assert_int_equal(arts, 3);
    assert_int_equal(rel, 1);

    /* all time: north_korea 3 articles / 11 mentions, russia 1 / 3 */
    expect_top(c, NM_COUNTS_ENTITIES, 0, now, 10, 2, "country:north_korea", 3, 11);
    /* the current hour only, then both hours merged on the server */
    expect_top(c, NM_COUNTS_ENTITIES, 1, now, 10, 2, "country:north_korea", 2, 6);
    expect_top(c, NM_COUNTS_ENTITIES, 2, now, 1, 1, "country:north_korea", 3, 11);
    expect_top(c, NM_COUNTS_TOPICS, 24, now, 10, 1, "arms_transfer", 1, 0);
    nm_counts_row_t *rows;
    size_t n;
    assert_int_equal(nm_counts_top(c, NM_COUNTS_ENTITIES, 0, now, 10, &rows, &n, g_e, sizeof g_e),
                     NM_OK);
    assert_string_equal(rows[1].id, "country:russia");
    assert_double_eq(rows[1].articles, 1);
    assert_double_eq(rows[1].mentions, 3);
    nm_counts_rows_free(rows, n);

    /* every key carries the tag, and the hour keys expire */
    char key[128];
    snprintf(key, sizeof key, "%sentity:articles:%s", nm_counts_prefix(c), h1);
    redisContext *rc = raw();
    redisReply *r = redisCommand(rc, "TTL %s", key);
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    assert_true(r->integer > 0 && r->integer <= g_cfg->redis_hour_ttl_s);
    freeReplyObject(r);
    redisFree(rc);
    drop_keys(nm_counts_prefix(c));
    nm_counts_destroy(c);
}

static void test_recent_alerts_newest_first_once(void **state) {
    (void)state;
    nm_counts_t *c = nm_counts_new(g_cfg);
    char h[11];
    hour_of(time(NULL), h);
    const char *t1[] = {"arms_transfer"};
    nm_counts_item_t b[] = {item("r1", h, 0, NULL, NULL, 1, t1, "{\"id\":\"r1\"}"),
                            item("r2", h, 0, NULL, NULL, 0, NULL, NULL),
                            item("r3", h, 0, NULL, NULL, 1, t1, "{\"id\":\"r3\"}")};
    assert_int_equal(nm_counts_apply(c, b, 3, NULL, g_e, sizeof g_e), NM_OK);
    assert_int_equal(nm_counts_apply(c, b, 3, NULL, g_e, sizeof g_e), NM_OK); /* redelivery */
    nm_counts_alert_t *al;
    size_t n;
    assert_int_equal(nm_counts_recent_alerts(c, 10, &al, &n, g_e, sizeof g_e), NM_OK);
    assert_int_equal(n, 2);
    assert_string_equal(al[0].json, "{\"id\":\"r3\"}");
    assert_string_equal(al[1].json, "{\"id\":\"r1\"}");
    assert_int_equal(al[0].len, strlen(al[0].json));
    assert_true(strchr(al[0].entry_id, '-') != NULL);
    nm_counts_alerts_free(al, n);
    assert_int_equal(nm_counts_recent_alerts(c, 1, &al, &n, g_e, sizeof g_e), NM_OK);
    assert_int_equal(n, 1);
    assert_string_equal(al[0].json, "{\"id\":\"r3\"}");
    nm_counts_alerts_free(al, n);
    drop_keys(nm_counts_prefix(c));
    nm_counts_destroy(c);

    /* recent_alerts = 0 records none */
    g_cfg->redis_recent_alerts = 0;
    c = nm_counts_new(g_cfg);
    nm_counts_item_t b0[] = {item("z1", h, 0, NULL, NULL, 1, t1, "{\"id\":\"z1\"}")};
    assert_int_equal(nm_counts_apply(c, b0, 1, NULL, g_e, sizeof g_e), NM_OK);
    assert_int_equal(nm_counts_recent_alerts(c, 10, &al, &n, g_e, sizeof g_e), NM_OK);
    assert_int_equal(n, 0);
    nm_counts_alerts_free(al, n);
    drop_keys(nm_counts_prefix(c));
    nm_counts_destroy(c);
    g_cfg->redis_recent_alerts = 1000;
}

/* A batch of `n` articles "<tag>-<k>" at hour `h`, each naming `ent` (and
 * topic arms_transfer when `topic`), applied; returns the surges handed over. */
static size_t surge_batch(nm_counts_t *c, const char *tag, int n, const char *h, const char *ent,
                          int topic, const nm_counts_surge_t **out) {
    static char ids[64][32], sums[64][128]; /* room for the longest id the compiler can see */
    static const char *ents[64][1];
    static const int ment[1] = {1};
    static const char *tops[1] = {"arms_transfer"};
    nm_counts_item_t b[64];
    assert_true(n <= 64);
    for (int k = 0; k < n; k++) {
        snprintf(ids[k], sizeof ids[k], "%s-%d", tag, k);
        snprintf(sums[k], sizeof sums[k], "{\"id\":\"%s\",\"title\":\"T %d\",\"url\":null}", ids[k], k);
        ents[k][0] = ent;
        b[k] = item(ids[k], h, 1, ents[k], ment, topic ? 1 : 0, topic ? tops : NULL, NULL);
        b[k].summary = sums[k];
        b[k].summary_len = strlen(sums[k]);
    }
    assert_int_equal(nm_counts_apply(c, b, (size_t)n, NULL, g_e, sizeof g_e), NM_OK);
    return nm_counts_surges(c, out);
}

static long long zcard(const char *key) {
    redisContext *rc = raw();
    redisReply *r = redisCommand(rc, "ZCARD %s", key);
    long long v = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    if (r) freeReplyObject(r);
    redisFree(rc);
    return v;
}

/* The Lua copy of the rule decides as nm_surge_decide does, inside the
 * batch script: first hours, threshold, cool-down, late data, redelivery,
 * pairs; then the pending record, its lease and the done reports. */
static void test_surges_in_the_batch_script(void **state) {
    (void)state;
    long retry = g_cfg->surge_retry_s;
    int stories = g_cfg->stories_enabled;
    g_cfg->surge_retry_s = 1;
    g_cfg->stories_enabled = 0; /* the rule counts articles (test_surge.sh: stories) */
    nm_counts_t *c = nm_counts_new(g_cfg);
    g_cfg->surge_retry_s = retry;
    g_cfg->stories_enabled = stories;
    nm_entity_t ents[2] = {{.id = "weapon:x"}, {.id = "weapon:y"}};
    nm_topic_t tops[1] = {{.id = "arms_transfer"}};
    nm_surge_pair_t pairs[1] = {{0, 0}};
    nm_rules_t r = {.entities = ents, .nentities = 2, .topics = tops, .ntopics = 1};
    nm_surge_defaults(&r.surge);
    r.surge.min_count = 3;
    r.surge.ratio = 3;
    r.surge.baseline_hours = 4;
    r.surge.cooldown_hours = 2;
    r.surge.min_history_hours = 2;
    r.surge.top_articles = 2;
    r.surge.pairs = pairs;
    r.surge.npairs = 1;
    snprintf(r.version, sizeof r.version, "r-test");
    nm_counts_set_rules(c, &r);
    time_t base = (time(NULL) / 3600 - 100) * 3600;
    char H[6][11];
    for (int k = 0; k < 6; k++) hour_of(base + k * 3600, H[k]);
    const nm_counts_surge_t *s;
    /* the first hour and one after it: too few, then too little history */
    assert_int_equal(surge_batch(c, "a", 1, H[0], "weapon:x", 0, &s), 0);
    assert_int_equal(surge_batch(c, "y0", 1, H[0], "weapon:y", 0, &s), 0);
    assert_int_equal(surge_batch(c, "b", 3, H[1], "weapon:x", 0, &s), 0);
    nm_surge_input_t in = {3, 1, 1, -1};
    assert_int_equal(nm_surge_decide(&r.surge, &in), NM_SURGE_NO_HISTORY);
    /* H3: 4 against a baseline sum 4 (mean 1): below the ratio; but the
     * topic and the pair, new keys with an empty baseline, fire */
    assert_int_equal(surge_batch(c, "c", 4, H[3], "weapon:x", 1, &s), 2);
    assert_non_null(strstr(s[0].json, "\"kind\":\"topic\",\"key\":\"arms_transfer\""));
    assert_non_null(strstr(s[1].json, "\"kind\":\"pair\",\"key\":\"weapon:x|arms_transfer\""));
    assert_non_null(strstr(s[1].json, "\"count\":4,\"baseline\":0.0000,\"ratio\":5.0000"));
    in = (nm_surge_input_t){4, 0, 3, -1};
    assert_int_equal(nm_surge_decide(&r.surge, &in), NM_SURGE_FIRES);
    in = (nm_surge_input_t){4, 4, 3, -1};
    assert_int_equal(nm_surge_decide(&r.surge, &in), NM_SURGE_BELOW_RATIO);
    /* one more article in H3 (5: (5+1)/(1+1) = 3): it fires, once */
    assert_int_equal(surge_batch(c, "d", 1, H[3], "weapon:x", 1, &s), 1);
    in = (nm_surge_input_t){5, 4, 3, -1};
    assert_int_equal(nm_surge_decide(&r.surge, &in), NM_SURGE_FIRES);
    char id[20];
    nm_surge_alert_id(NM_SURGE_ENTITY, "weapon:x", H[3], "r-test", id);
    assert_string_equal(s[0].id, id);
    assert_int_equal(s[0].retry, 0);
    assert_true(s[0].detected_ms > 0);
    assert_non_null(strstr(s[0].json, "\"kind\":\"entity\",\"key\":\"weapon:x\""));
    assert_non_null(strstr(s[0].json, "\"count\":5,\"baseline\":1.0000,\"ratio\":3.0000"));
    assert_non_null(strstr(s[0].json, "\"rules_version\":\"r-test\""));
    /* top_articles = 2: the first two articles of the hour */
    assert_non_null(strstr(s[0].json, "\"articles\":[{\"id\":\"c-0\",\"title\":\"T 0\",\"url\":null},{\"id\":\"c-1\""));
    assert_null(strstr(s[0].json, "c-2"));
    /* redelivered: seen, nothing new; H4 right after: cooling */
    assert_int_equal(surge_batch(c, "d", 1, H[3], "weapon:x", 1, &s), 0);
    assert_int_equal(surge_batch(c, "e", 8, H[4], "weapon:x", 0, &s), 0);
    in = (nm_surge_input_t){8, 8, 4, 1};
    assert_int_equal(nm_surge_decide(&r.surge, &in), NM_SURGE_COOLING);
    /* late data for H2 (after H3 and H4 were counted): 2, then 1 more -> fires */
    assert_int_equal(surge_batch(c, "f", 2, H[2], "weapon:y", 0, &s), 0);
    assert_int_equal(surge_batch(c, "g", 1, H[2], "weapon:y", 0, &s), 1);
    in = (nm_surge_input_t){3, 1, 2, -1};
    assert_int_equal(nm_surge_decide(&r.surge, &in), NM_SURGE_FIRES);
    assert_non_null(strstr(s[0].json, "\"key\":\"weapon:y\""));
    /* a call with nothing to send hands over nothing (not the last call's surges again) */
    assert_int_equal(nm_counts_apply(c, NULL, 0, NULL, g_e, sizeof g_e), NM_OK);
    assert_int_equal(nm_counts_surges(c, &s), 0);
    /* the pair weapon:x|arms_transfer: 5 in H3, counted in its own key */
    redisContext *rc = raw();
    redisReply *rep = redisCommand(rc, "ZSCORE %spair:articles:%s weapon:x|arms_transfer",
                                   nm_counts_prefix(c), H[3]);
    assert_non_null(rep);
    assert_int_equal(rep->type, REDIS_REPLY_STRING);
    assert_string_equal(rep->str, "5");
    freeReplyObject(rep);
    redisFree(rc);
    /* the dashboard's record: the four surges as they fired, newest first */
    nm_counts_alert_t *rec;
    size_t nrec;
    assert_int_equal(nm_counts_recent_surges(c, 10, &rec, &nrec, g_e, sizeof g_e), NM_OK);
    assert_int_equal(nrec, 4);
    assert_non_null(strstr(rec[0].json, "\"key\":\"weapon:y\""));
    assert_non_null(strstr(rec[3].json, "\"kind\":\"topic\""));
    nm_counts_alerts_free(rec, nrec);
    /* four pending surges; their leases run 1 s */
    char pend[128];
    snprintf(pend, sizeof pend, "%ssurge:pending", nm_counts_prefix(c));
    assert_int_equal(zcard(pend), 4);
    assert_int_equal(nm_counts_surge_tick(c, g_e, sizeof g_e), NM_OK);
    assert_int_equal(nm_counts_surges(c, &s), 0);
    usleep(1100 * 1000);
    assert_int_equal(nm_counts_surge_tick(c, g_e, sizeof g_e), NM_OK);
    assert_int_equal(nm_counts_surges(c, &s), 4); /* claimed again: nobody said done */
    for (int k = 0; k < 4; k++) {
        assert_int_equal(s[k].retry, 1);
        assert_int_equal(nm_counts_surge_done(c, s[k].id), NM_OK);
    }
    assert_int_equal(nm_counts_surge_tick(c, g_e, sizeof g_e), NM_OK);
    assert_int_equal(zcard(pend), 0);
    usleep(1100 * 1000);
    assert_int_equal(nm_counts_surge_tick(c, g_e, sizeof g_e), NM_OK);
    assert_int_equal(nm_counts_surges(c, &s), 0);
    drop_keys(nm_counts_prefix(c));
    nm_counts_destroy(c);
}

/* No server: every call fails with a message, nothing crashes. */
/* A synthetic signature: bins base*1000 + bin (same base: the same text). */
static nm_story_sig_t sig_of(uint32_t base) {
    nm_story_sig_t s = {.shingles = 100};
    for (int b = 0; b < NM_STORY_BINS; b++) s.min[b] = base * 1000u + (uint32_t)b;
    return s;
}

static double zscore(const char *prefix, const char *key, const char *member) {
    redisContext *rc = raw();
    redisReply *r = redisCommand(rc, "ZSCORE %s%s %s", prefix, key, member);
    double v = r->type == REDIS_REPLY_STRING ? atof(r->str) : -1;
    freeReplyObject(r);
    redisFree(rc);
    return v;
}

/* A stories test's client, decider and hour. */
typedef struct {
    nm_counts_t *c;
    nm_stories_t *S;
    time_t now;
    char h0[11];
} story_fx_t;

static story_fx_t story_fx(void) {
    story_fx_t f = {nm_counts_new(g_cfg), nm_stories_new(), time(NULL), ""};
    assert_non_null(f.c);
    assert_non_null(f.S);
    hour_of(f.now, f.h0);
    return f;
}

static void story_fx_end(story_fx_t *f) {
    drop_keys(nm_counts_prefix(f->c));
    nm_stories_destroy(f->S);
    nm_counts_destroy(f->c);
}

enum { FX_MAX = 16 };

/* Articles ids[0..n) (signatures sigs, no entities or topics) get their
 * stories and are counted, as one batch; all of them new. */
static void fx_count(story_fx_t *f, const char *const *ids, const nm_story_sig_t *sigs, int n) {
    nm_stories_in_t in[FX_MAX];
    nm_stories_out_t out[FX_MAX];
    nm_counts_item_t items[FX_MAX];
    assert_true(n <= FX_MAX);
    for (int i = 0; i < n; i++) in[i] = (nm_stories_in_t){ids[i], &sigs[i], 0, NULL};
    assert_int_equal(
        nm_stories_assign(f->S, f->c, in, (size_t)n, f->now, NULL, out, g_e, sizeof g_e), NM_OK);
    for (int i = 0; i < n; i++) {
        items[i] = item(ids[i], f->h0, 0, NULL, NULL, 0, NULL, NULL);
        items[i].story = &out[i].counts;
    }
    long long newly;
    assert_int_equal(nm_counts_apply(f->c, items, (size_t)n, &newly, g_e, sizeof g_e), NM_OK);
    assert_int_equal(newly, n);
}

/* Stories through Redis: the lookup finds what the counts script wrote (a
 * copy in a later batch joins the story, a redelivery gets its stored
 * decision), story counts are distinct stories, a story whose first
 * article left the window is no candidate. */
static void test_stories_round_trip(void **state) {
    (void)state;
    story_fx_t fx = story_fx();
    nm_counts_t *c = fx.c;
    nm_stories_t *S = fx.S;
    time_t now = fx.now;
    const char *h0 = fx.h0;
    nm_story_sig_t a = sig_of(1), b = sig_of(2);
    const char *ent[] = {"country:russia"};
    const int men[] = {1};
    const char *top[] = {"arms_transfer"};
    nm_stories_out_t out[2];
    nm_stories_in_t in1[] = {{"a1", &a, 1, top}, {"b1", &b, 0, NULL}};
    assert_int_equal(nm_stories_assign(S, c, in1, 2, now, NULL, out, g_e, sizeof g_e), NM_OK);
    assert_false(out[0].story.copy);
    assert_int_equal(out[0].alert, 1);
    nm_counts_item_t b1[] = {item("a1", h0, 1, ent, men, 1, top, NULL),
                             item("b1", h0, 1, ent, men, 0, NULL, NULL)};
    b1[0].story = &out[0].counts;
    b1[1].story = &out[1].counts;
    long long newly;
    assert_int_equal(nm_counts_apply(c, b1, 2, &newly, g_e, sizeof g_e), NM_OK);
    assert_int_equal(newly, 2);

    /* the next batch: a copy of a1 under a new id, and a1 redelivered */
    nm_stories_in_t in2[] = {{"a2", &a, 1, top}, {"a1", &a, 1, top}};
    assert_int_equal(nm_stories_assign(S, c, in2, 2, now, NULL, out, g_e, sizeof g_e), NM_OK);
    nm_story_t want;
    assert_int_equal(nm_story_of("a1", "a2", &want), NM_OK);
    assert_string_equal(out[0].story.id, want.id);
    assert_true(out[0].story.copy);
    assert_int_equal(out[0].alert, 0); /* its story alerted on arms_transfer already */
    assert_true(out[1].redelivered);
    assert_false(out[1].story.copy);
    assert_int_equal(out[1].alert, 1); /* its stored alert */
    nm_counts_item_t b2[] = {item("a2", h0, 1, ent, men, 1, top, NULL),
                             item("a1", h0, 1, ent, men, 1, top, NULL)};
    b2[0].story = &out[0].counts;
    b2[1].story = &out[1].counts;
    assert_int_equal(nm_counts_apply(c, b2, 2, &newly, g_e, sizeof g_e), NM_OK);
    assert_int_equal(newly, 1);
    const char *p = nm_counts_prefix(c);
    assert_double_eq(zscore(p, "entity:articles", "country:russia"), 3);
    assert_double_eq(zscore(p, "entity:stories", "country:russia"), 2);
    assert_double_eq(zscore(p, "topic:articles", "arms_transfer"), 2);
    assert_double_eq(zscore(p, "topic:stories", "arms_transfer"), 1);
    char hk[32];
    snprintf(hk, sizeof hk, "entity:stories:%s", h0);
    assert_double_eq(zscore(p, hk, "country:russia"), 2);
    expect_top(c, NM_COUNTS_ENTITY_STORIES, 0, now, 10, 1, "country:russia", 2, 0);
    expect_top(c, NM_COUNTS_TOPIC_STORIES, 24, now, 10, 1, "arms_transfer", 1, 0);

    /* a1's story over (its "!" field gone): a new copy starts a story */
    redisContext *rc = raw();
    freeReplyObject(redisCommand(rc, "HDEL %sstory:sig:%s !a1", p, h0));
    redisFree(rc);
    nm_stories_in_t in3[] = {{"a3", &a, 0, NULL}};
    assert_int_equal(nm_stories_assign(S, c, in3, 1, now, NULL, out, g_e, sizeof g_e), NM_OK);
    assert_string_equal(out[0].story.first_article, "a3");
    /* one hour past the window, nothing is found */
    nm_stories_in_t in4[] = {{"b2", &b, 0, NULL}};
    assert_int_equal(nm_stories_assign(S, c, in4, 1, now, NULL, out, g_e, sizeof g_e), NM_OK);
    assert_string_equal(out[0].story.first_article, "b1");
    assert_int_equal(nm_stories_assign(S, c, in4, 1, now + g_cfg->stories_window_s + 3600,
                                       NULL, out, g_e, sizeof g_e),
                     NM_OK);
    assert_string_equal(out[0].story.first_article, "b2");
    story_fx_end(&fx);
}

/* Articles of ONE batch that share a band value all go into its field,
 * newest first, NM_COUNTS_BAND_CAP at most: each article names the day's
 * band hash by its own KEYS index, and the script once kept a field's refs
 * per index, so the last article's write dropped the others' refs. */
static void test_band_field_keeps_a_batchs_articles(void **state) {
    (void)state;
    story_fx_t fx = story_fx();
    enum { N = NM_COUNTS_BAND_CAP + 2 };
    nm_story_sig_t a[N];
    char idb[N][8];
    const char *ids[N];
    for (int i = 0; i < N; i++) {
        a[i] = sig_of(7);
        snprintf(idb[i], sizeof idb[i], "k%d", i);
        ids[i] = idb[i];
    }
    fx_count(&fx, ids, a, N);
    /* every bin of sig_of(7) is 7000 + bin: bin 0's field is "0" + 7000 in hex */
    char want[512] = "";
    for (int i = N - 1; i >= N - NM_COUNTS_BAND_CAP; i--)
        snprintf(want + strlen(want), sizeof want - strlen(want), "%s%s%s", fx.h0, ids[i],
                 i > N - NM_COUNTS_BAND_CAP ? "\n" : "");
    char key[128];
    snprintf(key, sizeof key, "%sstory:band:%.8s", nm_counts_prefix(fx.c), fx.h0);
    redisContext *rc = raw();
    redisReply *r = redisCommand(rc, "HGET %s 000001b58", key);
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    assert_string_equal(r->str, want);
    freeReplyObject(r);
    redisFree(rc);
    story_fx_end(&fx);
}

/* The first articles of the lookup's candidates, sorted, joined by ' '. */
static void cand_names(const nm_counts_found_t *f, char *out, size_t size) {
    const char *v[64];
    size_t n = 0;
    for (size_t k = 0; k < f->ncand && n < 64; k++) v[n++] = f->cand[k].first_article;
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && strcmp(v[j - 1], v[j]) > 0; j--) {
            const char *x = v[j];
            v[j] = v[j - 1];
            v[j - 1] = x;
        }
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        snprintf(out + strlen(out), size - strlen(out), "%s%s", i ? " " : "", v[i]);
}

/* Articles ahead (nm_counts_ahead_t: a batch decided, not counted yet)
 * push refs out of a full band field as their counts will: the lookup
 * then names exactly what it names once those counts are applied, less
 * the articles ahead themselves. */
static void test_lookup_leaves_out_what_the_batch_ahead_pushes_out(void **state) {
    (void)state;
    story_fx_t fx = story_fx();
    /* eight stories of their own that share bin 0's value: its field is full */
    enum { W = NM_COUNTS_BAND_CAP, A = 3 };
    nm_story_sig_t w[W], a[A], b = sig_of(900);
    char wb[W][8], ab[A][8];
    const char *wid[W], *aid[A];
    b.min[0] = 4242;
    for (int i = 0; i < W; i++) {
        w[i] = sig_of(100 + (uint32_t)i);
        w[i].min[0] = 4242;
        snprintf(wb[i], sizeof wb[i], "w%d", i);
        wid[i] = wb[i];
    }
    fx_count(&fx, wid, w, W);
    for (int i = 0; i < A; i++) {
        a[i] = sig_of(200 + (uint32_t)i);
        a[i].min[0] = 4242;
        snprintf(ab[i], sizeof ab[i], "a%d", i);
        aid[i] = ab[i];
    }
    const char *ids[] = {"b0"};
    const nm_story_sig_t *asig[] = {&a[0], &a[1], &a[2]};
    nm_counts_ahead_t ahead = {asig, A, ""};
    memcpy(ahead.day, fx.h0, 8);
    nm_counts_found_t f;
    char names[512];
    assert_int_equal(nm_counts_story_lookup(fx.c, ids, &b, 1, NULL, fx.now, &f, g_e, sizeof g_e),
                     NM_OK);
    cand_names(&f, names, sizeof names);
    assert_string_equal(names, "w0 w1 w2 w3 w4 w5 w6 w7");
    nm_counts_found_free(&f);
    assert_int_equal(nm_counts_story_lookup(fx.c, ids, &b, 1, &ahead, fx.now, &f, g_e, sizeof g_e),
                     NM_OK);
    cand_names(&f, names, sizeof names);
    assert_string_equal(names, "w3 w4 w5 w6 w7");
    nm_counts_found_free(&f);
    /* the batch ahead counted: the field holds it and the same five */
    fx_count(&fx, aid, a, A);
    assert_int_equal(nm_counts_story_lookup(fx.c, ids, &b, 1, NULL, fx.now, &f, g_e, sizeof g_e),
                     NM_OK);
    cand_names(&f, names, sizeof names);
    assert_string_equal(names, "a0 a1 a2 w3 w4 w5 w6 w7");
    nm_counts_found_free(&f);
    story_fx_end(&fx);
}

static void test_unreachable_redis_is_an_error(void **state) {
    (void)state;
    long port = g_cfg->redis_port;
    g_cfg->redis_port = 1; /* nothing listens there */
    nm_counts_t *c = nm_counts_new(g_cfg);
    g_cfg->redis_port = port;
    nm_counts_item_t b[] = {item("x", "2026010100", 0, NULL, NULL, 0, NULL, NULL)};
    assert_int_equal(nm_counts_apply(c, b, 1, NULL, g_e, sizeof g_e), NM_ERR_REDIS);
    assert_non_null(strstr(g_e, "connect"));
    assert_false(nm_counts_ready(c));
    nm_counts_row_t *rows;
    size_t n;
    assert_int_equal(nm_counts_top(c, NM_COUNTS_TOPICS, 0, 0, 5, &rows, &n, g_e, sizeof g_e),
                     NM_ERR_REDIS);
    assert_null(rows);
    nm_counts_destroy(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prefix_is_one_hash_tag),
        cmocka_unit_test(test_batches_count_once_and_merge_hours),
        cmocka_unit_test(test_recent_alerts_newest_first_once),
        cmocka_unit_test(test_surges_in_the_batch_script),
        cmocka_unit_test(test_stories_round_trip),
        cmocka_unit_test(test_band_field_keeps_a_batchs_articles),
        cmocka_unit_test(test_lookup_leaves_out_what_the_batch_ahead_pushes_out),
        cmocka_unit_test(test_unreachable_redis_is_an_error),
    };
    return cmocka_run_group_tests_name("nm_counts", tests, setup, teardown);
}
