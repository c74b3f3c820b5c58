#!/usr/bin/env bash
# test_fault_stop.sh - the end states of the daemon's retry loops, against
# the real broker and Redis. A backlog is consumed; while batches are in
# flight the broker hangs (SIGSTOP: no answer, like a partition) or Redis
# stops, and then:
#   broker_sigterm  SIGTERM: the deliveries are waited for at most 10 s, then
#                   exit 1 without committing the batch;
#   broker_stall    no signal: after [input] max_stall_s the batch is given
#                   up, exit 1, nothing committed;
#   redis_sigterm   SIGTERM while Redis is retried (the story lookup, or the
#                   counts with [stories] off): exit 1 at once
#                   without committing;
#   redis_stall     no signal: exit 1 after max_stall_s.
# Each exit must come within its bound (the 10 s or max_stall_s, plus the
# client shutdown), and after each the service comes back and a fresh daemon
# finishes the backlog: every id enriched (lost = 0) and the counts equal one
# clean pass (drift = 0), so nothing was committed past an unfinished batch.
#   NM_STOP_ARTICLES [20000]
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/fault_lib.sh"
require_services
STALL=6
write_fault_config
grep -q '^max_stall_s = 300' "$CONF" || fail "no max_stall_s line in the config"
# the SIGTERM cases keep the default max_stall_s (300 s): the signal ends them
cp "$CONF" "$WORK/term.conf"
sed "s|^max_stall_s = .*|max_stall_s = $STALL|" "$WORK/term.conf" >"$WORK/stall.conf"
N=${NM_STOP_ARTICLES:-20000}
$PY "$ROOT/tests/integration/gen_articles.py" "$ROOT/samples/articles.jsonl" "$N" "$WORK/articles.jsonl" 31
ids_of "$WORK/articles.jsonl" >"$WORK/ids.txt"
expected_counts "$WORK/articles.jsonl" "$WORK/expected.txt"
split -n l/4 -d --additional-suffix=.jsonl "$WORK/articles.jsonl" "$WORK/part"
BROKER_PID=$(tr -dc 0-9 <"${NM_SERVICES_DIR:-$ROOT/.services}/kafka/broker.pid")
kill -0 "$BROKER_PID" || fail "no broker pid"
# shellcheck disable=SC2154 # rc is assigned inside the trap string
trap 'rc_=$?; kill -CONT "$BROKER_PID" 2>/dev/null; fault_cleanup; (exit $rc_); cleanup' EXIT

metric() { curl -sf "http://127.0.0.1:$HTTP_PORT/metrics" | awk -v m="$1" '$1 == m {print $2}'; }

# scenario NAME PART FAULT(broker|redis) SIGNAL(TERM|none) BOUND_S
scenario() {
    local name=$1 part=$2 fault=$3 sig=$4 bound=$5 st=0 t0 ms
    "$NEWSMON" ingest -c "$CONF" "$part" >>"$WORK/ingest.log" 2>&1 || fail "$name: ingest failed"
    if [[ $sig == TERM ]]; then CONF=$WORK/term.conf; else CONF=$WORK/stall.conf; fi
    start_daemon "daemon-$name"
    # the backlog is being worked on: batches in flight
    for _ in $(seq 1 200); do
        [[ $(metric newsmon_articles_consumed_total) -gt 0 ]] 2>/dev/null && break
        sleep 0.05
    done
    if [[ $fault == broker ]]; then kill -STOP "$BROKER_PID"; else svc_stop redis; fi
    t0=$(date +%s%3N)
    if [[ $sig == TERM ]]; then
        sleep 1 # the batch now waits on the dead service
        t0=$(date +%s%3N)
        kill -TERM "$DAEMON_PID"
    fi
    timeout $((bound + 30)) tail --pid="$DAEMON_PID" -f /dev/null ||
        fail "$name: newsmon still running $((bound + 30)) s after the fault"
    wait "$DAEMON_PID" || st=$?
    DAEMON_PID=""
    ms=$(($(date +%s%3N) - t0))
    if [[ $fault == broker ]]; then kill -CONT "$BROKER_PID"; else svc_start redis; fi
    log "$name: exit $st after ${ms} ms (bound ${bound} s + shutdown); $(grep -h -o -E 'stopping with [^;]*|stalled on [^(]*' "$WORK/daemon-$name.log" | head -n 1)"
    echo "$name=${ms}ms/exit$st" >>"$WORK/summary"
    [[ $st -eq 1 ]] || fail "$name: exit $st, want 1 (a batch given up)"
    grep -q 'not committed' "$WORK/daemon-$name.log" || fail "$name: no 'not committed' in the log"
    ((ms <= (bound + 15) * 1000)) || fail "$name: exit took ${ms} ms, more than ${bound} s + 15 s"
    # a fresh daemon finishes what was not committed
    start_daemon "daemon-$name-after"
    ids_of "$part" | sort -u - "$WORK/done-ids.txt" -o "$WORK/done-ids.txt"
    wait_all_enriched "$NM_RUN.enriched" "$WORK/done-ids.txt" 120
    stop_daemon TERM || fail "$name: the daemon after recovery did not exit 0"
}

: >"$WORK/done-ids.txt"
scenario broker_sigterm "$WORK/part00.jsonl" broker TERM 10
scenario broker_stall "$WORK/part01.jsonl" broker none "$STALL"
scenario redis_sigterm "$WORK/part02.jsonl" redis TERM 1
scenario redis_stall "$WORK/part03.jsonl" redis none "$STALL"

cmp -s "$WORK/done-ids.txt" "$WORK/ids.txt" || fail "the four parts are not the whole input"
for _ in $(seq 1 60); do
    check_counts "$WORK/expected.txt" 2>/dev/null
    [[ $DRIFT -eq 0 ]] && break
    sleep 1
done
check_enriched "$NM_RUN.enriched" "$WORK/ids.txt"
check_counts "$WORK/expected.txt"
check_daemon_logs
echo "stop: articles=$N lost=$LOST drift=$DRIFT duplicates=$DUPLICATES $(tr '\n' ' ' <"$WORK/summary")elapsed=$(elapsed)s"
[[ $LOST -eq 0 ]] || fail "$LOST articles lost"
[[ $DRIFT -eq 0 ]] || fail "Redis counts drift from the clean pass ($DRIFT values differ)"
echo "PASS test_fault_stop"
