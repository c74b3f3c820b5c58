/* nm_cmd_tag.c - `newsmon tag`: the processor alone, offline. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nm_cli.h"
#include "nm_event.h"
#include "nm_explain.h"
#include "nm_input.h"
#include "nm_pipeline.h"
#include "nm_story.h"

typedef struct {
    nm_cli_env_t env;
    nm_pipeline_proc_t *proc;
    nm_story_index_t *stories; /* --stories: over every input of the run */
    nm_jbuf_t out;             /* the event with its story */
    long bad;
    int explain;
} nm_tag_t;

static void nm_tag_usage(FILE *f) {
    fprintf(f,
            "Usage: newsmon tag [-c FILE] [--explain | --stories | --no-stories] [PATH...|-]\n"
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
            "  --stories           add to every event its story (the default with [stories]\n"
            "                      enabled = true, as the daemon does): copies (syndicated\n"
            "                      near-duplicates) of an earlier article of this run share\n"
            "                      its story id and say \"copy\": true\n"
            "  --no-stories        events without a story (the daemon's with [stories]\n"
            "                      enabled = false)\n"
            "  -h, --help          this help\n");
}

/* The daemon's path: what it would dead-letter is a bad record here. */
static int nm_tag_one(void *ud, const char *buf, size_t len, const char *where, long line) {
    nm_tag_t *T = ud;
    const nm_pipeline_out_t *o =
        T->explain ? nm_explain_article(stdout, T->env.rules, T->proc, buf, len)
                   : nm_pipeline_article(T->proc, T->env.rules, buf, len, NULL);
    if (o->err) {
        fprintf(stderr, "%s:%ld: %s\n", where, line, o->reason);
        T->bad++;
        return 0;
    }
    if (T->explain) return 0;
    if (!T->stories) {
        fwrite(o->event, 1, o->event_len, stdout);
        putchar('\n');
        return 0;
    }
    /* the story, from the signature of the text the pipeline just tagged; ids
     * are 1 to 256 bytes (nm_article_parse), as the index wants. The index
     * is this run's input, in order; the daemon's is Redis (nm_stories.h),
     * decided by the same nm_story_assign */
    nm_story_t story;
    nm_story_sig_t sig = nm_story_sign_article(nm_pipeline_proc_ws(T->proc));
    if (nm_story_assign(T->stories, o->article->id, &sig, &story) ||
        nm_event_story_tail(&T->out, &story)) {
        fprintf(stderr, "%s:%ld: out of memory writing the event\n", where, line);
        T->bad++;
        return 0;
    }
    /* the event less its '}', then the story and the '}' (no copy of the event) */
    fwrite(o->event, 1, o->event_len - 1, stdout);
    fwrite(T->out.s, 1, T->out.len, stdout);
    putchar('\n');
    return 0;
}

int nm_cmd_tag(int argc, char **argv) {
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"explain", no_argument, NULL, 'x'},
                                         {"stories", no_argument, NULL, 's'},
                                         {"no-stories", no_argument, NULL, 'S'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *config = NULL;
    nm_tag_t T;
    memset(&T, 0, sizeof T);
    int c, stories = -1; /* -1: as [stories] enabled */
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        if (c == 'c') config = optarg;
        else if (c == 'x') T.explain = 1;
        else if (c == 's') stories = 1;
        else if (c == 'S') stories = 0;
        else if (c == 'h') { nm_tag_usage(stdout); return NM_EXIT_OK; }
        else { nm_tag_usage(stderr); return NM_EXIT_USAGE; }
    }
    int rc = nm_cli_setup(config, 1, &T.env);
    if (rc) return rc;
    T.proc = nm_pipeline_proc_new(T.env.cfg);
    if (stories < 0) stories = T.env.cfg->stories_enabled;
    if (stories && !T.explain) T.stories = nm_story_index_new(NM_STORY_WINDOW_DEFAULT);
    nm_jbuf_init(&T.out);
    if (!T.proc || (stories && !T.explain && !T.stories)) {
        fprintf(stderr, "newsmon: out of memory\n");
        rc = NM_EXIT_FAIL;
    }
    for (int i = optind; !rc && i < (optind < argc ? argc : optind + 1); i++) {
        const char *path = i < argc ? argv[i] : "-";
        if (nm_input_read(path, nm_tag_one, &T, NULL)) rc = NM_EXIT_USAGE;
    }
    nm_pipeline_proc_destroy(T.proc);
    nm_story_index_destroy(T.stories);
    nm_jbuf_free(&T.out);
    nm_cli_teardown(&T.env);
    if (fflush(stdout) != 0) return NM_EXIT_FAIL;
    return rc ? rc : T.bad ? NM_EXIT_FAIL : NM_EXIT_OK;
}
