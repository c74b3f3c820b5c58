/* nm_cmd_tag.c - `newsmon tag`: the processor alone, offline. */
#include <getopt.h> /* optind */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nm_article.h"
#include "nm_cli.h"
#include "nm_event.h"
#include "nm_explain.h"
#include "nm_input.h"
#include "nm_tagger.h"

typedef struct {
    nm_cli_env_t env;
    nm_article_limits_t lim;
    nm_tagger_ws_t *ws;
    nm_jbuf_t out;
    long bad;
    int explain;
} nm_tag_t;

static void nm_tag_usage(FILE *f) {
    fprintf(f,
            "Usage: newsmon tag [-c FILE] [--explain] [PATH...|-]\n"
            "\n"
            "Tags articles offline (no Kafka, no Redis) and writes one enriched event per\n"
            "article as JSON Lines, in input order: the events `newsmon run` produces.\n"
            "Each PATH is what `newsmon ingest` reads: JSON Lines, a JSON object, a\n"
            "plain-text article (first line = title) or a folder of them; '-' or no PATH\n"
            "reads JSON Lines from standard input. A bad record is reported on stderr as\n"
            "'FILE:LINE: reason' and skipped; the exit code is then 1.\n"
            "\n"
            "  -c, --config FILE   configuration file (rules paths, limits, include_body)\n"
            "  --explain           instead of events, print for each article every scored\n"
            "                      term with its sentence, context, position and contribution,\n"
            "                      the thresholds, and why each topic did or did not fire\n"
            "  -h, --help          this help\n");
}

static int nm_tag_one(void *ud, const char *buf, size_t len, const char *where, long line) {
    nm_tag_t *T = ud;
    nm_article_t a;
    nm_tag_result_t res;
    char reason[256], now[32];
    if (nm_article_parse(buf, len, &T->lim, &a, reason, sizeof reason)) {
        fprintf(stderr, "%s:%ld: %s\n", where, line, reason);
        T->bad++;
    } else if (T->explain) {
        if (nm_explain_article(stdout, T->env.rules, T->ws, &a, &res)) {
            fprintf(stderr, "%s:%ld: out of memory\n", where, line);
            T->bad++;
        }
    } else if (nm_tagger_tag(T->env.rules, T->ws, a.title, a.title_len, a.body, a.body_len,
                             a.lang, &res)) {
        fprintf(stderr, "%s:%ld: out of memory\n", where, line);
        T->bad++;
    } else {
        nm_event_now(now);
        if (nm_event_enriched(&T->out, &a, T->env.rules, &res,
                              T->env.cfg->include_body ? NM_BODY_INCLUDE : NM_BODY_EXCLUDE,
                              now)) {
            fprintf(stderr, "%s:%ld: out of memory writing the event\n", where, line);
            T->bad++;
        } else {
            T->out.s[T->out.len++] = '\n'; /* the buffer keeps room for its NUL */
            fwrite(T->out.s, 1, T->out.len, stdout);
        }
    }
    nm_article_clear(&a);
    return 0;
}

int nm_cmd_tag(int argc, char **argv) {
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"explain", no_argument, NULL, 'x'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *config = NULL;
    nm_tag_t T;
    memset(&T, 0, sizeof T);
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        if (c == 'c') config = optarg;
        else if (c == 'x') T.explain = 1;
        else if (c == 'h') { nm_tag_usage(stdout); return NM_EXIT_OK; }
        else { nm_tag_usage(stderr); return NM_EXIT_USAGE; }
    }
    int rc = nm_cli_setup(config, 1, &T.env);
    if (rc) return rc;
    T.lim = (nm_article_limits_t){(size_t)T.env.cfg->max_message_bytes,
                                  (size_t)T.env.cfg->max_body_bytes,
                                  (size_t)T.env.cfg->max_json_depth};
    T.ws = nm_tagger_ws_new();
    nm_jbuf_init(&T.out);
    if (!T.ws) {
        fprintf(stderr, "newsmon: out of memory\n");
        rc = NM_EXIT_FAIL;
    }
    for (int i = optind; !rc && i < (optind < argc ? argc : optind + 1); i++) {
        const char *path = i < argc ? argv[i] : "-";
        if (nm_input_read(path, nm_tag_one, &T, NULL)) rc = NM_EXIT_USAGE;
    }
    nm_jbuf_free(&T.out);
    nm_tagger_ws_destroy(T.ws);
    nm_cli_teardown(&T.env);
    if (fflush(stdout) != 0) return NM_EXIT_FAIL;
    return rc ? rc : T.bad ? NM_EXIT_FAIL : NM_EXIT_OK;
}
