#!/usr/bin/env bash
# test_scale_out.sh - several `newsmon run` in one consumer group over a
# six-partition input, against the real broker and Redis, while 30,000
# articles stream in:
#   1. three members with static membership (group.instance.id m1..m3);
#   2. crash with static membership: kill -9 m3, its supervisor restarts it
#      at once with the same group.instance.id;
#   3. scale out: a fourth member joins, without group.instance.id;
#   4. crash without static membership: kill -9 the fourth, restart it (a new
#      member id: the group waits for the dead member's session to expire);
#   5. rolling restart of all four: SIGTERM one at a time (each must exit 0),
#      start it again, wait until the group owns all partitions.
# The stream keeps arriving throughout (it is only sped up once step 5 is
# done). Asserts: every input id is on the enriched topic or the dead-letter
# topic (lost = 0); the Redis counts equal those of one clean offline pass
# (drift = 0); duplicates on the enriched topic at most 3 batches per kill
# (graceful stops and rebalances commit first); the crash with static
# membership rebalances faster than the one without. Reports each
# rebalance: from the kill/stop/start to the last member's new assignment
# (newsmon_assignment_changed_timestamp_seconds on /metrics), observed as
# every live member ready with the six partitions shared between them.
# Sessions: session.timeout.ms 6000 (the broker's minimum), heartbeat 1 s (lib.sh).
#   NM_SCALE_ARTICLES [30000]
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/fault_lib.sh"
require_services

N=${NM_SCALE_ARTICLES:-30000}
PARTS=6
BATCH=500
NM_TEST_PARTITIONS=$PARTS write_fault_config -e "s|^batch_size = .*|batch_size = $BATCH|"
grep -q "^batch_size = $BATCH" "$CONF" || fail "config has no batch_size line"

# ---- members: a config each (own /metrics port; static ones get an id)
declare -A PID PORT
free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
member_conf() { # NAME static|dynamic
    PORT[$1]=$(free_port)
    local extra=()
    [[ $2 == static ]] && extra=(-e "s|^group.id = .*|&\ngroup.instance.id = $NM_RUN-$1|")
    # the first listen line is [http]'s
    sed -e "0,/^listen = .*/s||listen = 127.0.0.1:${PORT[$1]}|" "${extra[@]}" "$CONF" >"$WORK/$1.conf"
    grep -q "^listen = 127.0.0.1:${PORT[$1]}" "$WORK/$1.conf" || fail "no [http] listen line in the config"
}
member_start() { "$NEWSMON" run -c "$WORK/$1.conf" >>"$WORK/daemon-$1.log" 2>&1 & PID[$1]=$!; }
member_alive() { [[ -n ${PID[$1]:-} ]] && kill -0 "${PID[$1]}" 2>/dev/null; }
LIVE=()
kill_members() { local m; for m in "${!PID[@]}"; do member_alive "$m" && kill -KILL "${PID[$m]}" 2>/dev/null; done; true; }
# shellcheck disable=SC2154 # rc is assigned inside the trap string
trap 'rc_=$?; kill_members; fault_cleanup; (exit $rc_); cleanup' EXIT

