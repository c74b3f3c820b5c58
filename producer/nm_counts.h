/* nm_counts.h - entity and topic counts in Redis, idempotent per article,
 * and the capped record of recent alerts. This module owns the key schema:
 * no other code builds a key name.
 *
 * Key schema. K is the key prefix: the configured `[redis] prefix` when it
 * holds a Redis Cluster hash tag ("{...}"), else that prefix made into one
 * by bracing it without its trailing ':' ("nm:" -> "{nm}:", "" -> "{nm}").
 * Every key starts with K, so every key lives in the one hash slot of the
 * tag: the batch script runs on Redis Cluster and behind proxies, and
 * unchanged on a single Redis.
 *   K seen:<article id>            string, TTL seen_ttl_s: article already counted;
 *                                  the value is its story decision (nm_stories.h),
 *                                  "1" with stories off
 *   K entity:mentions              zset entity id -> mentions
 *   K entity:articles              zset entity id -> articles naming it
 *   K topic:articles               zset topic id  -> relevant articles
 *   K entity:stories               zset entity id -> distinct stories naming it
 *   K topic:stories                zset topic id  -> distinct stories with a relevant
 *                                  article on it
 *   K <each of the five>:<YYYYMMDDHH>  the same per UTC hour (of the input
 *                                  message), TTL hour_ttl_s
 *   K stats                        hash: articles, relevant
 *   K alerts:recent                stream, about [redis] recent_alerts entries
 *                                  (MAXLEN ~): field "alert" = the alert record
 *                                  (nm_event_alert, NM_ALERT_TOPIC_EVIDENCE)
 *   K pair:articles:<YYYYMMDDHH>, K surge:*   surges: producer/nm_counts_surge.h
 *
 * Stories (nm_stories.h decides them; TTL W = [stories] window_s + 3600):
 *   K story:sig:<YYYYMMDDHH>       hash per hour of indexing, TTL W:
 *                                  <article id> -> seq (16 hex), index hour of the
 *                                  story's first article, signature (132 bytes:
 *                                  shingles, then the 32 bins, u32 little-endian),
 *                                  first article id;
 *                                  "!"<first article id> -> ",<topic>,...," the
 *                                  topics its story alerted on (the story is alive
 *                                  while this field is looked up)
 *   K story:band:<YYYYMMDD>        hash per UTC day of indexing, TTL W: field
 *                                  <bin, 1 hex digit><its value, 8 hex> (the first
 *                                  NM_STORY_BANDS bins) -> "<YYYYMMDDHH><article id>"
 *                                  of the newest NM_COUNTS_BAND_CAP articles with
 *                                  that value there, '\n'-separated (fields of one
 *                                  hash, not a key per band value: a key with a TTL
 *                                  costs ~270 bytes, a field ~100)
 *   K story:seq                    counter: the order of indexed articles
 *   K story:<story id>             set, TTL W: "e<entity>", "t<topic>" and
 *                                  "<YYYYMMDDHH>e<entity>", "<YYYYMMDDHH>t<topic>":
 *                                  members the story's counts already have
 *
 * One batch is ONE EVALSHA, and every key it touches is passed in KEYS
 * (the fixed keys, the batch's hour keys, one seen key per article): the
 * script skips articles already seen, adds up the increments of the new
 * ones, issues one ZINCRBY per distinct member and key, and XADDs the
 * alert records of the new articles. So Redis does O(1) work per article
 * plus O(distinct members) per batch, and a redelivered article never
 * counts (or shows as a recent alert) twice.
 *
 * Surges (nm_counts_set_rules): the same call evaluates the rule of
 * processor/nm_surge.h for every key and hour a new article of the batch
 * touched, records a surge that fires with SET NX on its alert id, and hands
 * it to the caller as pending (nm_counts_surges), leased to it for
 * [output] surge_retry_s. The caller publishes it and reports it delivered
 * (nm_counts_surge_done), which the next call records. Crash points:
 *   - before the call returns: nothing of the batch happened (atomic); the
 *     batch is redone, its articles are new again and the surge fires then;
 *   - after it, before the alert is on Kafka: the surge stays pending; when
 *     its lease ends, the next call of any daemon claims it again with
 *     retry = 1 and that daemon publishes it (not lost);
 *   - after the alert is on Kafka, before the done mark: the same, but the
 *     claimer finds the alert on the topic (a retry is looked for there
 *     first, pipeline/nm_surge_out.h) and only marks it (not twice);
 *   - a redelivered or replayed article is seen: it touches no surge.
 * tests/integration/test_surge.sh asserts each: kill -9 mid-stream, then
 * exactly the planted surges on the topic, once each; a pending surge that
 * is on the topic marked done, not published again; one that is not on it
 * published once; a second consumer group's replay adds nothing.
 *
 * With stories, a batch makes ONE more call before it is produced:
 * nm_counts_story_lookup. The lookup only reads and the counts script does
 * every story write, atomically with the article counts.
 *
 * Redis Cluster: newsmon follows MOVED and ASK replies to the owner of the
 * tag's slot, learns the cluster's nodes (CLUSTER NODES) on connect, and
 * after a failover reconnects through them; a call that fails meanwhile
 * returns NM_ERR_REDIS (the caller retries). With `[redis] wait_replicas`
 * N > 0, a batch is acknowledged only once N replicas have it (WAIT), or
 * every connected one if fewer are connected, so a failover does not lose
 * counted articles. Sentinel is not supported: give
 * the master's address (or a proxy that follows it).
 *
 * Not thread-safe: one client per thread.
 */
