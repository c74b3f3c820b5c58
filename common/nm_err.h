/* nm_err.h - newsmon error codes and logging.
 *
 * Every fallible newsmon function returns an nm_err_t: 0 is success,
 * negative values are local errors. Functions that can fail for a reason a
 * user must read also take `char *errstr, size_t errstr_size` and write a
 * one-line message there (never with a trailing newline).
 */
#ifndef NM_ERR_H
#define NM_ERR_H

#include <stdarg.h>
#include <stddef.h>

typedef enum {
    NM_OK = 0,
    NM_ERR_NOMEM = -1,     /* allocation failed */
    NM_ERR_IO = -2,        /* file or socket I/O failed */
    NM_ERR_CONFIG = -3,    /* bad configuration or rule file */
    NM_ERR_INPUT = -4,     /* bad input article (goes to the DLQ) */
    NM_ERR_KAFKA = -5,     /* Kafka client error */
    NM_ERR_REDIS = -6,     /* Redis error */
    NM_ERR_USAGE = -7,     /* bad command line */
    NM_ERR_LIMIT = -8      /* a configured size or depth limit was exceeded */
} nm_err_t;

/** @brief Static text for an error code (never NULL). */
const char *nm_err2str(nm_err_t err);

/** @brief snprintf into errstr; returns `err` so callers can `return nm_seterr(...)`. */
nm_err_t nm_seterr(char *errstr, size_t errstr_size, nm_err_t err,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

typedef enum { NM_LOG_DEBUG = 0, NM_LOG_INFO, NM_LOG_WARN, NM_LOG_ERROR } nm_log_level_t;

/** @brief Set the minimum level that is written (default INFO). Thread-safe enough:
 *  a plain int store done before threads start. */
void nm_log_set_level(nm_log_level_t level);
/** @brief Parse "debug|info|warn|error"; returns -1 when unknown. */
int nm_log_level_parse(const char *name);
int nm_log_enabled(nm_log_level_t level);

/** @brief Write one logfmt line to stderr: ts=... level=... mod=... msg="..."
 *  The level is checked before formatting (NM_LOG macro). */
void nm_log_write(nm_log_level_t level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define NM_LOG(level, module, ...)                                            \
    do {                                                                      \
        if (nm_log_enabled(level)) nm_log_write(level, module, __VA_ARGS__);  \
    } while (0)

#endif
