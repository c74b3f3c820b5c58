/* nm_ini.c - parser for the `[section] key = value` format. */
#include "nm_ini.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static char *nm_ini_trim(char *s) {
    while (isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) s[--n] = '\0';
    return s;
}

nm_err_t nm_ini_parse_file(const char *path, nm_ini_cb cb, void *ud,
                           char *errstr, size_t errstr_size) {
    FILE *f = fopen(path, "r");
    if (!f)
        return nm_seterr(errstr, errstr_size, NM_ERR_CONFIG, "%s: cannot open: %s",
                         path, strerror(errno));
    char section[256] = "";
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int lineno = 0;
    nm_err_t rc = NM_OK;
    char reason[512];

    while ((errno = 0, n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        if (strlen(line) != (size_t)n) {
            rc = nm_seterr(errstr, errstr_size, NM_ERR_CONFIG, "%s:%d: NUL byte in line",
                           path, lineno);
            break;
        }
        char *s = nm_ini_trim(line);
        if (*s == '\0' || *s == '#' || *s == ';') continue;
        reason[0] = '\0';
        int cbrc;
        if (*s == '[') {
            char *end = strchr(s, ']');
            if (!end || end[1] != '\0') {
                rc = nm_seterr(errstr, errstr_size, NM_ERR_CONFIG,
                               "%s:%d: malformed section header", path, lineno);
                break;
            }
            *end = '\0';
            char *name = nm_ini_trim(s + 1);
            if (!*name || strlen(name) >= sizeof section) {
                rc = nm_seterr(errstr, errstr_size, NM_ERR_CONFIG,
                               "%s:%d: empty or too long section name", path, lineno);
                break;
            }
            strcpy(section, name);
            cbrc = cb(ud, section, NULL, NULL, lineno, reason, sizeof reason);
        } else {
            char *eq = strchr(s, '=');
            if (!eq) {
                rc = nm_seterr(errstr, errstr_size, NM_ERR_CONFIG,
                               "%s:%d: expected 'key = value'", path, lineno);
                break;
            }
            *eq = '\0';
            char *key = nm_ini_trim(s);
            char *value = nm_ini_trim(eq + 1);
            /* an inline comment needs a blank before '#', so '#' can be data */
            for (char *h = value; (h = strchr(h, '#')) != NULL; h++) {
                if (h > value && isspace((unsigned char)h[-1])) {
                    *h = '\0';
                    value = nm_ini_trim(value);
                    break;
                }
            }
            if (!*key) {
                rc = nm_seterr(errstr, errstr_size, NM_ERR_CONFIG, "%s:%d: empty key",
                               path, lineno);
                break;
            }
            cbrc = cb(ud, section, key, value, lineno, reason, sizeof reason);
        }
        if (cbrc < 0) {
            rc = nm_seterr(errstr, errstr_size, (nm_err_t)cbrc, "%s:%d: %s", path,
                           lineno, reason[0] ? reason : nm_err2str((nm_err_t)cbrc));
            break;
        }
    }
    /* a failed getline is not the end of the file: a rule file cut short
     * must not load */
    if (rc == NM_OK && errno == ENOMEM)
        rc = nm_seterr(errstr, errstr_size, NM_ERR_NOMEM, "%s:%d: out of memory", path, lineno + 1);
    else if (rc == NM_OK && ferror(f))
        rc = nm_seterr(errstr, errstr_size, NM_ERR_IO, "%s: read error", path);
    free(line);
    fclose(f);
    return rc;
}

nm_err_t nm_ini_split_list(const char *value, nm_ini_item_cb item, void *ud,
                           char *errstr, size_t errstr_size) {
    const char *p = value;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char buf[512];
        if (len >= sizeof buf)
            return nm_seterr(errstr, errstr_size, NM_ERR_CONFIG,
                             "list item longer than %zu bytes", sizeof buf - 1);
        memcpy(buf, p, len);
        buf[len] = '\0';
        char *t = nm_ini_trim(buf);
        if (*t) {
            int rc = item(ud, t, errstr, errstr_size);
            if (rc < 0) return (nm_err_t)rc;
        }
        p += len;
        if (*p == ',') p++;
    }
    return NM_OK;
}

int nm_ini_parse_double(const char *s, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || errno) return -1;
    *out = v;
    return 0;
}

int nm_ini_parse_long(const char *s, long *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end != '\0' || errno) return -1;
    *out = v;
    return 0;
}

int nm_ini_parse_bool(const char *s) {
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0) return 1;
        if (strcasecmp(s, no[i]) == 0) return 0;
    }
    return -1;
}
