/* nm_cmd_tag.c - `newsmon tag`: the processor alone, offline. */
#include <getopt.h> /* optind */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nm_cli.h"
#include "nm_input.h"
#include "nm_pipeline.h"

typedef struct {
    nm_cli_env_t env;
    nm_pipeline_proc_t *proc;
    long bad;
} nm_tag_t;

static void nm_tag_usage(FILE *f) {
    fprintf(f,
            "Usage: newsmon tag [-c FILE] [PATH...|-]\n"
            "\n"
            "Tags articles offline (no Kafka, no Redis) and writes one enriched event per\n"
            "article as JSON Lines, in input order: the events `newsmon run` produces.\n"
            "Each PATH is what `newsmon ingest` reads: JSON Lines, a JSON object, a\n"
            "plain-text article (first line = title) or a folder of them; '-' or no PATH\n"
            "reads JSON Lines from standard input. A bad record is reported on stderr as\n"
            "'FILE:LINE: reason' and skipped; the exit code is then 1.\n"
            "\n"
            "  -c, --config FILE   configuration file (rules paths, limits, include_body)\n"
            "  -h, --help          this help\n");
}

/* The daemon's path: what it would dead-letter is a bad record here. */
static int nm_tag_one(void *ud, const char *buf, size_t len, const char *where, long line) {
    nm_tag_t *T = ud;
    const nm_pipeline_out_t *o = nm_pipeline_article(T->proc, T->env.rules, buf, len, NULL);
    if (o->err) {
        fprintf(stderr, "%s:%ld: %s\n", where, line, o->reason);
        T->bad++;
        return 0;
    }
    fwrite(o->event, 1, o->event_len, stdout);
    putchar('\n');
    return 0;
}

int nm_cmd_tag(int argc, char **argv) {
    const char *config = NULL;
    int done = nm_cli_options(argc, argv, &config, nm_tag_usage);
    if (done >= 0) return done;
    nm_tag_t T;
    memset(&T, 0, sizeof T);
    int rc = nm_cli_setup(config, 1, &T.env);
    if (rc) return rc;
    T.proc = nm_pipeline_proc_new(T.env.cfg);
    if (!T.proc) {
        fprintf(stderr, "newsmon: out of memory\n");
        rc = NM_EXIT_FAIL;
    }
    for (int i = optind; !rc && i < (optind < argc ? argc : optind + 1); i++) {
        const char *path = i < argc ? argv[i] : "-";
        if (nm_input_read(path, nm_tag_one, &T, NULL)) rc = NM_EXIT_USAGE;
    }
    nm_pipeline_proc_destroy(T.proc);
    nm_cli_teardown(&T.env);
    if (fflush(stdout) != 0) return NM_EXIT_FAIL;
    return rc ? rc : T.bad ? NM_EXIT_FAIL : NM_EXIT_OK;
}
