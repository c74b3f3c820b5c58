#!/usr/bin/env bash
# test_surge_eos.sh - surge alerts in exactly-once mode ([output]
# exactly_once = true): the surge alert goes out in the batch's transaction
# and is reported done only after the commit. The ten-day stream of
# test_surge.sh (gen_surges.py), with two kill -9 mid-stream: a
# read_committed consumer (kcat, librdkafka's default isolation) sees exactly
# the planted surges, each once, and nothing stays pending.
source "$(dirname "$0")/lib.sh"
require_services
T_START=$(date +%s)
NM_TEST_PARTITIONS=1 write_config -e 's|^surge_retry_s = .*|surge_retry_s = 3|' \
    -e 's|^\[kafka.producer\]|&\nmessage.timeout.ms = 2500|' \
    -e 's|^include_body = true|include_body = false|' \
    -e "s|^exactly_once = false|exactly_once = true|" \
    -e "s|^transactional_id =.*|transactional_id = $NM_RUN-tx|" \
    -e "s|^group.id = .*|&\ngroup.instance.id = $NM_RUN-member|"
ST=$NM_RUN.alerts.surge
$PY "$ROOT/tests/integration/gen_surges.py" "$WORK/gen" 16
cat "$WORK/gen/stream.jsonl" "$WORK/gen/late.jsonl" >"$WORK/all.jsonl"
N=$(grep -c . "$WORK/all.jsonl")
"$NEWSMON" tag -c "$CONF" "$WORK/all.jsonl" >"$WORK/events.jsonl" 2>/dev/null || fail "newsmon tag failed"
$PY "$ROOT/tests/integration/expected_surges.py" "$WORK/events.jsonl" "$ROOT/config/rules.conf" >"$WORK/expected.txt"
diff "$WORK/gen/planted.txt" "$WORK/expected.txt" >&2 || fail "the rule, evaluated offline, does not give exactly the planted surges"

split -n l/6 -d "$WORK/gen/stream.jsonl" "$WORK/chunk."
start_daemon daemon
kills=0
for f in "$WORK"/chunk.*; do
    "$NEWSMON" ingest -c "$CONF" "$f" >/dev/null 2>>"$WORK/ingest.log" || fail "ingest $f failed"
    if [[ $kills -lt 2 && $f == *[24] ]]; then
        sleep 1.$((RANDOM % 10))
        kill -KILL "$DAEMON_PID"
        wait "$DAEMON_PID" 2>/dev/null || true
        kills=$((kills + 1))
        log "kill -9 #$kills ($(rcli hget "${KP}stats" articles) of $N articles counted)"
        start_daemon "daemon$kills"
    fi
done
"$NEWSMON" ingest -c "$CONF" "$WORK/gen/late.jsonl" >/dev/null 2>>"$WORK/ingest.log" || fail "ingest late.jsonl failed"
# exactly-once mode claims a dead daemon's surges with the next batch (no idle
# tick): one more article after the lease brings them back
for i in $(seq 1 90); do
    [[ $(rcli hget "${KP}stats" articles) == "$N" ]] && break
    sleep 1
done
[[ $(rcli hget "${KP}stats" articles) == "$N" ]] || fail "$(rcli hget "${KP}stats" articles)/$N articles counted after 90 s"
for i in $(seq 1 30); do
    [[ $(rcli zcard "${KP}surge:pending") == 0 ]] && break
    sleep 4
    printf '{"id":"%s-tick-%d","title":"Quiet day","body":"Nothing to report."}\n' "$NM_RUN" "$i" |
        "$NEWSMON" ingest -c "$CONF" - >/dev/null 2>>"$WORK/ingest.log"
done
[[ $(rcli zcard "${KP}surge:pending") == 0 ]] || fail "$(rcli zcard "${KP}surge:pending") surge(s) still pending"
sleep 2
consume "$ST" >"$WORK/surges.tsv"
$PY - "$WORK/surges.tsv" "$WORK/expected.txt" <<'PY' || fail "read_committed, the surge topic is not exactly the planted surges once each"
import json, sys
rows = [l.rstrip("\n").split("\t", 1) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
want = sorted(l.strip() for l in open(sys.argv[2]) if l.strip())
ids = [k for k, _ in rows]
assert len(ids) == len(set(ids)), f"duplicates: {sorted(i for i in ids if ids.count(i) > 1)}"
got = []
for k, v in rows:
    s = json.loads(v)
    assert k == s["id"]
    h = s["hour"]
    got.append(f"{s['kind']} {s['key']} {h[0:4]}{h[5:7]}{h[8:10]}{h[11:13]}")
assert sorted(got) == want, f"fired {sorted(got)}\n  expected {want}"
print(f"exactly-once: {len(rows)} surge alerts (read_committed), the {len(want)} planted ones each once")
PY
stop_daemon TERM || fail "newsmon run did not exit 0 on SIGTERM"
echo "surge_eos: articles=$N planted=$(wc -l <"$WORK/expected.txt") kills=$kills elapsed=$(($(date +%s) - T_START))s"
echo "PASS test_surge_eos"
