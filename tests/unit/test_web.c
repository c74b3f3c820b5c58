/* test_web.c - the dashboard server (nm_web) over HTTP against a real local
 * Redis (port $NM_REDIS_PORT, default 6379; scripts/test.sh starts it): the
 * embedded assets and their headers, every /api/ endpoint on counts written
 * through nm_counts (two hour buckets, so the hour alignment of the series
 * and the movers' windows are checked), filters, bad parameters, a
 * server whose Redis is down, and the story counts once they exist. Each run uses its own key prefix. */
#include "nm_test_util.h"

#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>

#include "nm_config.h"
#include "nm_counts.h"
#include "nm_web.h"
#include "nm_web_assets.h"

static nm_config_t *g_cfg;
static nm_web_t *g_web;
static int g_port;
static time_t g_now;
static char g_e[512];

static int free_port(void) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof sa) || getsockname(s, (struct sockaddr *)&sa, &len))
        fail_msg("no free port");
    close(s);
    return ntohs(sa.sin_port);
}

typedef struct {
    int status;
    char head[4096];
    char *body; /* malloc'd */
    size_t len;
} resp_t;

/* One HTTP/1.0 request to 127.0.0.1:port; the whole answer. */
static resp_t http(int port, const char *method, const char *path) {
    resp_t r = {0};
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(connect(s, (struct sockaddr *)&sa, sizeof sa), 0);
    char req[1024];
    int n = snprintf(req, sizeof req, "%s %s HTTP/1.0\r\nHost: localhost\r\n\r\n", method, path);
    assert_int_equal(write(s, req, (size_t)n), n);
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap + 1);
    ssize_t k;
    while ((k = read(s, buf + len, cap - len)) > 0) {
        len += (size_t)k;
        if (len == cap) buf = realloc(buf, (cap *= 2) + 1);
    }
    close(s);
    buf[len] = '\0';
    char *sep = strstr(buf, "\r\n\r\n");
    assert_non_null(sep);
    size_t hl = (size_t)(sep - buf);
    snprintf(r.head, sizeof r.head, "%.*s", (int)(hl < sizeof r.head - 1 ? hl : sizeof r.head - 1), buf);
    assert_int_equal(sscanf(buf, "HTTP/1.%*d %d", &r.status), 1);
    r.len = len - hl - 4;
    r.body = malloc(r.len + 1);
    memcpy(r.body, sep + 4, r.len + 1);
    free(buf);
    return r;
}

/* GET path, expect `status` and a JSON object; returns it (caller decrefs). */
static json_t *get_json(int port, const char *path, int status) {
    resp_t r = http(port, "GET", path);
    if (r.status != status) fail_msg("GET %s: %d, expected %d: %s", path, r.status, status, r.body);
    assert_non_null(strstr(r.head, "Content-Type: application/json"));
    json_t *o = json_loadb(r.body, r.len, 0, NULL);
    if (!json_is_object(o)) fail_msg("GET %s: not a JSON object: %s", path, r.body);
    free(r.body);
    return o;
}

static void hour_of(time_t at, char out[11]) {
    struct tm tm;
    gmtime_r(&at, &tm);
    strftime(out, 11, "%Y%m%d%H", &tm);
}

static nm_counts_item_t item(const char *id, const char *hour, int nent, const char *const *ents,
                             const int *ment, int ntop, const char *const *tops,
                             const char *alert) {
    nm_counts_item_t it = {.id = id, .relevant = ntop > 0, .nentities = nent, .entities = ents,
                           .mentions = ment, .ntopics = ntop, .topics = tops, .alert = alert,
                           .alert_len = alert ? strlen(alert) : 0};
    snprintf(it.hour, sizeof it.hour, "%s", hour);
    return it;
}

/* Counts in two hour buckets: now (a1, a2, a3) and three hours ago (b1);
 * alerts for a1 (en, arms_transfer) then a2 (ko, sanctions_un). */
