/* nm_web.h - `newsmon web`: the analysts' dashboard and its JSON API.
 *
 * One HTTP server (libmicrohttpd, one thread, so one Redis connection and
 * no locks) serves
 *   /                    the single-page dashboard (assets embedded in the
 *                        binary: it works with no internet access)
 *   /app.js, /style.css, /vendor/uPlot.*   its script, style, chart library
 *   /api/names           display names of entities, topics and languages
 *                        (from the rule files, read once at start)
 *   /api/status          Redis up/down, totals, newest counted hour, which
 *                        optional records (stories, surges, alerts) exist
 *   /api/top             top entities or topics over a window
 *   /api/series          hourly articles (and stories) per entity or topic
 *   /api/movers          window against the window before it
 *   /api/alerts          latest recorded alerts, filterable
 *   /api/surges          latest recorded surges
 * The API is documented in README.md ("Dashboard"). It reads Redis only
 * (web/nm_web_data.h); a Redis error is a 503 with {"error": ...}.
 */
#ifndef NM_WEB_H
#define NM_WEB_H

#include <stddef.h>

#include "nm_config.h"
#include "nm_err.h"
#include "nm_rules.h"

typedef struct nm_web_s nm_web_t;

/** @brief Start serving on `listen` ("IPv4:PORT"); cfg is borrowed and must
 *  outlive the server ([redis] settings, [web] refresh_s); rules is borrowed
 *  for the call (the names are copied).
 *  @param out receives the running server (free with nm_web_stop).
 *  @returns NM_OK, or with errstr set NM_ERR_CONFIG (bad address), NM_ERR_IO
 *  (cannot listen: port in use) or NM_ERR_NOMEM. */
nm_err_t nm_web_start(const nm_config_t *cfg, const nm_rules_t *rules, const char *listen,
                      nm_web_t **out, char *errstr, size_t errstr_size);

/** @brief Stop serving and free. NULL-safe. */
void nm_web_stop(nm_web_t *w);

#endif
