# shellcheck shell=bash
# shellcheck disable=SC2034 # LOST, DUPLICATES, STORY_*: set for the sourcing test
# fault_lib.sh - helpers shared by the fault tests (sourced after lib.sh).
#
# Provides: a deterministic article generator, background chunked ingest,
# the clean-pass count expectation (offline `newsmon tag`), the checks
# lost / drift / duplicates, and wrappers around scripts/services.sh that
# pass the environment through (NM_SERVICES_DIR, NM_KAFKA_PORT, NM_REDIS_PORT).
#
# Isolation: a fault test stops and restarts the broker and Redis named by
# NM_KAFKA_PORT / NM_REDIS_PORT (defaults 9092 / 6379, the services that
# scripts/test.sh starts). lib.sh's BOOTSTRAP must point at the same broker,
# which is checked here, so a test never stops somebody else's service.

export NM_KAFKA_PORT=${NM_KAFKA_PORT:-9092}
export NM_REDIS_PORT=${NM_REDIS_PORT:-6379}
[[ ${BOOTSTRAP##*:} == "$NM_KAFKA_PORT" ]] ||
    fail "NM_BOOTSTRAP ($BOOTSTRAP) and NM_KAFKA_PORT ($NM_KAFKA_PORT) name different brokers"
[[ $REDIS_PORT == "$NM_REDIS_PORT" ]] || fail "REDIS_PORT mismatch"

T_START=$(date +%s)
elapsed() { echo $(($(date +%s) - T_START)); }

# svc SUBCOMMAND: scripts/services.sh with our environment.
svc() { bash "$ROOT/scripts/services.sh" "$@" >>"$WORK/services.log" 2>&1 || fail "services.sh $* failed: $(tail -n 5 "$WORK/services.log")"; }

# A service stopped by a test is always started again, even when the test fails.
SVC_DOWN=""
fault_cleanup() {
    local s
    for s in $SVC_DOWN; do
        bash "$ROOT/scripts/services.sh" "start-$s" >/dev/null 2>&1 || true
    done
    [[ -n ${INGEST_PID:-} ]] && kill "$INGEST_PID" 2>/dev/null || true
    # NM_FAULT_KEEP_LOGS=DIR keeps the daemon, ingest and services logs
    if [[ -n ${NM_FAULT_KEEP_LOGS:-} ]]; then
        mkdir -p "$NM_FAULT_KEEP_LOGS" && cp "$WORK"/*.log "$NM_FAULT_KEEP_LOGS"/ 2>/dev/null || true
    fi
}
svc_stop() { SVC_DOWN="$SVC_DOWN $1"; svc "stop-$1"; }
svc_start() { svc "start-$1"; SVC_DOWN=${SVC_DOWN// $1/}; }

# write_fault_config [sed...]: lib.sh's write_config plus settings that keep
# fault tests fast: a short consumer session (a kill -9'd member leaves the
# group in seconds, not 45 s) and no body in the events (smaller topics; the
# counts do not depend on it).
write_fault_config() {
    write_config -e 's|^include_body = true|include_body = false|' "$@"
    grep -q '^session.timeout.ms' "$CONF" ||
        sed -i 's|^auto.offset.reset = earliest|&\nsession.timeout.ms = 6000\nheartbeat.interval.ms = 1000|' "$CONF"
}

# gen_articles N FILE [SEED]: N distinct JSON Lines articles of 1-4 KB,
# deterministic (gen_articles.py --long, the tests' one generator).
gen_articles() {
    $PY "$ROOT/tests/integration/gen_articles.py" --long "$ROOT/samples/articles.jsonl" "$1" "$2" "${3:-42}"
}

# ingest_chunks FILE CHUNK PAUSE [LOG]: publish FILE in chunks of CHUNK lines,
# sleeping PAUSE s between chunks (a stream, not one burst). A chunk whose
# ingest fails is retried until it succeeds (at-least-once input), so every
# id of FILE is eventually published. Run it in the background.
ingest_chunks() {
    local file=$1 chunk=$2 pause=$3 dir=$WORK/chunks.$RANDOM f try
    mkdir -p "$dir"
    split -l "$chunk" -d -a 4 --additional-suffix=.jsonl "$file" "$dir/c"
    for f in "$dir"/c*.jsonl; do
        for try in $(seq 1 60); do
            "$NEWSMON" ingest -c "$CONF" "$f" >>"$WORK/ingest.log" 2>&1 && break
            echo "ingest of $f failed (try $try), retrying" >>"$WORK/ingest.log"
            sleep 2
        done
        sleep "$pause"
    done
    echo "INGEST DONE" >>"$WORK/ingest.log"
}

# start_ingest FILE CHUNK PAUSE: ingest_chunks in the background (INGEST_PID)
start_ingest() {
    ingest_chunks "$@" &
    INGEST_PID=$!
}
wait_ingest() {
    wait "$INGEST_PID" || fail "ingest failed: $(tail -n 5 "$WORK/ingest.log")"
    INGEST_PID=""
    grep -q 'INGEST DONE' "$WORK/ingest.log" || fail "ingest did not finish"
}

# enriched_keys TOPIC > file: the key of every message (kcat, independent client)
enriched_keys() {
    kcat -b "$BOOTSTRAP" -C -t "$1" -o beginning -e -q -f '%k\n' 2>/dev/null || true
}

# wait_all_enriched TOPIC IDSFILE TIMEOUT: until every id of IDSFILE is a key
# on TOPIC. Fails with the number missing.
wait_all_enriched() {
    local topic=$1 ids=$2 timeout=$3 t0 miss=-1
    t0=$(date +%s)
    while (($(date +%s) - t0 < timeout)); do
        enriched_keys "$topic" | sort -u >"$WORK/keys.txt"
        miss=$(comm -23 "$ids" "$WORK/keys.txt" | wc -l)
        [[ $miss -eq 0 ]] && return 0
        sleep 3
    done
    fail "$miss ids still missing from $topic after ${timeout}s"
}

# expected_counts FILE OUT: the counts of one clean pass, from the offline
# tagger, aggregated per distinct id (same lines as lib.sh's count_lines).
expected_counts() {
    "$NEWSMON" tag -c "$CONF" "$1" >"$WORK/tagged.jsonl" 2>"$WORK/tag.err" ||
        fail "newsmon tag failed: $(head -n 3 "$WORK/tag.err")"
    $PY "$ROOT/tests/integration/expected_counts.py" "$WORK/tagged.jsonl" >"$2"
}

# check_counts EXPECTED: sets DRIFT (number of differing count lines)
check_counts() {
    count_lines | sort >"$WORK/actual.txt"
    sort "$1" >"$WORK/expected.sorted"
    DRIFT=$(diff "$WORK/expected.sorted" "$WORK/actual.txt" | grep -c '^[<>]' || true)
    if [[ $DRIFT -ne 0 ]]; then
        diff "$WORK/expected.sorted" "$WORK/actual.txt" | head -n 20 >&2
    fi
}

# check_enriched TOPIC IDSFILE: sets LOST, DUPLICATES, EVENTS
check_enriched() {
    enriched_keys "$1" >"$WORK/allkeys.txt"
    EVENTS=$(wc -l <"$WORK/allkeys.txt")
    sort -u "$WORK/allkeys.txt" >"$WORK/keys.txt"
    LOST=$(comm -23 "$2" "$WORK/keys.txt" | wc -l)
    DUPLICATES=$((EVENTS - $(wc -l <"$WORK/keys.txt")))
}

# check_story_counts TOPIC: sets STORY_DRIFT, the entity:stories and
# topic:stories values that differ from the distinct stories of the
# decisions Redis stored with the articles' dedupe keys (seen:<id> =
# "S...\n<first article>", empty for the article itself), with each article's entities and topics from its
# enriched events; and STORY_CHANGED, the ids whose events do not all carry
# that stored story (a batch redone after a crash may decide again).
# Single Redis only (a SCAN in a script).
check_story_counts() {
    rcli --raw eval "local out, cur = {}, '0'
repeat
  local r = redis.call('SCAN', cur, 'MATCH', ARGV[1] .. 'seen:*', 'COUNT', 1000)
  cur = r[1]
  for _, k in ipairs(r[2]) do
    local v = redis.call('GET', k) or ''
    local nl = string.find(v, '\n', 1, true)
    out[#out + 1] = string.sub(k, #ARGV[1] + 6) .. '\t' .. (nl and string.sub(v, nl + 1) or '')
  end
until cur == '0'
return out" 0 "$KP" >"$WORK/decisions.tsv"
    kcat -b "$BOOTSTRAP" -C -t "$1" -o beginning -e -q -f '%s\n' 2>/dev/null >"$WORK/events.jsonl" || true
    for k in entity:stories topic:stories; do
        rcli zrange "$KP$k" 0 -1 withscores | paste - - | awk -v k="$k" '{print k, $1, int($2)}'
    done | sort >"$WORK/story_actual.txt"
    read -r STORY_DRIFT STORY_CHANGED < <($PY - "$WORK" <<'PY'
import collections, json, sys
w = sys.argv[1]
first = dict(l.rstrip("\n").split("\t", 1) for l in open(f"{w}/decisions.tsv", encoding="utf-8") if "\t" in l)
first = {i: f or i for i, f in first.items()}  # empty: the article is its story's first
ents, tops, stories = {}, {}, collections.defaultdict(set)
for l in open(f"{w}/events.jsonl", encoding="utf-8"):
    e = json.loads(l)
    ents[e["id"]] = [x["id"] for x in e["entities"]]
    tops[e["id"]] = [t["id"] for t in e["topics"]]
    stories[e["id"]].add(e["story"]["first_article"])
es, ts = collections.defaultdict(set), collections.defaultdict(set)
for i, f in first.items():
    for x in ents.get(i, []):
        es[x].add(f)
    for t in tops.get(i, []):
        ts[t].add(f)
want = sorted(f"{k} {m} {len(v)}" for k, c in (("entity:stories", es), ("topic:stories", ts)) for m, v in c.items())
got = [l.rstrip("\n") for l in open(f"{w}/story_actual.txt")]
drift = len(set(want) ^ set(got))
changed = sum(1 for i, f in first.items() if stories.get(i, {f}) != {f})
if drift:
    print("\n".join(sorted(set(want) ^ set(got))[:20]), file=sys.stderr)
print(drift, changed)
PY
)
}

# ids_of FILE > sorted ids
ids_of() { python3 -c 'import json,sys; [print(json.loads(l)["id"]) for l in open(sys.argv[1]) if l.strip()]' "$1" | sort; }

# restart_daemon_if_dead: start a new daemon when the current one is gone
daemon_alive() { [[ -n $DAEMON_PID ]] && kill -0 "$DAEMON_PID" 2>/dev/null; }

# the daemon's output must never show a crash of newsmon itself
check_daemon_logs() {
    if grep -l -E 'AddressSanitizer|runtime error|Segmentation|Assertion' "$WORK"/daemon*.log 2>/dev/null; then
        fail "sanitizer or crash report in the daemon log"
    fi
}

# lib.sh's cleanup stays the last step; ours first restarts what we stopped.
# shellcheck disable=SC2154 # rc is assigned inside the trap string
trap 'rc_=$?; fault_cleanup; (exit $rc_); cleanup' EXIT

# finish_run TIMEOUT: once the stream is in, wait until every id is enriched
# and the counts have converged (they only grow towards the clean pass:
# idempotent), stop the daemon with SIGTERM (it must exit 0), then set
# LOST, DRIFT, DUPLICATES, EVENTS and check the daemon's logs.
finish_run() {
    local timeout=$1 i st=0
    wait_ingest
    wait_all_enriched "$NM_RUN.enriched" "$WORK/ids.txt" "$timeout"
    for i in $(seq 1 60); do
        check_counts "$WORK/expected.txt" 2>/dev/null
        [[ $DRIFT -eq 0 ]] && break
        sleep 1
    done
    stop_daemon TERM || st=$?
    [[ $st -eq 0 ]] || fail "the last daemon exited $st on SIGTERM"
    check_enriched "$NM_RUN.enriched" "$WORK/ids.txt"
    check_counts "$WORK/expected.txt"
    check_daemon_logs
}