#ifndef NM_COUNTS_H
#define NM_COUNTS_H

#include <stddef.h>
#include <time.h>

#include "nm_config.h"
#include "nm_err.h"
#include "nm_story.h"

#define NM_COUNTS_BAND_CAP 8           /* articles a band field keeps (newest): the
                                        * articles of a story share most of their band
                                        * values, so a few per value find it; more cost
                                        * a widely syndicated story's lookups dearly */
#define NM_COUNTS_BATCH_CANDIDATES 8192 /* candidate signatures returned per batch */
#define NM_COUNTS_RECORD_CACHE 8192 /* story records a client keeps (nm_bcache, ~2.8 MB):
                                     * a batch of a syndicated story's copies names
                                     * ~3,000, mostly the ones the batch before named */

/** The story part of one article's counts (nm_stories.h fills it). All
 *  pointers are borrowed for the call. */
typedef struct {
    const char *story_id;      /* "s-...": its story's members key */
    const char *first_article; /* the story's first article */
    const char *first_hour;    /* "YYYYMMDDHH": when the first article was indexed */
    const char *index_hour;    /* "YYYYMMDDHH": when this article is indexed */
    int starts;                /* 1: the article is its story's first (the story's
                                * "!" field is created) */
    const char *alerted;       /* the topics it alerts on, ",a,b,", "" for none */
    const char *decision;      /* the seen key's value (NUL-terminated) */
    const nm_story_sig_t *sig; /* indexed unless its shingles are 0 */
} nm_counts_story_t;

typedef struct nm_counts_s nm_counts_t;

/** One article's contribution. All pointers are borrowed for the call. */
typedef struct {
    const char *id;
    char hour[11];          /* "YYYYMMDDHH" (UTC) of the input message */
    int relevant;
    int nentities;
    const char *const *entities; /* ids */
    const int *mentions;
    int ntopics;
    const char *const *topics;   /* ids (relevant articles only) */
    const char *alert;      /* the alert record (JSON) when the article alerts, else NULL */
    size_t alert_len;
    const char *summary;    /* {"id","title","url"} for surge alerts, or NULL */
    size_t summary_len;
    const nm_counts_story_t *story; /* NULL: no story (stories off) */
} nm_counts_item_t;

/** @brief A client for cfg's [redis] settings (borrowed for the call). It
 *  connects lazily and reconnects after any error.
 *  @returns a new client, NULL on OOM. */
nm_counts_t *nm_counts_new(const nm_config_t *cfg);

void nm_counts_destroy(nm_counts_t *c);

/** @brief The key prefix K in use (with its hash tag), e.g. "{nm}:".
 *  @returns a string owned by c. */
const char *nm_counts_prefix(const nm_counts_t *c);

/** @brief Count a batch in one round trip. Reloads the script after NOSCRIPT
 *  (a restarted Redis forgets it) and reconnects after I/O errors.
 *  @param newly if not NULL, receives how many articles were new.
 *  @returns NM_OK, or NM_ERR_REDIS with errstr set (nothing or everything
 *  of the batch was applied: the script runs atomically; retry it). */
nm_err_t nm_counts_apply(nm_counts_t *c, const nm_counts_item_t *items, size_t n,
                         long long *newly, char *errstr, size_t errstr_size);

