/* nm_cmd_top.c - `newsmon top`: read the counts back from Redis. */
#include <getopt.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nm_cli.h"
#include "nm_counts.h"

typedef struct {
    char id[128];
    double articles, mentions;
} nm_row_t;

typedef struct {
    nm_row_t *rows;
    size_t n, cap;
} nm_table_t;

static nm_row_t *nm_row(nm_table_t *t, const char *id) {
    for (size_t i = 0; i < t->n; i++)
        if (!strcmp(t->rows[i].id, id)) return &t->rows[i];
    if (t->n == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 64;
        nm_row_t *nr = realloc(t->rows, nc * sizeof *nr);
        if (!nr) return NULL;
        t->rows = nr;
        t->cap = nc;
    }
    nm_row_t *r = &t->rows[t->n++];
    memset(r, 0, sizeof *r);
    snprintf(r->id, sizeof r->id, "%s", id);
    return r;
}

/* Add a whole sorted set into column `col` (0 articles, 1 mentions). */
static int nm_add_zset(redisContext *rc, const char *key, nm_table_t *t, int col) {
    redisReply *r = redisCommand(rc, "ZRANGE %s 0 -1 WITHSCORES", key);
    if (!r || r->type != REDIS_REPLY_ARRAY) {
        fprintf(stderr, "newsmon: ZRANGE %s: %s\n", key,
                r && r->str ? r->str : rc->errstr);
        if (r) freeReplyObject(r);
        return -1;
    }
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
        nm_row_t *row = nm_row(t, r->element[i]->str);
        if (!row) break;
        double v = strtod(r->element[i + 1]->str, NULL);
        if (col) row->mentions += v;
        else row->articles += v;
    }
    freeReplyObject(r);
    return 0;
}

static int nm_row_cmp(const void *a, const void *b) {
    const nm_row_t *x = a, *y = b;
    if (x->articles != y->articles) return x->articles < y->articles ? 1 : -1;
    if (x->mentions != y->mentions) return x->mentions < y->mentions ? 1 : -1;
    return strcmp(x->id, y->id);
}

static void nm_top_usage(FILE *f) {
    fprintf(f,
            "Usage: newsmon top [-c FILE] [--entities|--topics] [-n N] [--hours H]\n"
            "\n"
            "Prints the most frequent entities (default) or topics from the Redis counts:\n"
            "articles naming each (and, for entities, total mentions), best first.\n"
            "\n"
            "  -c, --config FILE   configuration file ([redis])\n"
            "  --entities          entities (default)\n"
            "  --topics            topics of relevant articles\n"
            "  -n N                rows to print (default 10)\n"
            "  --hours H           only the last H hours (UTC hour buckets), else all time\n"
            "  -h, --help          this help\n");
}

int nm_cmd_top(int argc, char **argv) {
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"entities", no_argument, NULL, 'e'},
                                         {"topics", no_argument, NULL, 't'},
                                         {"hours", required_argument, NULL, 'H'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *config = NULL;
    int topics = 0, c;
    long n = 10, hours = 0;
    char *end;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:n:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'e': topics = 0; break;
        case 't': topics = 1; break;
        case 'n':
            n = strtol(optarg, &end, 10);
            if (*end || n < 1 || n > 100000) { fprintf(stderr, "newsmon: -n takes 1..100000\n"); return NM_EXIT_USAGE; }
            break;
        case 'H':
            hours = strtol(optarg, &end, 10);
            if (*end || hours < 1 || hours > 24 * 366) { fprintf(stderr, "newsmon: --hours takes 1..8784\n"); return NM_EXIT_USAGE; }
            break;
        case 'h': nm_top_usage(stdout); return NM_EXIT_OK;
        default: nm_top_usage(stderr); return NM_EXIT_USAGE;
        }
    }
    if (optind != argc) { nm_top_usage(stderr); return NM_EXIT_USAGE; }
    nm_cli_env_t env;
    int rc = nm_cli_setup(config, 0, &env);
    if (rc) return rc;
    nm_counts_t *counts = nm_counts_new(env.cfg);
    char e[512];
    redisContext *rctx = counts ? nm_counts_context(counts, e, sizeof e) : NULL;
    if (!rctx) {
        fprintf(stderr, "newsmon: Redis %s:%ld: %s\n", env.cfg->redis_host, env.cfg->redis_port,
                counts ? e : "out of memory");
        nm_counts_destroy(counts);
        nm_cli_teardown(&env);
        return NM_EXIT_FAIL;
    }
    const char *p = env.cfg->redis_prefix;
    const char *kinds[2] = {topics ? "topic:articles" : "entity:articles",
                            topics ? NULL : "entity:mentions"};
    nm_table_t t = {0};
    time_t now = time(NULL);
    for (long h = 0; h < (hours ? hours : 1) && rc == 0; h++) {
        for (int k = 0; k < 2 && rc == 0; k++) {
            if (!kinds[k]) continue;
            char key[512], hour[16];
            if (hours) {
                time_t at = now - h * 3600;
                struct tm tm;
                gmtime_r(&at, &tm);
                strftime(hour, sizeof hour, "%Y%m%d%H", &tm);
                snprintf(key, sizeof key, "%s%s:%s", p, kinds[k], hour);
            } else {
                snprintf(key, sizeof key, "%s%s", p, kinds[k]);
            }
            if (nm_add_zset(rctx, key, &t, k)) rc = NM_EXIT_FAIL;
        }
    }
    if (rc == 0) {
        if (t.n) qsort(t.rows, t.n, sizeof *t.rows, nm_row_cmp);
        printf("%-4s %-32s %10s%s\n", "rank", topics ? "topic" : "entity", "articles",
               topics ? "" : "   mentions");
        for (size_t i = 0; i < t.n && (long)i < n; i++) {
            if (topics) printf("%-4zu %-32s %10.0f\n", i + 1, t.rows[i].id, t.rows[i].articles);
            else printf("%-4zu %-32s %10.0f %10.0f\n", i + 1, t.rows[i].id, t.rows[i].articles,
                        t.rows[i].mentions);
        }
        if (t.n == 0) printf("(no counts yet%s)\n", hours ? " in that window" : "");
    }
    free(t.rows);
    nm_counts_destroy(counts);
    nm_cli_teardown(&env);
    return rc;
}
