/* nm_web_data.h - what the dashboard reads from Redis: the one file of web/
 * that talks to Redis, every read through producer/nm_counts.h, which owns
 * the key schema (hash-tagged prefix, hourly buckets): web/ builds no key
 * name.
 *
 * Read only: nothing here writes. Counts are per UTC hour of the article
 * (published_at when plausible, else the Kafka message timestamp; README,
 * "Redis keys"). Story counts (issue 14: distinct stories, copies counted
 * once) are read next to the articles when any exist, else reported absent
 * (stories -1, false in the status) so the page says so instead of drawing
 * zeros. Surges are the capped record of the surge alerts as they fired.
 *
 * One reader per thread: the client is not thread-safe (`newsmon web`
 * serves requests on one thread). nm_counts reconnects after an error, so a
 * Redis restart heals by itself.
 */
#ifndef NM_WEB_DATA_H
#define NM_WEB_DATA_H

#include <jansson.h>
#include <stddef.h>
#include <time.h>

#include "nm_config.h"
#include "nm_err.h"

typedef struct nm_web_data_s nm_web_data_t;

typedef enum { NM_WEB_ENTITY = 0, NM_WEB_TOPIC = 1 } nm_web_kind_t;

/** One id's sums over a window. `stories` < 0: no story counts exist. */
typedef struct {
    char id[128];
    double articles, mentions, stories;
} nm_web_row_t;

typedef struct {
    nm_web_row_t *rows; /* owned; free with nm_web_table_free */
    size_t n, cap;
} nm_web_table_t;

void nm_web_table_free(nm_web_table_t *t);

/** @brief A reader for cfg's [redis] settings (borrowed for the call).
 *  Connects lazily. NULL on OOM. */
nm_web_data_t *nm_web_data_new(const nm_config_t *cfg);
void nm_web_data_destroy(nm_web_data_t *d);

/** @brief Sums per id over the `hours` UTC hours that end with the hour of
 *  `now` minus `skip` hours (hours 0: all time, skip ignored), in one merged
 *  read per metric. Fills `out` (caller-owned, initially zeroed; one row
 *  per id), best first as `newsmon top` orders them.
 *  @returns NM_OK or NM_ERR_REDIS / NM_ERR_NOMEM with errstr set. */
nm_err_t nm_web_data_window(nm_web_data_t *d, nm_web_kind_t kind, time_t now, long skip,
                            long hours, nm_web_table_t *out, char *errstr, size_t errstr_size);

/** @brief Hourly articles (and stories when they exist) of `nids` ids over
 *  the `hours` hours ending with the hour of `now`, oldest first:
 *  articles[i * hours + h]; stories likewise, or every value -1 when no story
 *  counts exist. Both arrays are caller-owned, nids * hours long. */
nm_err_t nm_web_data_series(nm_web_data_t *d, nm_web_kind_t kind, const char *const *ids,
                            size_t nids, time_t now, long hours, double *articles,
                            double *stories, char *errstr, size_t errstr_size);

/** @brief Status document: {"articles", "relevant", "newest_hour" (epoch s
 *  of the newest hour with counts within `hours`, or null), "stories",
 *  "surges", "alerts" (booleans: the optional records exist)}.
 *  @returns a new reference (caller decrefs), NULL with errstr set. */
json_t *nm_web_data_status(nm_web_data_t *d, time_t now, long hours, char *errstr,
                           size_t errstr_size);

/** @brief The `n` newest recent alerts, newest first: each the alert's JSON
 *  object as newsmon recorded it (nm_counts_recent_alerts: topics with their
 *  evidence), plus "recorded_at" (epoch ms, when Redis recorded it). An
 *  empty array when no alert was recorded.
 *  @returns a new reference, NULL with errstr set. */
json_t *nm_web_data_alerts(nm_web_data_t *d, size_t n, char *errstr, size_t errstr_size);

/** @brief Likewise for the recorded surges (K surges:recent), newest first:
 *  the surge alert records, with recorded_at. */
json_t *nm_web_data_surges(nm_web_data_t *d, size_t n, char *errstr, size_t errstr_size);

#endif
