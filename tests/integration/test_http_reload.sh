#!/usr/bin/env bash
# test_http_reload.sh - the HTTP endpoint and hot reload, against the real
# broker and Redis:
#  * /healthz is 200, /readyz turns 200 once partitions are assigned and the
#    Redis script is loaded, /metrics parses as Prometheus text (the official
#    Python client's parser) and its counters match what was ingested;
#  * SIGHUP while articles stream: every enriched event carries the old or
#    the new rules version, and its tags are exactly what that version gives
#    offline (no article half old, half new); nothing is lost;
#  * a broken rule file on SIGHUP is rejected: the old rules stay in force.
source "$(dirname "$0")/lib.sh"
require_services
$PY -c 'import prometheus_client.parser' 2>/dev/null || fail "python3-prometheus-client missing (scripts/install-deps.sh installs it)"

# a private copy of the rules, so the test can edit them
mkdir -p "$WORK/rules"
cp -r "$ROOT"/config/{gazetteer.conf,rules.conf,lang} "$WORK/rules/"
NM_RULES_DIR=$WORK/rules write_config
start_daemon

# http URL: the status code on the first line, then the body
http() { $PY - "$1" <<'PY'
import sys, urllib.request, urllib.error
try:
    r = urllib.request.urlopen(sys.argv[1], timeout=5)
    code, body = r.status, r.read().decode()
except urllib.error.HTTPError as e:
    code, body = e.code, e.read().decode()
print(code); sys.stdout.write(body)
PY
}
status() { local out; out=$(http "$1"); echo "${out%%$'\n'*}"; }
BASE=http://127.0.0.1:$HTTP_PORT
[[ $(status "$BASE/healthz") == 200 ]] || fail "/healthz is not 200"
ready=""
for _ in $(seq 1 50); do
    ready=$(status "$BASE/readyz")
    [[ $ready == 200 ]] && break
    sleep 0.2
done
[[ $ready == 200 ]] || fail "/readyz never became 200: $(http "$BASE/readyz")"
[[ $(status "$BASE/nope") == 404 ]] || fail "unknown path is not 404"
log "healthz 200, readyz 200"

# a stream of distinct articles from the samples
$PY - "$ROOT/samples/articles.jsonl" "$WORK/stream.jsonl" <<'PY'
import json, sys
base = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
with open(sys.argv[2], "w") as out:
    for i in range(600):
        a = dict(base[i % len(base)])
        a["id"] = f"{a['id']}-r{i}"
        a["url"] = a["url"] + f"?r={i}"
        out.write(json.dumps(a, ensure_ascii=False) + "\n")
PY
N=$(wc -l <"$WORK/stream.jsonl")
OLD_VERSION=$(http "$BASE/metrics" | sed -n 's/^newsmon_rules_info{version="\(.*\)"} 1$/\1/p')
[[ -n $OLD_VERSION ]] || fail "no newsmon_rules_info in /metrics"

# stream the first half, reload with a changed rule set, stream the rest
head -n $((N / 2)) "$WORK/stream.jsonl" | "$NEWSMON" ingest -c "$CONF" - 2>/dev/null
# some events must exist under the old rules before the reload lands
wait_count "$NM_RUN.enriched" 50 60
cp -r "$WORK/rules" "$WORK/rules.old"
# the change: 'Kursk' stops being an entity term, so events differ visibly
sed -i 's/^\(\[place:kursk\]\)$/\1/; /^\[place:kursk\]/,/^\[/{s/^terms = .*/terms = kursk-renamed-for-test/}' "$WORK/rules/gazetteer.conf"
cp -r "$WORK/rules" "$WORK/rules.new"
# the second half streams in (10 paced chunks) while the reload lands
tail -n +$((N / 2 + 1)) "$WORK/stream.jsonl" | split -l $((N / 20)) - "$WORK/half2."
( for c in "$WORK"/half2.*; do "$NEWSMON" ingest -c "$CONF" "$c" 2>/dev/null || exit 1; sleep 0.2; done ) &
INGEST=$!
sleep 0.7
kill -HUP "$DAEMON_PID"
wait "$INGEST" || fail "second ingest failed"
wait_count "$NM_RUN.enriched" "$N" 90
for _ in $(seq 1 50); do grep -q 'rules reloaded' "$WORK/daemon.log" && break; sleep 0.2; done
grep -q 'rules reloaded' "$WORK/daemon.log" || fail "no reload logged"
NEW_VERSION=$(http "$BASE/metrics" | sed -n 's/^newsmon_rules_info{version="\(.*\)"} 1$/\1/p')
[[ $NEW_VERSION != "$OLD_VERSION" ]] || fail "rules version did not change on reload"

