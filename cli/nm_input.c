/* nm_input.c - article files, folders and standard input (see nm_input.h). */
#include "nm_input.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "nm_article.h"

typedef struct {
    nm_input_cb cb;
    void *ud;
    volatile sig_atomic_t *stop;
    int stopped;
} nm_input_t;

static int nm_input_stopped(nm_input_t *I) {
    return I->stopped || (I->stop && *I->stop);
}

static void nm_input_emit(nm_input_t *I, const char *buf, size_t len, const char *where,
                          long line) {
    if (I->cb(I->ud, buf, len, where, line)) I->stopped = 1;
}

/* Plain text: the first non-empty line is the title, the rest the body;
 * the id is the file name without its extension. */
static int nm_input_text(nm_input_t *I, const char *path, const char *buf, size_t len) {
    size_t fixed_len;
    char *fixed = nm_article_utf8_repair(buf, len, &fixed_len);
    if (!fixed) {
        fprintf(stderr, "%s: out of memory\n", path);
        return -1;
    }
    char *p = fixed;
    while (*p == '\n' || *p == '\r' || *p == ' ' || *p == '\t') p++;
    char *nl = strchr(p, '\n');
    char *title_end = nl ? nl : p + strlen(p);
    while (title_end > p && title_end[-1] == '\r') title_end--;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char id[256];
    snprintf(id, sizeof id, "%s", base);
    char *dot = strrchr(id, '.');
    if (dot && dot != id) *dot = '\0';
    json_t *o = json_pack("{s:s, s:s, s:s%, s:s}", "id", id, "source", "file", "title", p,
                          (size_t)(title_end - p), "body", nl ? nl + 1 : "");
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    if (s) nm_input_emit(I, s, strlen(s), path, 1);
    else fprintf(stderr, "%s: out of memory\n", path);
    free(s);
    json_decref(o);
    free(fixed);
    return s ? 0 : -1;
}

static int nm_has_suffix(const char *s, const char *suf) {
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && !strcmp(s + n - m, suf);
}

/* A read error or a failed allocation ends the stream with -1: never taken
 * for the end of the input, which would drop the rest without a word. */
static int nm_input_stream(nm_input_t *I, FILE *f, const char *where) {
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long lineno = 0;
    while (!nm_input_stopped(I) && (errno = 0, n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        size_t len = (size_t)n;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) len--;
        if (strspn(line, " \t\r\n") == (size_t)n) continue;
        nm_input_emit(I, line, len, where, lineno);
    }
    int err = nm_input_stopped(I) ? 0 : errno == ENOMEM ? ENOMEM : ferror(f) ? (errno ? errno : EIO) : 0;
    free(line);
    if (err) fprintf(stderr, "%s: cannot read past line %ld: %s\n", where, lineno, strerror(err));
    return err ? -1 : 0;
}

/* Several lines that each start with '{' after the first: JSON Lines. */
static int nm_input_is_jsonl(const char *buf, size_t len) {
    const char *nl = memchr(buf, '\n', len);
    while (nl && (size_t)(nl - buf) + 1 < len && (nl[1] == '\r' || nl[1] == '\n')) nl++;
    return nl && (size_t)(nl - buf) + 1 < len && nl[1] == '{';
}

static int nm_input_path(nm_input_t *I, const char *path);

static int nm_name_cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int nm_input_dir(nm_input_t *I, const char *path) {
    DIR *d = opendir(path);
    if (!d) { perror(path); return -1; }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 64;
            char **nn = realloc(names, nc * sizeof *nn);
            if (!nn) { rc = -1; break; }
            names = nn;
            cap = nc;
        }
        if (!(names[n] = strdup(de->d_name))) { rc = -1; break; }
        n++;
    }
    closedir(d);
    if (rc) fprintf(stderr, "%s: out of memory listing the folder\n", path);
    if (n) qsort(names, n, sizeof *names, nm_name_cmp); /* deterministic order */
    for (size_t i = 0; i < n; i++) {
        char sub[4096];
        snprintf(sub, sizeof sub, "%s/%s", path, names[i]);
        if (!nm_input_stopped(I) && nm_input_path(I, sub)) rc = -1;
        free(names[i]);
    }
    free(names);
    return rc;
}

static char *nm_input_slurp(FILE *f, size_t *len_out) {
    char *buf = NULL;
    size_t len = 0, cap = 0, got;
    char chunk[65536];
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + got + 1 > cap) {
            cap = (len + got + 1) * 2;
            char *nb = realloc(buf, cap);
            if (!nb) { free(buf); return NULL; }
            buf = nb;
        }
        memcpy(buf + len, chunk, got);
        len += got;
    }
    if (!buf && !(buf = malloc(1))) return NULL;
    buf[len] = '\0';
    *len_out = len;
    return buf;
}

static int nm_input_path(nm_input_t *I, const char *path) {
    if (!strcmp(path, "-")) return nm_input_stream(I, stdin, "stdin");
    struct stat st;
    if (stat(path, &st)) { perror(path); return -1; }
    if (S_ISDIR(st.st_mode)) return nm_input_dir(I, path);
    FILE *f = fopen(path, "r");
    if (!f) { perror(path); return -1; }
    if (nm_has_suffix(path, ".jsonl") || nm_has_suffix(path, ".ndjson")) {
        int rc = nm_input_stream(I, f, path);
        fclose(f);
        return rc;
    }
    /* whole file: one JSON object, or plain text */
    size_t len = 0;
    char *buf = nm_input_slurp(f, &len);
    fclose(f);
    if (!buf) { fprintf(stderr, "%s: out of memory\n", path); return -1; }
    size_t skip = 0;
    int rc = 0;
    while (skip < len && strchr(" \t\r\n", buf[skip])) skip++;
    if (skip < len && buf[skip] == '{' && !nm_has_suffix(path, ".json") &&
        nm_input_is_jsonl(buf + skip, len - skip)) {
        /* JSON Lines without the extension: one article per line */
        FILE *mem = fmemopen(buf, len, "r");
        if (!mem) {
            fprintf(stderr, "%s: %s\n", path, strerror(errno));
            rc = -1;
        } else {
            rc = nm_input_stream(I, mem, path);
            fclose(mem);
        }
    } else if (nm_has_suffix(path, ".json") || (skip < len && buf[skip] == '{')) {
        nm_input_emit(I, buf, len, path, 1);
    } else if (skip < len) {
        rc = nm_input_text(I, path, buf, len);
    }
    free(buf);
    return rc;
}

int nm_input_read(const char *path, nm_input_cb cb, void *ud, volatile sig_atomic_t *stop) {
    nm_input_t I = {cb, ud, stop, 0};
    int rc = nm_input_path(&I, path);
    return rc || I.stopped ? -1 : 0;
}
