/* nm_err.c - error strings and logfmt logging to stderr. */
#include "nm_err.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *const nm_err_descs[] = {
    "success", "out of memory", "I/O error", "configuration error",
    "invalid input", "Kafka error", "Redis error", "usage error",
    "limit exceeded",
};

const char *nm_err2str(nm_err_t err) {
    int i = -(int)err;
    if (i < 0 || i >= (int)(sizeof nm_err_descs / sizeof nm_err_descs[0]))
        return "unknown error";
    return nm_err_descs[i];
}

nm_err_t nm_seterr(char *errstr, size_t errstr_size, nm_err_t err,
                   const char *fmt, ...) {
    if (errstr && errstr_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(errstr, errstr_size, fmt, ap);
        va_end(ap);
    }
    return err;
}

static int nm_log_min = NM_LOG_INFO;

void nm_log_set_level(nm_log_level_t level) { nm_log_min = (int)level; }
int nm_log_enabled(nm_log_level_t level) { return (int)level >= nm_log_min; }

int nm_log_level_parse(const char *name) {
    static const char *const names[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++)
        if (strcmp(name, names[i]) == 0) return i;
    return -1;
}

void nm_log_write(nm_log_level_t level, const char *module, const char *fmt, ...) {
    static const char *const names[] = {"debug", "info", "warn", "error"};
    int saved_errno = errno; /* formatting may clobber errno */
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);

    /* logfmt: quote the message, escaping quotes, backslashes and newlines */
    char esc[2100];
    size_t j = 0;
    for (size_t i = 0; msg[i] && j + 3 < sizeof esc; i++) {
        char c = msg[i];
        if (c == '"' || c == '\\') { esc[j++] = '\\'; esc[j++] = c; }
        else if (c == '\n') { esc[j++] = '\\'; esc[j++] = 'n'; }
        else esc[j++] = c;
    }
    esc[j] = '\0';

    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    fprintf(stderr, "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s mod=%s msg=\"%s\"\n",
            tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
            tm.tm_sec, ts.tv_nsec / 1000000L, names[level], module, esc);
    errno = saved_errno;
}
