#!/usr/bin/env bash
# test_surge.sh - surge alerts through the real broker and Redis (README,
# "Surge alerts"; processor/nm_surge.h, producer/nm_counts.h):
#   1. a generated ten-day stream (gen_surges.py: published_at over 240 hours,
#      a steady background, planted bursts, quiet bursts below min_count,
#      below the ratio and inside a cool-down, one planted burst sent last as
#      late data): the plan agrees with an offline evaluation of the rule over
#      `newsmon tag` output (expected_surges.py, counting distinct stories), the
#      cool-down is what keeps one quiet burst quiet, and counting stories, not
#      articles, keeps a burst of copies of one story quiet;
#   2. the daemon, kill -9'd at random moments while the stream comes in and
#      restarted each time: exactly the planted surges are on the surge
#      topic, each once, keyed by its deterministic id, valid against
#      config/schemas/surge.schema.json, listing articles of its key;
#   3. the crash points after the script call, as the state they leave in
#      Redis: a surge left pending that IS on the topic (killed after the
#      delivery, before the done report) is marked done, not published again;
#      one that is NOT on the topic (killed before the delivery) is published,
#      once; the pending set ends empty;
#   4. the same stream replayed by a second consumer group fires nothing new;
#      replayed into fresh counts (another Redis prefix) it fires the same ids;
#   5. the dashboard's record (surges:recent) holds each surge once;
#      `newsmon top --movers` ranks keys by ratio (the stream's last hour is
#      the one before the hour it was made in: --hours 2, one more per hour
#      the clock has moved on since).
source "$(dirname "$0")/lib.sh"
require_services
python3 -c 'import jsonschema; jsonschema.Draft202012Validator' 2>/dev/null ||
    fail "python3 module jsonschema (>= 4.0) is missing (scripts/install-deps.sh)"
T_START=$(date +%s)
# one input partition: the stream is processed in time order (the rule's
# outcome for out-of-order data is the subject of the late burst only);
# static membership: a restarted daemon takes the killed one's place at once;
# a short lease so a dead daemon's pending surges come back within seconds
# (the lease outlasts a message in flight: message.timeout.ms below it)
NM_TEST_PARTITIONS=1 write_config -e 's|^surge_retry_s = .*|surge_retry_s = 3|' \
    -e 's|^\[kafka.producer\]|&\nmessage.timeout.ms = 2500|' \
    -e 's|^include_body = true|include_body = false|' \
    -e "s|^group.id = .*|&\ngroup.instance.id = $NM_RUN-member|"
ST=$NM_RUN.alerts.surge

# ------------------------------------------------------------ 1. the plan
GEN_HOUR=$(($(date +%s) / 3600)) # the stream ends the hour before this one
$PY "$ROOT/tests/integration/gen_surges.py" "$WORK/gen" 15
cat "$WORK/gen/stream.jsonl" "$WORK/gen/late.jsonl" >"$WORK/all.jsonl"
N=$(grep -c . "$WORK/all.jsonl")
"$NEWSMON" tag -c "$CONF" "$WORK/all.jsonl" >"$WORK/events.jsonl" 2>/dev/null || fail "newsmon tag failed"
$PY "$ROOT/tests/integration/expected_surges.py" "$WORK/events.jsonl" "$ROOT/config/rules.conf" >"$WORK/expected.txt"
diff "$WORK/gen/planted.txt" "$WORK/expected.txt" >&2 || fail "the rule, evaluated offline, does not give exactly the planted surges"
NM_COOLDOWN_HOURS=1 $PY "$ROOT/tests/integration/expected_surges.py" "$WORK/events.jsonl" "$ROOT/config/rules.conf" >"$WORK/no-cooldown.txt"
[[ $(comm -13 "$WORK/expected.txt" "$WORK/no-cooldown.txt" | wc -l) -ge 1 ]] || fail "the cool-down suppresses nothing in this stream"
NM_COUNT_ARTICLES=1 $PY "$ROOT/tests/integration/expected_surges.py" "$WORK/events.jsonl" "$ROOT/config/rules.conf" >"$WORK/by-article.txt"
[[ $(comm -13 "$WORK/expected.txt" "$WORK/by-article.txt" | wc -l) -ge 1 ]] || fail "counting articles instead of stories would fire the same surges: the copies test nothing"
NEXP=$(wc -l <"$WORK/expected.txt")
log "$N articles ($(grep -c '"copy":true' "$WORK/events.jsonl") copies) over 240 hours; $NEXP planted surges; the cool-down suppresses $(comm -13 "$WORK/expected.txt" "$WORK/no-cooldown.txt" | wc -l), counting stories instead of articles $(comm -13 "$WORK/expected.txt" "$WORK/by-article.txt" | wc -l)"

