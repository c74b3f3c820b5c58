#!/usr/bin/env bash
# test_fault_sigterm.sh - SIGTERM `newsmon run` three times while articles
# stream: each time it must finish its batch, commit and exit 0 within 30 s;
# it is restarted each time. Then everything must be processed: lost = 0,
# drift = 0 against one clean pass, and - since a graceful stop commits what
# it processed - no article processed twice (duplicates = 0).
#   NM_FAULT_ARTICLES [8000]  NM_FAULT_STOPS [3]
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/fault_lib.sh"
require_services
write_fault_config

N=${NM_FAULT_ARTICLES:-8000}
STOPS=${NM_FAULT_STOPS:-3}
gen_articles "$N" "$WORK/articles.jsonl" 17
ids_of "$WORK/articles.jsonl" >"$WORK/ids.txt"
expected_counts "$WORK/articles.jsonl" "$WORK/expected.txt"

start_daemon
start_ingest "$WORK/articles.jsonl" 200 0.6
max_ms=0
for k in $(seq 1 "$STOPS"); do
    sleep 4
    kill -0 "$INGEST_PID" 2>/dev/null || log "note: ingest already finished before stop $k"
    t0=$(date +%s%3N)
    st=0
    stop_daemon TERM || st=$? # fails the test after 30 s
    ms=$(($(date +%s%3N) - t0))
    [[ $st -eq 0 ]] || fail "SIGTERM #$k: exit status $st"
    ((ms > max_ms)) && max_ms=$ms
    grep -q 'stopping: consumed=' "$WORK/daemon.log" || fail "no shutdown summary logged"
    log "SIGTERM #$k: exit 0 after ${ms} ms; $(grep 'stopping: consumed=' "$WORK/daemon.log" | tail -n1 | sed 's/.*msg=//')"
    mv "$WORK/daemon.log" "$WORK/daemon-stop$k.log"
    start_daemon
done
finish_run 180
echo "sigterm: articles=$N stops=$STOPS max_stop_ms=$max_ms lost=$LOST drift=$DRIFT duplicates=$DUPLICATES elapsed=$(elapsed)s"
[[ $LOST -eq 0 ]] || fail "$LOST articles lost"
[[ $DRIFT -eq 0 ]] || fail "Redis counts drift from the clean pass ($DRIFT values differ)"
[[ $DUPLICATES -eq 0 ]] || fail "$DUPLICATES articles processed twice after graceful stops (SIGTERM must commit what it processed)"
echo "PASS test_fault_sigterm"
