/* nm_input.h - reading articles from files, folders and standard input.
 *
 * One reader for every command that takes article files (ingest, tag,
 * eval), so they all accept the same inputs.
 */
#ifndef NM_INPUT_H
#define NM_INPUT_H

#include <signal.h>
#include <stddef.h>

/** @brief Called once per article record: `buf` is one JSON text (borrowed,
 *  valid during the call, not NUL-terminated), `where` and `line` say where
 *  it came from for error messages. Return 0 to go on, non-zero to stop. */
typedef int (*nm_input_cb)(void *ud, const char *buf, size_t len, const char *where, long line);

/** @brief Read `path`: a JSON Lines file (.jsonl, .ndjson, or lines that
 *  start with '{'), a JSON object (.json, or one object over several lines),
 *  a plain-text article (first non-empty line = title, the rest = body, id =
 *  file name without extension; turned into a JSON object), a folder
 *  (recursive, in name order) or "-" (JSON Lines on standard input).
 *  Stops early when *stop becomes non-zero (stop may be NULL).
 *  @returns 0, or -1 when a path could not be read (reported on stderr) or
 *  the callback asked to stop. */
int nm_input_read(const char *path, nm_input_cb cb, void *ud, volatile sig_atomic_t *stop);

#endif
