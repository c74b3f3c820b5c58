/* nm_cmd_tag.c - `newsmon tag`: the processor alone, offline. */
#include <getopt.h> /* optind */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nm_article.h"
#include "nm_cli.h"
#include "nm_event.h"
#include "nm_tagger.h"

static void nm_tag_usage(FILE *f) {
    fprintf(f,
            "Usage: newsmon tag [-c FILE] [PATH|-]\n"
            "\n"
            "Reads articles as JSON Lines (from PATH, or standard input) and writes one\n"
            "enriched event per article as JSON Lines, in input order. No Kafka, no Redis.\n"
            "A bad line is reported on stderr as 'line N: reason' and skipped; the exit\n"
            "code is then 1. Blank lines are ignored.\n"
            "\n"
            "  -c, --config FILE   configuration file (rules paths, limits, include_body)\n"
            "  -h, --help          this help\n");
}

int nm_cmd_tag(int argc, char **argv) {
    const char *config = NULL;
    int done = nm_cli_options(argc, argv, &config, nm_tag_usage);
    if (done >= 0) return done;
    if (argc - optind > 1) { nm_tag_usage(stderr); return NM_EXIT_USAGE; }
    const char *path = optind < argc ? argv[optind] : "-";
    FILE *in = strcmp(path, "-") ? fopen(path, "r") : stdin;
    if (!in) {
        perror(path);
        return NM_EXIT_USAGE;
    }
    nm_cli_env_t env;
    int rc = nm_cli_setup(config, 1, &env);
    if (rc) {
        if (in != stdin) fclose(in);
        return rc;
    }
    nm_article_limits_t lim = {(size_t)env.cfg->max_message_bytes,
                               (size_t)env.cfg->max_body_bytes,
                               (size_t)env.cfg->max_json_depth};
    nm_tagger_ws_t *ws = nm_tagger_ws_new();
    nm_jbuf_t out;
    nm_jbuf_init(&out);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long lineno = 0, bad = 0;
    while (ws && (n = getline(&line, &cap, in)) >= 0) {
        lineno++;
        size_t len = (size_t)n;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) len--;
        if (strspn(line, " \t\r\n") == (size_t)n) continue;
        nm_article_t a;
        nm_tag_result_t res;
        char reason[256];
        char now[32];
        if (nm_article_parse(line, len, &lim, &a, reason, sizeof reason)) {
            fprintf(stderr, "line %ld: %s\n", lineno, reason);
            bad++;
        } else if (nm_tagger_tag(env.rules, ws, a.title, a.title_len, a.body, a.body_len,
                                 a.lang, &res)) {
            fprintf(stderr, "line %ld: out of memory\n", lineno);
            bad++;
        } else {
            nm_event_now(now);
            if (nm_event_enriched(&out, &a, env.rules, &res,
                                  env.cfg->include_body ? NM_BODY_INCLUDE : NM_BODY_EXCLUDE, now)) {
                fprintf(stderr, "line %ld: out of memory writing the event\n", lineno);
                bad++;
            } else {
                out.s[out.len++] = '\n'; /* the buffer keeps room for its NUL */
                fwrite(out.s, 1, out.len, stdout);
            }
        }
        nm_article_clear(&a);
    }
    if (!ws) fprintf(stderr, "newsmon: out of memory\n");
    free(line);
    nm_jbuf_free(&out);
    nm_tagger_ws_destroy(ws);
    if (in != stdin) fclose(in);
    nm_cli_teardown(&env);
    if (fflush(stdout) != 0) return NM_EXIT_FAIL;
    return (bad || !ws) ? NM_EXIT_FAIL : NM_EXIT_OK;
}
