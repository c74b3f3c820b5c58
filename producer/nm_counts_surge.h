/* nm_counts_surge.h - private to nm_counts: the surge part of the batch
 * script (the keys and arguments it adds to the one EVALSHA, its Lua, and
 * its reply). The public surface is in nm_counts.h.
 *
 * Keys (K the prefix, see nm_counts.h):
 *   K pair:articles:<YYYYMMDDHH>  zset "entity|topic" -> articles, for the
 *                                 [surge] pairs, TTL hour_ttl_s
 *   K surge:first_hour            string: the first UTC hour counted (epoch
 *                                 hours), for min_history_hours
 *   K surge:<alert id>            string, TTL hour_ttl_s: the surge record,
 *                                 written with SET NX: the surge fired
 *   K surge:fired:<kind>:<key>    zset of the key's fired hours (epoch
 *                                 hours), TTL hour_ttl_s: the cool-down
 *   K surge:top:<kind>:<key>:<YYYYMMDDHH>  list of the first top_articles
 *                                 article summaries {id,title,url} of the
 *                                 key's hour, TTL hour_ttl_s
 *   K surge:pending               zset alert id -> lease end (epoch ms):
 *                                 fired, not yet known to be on Kafka
 *   K surge:records               hash alert id -> record, while pending
 *   K surges:recent               stream, about [redis] recent_alerts entries
 *                                 (MAXLEN ~): field "surge" = the record of
 *                                 each surge as it fired (the dashboard's)
 */
#ifndef NM_COUNTS_SURGE_H
#define NM_COUNTS_SURGE_H

#include <hiredis/hiredis.h>
#include <stddef.h>

#include "nm_config.h"
#include "nm_counts.h"
#include "nm_rules.h"

typedef struct nm_csurge_s nm_csurge_t;

/** The Lua the batch script starts with: nm_surge_lua and
 *  `surge_eval(fresh, seen0, sa, hour_ttl)`, which reads the surge
 *  arguments from ARGV[sa] on and returns the flat list of claimed surges
 *  (id, record, retry 0/1, detected_ms)*. */
extern const char nm_csurge_lua[];

nm_csurge_t *nm_csurge_new(const nm_config_t *cfg, const char *prefix);
void nm_csurge_destroy(nm_csurge_t *s);
void nm_csurge_set_rules(nm_csurge_t *s, const nm_rules_t *rules);

/** @brief Plan the batch's surge keys and arguments. `hour_index[i]` is the
 *  index of items[i]'s hour among the batch's `nh` distinct hours,
 *  `hours[h]` the "YYYYMMDDHH" of hour h; `first_key` the 1-based KEYS
 *  index the surge keys will start at. @returns 0, -1 on OOM. */
int nm_csurge_plan(nm_csurge_t *s, const nm_counts_item_t *items, size_t n,
                   const int *hour_index, const char *const *hours, size_t nh,
                   size_t first_key);

/** The planned keys and arguments (owned by s, valid until the next plan). */
size_t nm_csurge_keys(const nm_csurge_t *s, const char *const **argv, const size_t **lens);
size_t nm_csurge_args(const nm_csurge_t *s, const char *const **argv, const size_t **lens);

/** @brief Take the script's surge reply (an array; s keeps it until the next
 *  call) and forget the delivered ids it reported. @returns 0, -1 on a bad
 *  reply. */
int nm_csurge_take(nm_csurge_t *s, redisReply *r);

size_t nm_csurge_claimed(const nm_csurge_t *s, const nm_counts_surge_t **out);
/** Forget the last call's claimed surges (a call that does not reach the
 *  script hands over none). */
void nm_csurge_forget(nm_csurge_t *s);
int nm_csurge_done(nm_csurge_t *s, const char *id);
size_t nm_csurge_ndone(const nm_csurge_t *s);

#endif
