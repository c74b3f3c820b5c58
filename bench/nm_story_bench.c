/* nm_story_bench.c - the cost of story detection per article, offline.
 *
 *   nm_story_bench [-c CONF] [-r ROUNDS] ARTICLES.jsonl
 *
 * Tags every article (not timed), then times, with clock_gettime around each
 * article, its signature (nm_story_sign_article) and its story
 * (nm_story_assign) against one index per round; the cost of an empty pair
 * of clock_gettime calls is measured and subtracted. The clock is the
 * thread's CPU time: on a shared machine a wall-clock span of a few
 * microseconds now and then holds another process's time slice, which
 * inflated the mean three-fold at a load of 6 on 2 cores. Prints key=value lines
 * (bench/nm_copies.py and bench/README.md read them).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nm_article.h"
#include "nm_config.h"
#include "nm_rules.h"
#include "nm_story.h"
#include "nm_tagger.h"
#include "nm_text.h"

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

int main(int argc, char **argv) {
    const char *conf = "config/newsmon.conf";
    int rounds = 20, c;
    while ((c = getopt(argc, argv, "c:r:")) != -1) {
        if (c == 'c') conf = optarg;
        else if (c == 'r') rounds = atoi(optarg);
        else return 2;
    }
    if (optind >= argc || rounds < 1) {
        fprintf(stderr, "usage: nm_story_bench [-c CONF] [-r ROUNDS] ARTICLES.jsonl\n");
        return 2;
    }
    char err[512];
    nm_config_t *cfg = nm_config_load(conf, err, sizeof err);
    if (!cfg) { fprintf(stderr, "nm_story_bench: %s\n", err); return 2; }
    nm_text_t *text = nm_text_new();
    nm_rules_t *rules = text ? nm_rules_load(text, &(nm_rule_paths_t){cfg->gazetteer, cfg->rules,
                                             cfg->languages, cfg->topic_model}, err, sizeof err)
                             : NULL;
    if (!rules) { fprintf(stderr, "nm_story_bench: %s\n", text ? err : "out of memory"); return 2; }
    nm_article_limits_t lim = {(size_t)cfg->max_message_bytes, (size_t)cfg->max_body_bytes,
                               (size_t)cfg->max_json_depth};
    FILE *f = fopen(argv[optind], "r");
    if (!f) { perror(argv[optind]); return 2; }
    nm_tagger_ws_t *ws = nm_tagger_ws_new();
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long articles = 0, copies = 0, shingles = 0;
    double sign_ns = 0, assign_ns = 0, clock_ns = 0;
    char reason[256];
    for (int r = 0; r < rounds; r++) {
        nm_story_index_t *ix = nm_story_index_new(NM_STORY_WINDOW_DEFAULT);
        if (!ws || !ix) { fprintf(stderr, "nm_story_bench: out of memory\n"); return 1; }
        rewind(f);
        while ((n = getline(&line, &cap, f)) > 0) {
            nm_article_t a;
            nm_tag_result_t res;
            if (nm_article_parse(line, (size_t)n, &lim, &a, reason, sizeof reason) == NM_OK &&
                nm_tagger_tag(rules, ws, a.title, a.title_len, a.body, a.body_len, a.lang, &res) ==
                    NM_OK) {
                nm_story_t story;
                double t0 = now_ns();
                nm_story_sig_t sig = nm_story_sign_article(ws);
                double t1 = now_ns();
                nm_story_assign(ix, a.id, &sig, &story);
                double t2 = now_ns(), t3 = now_ns();
                sign_ns += t1 - t0;
                assign_ns += t2 - t1;
                clock_ns += t3 - t2;
                articles++;
                copies += story.copy;
                shingles += sig.shingles;
            }
            nm_article_clear(&a);
        }
        nm_story_index_destroy(ix);
    }
    /* each timed span holds one clock_gettime call's cost, as t3 - t2 does */
    double per = articles ? 1e-3 / articles : 0;
    printf("articles=%ld rounds=%d copies_per_round=%ld shingles_per_article=%.1f\n", articles,
           rounds, copies / rounds, articles ? (double)shingles / articles : 0);
    printf("sign_us=%.3f assign_us=%.3f story_us=%.3f clock_us=%.3f\n",
           (sign_ns - clock_ns) * per, (assign_ns - clock_ns) * per,
           (sign_ns + assign_ns - 2 * clock_ns) * per, clock_ns * per);
    free(line);
    fclose(f);
    nm_tagger_ws_destroy(ws);
    nm_rules_destroy(rules);
    nm_text_destroy(text);
    nm_config_destroy(cfg);
    return 0;
}