# settle T0 NAME WHAT: wait until every member of LIVE answers /metrics ready,
# each with >= 1 partition and all PARTS between them; the rebalance took
# (latest assignment change - T0). Sets LAST_MS; appends to $WORK/rebalances.
settle() {
    local ports=() m out
    for m in "${LIVE[@]}"; do ports+=("${PORT[$m]}"); done
    out=$($PY - "$1" "$PARTS" 120 "${ports[@]}" <<'PY'
import sys, time, urllib.request
t0, parts, timeout, ports = float(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4:]
def scrape(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as r:
            vals = {}
            for line in r.read().decode().splitlines():
                if line.startswith("newsmon_") and " " in line:
                    k, v = line.rsplit(" ", 1)
                    vals[k] = float(v)
            return vals
    except OSError:
        return None
state = "no answer"
while time.time() - t0 < timeout:
    got = [scrape(p) for p in ports]
    if all(got):
        assigned = [int(g.get("newsmon_assigned_partitions", 0)) for g in got]
        ready = all(g.get("newsmon_ready") == 1 for g in got)
        state = f"assigned {assigned}, ready {ready}"
        if ready and sum(assigned) == parts and min(assigned) >= 1:
            last = max(g["newsmon_assignment_changed_timestamp_seconds"] for g in got)
            print(f"{max(0.0, last - t0) * 1000:.0f} {(time.time() - t0) * 1000:.0f} {assigned}")
            sys.exit(0)
    time.sleep(0.1)
print(f"group not settled after {timeout:.0f} s: {state}", file=sys.stderr)
sys.exit(1)
PY
) || fail "$2 ($3): the group did not settle (members: ${LIVE[*]})"
    read -r LAST_MS seen_ms assigned <<<"$out"
    log "$2 ($3): rebalance ${LAST_MS} ms (seen settled after ${seen_ms} ms; partitions per member $assigned; ingested so far: $(ingested))"
    echo "$2=$LAST_MS" >>"$WORK/rebalances"
    echo "$2=$seen_ms" >>"$WORK/settled"
}
now() { date +%s.%N; }

# ---- the stream: chunks of 300, 0.4 s apart, until the scenario is done,
# then the rest at once. A failed chunk is re-sent (at-least-once input).
$PY "$ROOT/tests/integration/gen_articles.py" "$ROOT/samples/articles.jsonl" "$N" "$WORK/articles.jsonl" 12
ids_of "$WORK/articles.jsonl" >"$WORK/ids.txt"
[[ $(sort -u "$WORK/ids.txt" | wc -l) -eq $N ]] || fail "generator made duplicate ids"
expected_counts "$WORK/articles.jsonl" "$WORK/expected.txt"
mkdir -p "$WORK/chunks"
split -l 300 -d -a 4 --additional-suffix=.jsonl "$WORK/articles.jsonl" "$WORK/chunks/c"
NCHUNKS=$(ls "$WORK/chunks" | wc -l)
stream() {
    local f try
    for f in "$WORK"/chunks/c*.jsonl; do
        for try in $(seq 1 30); do
            "$NEWSMON" ingest -c "$CONF" "$f" >>"$WORK/ingest.log" 2>&1 && break
            echo "ingest of $f failed (try $try)" >>"$WORK/ingest.log"; sleep 1
        done
        echo "$f" >>"$WORK/ingested"
        [[ -e $WORK/scenario.done ]] || sleep 0.4
    done
    echo "INGEST DONE" >>"$WORK/ingest.log"
}
chunks_sent() { cat "$WORK/ingested" 2>/dev/null | wc -l; }
ingested() { echo $(($(chunks_sent) * 300)); }
streaming() { [[ $(chunks_sent) -lt $NCHUNKS ]]; }

# ---- 1. three static members
for m in m1 m2 m3; do member_conf "$m" static; done
t0=$(now)
for m in m1 m2 m3; do member_start "$m"; done
LIVE=(m1 m2 m3)
settle "$t0" start "3 members"
stream & INGEST_PID=$!
# a while into the stream: each member has completed batches
until [[ $(ingested) -ge 3000 ]]; do sleep 0.2; done

# ---- 2. crash with static membership, restarted at once with the same id
streaming || fail "the stream ended before the crash: pace it slower"
t0=$(now); kill -KILL "${PID[m3]}"; wait "${PID[m3]}" 2>/dev/null || true
member_start m3
settle "$t0" crash_static "kill -9 m3, restarted as m3"
crash_static=$LAST_MS

# ---- 3. a fourth member, dynamic (no group.instance.id)
member_conf m4 dynamic
t0=$(now); member_start m4; LIVE+=(m4)
settle "$t0" join_m4 "a fourth member joins"

# ---- 4. crash without static membership: the restarted m4 is a new member
until [[ $(ingested) -ge 9000 ]]; do sleep 0.2; done
streaming || fail "the stream ended before the dynamic crash: pace it slower"
t0=$(now); kill -KILL "${PID[m4]}"; wait "${PID[m4]}" 2>/dev/null || true
member_start m4
settle "$t0" crash_dynamic "kill -9 m4, restarted without group.instance.id"
crash_dynamic=$LAST_MS

# ---- 5. rolling restart: SIGTERM one at a time, articles still arriving
for m in m1 m2 m3 m4; do
    streaming || fail "the stream ended before the rolling restart of $m: pace it slower"
    t0=$(now); kill -TERM "${PID[$m]}"
    st=0; timeout 60 tail --pid="${PID[$m]}" -f /dev/null || fail "$m did not exit within 60 s of SIGTERM"
    wait "${PID[$m]}" || st=$?
    [[ $st -eq 0 ]] || fail "$m exited $st on SIGTERM"
    member_start "$m"
    settle "$t0" "rolling_$m" "SIGTERM, exit 0, restarted"
done
touch "$WORK/scenario.done"
log "scenario done; streaming the rest ($(ingested) of $N sent)"

# ---- all in: every id enriched (or dead-lettered), counts converged
wait "$INGEST_PID" || fail "ingest failed"; INGEST_PID=""
grep -q 'INGEST DONE' "$WORK/ingest.log" || fail "ingest did not finish"
t1=$(date +%s) miss=-1
while (($(date +%s) - t1 < 120)); do
    enriched_keys "$NM_RUN.dlq" | sort -u >"$WORK/dlq.txt"
    { enriched_keys "$NM_RUN.enriched"; cat "$WORK/dlq.txt"; } | sort -u >"$WORK/seen.txt"
    miss=$(comm -23 "$WORK/ids.txt" "$WORK/seen.txt" | wc -l)
    [[ $miss -eq 0 ]] && break
    sleep 2
done
for _ in $(seq 1 60); do
    check_counts "$WORK/expected.txt" 2>/dev/null
    [[ $DRIFT -eq 0 ]] && break
    sleep 1
done
for m in m1 m2 m3 m4; do
    kill -TERM "${PID[$m]}"; st=0; wait "${PID[$m]}" || st=$?
    [[ $st -eq 0 ]] || fail "$m exited $st on the final SIGTERM"
done
check_enriched "$NM_RUN.enriched" "$WORK/ids.txt"
DLQ=$(wc -l <"$WORK/dlq.txt")
LOST=$(comm -23 "$WORK/ids.txt" <(sort -u "$WORK/keys.txt" "$WORK/dlq.txt") | wc -l)
check_counts "$WORK/expected.txt"
check_daemon_logs

KILLS=2
MAX_DUP=$((KILLS * 3 * BATCH))
echo "scale_out: articles=$N partitions=$PARTS members=4 lost=$LOST drift=$DRIFT dead_letters=$DLQ" \
     "duplicates=$DUPLICATES (bound $MAX_DUP) events=$EVENTS elapsed=$(elapsed)s"
echo "rebalance_ms (to the last new assignment): $(tr '\n' ' ' <"$WORK/rebalances")"
echo "settled_ms (every member ready again, polled): $(tr '\n' ' ' <"$WORK/settled")"
echo "static membership: crash rebalance ${crash_static} ms with group.instance.id, ${crash_dynamic} ms without"
[[ $LOST -eq 0 ]] || fail "$LOST articles lost (neither enriched nor dead-lettered)"
[[ $DRIFT -eq 0 ]] || fail "Redis counts drift from the clean pass ($DRIFT values differ)"
[[ $DUPLICATES -le $MAX_DUP ]] || fail "$DUPLICATES duplicate enriched events, more than $MAX_DUP (3 batches per kill)"
((crash_static < crash_dynamic)) ||
    fail "static membership did not shorten the crash rebalance (${crash_static} ms >= ${crash_dynamic} ms)"
echo "PASS test_scale_out"