static int setup(void **state) {
    (void)state;
    g_cfg = nm_config_load(NULL, g_e, sizeof g_e);
    if (!g_cfg || nm_fixture_setup(state)) return -1;
    const char *port = getenv("NM_REDIS_PORT");
    if (port) g_cfg->redis_port = atol(port);
    char prefix[64];
    snprintf(prefix, sizeof prefix, "uw%ld-%d:", (long)time(NULL), (int)getpid());
    free(g_cfg->redis_prefix);
    g_cfg->redis_prefix = strdup(prefix);
    g_now = time(NULL);
    if (3600 - g_now % 3600 < 10) { /* all requests must fall in the hour of the counts */
        sleep((unsigned)(3600 - g_now % 3600) + 1);
        g_now = time(NULL);
    }
    char h0[11], h3[11];
    hour_of(g_now, h0);
    hour_of(g_now - 3 * 3600, h3);
    static const char *const ru_kp[] = {"country:russia", "country:north_korea"};
    static const char *const ru[] = {"country:russia"};
    static const int m21[] = {2, 1}, m1[] = {1}, m5[] = {5};
    static const char *const arms[] = {"arms_transfer"}, *const sanc[] = {"sanctions_un"};
    const char *al1 = "{\"id\":\"a1\",\"title\":\"Shells\",\"lang\":\"en\",\"score\":9.5,"
                      "\"topics\":[{\"id\":\"arms_transfer\",\"score\":9.5,\"evidence\":[{\"term\":"
                      "\"shells\",\"snippet\":\"ships shells\"}]}],\"entities\":[\"country:russia\","
                      "\"country:north_korea\"]}";
    const char *al2 = "{\"id\":\"a2\",\"title\":\"Vote\",\"lang\":\"ko\",\"score\":7,"
                      "\"topics\":[{\"id\":\"sanctions_un\",\"score\":7,\"evidence\":[]}],"
                      "\"entities\":[\"country:russia\"]}";
    nm_counts_item_t b[] = {item("a1", h0, 2, ru_kp, m21, 1, arms, al1),
                            item("a2", h0, 1, ru, m1, 1, sanc, al2),
                            item("a3", h0, 1, ru, m1, 0, NULL, NULL),
                            item("b1", h3, 1, ru, m5, 1, arms, NULL)};
    nm_counts_t *c = nm_counts_new(g_cfg);
    if (!c || nm_counts_apply(c, b, 4, NULL, g_e, sizeof g_e)) {
        fprintf(stderr, "Redis on port %ld: %s\n", g_cfg->redis_port, g_e);
        nm_counts_destroy(c);
        return -1;
    }
    nm_counts_destroy(c);
    g_port = free_port();
    char listen[32];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", g_port);
    if (nm_web_start(g_cfg, g_rules, listen, &g_web, g_e, sizeof g_e)) {
        fprintf(stderr, "nm_web_start: %s\n", g_e);
        return -1;
    }
    return 0;
}

static int teardown(void **state) {
    nm_web_stop(g_web);
    redisContext *rc = redisConnect(g_cfg->redis_host, (int)g_cfg->redis_port);
    char pat[80];
    snprintf(pat, sizeof pat, "{%.*s}*", (int)strlen(g_cfg->redis_prefix) - 1, g_cfg->redis_prefix);
    redisReply *r = rc && !rc->err ? redisCommand(rc, "KEYS %s", pat) : NULL;
    for (size_t i = 0; r && i < r->elements; i++)
        freeReplyObject(redisCommand(rc, "DEL %s", r->element[i]->str));
    if (r) freeReplyObject(r);
    if (rc) redisFree(rc);
    nm_config_destroy(g_cfg);
    return nm_fixture_teardown(state);
}

