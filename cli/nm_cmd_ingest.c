/* nm_cmd_ingest.c - `newsmon ingest`: publish articles to the input topic. */
#include <getopt.h> /* optind */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nm_article.h"
#include "nm_cli.h"
#include "nm_input.h"
#include "nm_producer.h"

typedef struct {
    nm_cli_env_t env;
    nm_producer_t *producer;
    nm_article_limits_t lim;
    long sent, failed, invalid;
    int progress;
    struct timespec start, last;
} nm_ingest_t;

static void nm_ingest_dr(void *ud, void *opaque, rd_kafka_resp_err_t err) {
    (void)opaque;
    if (err) ((nm_ingest_t *)ud)->failed++;
}

static double nm_since(const struct timespec *t) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t->tv_sec) + (now.tv_nsec - t->tv_nsec) / 1e9;
}

static void nm_ingest_progress(nm_ingest_t *I, int final) {
    if (!I->progress) return;
    if (!final && nm_since(&I->last) < 0.5) return;
    clock_gettime(CLOCK_MONOTONIC, &I->last);
    double secs = nm_since(&I->start);
    fprintf(stderr, "\r%ld articles, %.0f/s%s", I->sent, secs > 0 ? I->sent / secs : 0.0,
            final ? "\n" : "");
}

/* Publish one JSON article; the key is the id the daemon will derive. */
static int nm_ingest_json(void *ud, const char *buf, size_t len, const char *where, long line) {
    nm_ingest_t *I = ud;
    nm_article_t a;
    char reason[256], e[256];
    const char *key = NULL;
    if (nm_article_parse(buf, len, &I->lim, &a, reason, sizeof reason)) {
        /* still published: the daemon dead-letters it with the same reason */
        fprintf(stderr, "%s:%ld: will be dead-lettered: %s\n", where, line, reason);
        I->invalid++;
    } else {
        key = a.id;
    }
    if (nm_producer_send(I->producer, I->env.cfg->input_topic, key, key ? strlen(key) : 0, buf,
                         len, 0, NULL, 0, NULL, NULL, e, sizeof e)) {
        fprintf(stderr, "%s:%ld: %s\n", where, line, e);
        I->failed++;
    } else {
        I->sent++;
    }
    nm_article_clear(&a);
    nm_producer_poll(I->producer, 0);
    nm_ingest_progress(I, 0);
    return 0;
}

static void nm_ingest_usage(FILE *f) {
    fprintf(f,
            "Usage: newsmon ingest [-c FILE] PATH...|-\n"
            "\n"
            "Publishes articles to the input topic ([input] topic), key = article id.\n"
            "Each PATH is a JSON Lines file (.jsonl, .ndjson, or lines that start with\n"
            "'{'), a JSON object (.json, or one object over several lines), a plain-text\n"
            "article (first non-empty line = title, rest = body, id = file name without\n"
            "extension), or a directory (recursive, sorted). '-' reads JSON Lines from\n"
            "standard input. Invalid articles are still published (the daemon\n"
            "dead-letters them) and reported here.\n"
            "Shows progress on a terminal. Exit 1 if any article was not delivered.\n"
            "\n"
            "  -c, --config FILE   configuration file ([kafka], [input] topic)\n"
            "  -h, --help          this help\n");
}

int nm_cmd_ingest(int argc, char **argv) {
    const char *config = NULL;
    int done = nm_cli_options(argc, argv, &config, nm_ingest_usage);
    if (done >= 0) return done;
    if (optind >= argc) { nm_ingest_usage(stderr); return NM_EXIT_USAGE; }
    nm_ingest_t I;
    memset(&I, 0, sizeof I);
    int rc = nm_cli_setup(config, 0, &I.env);
    if (rc) return rc;
    nm_cli_signals();
    I.lim = (nm_article_limits_t){(size_t)I.env.cfg->max_message_bytes,
                                  (size_t)I.env.cfg->max_body_bytes,
                                  (size_t)I.env.cfg->max_json_depth};
    char e[512];
    I.producer = nm_producer_new(I.env.cfg, NULL, nm_ingest_dr, &I, e, sizeof e);
    if (!I.producer) {
        fprintf(stderr, "newsmon: %s\n", e);
        nm_cli_teardown(&I.env);
        return NM_EXIT_USAGE;
    }
    I.progress = isatty(STDERR_FILENO);
    clock_gettime(CLOCK_MONOTONIC, &I.start);
    I.last = I.start;
    for (int i = optind; i < argc && !nm_cli_stop; i++)
        if (nm_input_read(argv[i], nm_ingest_json, &I, &nm_cli_stop)) rc = NM_EXIT_FAIL;
    int left = nm_producer_flush(I.producer, 60000);
    nm_ingest_progress(&I, 1);
    nm_producer_destroy(I.producer);
    fprintf(stderr, "ingest: %ld published, %ld invalid (will be dead-lettered), %ld failed%s\n",
            I.sent - I.failed, I.invalid, I.failed + left, left ? " (timed out)" : "");
    nm_cli_teardown(&I.env);
    return (rc || I.failed || left) ? NM_EXIT_FAIL : NM_EXIT_OK;
}
