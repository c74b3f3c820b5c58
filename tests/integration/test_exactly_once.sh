#!/usr/bin/env bash
# test_exactly_once.sh - exactly-once mode ([output] exactly_once = true)
# under crashes: articles stream in while `newsmon run` is killed with -9
# several times and restarted. A read_committed consumer (kcat; librdkafka's
# default isolation) must then see every article exactly once on the
# enriched topic (lost = 0, duplicates = 0), and the Redis counts must equal
# one clean pass (drift = 0). Then the throughput cost against
# at-least-once on the same backlog is printed.
source "$(dirname "$0")/lib.sh"
require_services
N=${NM_EOS_ARTICLES:-10000}
KILLS=${NM_EOS_KILLS:-4}
$PY "$ROOT/tests/integration/gen_articles.py" "$ROOT/samples/articles.jsonl" "$N" "$WORK/in.jsonl"

write_config -e "s|^exactly_once = false|exactly_once = true|" \
             -e "s|^transactional_id =.*|transactional_id = $NM_RUN-tx|"
start_daemon
# a paced stream (chunks of 500, 0.7 s apart) so the kills land mid-stream
split -l 500 "$WORK/in.jsonl" "$WORK/chunk."
( for c in "$WORK"/chunk.*; do "$NEWSMON" ingest -c "$CONF" "$c" 2>/dev/null || exit 1; sleep 0.7; done ) &
INGEST=$!
kills=0
t0=$(date +%s)
at_kill=()
done_before=0
while [[ $kills -lt $KILLS ]]; do
    # kill only once this incarnation has committed work, so each kill
    # lands mid-stream with a transaction open
    for _ in $(seq 1 100); do
        n=$(consume "$NM_RUN.enriched" | wc -l)
        [[ $n -gt $done_before ]] && break
        sleep 0.2
    done
    sleep "$($PY -c 'import random; print(round(random.uniform(0.05, 0.4), 2))')"
    kill -KILL "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null || true
    done_before=$(consume "$NM_RUN.enriched" | wc -l)
    at_kill+=("$done_before")
    kills=$((kills + 1))
    start_daemon "daemon$kills"
done
log "committed events at each kill: ${at_kill[*]} of $N"
wait "$INGEST" || fail "ingest failed"
wait_count "$NM_RUN.enriched" "$N" 180
sleep 2 # anything still in flight would show up as a duplicate now
consume "$NM_RUN.enriched" | cut -f1 | sort >"$WORK/ids.txt"
total=$(wc -l <"$WORK/ids.txt")
distinct=$(sort -u "$WORK/ids.txt" | wc -l)
lost=$((N - distinct))
dups=$((total - distinct))
uncommitted=$(kcat -b "$BOOTSTRAP" -C -t "$NM_RUN.enriched" -o beginning -e -q \
    -X isolation.level=read_uncommitted -f '%k\n' 2>/dev/null | wc -l)

"$NEWSMON" tag -c "$CONF" "$WORK/in.jsonl" >"$WORK/offline.jsonl"
$PY "$ROOT/tests/integration/expected_counts.py" "$WORK/offline.jsonl" >"$WORK/expected.txt"
count_lines | sort >"$WORK/actual.txt"
sort -o "$WORK/expected.txt" "$WORK/expected.txt"
drift=$(diff "$WORK/expected.txt" "$WORK/actual.txt" | grep -c '^[<>]' || true)
stop_daemon TERM || fail "daemon did not exit 0 on SIGTERM"
echo "exactly-once crash: articles=$N kills=$kills lost=$lost duplicates=$dups drift=$drift" \
     "(read_uncommitted sees $uncommitted events incl. aborted) elapsed=$(( $(date +%s) - t0 ))s"
[[ $lost -eq 0 && $dups -eq 0 && $drift -eq 0 ]] || fail "exactly-once violated"

# throughput cost: the same backlog, processed once per mode from a fresh group
rate() { # mode -> articles/s
    local mode=$1
    # (the prefix assignments are seen by the functions; the arguments name the run themselves)
    # shellcheck disable=SC2097,SC2098
    NM_RUN=${NM_RUN}c$mode write_config -e "s|^exactly_once = false|exactly_once = $([[ $mode == eos ]] && echo true || echo false)|" \
        -e "s|^transactional_id =.*|transactional_id = $NM_RUN-$mode|"
    "$NEWSMON" ingest -c "$CONF" "$WORK/in.jsonl" 2>/dev/null
    local s e
    s=$(date +%s.%N)
    NM_RUN=${NM_RUN}c$mode start_daemon "rate-$mode"
    # shellcheck disable=SC2097,SC2098
    NM_RUN=${NM_RUN}c$mode wait_count "${NM_RUN}c$mode.enriched" "$N" 300
    e=$(date +%s.%N)
    stop_daemon TERM >/dev/null || true
    $PY -c "print(round($N / ($e - $s)))"
}
alos=$(rate alos)
eos=$(rate eos)
echo "exactly-once cost: at-least-once $alos articles/s, exactly-once $eos articles/s" \
     "($N-article backlog incl. group join; ratio $($PY -c "print(round($eos / $alos, 2))"))"
echo "PASS test_exactly_once"