static void test_assets_and_headers(void **state) {
    (void)state;
    resp_t r = http(g_port, "GET", "/");
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.head, "Content-Type: text/html"));
    assert_non_null(strstr(r.head, "Content-Security-Policy: default-src 'self'"));
    assert_non_null(strstr(r.head, "Cache-Control: no-store"));
    assert_non_null(strstr(r.body, "/vendor/uPlot.iife.min.js"));
    free(r.body);
    for (size_t i = 0; i < nm_web_nassets; i++) { /* every embedded file, byte for byte */
        r = http(g_port, "GET", nm_web_assets[i].url);
        assert_int_equal(r.status, 200);
        assert_int_equal(r.len, nm_web_assets[i].len);
        assert_memory_equal(r.body, nm_web_assets[i].data, r.len);
        free(r.body);
    }
    r = http(g_port, "GET", "/nope");
    assert_int_equal(r.status, 404);
    free(r.body);
    r = http(g_port, "POST", "/api/status");
    assert_int_equal(r.status, 405);
    free(r.body);
}

static double row_val(json_t *rows, const char *id, const char *col) {
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
        if (!strcmp(json_string_value(json_object_get(r, "id")), id))
            return json_number_value(json_object_get(r, col));
    return -1;
}

static void test_top_windows(void **state) {
    (void)state;
    json_t *o = get_json(g_port, "/api/top?kind=entity&hours=1", 200);
    json_t *rows = json_object_get(o, "rows");
    assert_int_equal(json_array_size(rows), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 0), "id")),
                        "country:russia"); /* 3 articles, then north_korea with 1 */
    assert_double_eq(row_val(rows, "country:russia", "articles"), 3);
    assert_double_eq(row_val(rows, "country:russia", "mentions"), 4);
    assert_true(json_is_null(json_object_get(json_array_get(rows, 0), "stories")));
    json_decref(o);
    o = get_json(g_port, "/api/top?kind=entity&hours=4", 200);
    assert_double_eq(row_val(json_object_get(o, "rows"), "country:russia", "articles"), 4);
    assert_double_eq(row_val(json_object_get(o, "rows"), "country:russia", "mentions"), 9);
    json_decref(o);
    o = get_json(g_port, "/api/top?kind=topic&hours=0&n=1", 200); /* all time, top 1 */
    rows = json_object_get(o, "rows");
    assert_int_equal(json_array_size(rows), 1);
    assert_double_eq(row_val(rows, "arms_transfer", "articles"), 2);
    assert_null(json_object_get(json_array_get(rows, 0), "mentions"));
    json_decref(o);
    json_decref(get_json(g_port, "/api/top?kind=person", 400));
    json_decref(get_json(g_port, "/api/top?hours=-1", 400));
    json_decref(get_json(g_port, "/api/top?n=0", 400));
}

static void test_series_hour_alignment(void **state) {
    (void)state;
    json_t *o = get_json(g_port, "/api/series?kind=entity&hours=5&ids=country:russia,place:nowhere", 200);
    json_t *t = json_object_get(o, "t"), *s = json_object_get(o, "series");
    assert_int_equal(json_array_size(t), 5);
    json_int_t now = json_integer_value(json_object_get(o, "now"));
    assert_int_equal(json_integer_value(json_array_get(t, 4)), now / 3600 * 3600);
    assert_int_equal(json_integer_value(json_array_get(t, 0)), now / 3600 * 3600 - 4 * 3600);
    json_t *ru = json_object_get(json_array_get(s, 0), "articles");
    const double want[5] = {0, 1, 0, 0, 3}; /* b1 three hours ago, a1..a3 now */
    for (size_t h = 0; h < 5; h++) assert_double_eq(json_number_value(json_array_get(ru, h)), want[h]);
    json_t *none = json_object_get(json_array_get(s, 1), "articles");
    for (size_t h = 0; h < 5; h++) assert_double_eq(json_number_value(json_array_get(none, h)), 0);
    assert_true(json_is_null(json_object_get(json_array_get(s, 0), "stories")));
    json_decref(o);
    o = get_json(g_port, "/api/series?kind=topic&hours=1", 200); /* no ids: the top of the hour */
    s = json_object_get(o, "series");
    assert_int_equal(json_array_size(s), 2);
    json_decref(o);
    json_decref(get_json(g_port, "/api/series?hours=745", 400));
}