typedef struct nm_rules_s nm_rules_t;

/** @brief Evaluate surges with these rules' [surge] settings, pairs and
 *  version from the next call on (borrowed: call again after a reload;
 *  NULL: no surge evaluation, the default). */
void nm_counts_set_rules(nm_counts_t *c, const nm_rules_t *rules);

/** A surge the last call handed to the caller (fired now, or claimed again
 *  after its lease ran out). */
typedef struct {
    char id[20];       /* the alert id (nm_surge_alert_id) */
    char *json;        /* the alert record, NUL-terminated, owned by the client */
    size_t len;
    int retry;         /* 1: claimed again; it may be on the topic already */
    long long detected_ms; /* when it fired (epoch ms) */
} nm_counts_surge_t;

/** @brief The surges handed over by the last nm_counts_apply or
 *  nm_counts_surge_tick (none when it failed or had nothing to send);
 *  owned by c, valid until its next call. */
size_t nm_counts_surges(const nm_counts_t *c, const nm_counts_surge_t **out);

/** @brief Report a surge delivered (or found on the topic): the next call
 *  removes it from the pending set. @returns NM_OK or NM_ERR_NOMEM. */
nm_err_t nm_counts_surge_done(nm_counts_t *c, const char *id);

/** @brief Surge work without articles (idle): record the done reports and
 *  claim expired leases. Same errors as nm_counts_apply. */
nm_err_t nm_counts_surge_tick(nm_counts_t *c, char *errstr, size_t errstr_size);
/** A signature found in the window (nm_counts_story_lookup). */
typedef struct {
    unsigned long long seq; /* order of indexing (ties go to the lower) */
    char first_hour[11];
    nm_story_sig_t sig;
    char first_article[NM_STORY_ARTICLE_ID_MAX + 1];
    char *alerted; /* the story's alerted topics ",a,b," (owned by the nm_counts_found_t) */
} nm_counts_candidate_t;

/** What the window holds for a batch; owned by the caller
 *  (nm_counts_found_free). */
typedef struct {
    char **decision; /* per article: its seen key's value, NULL when not seen */
    size_t n;
    nm_counts_candidate_t *cand; /* distinct, in the order found */
    size_t ncand;
} nm_counts_found_t;

/** @brief Whether the counts script indexes an article of this signature
 *  (its bands: a text, and a value in one of the first NM_STORY_BANDS bins). */
int nm_counts_indexed(const nm_story_sig_t *sig);

/** Articles whose band writes the lookup takes as done though their counts
 *  are not applied yet (the batch before, followed: nm_stories_decide): each pushes
 *  the oldest ref out of its band fields of day `day` ("YYYYMMDD") that
 *  are full, so the lookup returns of such a field only the refs the
 *  counts would leave. Signatures borrowed. */
typedef struct {
    const nm_story_sig_t *const *sig;
    size_t n;
    char day[9];
} nm_counts_ahead_t;

/** @brief Two calls for a batch of n articles (ids and signatures
 *  borrowed): the refs, then the records not kept from earlier lookups and
 *  the stories' "!" fields. Each article's stored decision (a redelivery), and, for the
 *  articles not seen, the signatures of the articles (at most
 *  NM_COUNTS_BAND_CAP per band field) sharing a band value with it, indexed in the last [stories] window_s up
 *  to `now` and of a story still alive (NM_COUNTS_BATCH_CANDIDATES in all);
 *  ahead: NULL, or the articles of nm_counts_ahead_t.
 *  @returns NM_OK (*out filled), NM_ERR_REDIS or NM_ERR_NOMEM with errstr
 *  set (*out empty). */
nm_err_t nm_counts_story_lookup(nm_counts_t *c, const char *const *ids,
                                const nm_story_sig_t *sigs, size_t n,
                                const nm_counts_ahead_t *ahead, time_t now,
                                nm_counts_found_t *out, char *errstr, size_t errstr_size);

/** @brief The story lookups' records so far: found in this client's cache
 *  (`kept`) and asked of Redis (`read`). */
void nm_counts_record_stats(const nm_counts_t *c, unsigned long long *kept,
                            unsigned long long *read);

/** @brief Free what nm_counts_story_lookup returned (zeroed; NULL-safe). */
void nm_counts_found_free(nm_counts_found_t *f);

