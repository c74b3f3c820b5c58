/* nm_limits.h - every fixed limit of newsmon, in one place.
 *
 * Each is either an error when the rule files are loaded (file: reason,
 * so start-up or the reload fails instead of dropping anything later) or
 * a documented size of an output by design. Nothing counted in Redis is
 * ever capped: an article's entities and topics are counted in full.
 */
#ifndef NM_LIMITS_H
#define NM_LIMITS_H

/* Load errors (nm_rules_load): a rule set with more is refused. */
#define NM_MAX_TOPICS 32      /* [topic:...] sections: fixed per-article arrays and metrics */
#define NM_MAX_LANGS 64       /* language packs (each pack is a language) */
#define NM_MAX_ENTITIES 65535 /* gazetteer entities */

/* Output sizes by design (README, "Data contract"). */
#define NM_MAX_EVIDENCE 3         /* evidence items per topic in an event: the first three */
#define NM_ALERT_MAX_ENTITIES 10  /* entity ids in an alert: the most mentioned (the
                                   * enriched event and the counts keep all of them) */
#define NM_MAX_OUTPUTS (NM_MAX_TOPICS + 3) /* per article: enriched, an alert per topic,
                                            * alerts.all, a dead letter */

/* Retry bounds. */
#define NM_TXN_ATTEMPTS 5 /* retriable errors of one transaction commit or abort (each call
                           * waits up to 60 s), then abort (commit) or exit 1 (abort) */

#endif