static void test_movers(void **state) {
    (void)state;
    /* last 2 hours: russia 3, north_korea 1; the 2 before (2-3 h ago): russia 1 */
    json_t *o = get_json(g_port, "/api/movers?kind=entity&hours=2", 200);
    json_t *rows = json_object_get(o, "rows");
    assert_int_equal(json_array_size(rows), 2);
    assert_double_eq(row_val(rows, "country:russia", "current"), 3);
    assert_double_eq(row_val(rows, "country:russia", "previous"), 1);
    assert_double_eq(row_val(rows, "country:russia", "ratio"), 2);
    assert_double_eq(row_val(rows, "country:north_korea", "ratio"), 2);
    json_decref(o);
    o = get_json(g_port, "/api/movers?kind=entity&hours=2&min=2", 200);
    assert_int_equal(json_array_size(json_object_get(o, "rows")), 1);
    json_decref(o);
}

static size_t alert_count(const char *path, const char *first_id) {
    json_t *o = get_json(g_port, path, 200);
    json_t *a = json_object_get(o, "alerts");
    size_t n = json_array_size(a);
    if (first_id) {
        assert_true(n > 0);
        assert_string_equal(json_string_value(json_object_get(json_array_get(a, 0), "id")), first_id);
        assert_true(json_integer_value(json_object_get(json_array_get(a, 0), "recorded_at")) > 0);
    }
    json_decref(o);
    return n;
}

static void test_alerts_and_filters(void **state) {
    (void)state;
    assert_int_equal(alert_count("/api/alerts", "a2"), 2); /* newest first */
    assert_int_equal(alert_count("/api/alerts?n=1", "a2"), 1);
    assert_int_equal(alert_count("/api/alerts?lang=en", "a1"), 1);
    assert_int_equal(alert_count("/api/alerts?topic=sanctions_un", "a2"), 1);
    assert_int_equal(alert_count("/api/alerts?entity=country:north_korea", "a1"), 1);
    assert_int_equal(alert_count("/api/alerts?entity=country:russia&lang=fr", NULL), 0);
    json_decref(get_json(g_port, "/api/alerts?n=501", 400));
    json_t *o = get_json(g_port, "/api/surges", 200);
    assert_int_equal(json_array_size(json_object_get(o, "surges")), 0);
    json_decref(o);
}

static void test_status_and_names(void **state) {
    (void)state;
    json_t *o = get_json(g_port, "/api/status", 200);
    assert_string_equal(json_string_value(json_object_get(o, "redis")), "up");
    assert_int_equal(json_integer_value(json_object_get(o, "articles")), 4);
    assert_int_equal(json_integer_value(json_object_get(o, "relevant")), 3);
    json_int_t now = json_integer_value(json_object_get(o, "now"));
    assert_int_equal(json_integer_value(json_object_get(o, "newest_hour")), now / 3600 * 3600);
    assert_true(json_is_true(json_object_get(o, "alerts")));
    assert_true(json_is_false(json_object_get(o, "stories")));
    json_decref(o);
    o = get_json(g_port, "/api/names", 200);
    json_t *e = json_object_get(json_object_get(o, "entities"), g_rules->entities[0].id);
    assert_string_equal(json_string_value(json_object_get(e, "name")), g_rules->entities[0].name);
    assert_string_equal(json_string_value(json_object_get(json_object_get(o, "topics"), g_rules->topics[0].id)),
                        g_rules->topics[0].name);
    json_decref(o);
}

