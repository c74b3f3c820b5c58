/* nm_cmd_top.c - `newsmon top`: read the counts back from Redis. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nm_cli.h"
#include "nm_counts.h"
#include "nm_rules.h"
#include "nm_surge.h"

static void nm_top_usage(FILE *f) {
    fprintf(f,
            "Usage: newsmon top [-c FILE] [--entities|--topics] [--stories] [-n N] [--hours H]\n"
            "       newsmon top [-c FILE] --movers [-n N] [--hours H]\n"
            "\n"
            "Prints the most frequent entities (default) or topics from the Redis counts:\n"
            "articles naming each (and, for entities, total mentions), best first.\n"
            "--movers: entities, topics and the [surge] pairs of the rules with stories\n"
            "(articles with [stories] off) in the last H hours (default 1), ranked by\n"
            "(count + 1) / (baseline + 1), the surge rule's ratio; baseline: their mean\n"
            "per H hours over the rules' baseline_hours before the window.\n"
            "\n"
            "  -c, --config FILE   configuration file ([redis])\n"
            "  --entities          entities (default)\n"
            "  --topics            topics of relevant articles\n"
            "  --movers            keys ranked by ratio over their baseline\n"
            "  --stories           distinct stories instead of articles (syndicated copies\n"
            "                      of one story count once; README, \"Stories\")\n"
            "  -n N                rows to print (default 10)\n"
            "  --hours H           only the last H hours (UTC hour buckets), else all time\n"
            "  -h, --help          this help\n");
}

static int nm_top_movers(const nm_cli_env_t *env, long hours, size_t n) {
    nm_counts_t *counts = nm_counts_new(env->cfg);
    nm_counts_mover_t *rows = NULL;
    size_t nrows = 0;
    char e[512];
    long bh = env->rules->surge.baseline_hours;
    if (!counts || nm_counts_movers(counts, hours, bh, time(NULL), n, &rows, &nrows, e, sizeof e)) {
        fprintf(stderr, "newsmon: Redis %s:%ld: %s\n", env->cfg->redis_host, env->cfg->redis_port,
                counts ? e : "out of memory");
        nm_counts_destroy(counts);
        return NM_EXIT_FAIL;
    }
    printf("%-4s %-6s %-40s %8s %9s %8s\n", "rank", "kind", "key",
           nm_surge_count_unit(env->cfg->stories_enabled), "baseline", "ratio");
    for (size_t i = 0; i < nrows; i++)
        printf("%-4zu %-6s %-40s %8.0f %9.2f %8.2f\n", i + 1,
               nm_surge_kind_name((nm_surge_kind_t)rows[i].kind), rows[i].id, rows[i].current,
               rows[i].baseline, rows[i].ratio);
    if (nrows == 0) printf("(no articles in the last %ld hour(s))\n", hours);
    printf("(last %ld h against the mean of the %ld h before, per %ld h)\n", hours, bh, hours);
    nm_counts_movers_free(rows, nrows);
    nm_counts_destroy(counts);
    return NM_EXIT_OK;
}

int nm_cmd_top(int argc, char **argv) {
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"entities", no_argument, NULL, 'e'},
                                         {"topics", no_argument, NULL, 't'},
                                         {"movers", no_argument, NULL, 'm'},
                                         {"stories", no_argument, NULL, 's'},
                                         {"hours", required_argument, NULL, 'H'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *config = NULL;
    int topics = 0, stories = 0, movers = 0, c;
    long n = 10, hours = 0;
    char *end;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:n:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'e': topics = 0; break;
        case 't': topics = 1; break;
        case 'm': movers = 1; break;
        case 's': stories = 1; break;
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
    int rc = nm_cli_setup(config, movers, &env);
    if (rc) return rc;
    if (movers) {
        rc = nm_top_movers(&env, hours ? hours : 1, (size_t)n);
        nm_cli_teardown(&env);
        return rc;
    }
    nm_counts_t *counts = nm_counts_new(env.cfg);
    nm_counts_row_t *rows = NULL;
    size_t nrows = 0;
    char e[512];
    nm_counts_kind_t kind = stories ? (topics ? NM_COUNTS_TOPIC_STORIES : NM_COUNTS_ENTITY_STORIES)
                                    : (topics ? NM_COUNTS_TOPICS : NM_COUNTS_ENTITIES);
    int mentions = !topics && !stories;
    if (!counts || nm_counts_top(counts, kind, hours, time(NULL), (size_t)n, &rows, &nrows, e,
                                 sizeof e)) {
        fprintf(stderr, "newsmon: Redis %s:%ld: %s\n", env.cfg->redis_host, env.cfg->redis_port,
                counts ? e : "out of memory");
        rc = NM_EXIT_FAIL;
    } else {
        printf("%-4s %-32s %10s%s\n", "rank", topics ? "topic" : "entity",
               stories ? "stories" : "articles", mentions ? "   mentions" : "");
        for (size_t i = 0; i < nrows; i++) {
            if (!mentions) printf("%-4zu %-32s %10.0f\n", i + 1, rows[i].id, rows[i].articles);
            else printf("%-4zu %-32s %10.0f %10.0f\n", i + 1, rows[i].id, rows[i].articles,
                        rows[i].mentions);
        }
        if (nrows == 0) printf("(no counts yet%s)\n", hours ? " in that window" : "");
    }
    nm_counts_rows_free(rows, nrows);
    nm_counts_destroy(counts);
    nm_cli_teardown(&env);
    return rc;
}
