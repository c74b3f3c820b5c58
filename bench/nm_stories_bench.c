/* nm_stories_bench.c - what the daemon's stories cost in Redis.
 *
 *   nm_stories_bench [-c CONF] [-n ARTICLES] [-b BATCH]
 *
 * Against the Redis of CONF ([redis], NEWSMON_REDIS_PORT overrides), under a
 * key prefix of its own (deleted at the end): writes n distinct articles in
 * batches as the daemon does (nm_stories_assign: the lookup, then
 * nm_counts_apply: the counts script with the story writes), each with 3
 * entities and a topic, and the same n articles again under another prefix
 * without stories. Prints Redis's used_memory per article for both and the
 * difference (what stories add per article in the window), and the mean
 * wall time of the lookup and of the counts call per batch: for distinct
 * articles (band keys empty or unrelated) and for a batch of copies of
 * articles in the window (each finds its original); and the Redis
 * server's CPU time for the same calls (INFO cpu), which a loaded machine
 * inflates less than the wall time. The signatures are
 * random (distinct articles share no band value, as real distinct articles
 * almost never do), 300 shingles each.
 */
#include <getopt.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nm_config.h"
#include "nm_counts.h"
#include "nm_stories.h"

static double wall_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static uint64_t g_rng = 0x9e3779b97f4a7c15ULL;
static uint32_t rnd(void) {
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (uint32_t)(g_rng >> 16);
}

static long long used_memory(const nm_config_t *cfg) {
    redisContext *rc = redisConnect(cfg->redis_host, (int)cfg->redis_port);
    redisReply *r = rc && !rc->err ? redisCommand(rc, "INFO memory") : NULL;
    const char *p = r && r->str ? strstr(r->str, "used_memory:") : NULL;
    long long v = p ? atoll(p + 12) : -1;
    if (r) freeReplyObject(r);
    if (rc) redisFree(rc);
    return v;
}

static void drop(const nm_config_t *cfg, const char *tagged) {
    redisContext *rc = redisConnect(cfg->redis_host, (int)cfg->redis_port);
    if (!rc || rc->err) return;
    char pat[128];
    snprintf(pat, sizeof pat, "%s*", tagged);
    redisReply *r = redisCommand(rc, "KEYS %s", pat);
    for (size_t i = 0; r && i < r->elements; i++)
        freeReplyObject(redisCommand(rc, "UNLINK %s", r->element[i]->str));
    if (r) freeReplyObject(r);
    redisFree(rc);
}

typedef struct {
    double lookup_ms, apply_ms, lookup_cpu, apply_cpu; /* wall, and Redis's CPU time */
    long batches;
} nm_cost_t;

static redisContext *g_info; /* for Redis's own CPU time (INFO cpu) */

/* used_cpu_sys + used_cpu_user of the Redis server, in ms: unlike the wall
 * time, not inflated by other processes on a shared machine */
static double redis_cpu_ms(void) {
    redisReply *r = redisCommand(g_info, "INFO cpu");
    double v = 0;
    const char *p;
    if (r && r->str && (p = strstr(r->str, "used_cpu_sys:"))) v += atof(p + 13);
    if (r && r->str && (p = strstr(r->str, "used_cpu_user:"))) v += atof(p + 14);
    if (r) freeReplyObject(r);
    return v * 1e3;
}

static const char *const ENT[] = {"country:russia", "country:north_korea", "person:kim_jong_un",
                                  "person:vladimir_putin", "weapon:ballistic_missile",
                                  "org:un_security_council", "place:pyongyang", "place:moscow"};
static const char *const TOP[] = {"arms_transfer", "troop_deployment", "sanctions_un"};

/* Write articles [from, to) of ids/sigs in batches; with stories unless S is NULL. */
static int run(nm_counts_t *c, nm_stories_t *S, char (*ids)[40], nm_story_sig_t *sigs,
               size_t from, size_t to, size_t batch, nm_cost_t *cost) {
    char e[512], hour[11];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(hour, sizeof hour, "%Y%m%d%H", &tm);
    nm_stories_in_t *in = calloc(batch, sizeof *in);
    nm_stories_out_t *out = calloc(batch, sizeof *out);
    nm_counts_item_t *items = calloc(batch, sizeof *items);
    const char *(*ents)[3] = calloc(batch, sizeof *ents);
    int men[3] = {2, 1, 1};
    for (size_t at = from; at < to; at += batch) {
        size_t n = to - at < batch ? to - at : batch;
        for (size_t i = 0; i < n; i++) {
            size_t k = at + i;
            in[i] = (nm_stories_in_t){ids[k], &sigs[k], 1, &TOP[k % 3]};
        }
        double c0 = redis_cpu_ms(), t0 = wall_ms();
        if (S && nm_stories_assign(S, c, in, n, now, NULL, out, e, sizeof e)) {
            fprintf(stderr, "nm_stories_bench: %s\n", e);
            return -1;
        }
        double t1 = wall_ms(), c1 = redis_cpu_ms();
        for (size_t i = 0; i < n; i++) {
            size_t k = at + i;
            ents[i][0] = ENT[k % 8];
            ents[i][1] = ENT[(k / 8) % 8 == k % 8 ? (k + 1) % 8 : (k / 8) % 8];
            ents[i][2] = "country:china";
            items[i] = (nm_counts_item_t){.id = ids[k], .relevant = 1, .nentities = 3,
                                          .entities = ents[i], .mentions = men, .ntopics = 1,
                                          .topics = &TOP[k % 3],
                                          .story = S ? &out[i].counts : NULL};
            memcpy(items[i].hour, hour, 11);
        }
        if (nm_counts_apply(c, items, n, NULL, e, sizeof e)) {
            fprintf(stderr, "nm_stories_bench: %s\n", e);
            return -1;
        }
        double t2 = wall_ms(), c2 = redis_cpu_ms();
        cost->lookup_ms += t1 - t0;
        cost->apply_ms += t2 - t1;
        cost->lookup_cpu += c1 - c0;
        cost->apply_cpu += c2 - c1;
        cost->batches++;
    }
    free(in);
    free(out);
    free(items);
    free(ents);
    return 0;
}