/** @brief Connected with the script loaded (a real readiness check). */
int nm_counts_ready(nm_counts_t *c);

/* ---- reads (`newsmon top`, the dashboard) ---- */

typedef enum {
    NM_COUNTS_ENTITIES = 0,
    NM_COUNTS_TOPICS = 1,
    NM_COUNTS_ENTITY_STORIES = 2, /* articles = distinct stories; mentions 0 */
    NM_COUNTS_TOPIC_STORIES = 3
} nm_counts_kind_t;

typedef struct {
    char *id;        /* entity or topic id */
    double articles; /* articles naming it (topics: relevant articles) */
    double mentions; /* entities only: total mentions; 0 for topics */
} nm_counts_row_t;

/** @brief The top `n` entities or topics, by articles, then mentions, then
 *  id. hours = 0: all time; else the last `hours` UTC hour buckets up to
 *  and including the one of `now`, merged on the server (ZUNION).
 *  @param rows receives a new array of *nrows (<= n) rows, best first; the
 *  caller frees it with nm_counts_rows_free (also when *nrows is 0).
 *  @returns NM_OK, NM_ERR_REDIS or NM_ERR_NOMEM with errstr set (then
 *  *rows is NULL). */
nm_err_t nm_counts_top(nm_counts_t *c, nm_counts_kind_t kind, long hours, time_t now, size_t n,
                       nm_counts_row_t **rows, size_t *nrows, char *errstr, size_t errstr_size);

/** @brief Free rows from nm_counts_top (NULL is fine). */
void nm_counts_rows_free(nm_counts_row_t *rows, size_t nrows);

/** One row of nm_counts_movers. */
typedef struct {
    int kind;        /* nm_surge_kind_t: entity, topic, pair */
    char *id;        /* the key */
    double current;  /* articles in the window */
    double baseline; /* mean articles per window of the same length before it */
    double ratio;    /* (current + 1) / (baseline + 1) */
} nm_counts_mover_t;

/** @brief The keys of every kind (entities, topics, the [surge] pairs) with
 *  articles in the last `hours` UTC hours up to the one of `now`, ranked by
 *  ratio over their baseline (the surge rule's, over windows of `hours`:
 *  the mean of the `baseline_hours` before the window, times `hours`),
 *  then by current count, kind and id. Reads the hourly keys the surge
 *  rule reads (nm_surge_count_base).
 *  @param rows receives a new array of *nrows (<= n) rows; free it with
 *  nm_counts_movers_free. @returns NM_OK, NM_ERR_REDIS or NM_ERR_NOMEM. */
nm_err_t nm_counts_movers(nm_counts_t *c, long hours, long baseline_hours, time_t now, size_t n,
                          nm_counts_mover_t **rows, size_t *nrows, char *errstr,
                          size_t errstr_size);

void nm_counts_movers_free(nm_counts_mover_t *rows, size_t nrows);

typedef struct {
    char entry_id[48]; /* stream entry id "<ms>-<seq>": ms is when Redis recorded it */
    char *json;        /* the alert record, NUL-terminated */
    size_t len;
} nm_counts_alert_t;

/** @brief The `n` most recent alert records, newest first (XREVRANGE).
 *  @param out receives a new array of *nout (<= n) entries; the caller
 *  frees it with nm_counts_alerts_free.
 *  @returns NM_OK, NM_ERR_REDIS or NM_ERR_NOMEM with errstr set. */
nm_err_t nm_counts_recent_alerts(nm_counts_t *c, size_t n, nm_counts_alert_t **out,
                                 size_t *nout, char *errstr, size_t errstr_size);

/** @brief The `n` most recent surge records, newest first (K surges:recent,
 *  as they fired), in the same form as nm_counts_recent_alerts. */
nm_err_t nm_counts_recent_surges(nm_counts_t *c, size_t n, nm_counts_alert_t **out,
                                 size_t *nout, char *errstr, size_t errstr_size);

/** @brief Free entries from nm_counts_recent_alerts (NULL is fine). */
void nm_counts_alerts_free(nm_counts_alert_t *alerts, size_t n);

/** @brief Articles counted so far and how many were relevant (K stats).
 *  @returns NM_OK or NM_ERR_REDIS with errstr set. */
nm_err_t nm_counts_stats(nm_counts_t *c, long long *articles, long long *relevant,
                         char *errstr, size_t errstr_size);

#endif
