/* nm_langid.h - language identification with CLD2 (Compact Language Detector 2).
 *
 * A C wrapper around CLD2's n-gram detector (libcld2, Debian libcld2-dev),
 * which knows the 83 languages of its small table set, among them every
 * language newsmon reads. It looks at the first NM_LANGID_MAX_BYTES of the
 * text only: the language of an article is settled by its title and lead,
 * and CLD2 costs about 270 instructions per byte (docs/RULES.md).
 *
 * Thread-safe (CLD2 keeps no mutable global state); no allocation by this
 * module (CLD2 allocates about nine scratch buffers, 190 KB, per call).
 */
#ifndef NM_LANGID_H
#define NM_LANGID_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Bytes of title + body the detector looks at. */
#define NM_LANGID_MAX_BYTES 1024

/** @brief Identify the language of a title and a body (any bytes: HTML tags
 *  and entities are skipped, invalid UTF-8 and control bytes are spaces).
 *  @param out receives an ISO 639-1 code as the corpora write it ("he", not
 *  CLD2's "iw"; "zh" for Traditional Chinese too), or a 3-letter code when
 *  the language has none; "und" when the text has too little to go on.
 *  @returns 1 when a language was identified, 0 for "und". */
int nm_langid_detect(const char *title, size_t title_len, const char *body, size_t body_len,
                     char out[8]);

#ifdef __cplusplus
}
#endif

#endif