int main(int argc, char **argv) {
    const char *conf = "config/newsmon.conf";
    long n = 20000, batch = 500;
    int c;
    while ((c = getopt(argc, argv, "c:n:b:")) != -1) {
        if (c == 'c') conf = optarg;
        else if (c == 'n') n = atol(optarg);
        else if (c == 'b') batch = atol(optarg);
        else return 2;
    }
    if (n < 1 || batch < 1) return 2;
    char err[512];
    nm_config_t *cfg = nm_config_load(conf, err, sizeof err);
    if (!cfg) { fprintf(stderr, "nm_stories_bench: %s\n", err); return 2; }
    char (*ids)[40] = calloc((size_t)n, sizeof *ids);
    nm_story_sig_t *sigs = calloc((size_t)n + (size_t)batch, sizeof *sigs);
    if (!ids || !sigs) return 1;
    for (long i = 0; i < n; i++) {
        snprintf(ids[i], sizeof ids[i], "bench-%08ld-outlet.example", i % 100000000); /* fits */
        sigs[i].shingles = 300;
        for (int b = 0; b < NM_STORY_BINS; b++) sigs[i].min[b] = rnd();
    }
    long long m[3];
    nm_cost_t with = {0}, without = {0}, copies = {0};
    char prefix[2][64];
    snprintf(prefix[0], sizeof prefix[0], "bench%d:", (int)getpid());
    snprintf(prefix[1], sizeof prefix[1], "bench%dn:", (int)getpid());
    nm_stories_t *S = nm_stories_new();
    free(cfg->redis_prefix);
    cfg->redis_prefix = strdup(prefix[0]);
    nm_counts_t *cs = nm_counts_new(cfg);
    free(cfg->redis_prefix);
    cfg->redis_prefix = strdup(prefix[1]);
    nm_counts_t *cn = nm_counts_new(cfg);
    g_info = redisConnect(cfg->redis_host, (int)cfg->redis_port);
    if (!S || !cs || !cn || !g_info || g_info->err) return 1;
    m[0] = used_memory(cfg);
    if (run(cs, S, ids, sigs, 0, (size_t)n, (size_t)batch, &with)) return 1;
    m[1] = used_memory(cfg);
    if (run(cn, NULL, ids, sigs, 0, (size_t)n, (size_t)batch, &without)) return 1;
    m[2] = used_memory(cfg);
    /* a batch of copies: new ids, the signatures of articles in the window */
    char (*cid)[40] = calloc((size_t)batch, sizeof *cid);
    for (long i = 0; i < batch; i++) {
        snprintf(cid[i], sizeof cid[i], "copy-%08ld-outlet.example", i);
        sigs[n + i] = sigs[(i * 37) % n];
        sigs[n + i].min[i % NM_STORY_BINS] ^= 1; /* a word changed */
    }
    char (*all)[40] = calloc((size_t)n + (size_t)batch, sizeof *all);
    memcpy(all, ids, (size_t)n * sizeof *ids);
    memcpy(all + n, cid, (size_t)batch * sizeof *cid);
    if (run(cs, S, all, sigs, (size_t)n, (size_t)n + (size_t)batch, (size_t)batch, &copies))
        return 1;
    printf("articles=%ld batch=%ld window_s=%ld\n", n, batch, cfg->stories_window_s);
    printf("bytes_per_article_with_stories=%.0f bytes_per_article_without=%.0f "
           "stories_add=%.0f\n",
           (double)(m[1] - m[0]) / n, (double)(m[2] - m[1]) / n,
           (double)(m[1] - m[0] - (m[2] - m[1])) / n);
    printf("lookup_ms_per_batch=%.2f counts_ms_per_batch_with=%.2f counts_ms_per_batch_without=%.2f\n",
           with.lookup_ms / with.batches, with.apply_ms / with.batches,
           without.apply_ms / without.batches);
    printf("redis_cpu_ms_per_batch: lookup=%.2f counts_with=%.2f counts_without=%.2f\n",
           with.lookup_cpu / with.batches, with.apply_cpu / with.batches,
           without.apply_cpu / without.batches);
    printf("copies_batch: lookup_ms=%.2f counts_ms=%.2f redis_cpu_ms: lookup=%.2f counts=%.2f\n",
           copies.lookup_ms, copies.apply_ms, copies.lookup_cpu, copies.apply_cpu);
    redisFree(g_info);
    drop(cfg, nm_counts_prefix(cs));
    drop(cfg, nm_counts_prefix(cn));
    nm_counts_destroy(cs);
    nm_counts_destroy(cn);
    nm_stories_destroy(S);
    free(ids);
    free(cid);
    free(all);
    free(sigs);
    nm_config_destroy(cfg);
    return 0;
}
