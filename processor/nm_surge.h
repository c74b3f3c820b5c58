/* nm_surge.h - the surge rule: when a key's hourly count jumps over its
 * baseline, and which hour an article counts in. Pure: no I/O, no clock.
 *
 * A key is an entity id, a topic id, or an entity x topic pair named in the
 * rules' [surge] section ("weapon:kn23|arms_transfer"). Its hourly count is
 * the number of distinct stories (articles with [stories] enabled = false:
 * nm_surge_count_base) in one UTC hour bucket. For hour H with count c, and s the sum of the key's counts
 * over the baseline_hours hours before H (baseline b = s / baseline_hours, the
 * mean; an hour without articles counts 0), H fires when
 *     c >= min_count  and  (c + 1) / (b + 1) >= ratio
 * and also
 *   - history: H is at least min_history_hours after the first hour the
 *     counts have at all (so the first hours of a deployment, whose baselines
 *     are still empty for every key, do not fire for every busy key);
 *   - cool-down: no surge of the same key fired at an hour less than
 *     cooldown_hours away from H, before or after it (late data may make an
 *     earlier hour surge after a later one fired); with cooldown_hours >= 1
 *     this also means at most one surge per key and hour, whatever the rules
 *     version.
 * The daemon evaluates the rule inside the batch's Redis script (the Lua
 * copy in nm_surge_lua, kept next to the C one here and checked against it
 * by tests/unit/test_counts.c), each time a new article adds to the key's
 * hour, so a late article re-evaluates a past hour. A count only grows and a
 * baseline only changes with late data, so for a stream in time order the
 * hours that fire do not depend on where batches end.
 */
#ifndef NM_SURGE_H
#define NM_SURGE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/** An entity x topic pair watched as its own key (indexes into the rules). */
typedef struct {
    int entity, topic;
} nm_surge_pair_t;

/** Thresholds: keys of [surge] in rules.conf (docs/RULES.md), part of the
 *  rules version. */
typedef struct {
    long min_count;         /* articles in the hour, at least (5) */
    double ratio;           /* (count + 1) / (baseline + 1), at least (5) */
    long baseline_hours;    /* hours before H whose mean is the baseline (72) */
    long cooldown_hours;    /* hours between two surges of one key, at least (6) */
    long min_history_hours; /* hours of counts before a surge may fire (24) */
    long top_articles;      /* articles listed in a surge alert (5) */
    nm_surge_pair_t *pairs; /* owned by the rule set */
    size_t npairs;
} nm_surge_params_t;

/** The defaults above. */
void nm_surge_defaults(nm_surge_params_t *p);

typedef enum { NM_SURGE_ENTITY = 0, NM_SURGE_TOPIC = 1, NM_SURGE_PAIR = 2, NM_SURGE_KINDS = 3 } nm_surge_kind_t;

/** "entity", "topic", "pair". */
const char *nm_surge_kind_name(nm_surge_kind_t kind);

/** @brief THE count source of the rule: the base name of the hourly key
 *  whose counts the rule reads for a kind ("entity:stories" -> the Redis
 *  key K entity:stories:<YYYYMMDDHH>): distinct stories when the daemon
 *  counts them (`stories`: [stories] enabled), else articles. */
const char *nm_surge_count_base(nm_surge_kind_t kind, int stories);

/** The unit of those counts, as surge alerts name it ("stories", "articles"). */
const char *nm_surge_count_unit(int stories);

/** (count + 1) / (baseline_sum / baseline_hours + 1). */
double nm_surge_ratio(double count, double baseline_sum, long baseline_hours);

typedef enum {
    NM_SURGE_FIRES = 0,
    NM_SURGE_TOO_FEW,     /* count < min_count */
    NM_SURGE_NO_HISTORY,  /* hour is < min_history_hours after the first counted hour */
    NM_SURGE_COOLING,     /* a surge of the key fired less than cooldown_hours away */
    NM_SURGE_BELOW_RATIO  /* ratio < ratio */
} nm_surge_verdict_t;

/** What the rule sees for one key and hour. */
typedef struct {
    double count;        /* the hour's count */
    double baseline_sum; /* sum over the baseline_hours before it */
    long history_hours;  /* hour - first counted hour (hours) */
    long nearest_fired;  /* |hour - nearest hour of the key that fired|, -1: none */
} nm_surge_input_t;

/** @brief The rule (see the top of this file). */
nm_surge_verdict_t nm_surge_decide(const nm_surge_params_t *p, const nm_surge_input_t *in);

/** The rule as a Lua function for the batch script:
 *  `local function surge_verdict(count, history, nearest, bsum, min_count,
 *  ratio, baseline_hours, cooldown_hours, min_history)` returning the
 *  nm_surge_verdict_t number. `nearest` and `bsum` are functions returning
 *  nearest_fired and baseline_sum, called only when the cheaper conditions
 *  before them hold (each costs Redis reads), in the order of
 *  nm_surge_decide. */
extern const char nm_surge_lua[];

/** @brief The deterministic alert id of a surge: "sg-" + 16 hex digits of
 *  FNV-1a over kind, key, hour ("YYYYMMDDHH") and rules version, so a
 *  redelivery, a restart or a replay names the same surge the same way.
 *  @param out receives the NUL-terminated id. */
void nm_surge_alert_id(nm_surge_kind_t kind, const char *key, const char *hour,
                       const char *rules_version, char out[20]);

/** How far the article's own time may be from the Kafka timestamp and still
 *  give the bucket ([input] published_max_age_s / published_max_ahead_s). */
typedef struct {
    long max_age_s;   /* published at most this long before the message (30 days) */
    long max_ahead_s; /* at most this long after it (1 hour: clocks, time zones) */
} nm_surge_window_t;

/** @brief Parse an ISO-8601 / RFC 3339 time ("2026-11-23T01:23:08Z",
 *  "2026-11-23T10:23:08.5+09:00", "2026-11-23 01:23:08", a date alone is
 *  midnight UTC; no zone: UTC). @returns 0 and *out, or -1. */
int nm_surge_parse_time(const char *s, time_t *out);

/** @brief The time an article counts at: its published_at when present,
 *  parsable and within the window of the Kafka message time, else the
 *  message time. @param kafka_s the message timestamp (s). @returns the
 *  time, and *used_published 1 when it is published_at. */
time_t nm_surge_bucket_time(const char *published_at, time_t kafka_s,
                            const nm_surge_window_t *w, int *used_published);

/** @brief "YYYYMMDDHH" (UTC) of t into out. */
void nm_surge_hour(time_t t, char out[11]);

#endif
