/* nm_cmd_ingest.c - `newsmon ingest`: publish articles to the input topic. */
#include <dirent.h>
#include <getopt.h> /* optind */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "nm_article.h"
#include "nm_cli.h"
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
static void nm_ingest_json(nm_ingest_t *I, const char *buf, size_t len, const char *where,
                           long line) {
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
                         len, NULL, 0, NULL, NULL, e, sizeof e)) {
        fprintf(stderr, "%s:%ld: %s\n", where, line, e);
        I->failed++;
    } else {
        I->sent++;
    }
    nm_article_clear(&a);
    nm_producer_poll(I->producer, 0);
    nm_ingest_progress(I, 0);
}

/* Plain text: the first non-empty line is the title, the rest the body;
 * the id is the file name without its extension. */
static void nm_ingest_text(nm_ingest_t *I, const char *path, const char *buf, size_t len) {
    size_t fixed_len;
    char *fixed = nm_article_utf8_repair(buf, len, &fixed_len);
    if (!fixed) { I->failed++; return; }
    char *p = fixed;
    while (*p == '\n' || *p == '\r' || *p == ' ' || *p == '\t') p++;
    char *nl = strchr(p, '\n');
    char *title_end = nl ? nl : p + strlen(p);
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char id[256];
    snprintf(id, sizeof id, "%s", base);
    char *dot = strrchr(id, '.');
    if (dot && dot != id) *dot = '\0';
    json_t *o = json_pack("{s:s, s:s, s:s%, s:s}", "id", id, "source", "file", "title", p,
                          (size_t)(title_end - p), "body", nl ? nl + 1 : "");
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    if (s) nm_ingest_json(I, s, strlen(s), path, 1);
    else I->failed++;
    free(s);
    json_decref(o);
    free(fixed);
}

static int nm_has_suffix(const char *s, const char *suf) {
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && !strcmp(s + n - m, suf);
}

static void nm_ingest_stream(nm_ingest_t *I, FILE *f, const char *where) {
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long lineno = 0;
    while (!nm_cli_stop && (n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        size_t len = (size_t)n;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) len--;
        if (strspn(line, " \t\r\n") == (size_t)n) continue;
        nm_ingest_json(I, line, len, where, lineno);
    }
    free(line);
}

/* Several lines that each start with '{' after the first: JSON Lines. */
static int nm_ingest_is_jsonl(const char *buf, size_t len) {
    const char *nl = memchr(buf, '\n', len);
    while (nl && (size_t)(nl - buf) + 1 < len && (nl[1] == '\r' || nl[1] == '\n')) nl++;
    return nl && (size_t)(nl - buf) + 1 < len && nl[1] == '{';
}

static int nm_ingest_path(nm_ingest_t *I, const char *path);

static int nm_name_cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int nm_ingest_dir(nm_ingest_t *I, const char *path) {
    DIR *d = opendir(path);
    if (!d) { perror(path); return -1; }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn) break;
            names = nn;
        }
        names[n++] = strdup(de->d_name);
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, nm_name_cmp); /* deterministic order */
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        char sub[4096];
        if (names[i]) {
            snprintf(sub, sizeof sub, "%s/%s", path, names[i]);
            if (nm_ingest_path(I, sub)) rc = -1;
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

static int nm_ingest_path(nm_ingest_t *I, const char *path) {
    if (!strcmp(path, "-")) {
        nm_ingest_stream(I, stdin, "stdin");
        return 0;
    }
    struct stat st;
    if (stat(path, &st)) { perror(path); return -1; }
    if (S_ISDIR(st.st_mode)) return nm_ingest_dir(I, path);
    FILE *f = fopen(path, "r");
    if (!f) { perror(path); return -1; }
    if (nm_has_suffix(path, ".jsonl") || nm_has_suffix(path, ".ndjson")) {
        nm_ingest_stream(I, f, path);
        fclose(f);
        return 0;
    }
    /* whole file: one JSON object, or plain text */
    char *buf = NULL;
    size_t len = 0, cap = 0, got;
    char chunk[65536];
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + got > cap) {
            cap = (len + got) * 2;
            char *nb = realloc(buf, cap);
            if (!nb) { free(buf); fclose(f); return -1; }
            buf = nb;
        }
        memcpy(buf + len, chunk, got);
        len += got;
    }
    fclose(f);
    size_t skip = 0;
    while (skip < len && strchr(" \t\r\n", buf[skip])) skip++;
    if (skip < len && buf[skip] == '{' && !nm_has_suffix(path, ".json") &&
        nm_ingest_is_jsonl(buf + skip, len - skip)) {
        /* JSON Lines without the extension: one article per line */
        FILE *mem = fmemopen(buf, len, "r");
        if (mem) {
            nm_ingest_stream(I, mem, path);
            fclose(mem);
        }
    } else if (nm_has_suffix(path, ".json") || (skip < len && buf[skip] == '{'))
        nm_ingest_json(I, buf, len, path, 1);
    else if (len)
        nm_ingest_text(I, path, buf, len);
    free(buf);
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
        if (nm_ingest_path(&I, argv[i])) rc = NM_EXIT_FAIL;
    int left = nm_producer_flush(I.producer, 60000);
    nm_ingest_progress(&I, 1);
    nm_producer_destroy(I.producer);
    fprintf(stderr, "ingest: %ld published, %ld invalid (will be dead-lettered), %ld failed%s\n",
            I.sent - I.failed, I.invalid, I.failed + left, left ? " (timed out)" : "");
    nm_cli_teardown(&I.env);
    return (rc || I.failed || left) ? NM_EXIT_FAIL : NM_EXIT_OK;
}