# ------------------------------------------------------------ 2. kill -9 mid-stream
RANDOM=15
split -n l/8 -d "$WORK/gen/stream.jsonl" "$WORK/chunk."
start_daemon daemon
kills=0 mid=0
for f in "$WORK"/chunk.*; do
    "$NEWSMON" ingest -c "$CONF" "$f" >/dev/null 2>>"$WORK/ingest.log" &
    ipid=$!
    if [[ $kills -lt 3 && $((RANDOM % 2)) -eq 0 ]]; then
        # a random moment while the chunk arrives and is processed
        sleep "$((1 + RANDOM % 2)).$((RANDOM % 10))"
        kill -KILL "$DAEMON_PID"
        wait "$DAEMON_PID" 2>/dev/null || true
        kills=$((kills + 1))
        counted=$(rcli hget "${KP}stats" articles)
        [[ ${counted:-0} -gt 0 && ${counted:-0} -lt $N ]] && mid=$((mid + 1))
        log "kill -9 #$kills (${counted:-0} of $N articles counted)"
        start_daemon "daemon$kills"
    fi
    wait "$ipid" || fail "ingest $f failed: $(tail -n 3 "$WORK/ingest.log")"
done
"$NEWSMON" ingest -c "$CONF" "$WORK/gen/late.jsonl" >/dev/null 2>>"$WORK/ingest.log" || fail "ingest late.jsonl failed"
[[ $mid -ge 1 ]] || fail "no kill landed mid-stream ($kills kills)"
! grep -q "is not above the producer" "$WORK"/daemon*.log || fail "the daemon warns that surge_retry_s is too short"

