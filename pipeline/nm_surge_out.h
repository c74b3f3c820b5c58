/* nm_surge_out.h - is a surge alert on its topic already?
 *
 * A surge the Redis script hands over again after its lease ran out
 * (nm_counts.h: its daemon died between the script call and the done
 * report) may or may not have reached Kafka before the crash. The daemon
 * that claims it looks for a message keyed by the alert id on the surge
 * topic, read_committed, from a little before the surge was detected (the
 * producer stamps messages when they are sent, after detection) up to the
 * end, and publishes it only when it is not there. The lease (surge_retry_s)
 * is longer than a producer keeps a message in flight
 * (message.timeout.ms), so the dead daemon's message, if any, has landed.
 */
#ifndef NM_SURGE_OUT_H
#define NM_SURGE_OUT_H

#include "nm_config.h"
#include "nm_err.h"

/** How long before the detection the search starts (clock skew between
 *  hosts, CreateTime set by the producer's clock). */
#define NM_SURGE_FIND_SLACK_MS 300000LL

/** @brief Look for a message with key `id` on `topic` written since
 *  `since_ms` - NM_SURGE_FIND_SLACK_MS. Uses a short-lived consumer with the
 *  [kafka] properties (no group: it assigns partitions and commits nothing).
 *  @param found receives 1 or 0. @returns NM_OK, or NM_ERR_KAFKA with
 *  errstr set (then the caller does not know: it must not publish). */
nm_err_t nm_surge_out_find(const nm_config_t *cfg, const char *topic, const char *id,
                           long long since_ms, int *found, char *errstr, size_t errstr_size);

#endif
