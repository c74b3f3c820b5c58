#!/usr/bin/env bash
# test_fault_broker.sh - the Kafka broker stops mid-stream (services.sh
# stop-kafka: controlled shutdown, data kept) for ~10 s and starts again.
# newsmon must ride it out by itself (librdkafka reconnects, failed
# deliveries are re-sent, the group is re-joined). The background ingest may
# fail during the outage: each failed chunk is ingested again (same ids), so
# every id is published at least once.
# Checks: every id is enriched (lost = 0), drift = 0 against one clean pass,
# the daemon never died.
#   NM_FAULT_ARTICLES [8000]  NM_FAULT_OUTAGE_S [10]
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/fault_lib.sh"
require_services
write_fault_config

N=${NM_FAULT_ARTICLES:-8000}
OUTAGE=${NM_FAULT_OUTAGE_S:-10}
gen_articles "$N" "$WORK/articles.jsonl" 13
ids_of "$WORK/articles.jsonl" >"$WORK/ids.txt"
expected_counts "$WORK/articles.jsonl" "$WORK/expected.txt"

start_daemon
start_ingest "$WORK/articles.jsonl" 200 0.8
sleep 5

before=$(enriched_keys "$NM_RUN.enriched" | wc -l)
log "stopping Kafka for ${OUTAGE}s (enriched so far: $before)"
t0=$(date +%s)
svc_stop kafka
sleep "$OUTAGE"
daemon_alive || fail "newsmon run died while Kafka was down"
svc_start kafka
outage=$(($(date +%s) - t0))
log "Kafka back after ${outage}s (stop + ${OUTAGE}s + start)"
daemon_alive || fail "newsmon run died while Kafka was restarting"

finish_run 240
ingest_retries=$(grep -c 'failed (try' "$WORK/ingest.log" || true)
resent=$(grep -c 're-sending' "$WORK/daemon.log" || true)
echo "broker: articles=$N outage=${outage}s ingest_retries=$ingest_retries resend_rounds=$resent lost=$LOST drift=$DRIFT duplicates=$DUPLICATES elapsed=$(elapsed)s"
[[ $LOST -eq 0 ]] || fail "$LOST articles lost"
[[ $DRIFT -eq 0 ]] || fail "Redis counts drift from the clean pass ($DRIFT values differ)"
echo "PASS test_fault_broker"