# settled: every article counted, nothing pending (a dead daemon's surges
# come back after the 3 s lease and the next idle tick, <= 5 s later)
settle() {
    for _ in $(seq 1 90); do
        if [[ $(rcli hget "${KP}stats" articles) == "$N" && $(rcli zcard "${KP}surge:pending") == 0 ]]; then
            sleep 6 # one more lease and tick: nothing may come back
            [[ $(rcli zcard "${KP}surge:pending") == 0 ]] && return 0
        fi
        sleep 1
    done
    fail "not settled after 90 s: $(rcli hget "${KP}stats" articles)/$N articles, $(rcli zcard "${KP}surge:pending") surge(s) pending"
}
settle
consume "$ST" >"$WORK/surges.tsv"
cat >"$WORK/check.py" <<'PY'
"""check.py SURGES.tsv EXPECTED SCHEMA: the surge topic holds exactly the
expected surges, each once, keyed and named by its deterministic id."""
import json, sys
from jsonschema import Draft202012Validator
rows = [l.rstrip("\n").split("\t", 1) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
want = sorted(l.strip() for l in open(sys.argv[2]) if l.strip())
v = Draft202012Validator(json.load(open(sys.argv[3], encoding="utf-8")))
skip = set(sys.argv[4:])  # ids injected by the test itself
got, ids = [], []
for key, val in rows:
    s = json.loads(val)
    errs = list(v.iter_errors(s))
    assert not errs, f"{key}: {errs[0].message}"
    assert key == s["id"], f"message key {key} != id {s['id']}"
    ids.append(key)
    if key in skip:
        continue
    h = s["hour"]
    got.append(f"{s['kind']} {s['key']} {h[0:4]}{h[5:7]}{h[8:10]}{h[11:13]}")
    # the id: FNV-1a over kind, key, hour and rules version (nm_surge_alert_id)
    x = 14695981039346656037
    for part in (s["kind"] + "\0", s["key"] + "\0", got[-1].split()[-1] + "\0", s["rules_version"]):
        for b in part.encode():
            x = ((x ^ b) * 1099511628211) % 2**64
    assert key == f"sg-{x:016x}", f"{key} is not the deterministic id of {got[-1]}"
    assert s["count"] >= 5 and s["ratio"] >= 5, s
    assert s["articles"], f"{key}: no articles listed"
    words = {"weapon:kn23": "kn23", "place:kursk": "kursk", "troop_deployment": "kursk",
             "sanctions_un": "sanctions", "org:un_security_council": "sanctions"}
    w = words.get(s["key"].split("|")[0])
    assert all(w in a["id"] and a["title"] and a["url"] for a in s["articles"]), s["articles"]
dups = sorted({i for i in ids if ids.count(i) > 1})
assert not dups, f"surges published more than once: {dups}"
assert sorted(got) == want, f"fired {sorted(got)}\n  expected {want}"
print(f"surge topic: {len(rows)} alerts, the {len(want)} expected ones each once")
PY
$PY "$WORK/check.py" "$WORK/surges.tsv" "$WORK/expected.txt" "$ROOT/config/schemas/surge.schema.json" ||
    fail "the surge topic after $kills kill(s) is not exactly the planted surges, once each"

[[ $(rcli xlen "${KP}surges:recent") == "$NEXP" ]] || fail "the recent-surges record holds $(rcli xlen "${KP}surges:recent") entries, not $NEXP"

# ------------------------------------------------------------ 3. the crash points, as state
# (a) killed after the delivery, before the done report: pending, on the topic
sid=$(head -n 1 "$WORK/surges.tsv" | cut -f1)
rcli hset "${KP}surge:records" "$sid" "$(head -n 1 "$WORK/surges.tsv" | cut -f2-)" >/dev/null
rcli zadd "${KP}surge:pending" 0 "$sid" >/dev/null
# (b) killed after the script, before the delivery: pending, not on the topic
fake=sg-00000000000000b1
rcli hset "${KP}surge:records" "$fake" "$(head -n 1 "$WORK/surges.tsv" | cut -f2- | sed "s/\"id\":\"$sid\"/\"id\":\"$fake\"/")" >/dev/null
rcli zadd "${KP}surge:pending" 0 "$fake" >/dev/null
settle
consume "$ST" >"$WORK/surges2.tsv"
[[ $(grep -c "^$sid	" "$WORK/surges2.tsv") -eq 1 ]] || fail "surge $sid left pending although on the topic was published again"
[[ $(grep -c "^$fake	" "$WORK/surges2.tsv") -eq 1 ]] || fail "surge $fake left pending and not on the topic was not published exactly once"
grep -q "surge $sid was left pending .*on the topic, marked done" "$WORK"/daemon*.log || fail "no log line for the pending surge found on the topic"
$PY "$WORK/check.py" "$WORK/surges2.tsv" "$WORK/expected.txt" "$ROOT/config/schemas/surge.schema.json" "$fake" || fail "surge topic wrong after the crash points"
log "crash points: a pending surge on the topic was marked done, one not on it published once"
stop_daemon TERM || fail "newsmon run did not exit 0 on SIGTERM"

# ------------------------------------------------------------ 4. replay by a second group
sed -i "s|^group.id = .*|group.id = $NM_RUN-replay|; s|^group.instance.id = .*|group.instance.id = $NM_RUN-replay-member|" "$CONF"
before=$(consume "$NM_RUN.enriched" | wc -l)
start_daemon replay
for _ in $(seq 1 90); do
    [[ $(consume "$NM_RUN.enriched" | wc -l) -ge $((before + N)) ]] && break
    sleep 1
