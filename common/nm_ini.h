/* nm_ini.h - the line format shared by every newsmon config and rule file.
 *
 *   # comment
 *   [section]
 *   key = value
 *
 * The parser is callback-driven so callers keep their own typed state and
 * nothing is allocated per line.
 */
#ifndef NM_INI_H
#define NM_INI_H

#include <stddef.h>

#include "nm_err.h"

/** @brief Called for each `key = value` (section is "" before any header)
 *  and once per `[section]` header with key == NULL.
 *  All strings are borrowed and valid only during the call.
 *  Return 0 to go on, or a negative nm_err_t after writing a reason (without
 *  file and line: the parser prefixes `path:line: `) into errstr. */
typedef int (*nm_ini_cb)(void *ud, const char *section, const char *key,
                         const char *value, int line, char *errstr,
                         size_t errstr_size);

/** @brief Parse a file; errors read `path:line: reason`. */
nm_err_t nm_ini_parse_file(const char *path, nm_ini_cb cb, void *ud,
                           char *errstr, size_t errstr_size);

/** @brief Split a comma-separated list in place-free fashion: calls `item`
 *  for each trimmed, non-empty item (borrowed, NUL-terminated copy on the
 *  stack, at most 511 bytes; a longer item is an error). */
typedef int (*nm_ini_item_cb)(void *ud, const char *item, char *errstr,
                              size_t errstr_size);
nm_err_t nm_ini_split_list(const char *value, nm_ini_item_cb item, void *ud,
                           char *errstr, size_t errstr_size);

/** @brief Parse strict decimal numbers; return 0 on success, -1 if malformed. */
int nm_ini_parse_double(const char *s, double *out);
int nm_ini_parse_long(const char *s, long *out);
/** @brief true/false/yes/no/on/off/1/0; -1 if malformed. */
int nm_ini_parse_bool(const char *s);

#endif
