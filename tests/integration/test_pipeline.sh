#!/usr/bin/env bash
# test_pipeline.sh - end to end against the real broker and Redis:
# ingest the sample set (plus bad input), read news.enriched, the alert
# topics and the DLQ back with kcat, check the Redis counts with redis-cli
# against counts computed independently from the enriched events, re-ingest
# and check that no count moved, and check that SIGTERM exits 0.
source "$(dirname "$0")/lib.sh"
require_services
write_config
start_daemon

SAMPLES=$ROOT/samples/articles.jsonl
BAD=$ROOT/samples/bad.jsonl
n_good=$(grep -c . "$SAMPLES")
n_bad=$(grep -c . "$BAD")

log "ingest $n_good articles and $n_bad bad messages"
"$NEWSMON" ingest -c "$CONF" "$SAMPLES" 2>/dev/null || fail "ingest of samples failed"
"$NEWSMON" ingest -c "$CONF" "$BAD" 2>/dev/null || fail "ingest of bad input failed"
wait_count "$NM_RUN.enriched" "$n_good"
wait_count "$NM_RUN.dlq" "$n_bad"

# 1. every sample is on the enriched topic, keyed by its id, with the contract fields
consume "$NM_RUN.enriched" >"$WORK/enriched.tsv"
python3 - "$SAMPLES" "$WORK/enriched.tsv" <<'PY' || fail "enriched events do not match the samples"
import json, sys
ids = [json.loads(l)["id"] for l in open(sys.argv[1]) if l.strip()]
seen = {}
for line in open(sys.argv[2]):
    key, _, val = line.rstrip("\n").partition("\t")
    ev = json.loads(val)
    assert key == ev["id"], f"key {key} != id {ev['id']}"
    for f in ("relevant", "score", "topics", "entities", "lang", "processed_at",
              "newsmon_version", "rules_version", "title", "body"):
        assert f in ev, f"{ev['id']}: missing {f}"
    for t in ev["topics"]:
        assert t["evidence"] and all(k in t["evidence"][0] for k in ("term", "offset", "snippet", "rule"))
    seen[ev["id"]] = ev
missing = set(ids) - set(seen)
assert not missing, f"missing enriched events: {sorted(missing)}"
rel = sum(1 for e in seen.values() if e["relevant"])
assert 0 < rel < len(ids), f"expected a mix of relevant and not: {rel}/{len(ids)}"
print(f"enriched: {len(seen)} distinct ids, {rel} relevant")
PY

# 2. alerts: alerts.all holds relevant articles only, and each alert is also
# on alerts.<topic> for each of its topics
consume "$NM_RUN.alerts.all" >"$WORK/alerts.tsv"
[[ -s $WORK/alerts.tsv ]] || fail "no alert on $NM_RUN.alerts.all"
for t in arms_transfer troop_deployment defense_treaty leader_diplomacy technology_transfer sanctions_un; do
    consume "$NM_RUN.alerts.$t" >"$WORK/alerts.$t.tsv"
done
python3 - "$WORK" <<'PY' || fail "alerts are inconsistent"
import json, sys, os
w = sys.argv[1]
enr = {}
for line in open(f"{w}/enriched.tsv"):
    ev = json.loads(line.split("\t", 1)[1]); enr[ev["id"]] = ev
alerts = [json.loads(l.split("\t", 1)[1]) for l in open(f"{w}/alerts.tsv")]
for a in alerts:
    assert enr[a["id"]]["relevant"], f"alert for non-relevant {a['id']}"
    for t in a["topics"]:
        ids = [json.loads(l.split("\t", 1)[1])["id"] for l in open(f"{w}/alerts.{t}.tsv")]
        assert a["id"] in ids, f"{a['id']} missing from alerts.{t}"
print(f"alerts: {len(alerts)} on alerts.all, per-topic copies present")
PY