static void test_redis_down_is_503(void **state) {
    (void)state;
    long port = g_cfg->redis_port;
    g_cfg->redis_port = free_port(); /* nothing listens there */
    int wport = free_port();
    char listen[32];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", wport);
    nm_web_t *w;
    assert_int_equal(nm_web_start(g_cfg, g_rules, listen, &w, g_e, sizeof g_e), NM_OK);
    for (const char *const *p = (const char *const[]){"/api/status", "/api/top", "/api/series",
                                                       "/api/movers", "/api/alerts", NULL};
         *p; p++) {
        json_t *o = get_json(wport, *p, 503);
        assert_string_equal(json_string_value(json_object_get(o, "redis")), "down");
        assert_non_null(strstr(json_string_value(json_object_get(o, "error")), "connect"));
        json_decref(o);
    }
    resp_t r = http(wport, "GET", "/"); /* the page itself needs no Redis */
    assert_int_equal(r.status, 200);
    free(r.body);
    nm_web_stop(w);
    g_cfg->redis_port = port;
    assert_int_equal(nm_web_start(g_cfg, g_rules, "127.0.0.1:nope", &w, g_e, sizeof g_e), NM_ERR_CONFIG);
    assert_null(w);
    assert_int_equal(nm_web_start(g_cfg, g_rules, listen, &w, g_e, sizeof g_e), NM_OK);
    nm_web_t *w2;
    assert_int_equal(nm_web_start(g_cfg, g_rules, listen, &w2, g_e, sizeof g_e), NM_ERR_IO);
    nm_web_stop(w);
}

/* Once the daemon counts stories (last: the other cases see none): two
 * copies of one story count two articles and one story, next to the
 * articles in /api/top and /api/series, and the status says so. */
static void test_stories_when_counted(void **state) {
    (void)state;
    char h0[11];
    hour_of(g_now, h0);
    static const char *const ru[] = {"country:russia"};
    static const int m1[] = {1};
    nm_story_sig_t none = {.shingles = 0}; /* not indexed: only the story's counts */
    nm_counts_story_t st = {.story_id = "s-00000000000000aa", .first_article = "c1",
                            .first_hour = h0, .index_hour = h0, .starts = 1, .alerted = "",
                            .decision = "S00000000000,\n", .sig = &none};
    nm_counts_item_t b[] = {item("c1", h0, 1, ru, m1, 0, NULL, NULL),
                            item("c2", h0, 1, ru, m1, 0, NULL, NULL)};
    b[0].story = b[1].story = &st;
    nm_counts_t *c = nm_counts_new(g_cfg);
    assert_int_equal(nm_counts_apply(c, b, 2, NULL, g_e, sizeof g_e), NM_OK);
    nm_counts_destroy(c);
    json_t *o = get_json(g_port, "/api/status", 200);
    assert_true(json_is_true(json_object_get(o, "stories")));
    json_decref(o);
    o = get_json(g_port, "/api/top?kind=entity&hours=1", 200);
    json_t *rows = json_object_get(o, "rows");
    assert_double_eq(row_val(rows, "country:russia", "articles"), 5);
    assert_double_eq(row_val(rows, "country:russia", "stories"), 1);
    assert_double_eq(row_val(rows, "country:north_korea", "stories"), 0);
    json_decref(o);
    o = get_json(g_port, "/api/series?kind=entity&hours=2&ids=country:russia", 200);
    json_t *sto = json_object_get(json_array_get(json_object_get(o, "series"), 0), "stories");
    assert_int_equal(json_array_size(sto), 2);
    assert_double_eq(json_number_value(json_array_get(sto, 0)), 0);
    assert_double_eq(json_number_value(json_array_get(sto, 1)), 1);
    json_decref(o);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_assets_and_headers), cmocka_unit_test(test_top_windows),
        cmocka_unit_test(test_series_hour_alignment), cmocka_unit_test(test_movers),
        cmocka_unit_test(test_alerts_and_filters), cmocka_unit_test(test_status_and_names),
        cmocka_unit_test(test_redis_down_is_503), cmocka_unit_test(test_stories_when_counted),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