done
[[ $(consume "$NM_RUN.enriched" | wc -l) -ge $((before + N)) ]] || fail "the replay did not go through the stream in 90 s"
settle
consume "$ST" >"$WORK/surges3.tsv"
cmp -s <(sort "$WORK/surges2.tsv") <(sort "$WORK/surges3.tsv") || fail "the replay by a second group changed the surge topic"
[[ $(rcli hget "${KP}stats" articles) == "$N" ]] || fail "the replay moved the counts"
log "replay by a second group: $N articles again, no new surge"

# ------------------------------------------------------------ 4b. replay into fresh counts
# the same stream once more into an empty Redis prefix (an archive replayed
# elsewhere, weeks later by its Kafka timestamps): the hours come from
# published_at, so exactly the same surge ids fire
stop_daemon TERM || fail "newsmon run did not exit 0 on SIGTERM"
FRESH="{$NM_RUN-fresh}:"
sed -e "s|^prefix = .*|prefix = $NM_RUN-fresh:|" -e "s|^surge_topic = .*|surge_topic = $ST.fresh|" \
    -e "s|^group.id = .*|group.id = $NM_RUN-fresh|" \
    -e "s|^group.instance.id = .*|group.instance.id = $NM_RUN-fresh-member|" "$CONF" >"$WORK/fresh.conf"
"$NEWSMON" topics -c "$WORK/fresh.conf" >/dev/null || fail "cannot create the fresh run's topics"
CONF_MAIN=$CONF
CONF=$WORK/fresh.conf
start_daemon fresh
for _ in $(seq 1 90); do
    [[ $(rcli hget "${FRESH}stats" articles) == "$N" && $(rcli zcard "${FRESH}surge:pending") == 0 ]] && break
    sleep 1
done
sleep 2
consume "$ST.fresh" | cut -f1 | sort >"$WORK/fresh-ids.txt"
cut -f1 "$WORK/surges2.tsv" | grep -v "^$fake\$" | sort >"$WORK/ids.txt"
rcli --scan --pattern "${FRESH}*" | xargs -r -n 500 redis-cli -p "$REDIS_PORT" del >/dev/null
diff "$WORK/ids.txt" "$WORK/fresh-ids.txt" >&2 || fail "a replay into fresh counts fired other surges"
log "replay into fresh counts: the same $(wc -l <"$WORK/fresh-ids.txt") surge ids"
stop_daemon TERM || fail "newsmon run did not exit 0 on SIGTERM"
CONF=$CONF_MAIN

# ------------------------------------------------------------ 5. top --movers
# the window reaches back to the stream's last hour, also when the clock
# has passed an hour since the stream was made
H=$(($(date +%s) / 3600 - GEN_HOUR + 2))
"$NEWSMON" top -c "$CONF" --movers --hours "$H" -n 100 >"$WORK/movers.txt" || fail "newsmon top --movers failed"
$PY - "$WORK/movers.txt" <<'PY' || fail "newsmon top --movers output is wrong"
import sys
lines = open(sys.argv[1]).read().splitlines()
assert lines[0].split() == ["rank", "kind", "key", "stories", "baseline", "ratio"], lines[0]
rows = [l.split() for l in lines[1:] if l[:1].isdigit()]
assert rows, "no movers in the window that ends with the stream"
ratios = [float(r[5]) for r in rows]
assert ratios == sorted(ratios, reverse=True), "not ranked by ratio"
for r in rows:
    cur, base, ratio = float(r[3]), float(r[4]), float(r[5])
    assert abs((cur + 1) / (base + 1) - ratio) < 0.01, r
assert any(r[2] == "country:russia" for r in rows), "country:russia missing in the window"
print(f"top --movers: {len(rows)} keys in the window that ends with the stream, ranked by ratio")
PY
echo "surge: articles=$N planted=$NEXP kills=$kills duplicates=0 lost=0 elapsed=$(($(date +%s) - T_START))s"
echo "PASS test_surge"