# every event matches, field for field, what its own version tags offline
consume "$NM_RUN.enriched" | cut -f2- >"$WORK/events.jsonl"
for v in old new; do
    sed -e "s|^gazetteer = .*|gazetteer = $WORK/rules.$v/gazetteer.conf|" \
        -e "s|^rules = .*|rules = $WORK/rules.$v/rules.conf|" \
        -e "s|^languages = .*|languages = $WORK/rules.$v/lang|" "$CONF" >"$WORK/$v.conf"
    "$NEWSMON" tag -c "$WORK/$v.conf" "$WORK/stream.jsonl" >"$WORK/offline.$v.jsonl"
done
$PY - "$WORK" "$OLD_VERSION" "$NEW_VERSION" "$N" <<'PY' || fail "reload mixed rule versions or lost articles"
import json, sys
w, old, new, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
def key(e):
    return (e["relevant"], e["score"], [(t["id"], t["score"]) for t in e["topics"]],
            [(x["id"], x["mentions"]) for x in e["entities"]])
ref = {}
for v, ver in (("old", old), ("new", new)):
    for l in open(f"{w}/offline.{v}.jsonl"):
        e = json.loads(l); ref[(ver, e["id"])] = key(e)
seen, counts = set(), {old: 0, new: 0}
for l in open(f"{w}/events.jsonl"):
    e = json.loads(l)
    v = e["rules_version"]
    assert v in counts, f"{e['id']}: unknown rules version {v}"
    assert key(e) == ref[(v, e["id"])], f"{e['id']}: tags differ from rules {v} offline"
    counts[v] += 1; seen.add(e["id"])
assert len(seen) == n, f"lost {n - len(seen)} articles"
assert counts[old] and counts[new], f"expected events under both versions: {counts}"
print(f"reload: {len(seen)} articles, {counts[old]} under {old}, {counts[new]} under {new}, all consistent")
PY

# a broken rule file is rejected and the new rules stay in force
echo "[topic:broken" >>"$WORK/rules/rules.conf"
kill -HUP "$DAEMON_PID"
for _ in $(seq 1 50); do grep -q 'reload rejected' "$WORK/daemon.log" && break; sleep 0.2; done
grep -q 'reload rejected.*rules.conf:[0-9]*: malformed section header' "$WORK/daemon.log" || fail "bad rule file not rejected with file:line"
kill -0 "$DAEMON_PID" || fail "daemon died on a bad rule file"

# /metrics: valid exposition format and counters that match
# consumer lag comes with librdkafka's statistics (every 5 s), so it can
# trail the real position by one interval: wait until a sample shows all
# partitions caught up (at most 20 s)
for _ in $(seq 1 40); do
    http "$BASE/metrics" | tail -n +2 >"$WORK/metrics.txt"
    lags=$(grep "^newsmon_consumer_lag{topic=\"$NM_RUN.raw\"" "$WORK/metrics.txt" || true)
    [[ -n $lags ]] && ! grep -qv ' 0$' <<<"$lags" && break
    sleep 0.5
done
$PY - "$WORK/metrics.txt" "$N" "$NEW_VERSION" "$NM_RUN.raw" <<'PY' || fail "metrics wrong: $(cat "$WORK/metrics.txt")"
import sys
from prometheus_client.parser import text_string_to_metric_families
text = open(sys.argv[1]).read()
n, version, topic = int(sys.argv[2]), sys.argv[3], sys.argv[4]
fams = {f.name: f for f in text_string_to_metric_families(text)}
def val(name, **labels):
    for s in fams[name].samples:
        if all(s.labels.get(k) == v for k, v in labels.items()) and s.name in (name, name + "_total"):
            return s.value
    raise AssertionError(f"no sample {name} {labels}")
assert val("newsmon_articles_consumed") == n, val("newsmon_articles_consumed")
assert val("newsmon_articles_enriched") == n
assert val("newsmon_articles_dead_lettered") == 0
assert val("newsmon_rules_reloads") == 1
assert val("newsmon_rules_reload_failures") == 1
assert val("newsmon_rules_info", version=version) == 1
assert val("newsmon_relevant_articles", topic="all") > 0
assert val("newsmon_alerts", topic="all") > 0
assert val("newsmon_ready") == 1
hist = [s for s in fams["newsmon_processing_latency_seconds"].samples if s.name.endswith("_count")]
assert hist and hist[0].value == n, hist
lags = [s for s in fams["newsmon_consumer_lag"].samples if s.labels.get("topic") == topic]
assert lags and all(s.value == 0 for s in lags), f"consumer lag: {lags}"
print(f"metrics: {len(fams)} families parse; consumed={n}, lag 0 on {len(lags)} partitions")
PY
stop_daemon TERM || fail "daemon did not exit 0"
echo "PASS test_http_reload"