# 3. dead letters carry the original bytes and a reason header
kcat -b "$BOOTSTRAP" -C -t "$NM_RUN.dlq" -o beginning -e -q -f '%h\t%s\n' >"$WORK/dlq.tsv"
[[ $(grep -c '^reason=' "$WORK/dlq.tsv") -eq $n_bad ]] || fail "DLQ records lack a reason header: $(cat "$WORK/dlq.tsv")"
while IFS= read -r line; do
    grep -qF -- "$line" "$WORK/dlq.tsv" || fail "DLQ lacks the original bytes of: $line"
done <"$BAD"
log "dlq: $n_bad dead letters with reasons"

# 4. Redis counts equal those computed from the enriched events
sleep 1
cut -f2- "$WORK/enriched.tsv" >"$WORK/enriched.jsonl"
$PY "$ROOT/tests/integration/expected_counts.py" "$WORK/enriched.jsonl" >"$WORK/expected.txt"
diff <(sort "$WORK/expected.txt") <(count_lines | sort) || fail "Redis counts differ from the enriched events"
log "redis: $(wc -l <"$WORK/expected.txt") count values match the enriched events"
top=$("$NEWSMON" top -c "$CONF" -n 3)
echo "$top" | grep -q 'country:' || fail "newsmon top printed no entity: $top"
hour=$(rcli --scan --pattern "${KP}entity:articles:*" | head -n1)
[[ -n $hour ]] || fail "no per-hour key written"
ttl=$(rcli ttl "$hour")
[[ $ttl -gt 0 ]] || fail "per-hour key $hour has no TTL ($ttl)"
# the recent-alerts stream holds each alert once, with its topics' evidence
rcli --raw xrange "${KP}alerts:recent" - + | grep '^{' >"$WORK/recent.jsonl" || true
$PY - "$WORK" <<'PY' || fail "recent alerts differ from alerts.all"
import json, sys
w = sys.argv[1]
want = sorted({json.loads(l.split("\t", 1)[1])["id"] for l in open(f"{w}/alerts.tsv")})
recent = [json.loads(l) for l in open(f"{w}/recent.jsonl")]
got = sorted(r["id"] for r in recent)
assert got == want, f"recent alerts {got} != alerts.all {want}"
for r in recent:
    for t in r["topics"]:
        assert t["id"] and t["evidence"] and t["evidence"][0]["snippet"], f"no evidence in {r['id']}"
    assert r["title"] and r["lang"] and "score" in r
print(f"recent alerts: {len(recent)}, each once, with evidence")
PY

# 5. re-ingest: events are re-emitted (at-least-once) but no count moves
counts_snapshot >"$WORK/before.txt"
"$NEWSMON" ingest -c "$CONF" "$SAMPLES" 2>/dev/null || fail "second ingest failed"
wait_count "$NM_RUN.enriched" $((2 * n_good))
sleep 1
counts_snapshot >"$WORK/after.txt"
diff "$WORK/before.txt" "$WORK/after.txt" || fail "counts moved after re-ingesting the same articles"
[[ $(rcli xlen "${KP}alerts:recent") -eq $(wc -l <"$WORK/recent.jsonl") ]] || fail "re-ingest added recent alerts"
log "re-ingest: $(wc -l <"$WORK/before.txt") count values unchanged"

# 6. SIGTERM drains and exits 0; the group's committed offsets cover every input
st=0
stop_daemon TERM || st=$?
[[ $st -eq 0 ]] || fail "newsmon run exited $st on SIGTERM"
grep -q 'stopping: consumed=' "$WORK/daemon.log" || fail "no shutdown summary logged"
log "SIGTERM: exit 0"

# 7. offsets were committed: a restarted member of the group redoes nothing
n_before=$(consume "$NM_RUN.enriched" | wc -l)
start_daemon daemon2
sleep 5
n_after=$(consume "$NM_RUN.enriched" | wc -l)
[[ $n_after -eq $n_before ]] || fail "restart re-processed $((n_after - n_before)) committed articles"
stop_daemon TERM || fail "second daemon did not exit 0"
log "restart: no committed article processed again"
echo "PASS test_pipeline"
