#!/usr/bin/env bash
# test_stories.sh - stories, not copies (issue 14), end to end against the
# real broker and Redis: ingest the project's sample articles, then the same
# articles as syndicated copies under new ids (new headline, HTML left in,
# a "Read more" line; one copy also carries a paragraph of another sample,
# so it may add topics). Checks:
#   - every copy has its original's story, every original a story of its
#     own, and the daemon's stories are `newsmon tag`'s over the same input;
#   - one alert per story: a copy alerts only on the topics its story has
#     not alerted on, routed to those topics only; alerts carry the story;
#   - entity:stories, topic:stories exact (distinct stories), their hour
#     keys written with a TTL, the article counts unchanged in meaning;
#   - a replay by a second consumer group gives every article the same
#     story and the same alert, and moves no count;
#   - with [stories] enabled = false (a third group): no story in the
#     events, an alert per alerting article.
# One partition, so the daemon sees the input in the order `tag` does.
source "$(dirname "$0")/lib.sh"
require_services
NM_TEST_PARTITIONS=1 write_config
start_daemon

SAMPLES=$ROOT/samples/articles.jsonl
$PY - "$SAMPLES" "$WORK/orig.jsonl" "$WORK/copies.jsonl" <<'PY'
import json, re, sys
src, orig, copies = sys.argv[1:4]
arts = [json.loads(l) for l in open(src, encoding="utf-8") if l.strip()]
with open(orig, "w", encoding="utf-8") as o, open(copies, "w", encoding="utf-8") as c:
    for i, a in enumerate(arts):
        o.write(json.dumps(a, ensure_ascii=False) + "\n")
        b = dict(a, id=a["id"] + "-copy", url=a.get("url", "https://copy.example/") + "?copy",
                 title="Wire: " + a["title"] + " (updated)")
        paras = [p for p in re.split(r"\n+", a["body"]) if p.strip()]
        body = "\n".join(f"<p>{p}</p>" for p in paras)
        if i == 0:  # a copy with a paragraph more, from another sample
            body += "\n<p>" + arts[1]["body"] + "</p>"
        b["body"] = body + "\nRead more: other news of the day"
        c.write(json.dumps(b, ensure_ascii=False) + "\n")
PY
n=$(grep -c . "$WORK/orig.jsonl")
cat "$WORK/orig.jsonl" "$WORK/copies.jsonl" >"$WORK/all.jsonl"
log "ingest $n articles, then $n copies"
"$NEWSMON" ingest -c "$CONF" "$WORK/orig.jsonl" 2>/dev/null || fail "ingest failed"
wait_count "$NM_RUN.enriched" "$n"
"$NEWSMON" ingest -c "$CONF" "$WORK/copies.jsonl" 2>/dev/null || fail "ingest of copies failed"
wait_count "$NM_RUN.enriched" $((2 * n))
sleep 1
"$NEWSMON" tag -c "$CONF" "$WORK/all.jsonl" >"$WORK/tagged.jsonl" || fail "newsmon tag failed"
thr=$(sed -n 's/^alert_threshold *= *//p' "$ROOT/config/rules.conf")

dump() { # TOPIC FILE: the values of a topic
    consume "$1" | cut -f2- >"$2"
}
dump "$NM_RUN.enriched" "$WORK/enriched.jsonl"
dump "$NM_RUN.alerts.all" "$WORK/alerts.jsonl"
for t in $(sed -n 's/^\[topic:\(.*\)\]$/\1/p' "$ROOT/config/rules.conf"); do
    dump "$NM_RUN.alerts.$t" "$WORK/alerts.$t.jsonl"
done
zset() { rcli zrange "$KP$1" 0 -1 withscores | paste - - | awk '{print $1, $2}' | sort; }
zset entity:stories >"$WORK/entity_stories.txt"
zset topic:stories >"$WORK/topic_stories.txt"

$PY - "$WORK" "$thr" <<'PY' || fail "stories are wrong"
import json, sys, os, collections
w, thr = sys.argv[1], float(sys.argv[2])
load = lambda f: [json.loads(l) for l in open(f"{w}/{f}", encoding="utf-8") if l.strip()]
ev = load("enriched.jsonl")
order = [e["id"] for e in ev]
ev = {e["id"]: e for e in ev}
tag = {e["id"]: e for e in load("tagged.jsonl")}
origs = [i for i in order if not i.endswith("-copy")]
assert len(ev) == 2 * len(origs), f"{len(ev)} events for {len(origs)} originals and copies"
# 1. stories: a copy joins its original's story; the daemon agrees with tag
for i in origs:
    s, c = ev[i]["story"], ev[i + "-copy"]["story"]
    assert s["first_article"] == i and s["copy"] is False, (i, s)
    assert c == {"id": s["id"], "first_article": i, "copy": True}, (i, c)
for i in ev:
    assert ev[i]["story"] == tag[i]["story"], (i, ev[i]["story"], tag[i]["story"])
assert len({ev[i]["story"]["id"] for i in origs}) == len(origs), "two originals in one story"
print(f"stories: {len(origs)} stories, each original's copy in it; daemon = tag")
# 2. alerts: once per story, a copy only for the topics it adds
alerts = load("alerts.jsonl")
got = collections.Counter((a["id"], a["story"]["id"]) for a in alerts)
want, routes, alerted = collections.Counter(), {}, collections.defaultdict(set)
for i in order:
    e = ev[i]
    tops = [t["id"] for t in e["topics"]]
    if not (e["relevant"] and e["score"] >= thr and tops):
        continue
    new = [t for t in tops if t not in alerted[e["story"]["id"]]]
    if new:
        want[(i, e["story"]["id"])] += 1
        routes[i] = set(new)
        alerted[e["story"]["id"]] |= set(new)
assert got == want, f"alerts {sorted(got)} != expected {sorted(want)}"
assert all(c == 1 for c in got.values())
n_copy = sum(1 for i, _ in got if i.endswith("-copy"))
assert len(got) - n_copy == len({ev[i]["story"]["id"] for i, _ in got}), "a story alerted twice without a new topic"
for f in os.listdir(w):
    if f.startswith("alerts.") and f != "alerts.jsonl":
        t = f[len("alerts."):-len(".jsonl")]
        ids = {a["id"] for a in load(f)}
        assert ids == {i for i, r in routes.items() if t in r}, f"alerts.{t}: {sorted(ids)}"
suppressed = sum(1 for i in origs if (i, ev[i]["story"]["id"]) in got and (i + "-copy", ev[i]["story"]["id"]) not in got)
assert suppressed > 0 and n_copy > 0, "no copy kept quiet, or none alerting on a topic it adds"
print(f"alerts: {len(got)} ({n_copy} by a copy adding a topic), {suppressed} copies kept quiet")
# 3. distinct stories per entity and topic
es, ts = collections.defaultdict(set), collections.defaultdict(set)
for e in ev.values():
    for x in e["entities"]:
        es[x["id"]].add(e["story"]["id"])
    for t in e["topics"]:
        ts[t["id"]].add(e["story"]["id"])
for name, exp in (("entity_stories", es), ("topic_stories", ts)):
    rows = dict(l.split() for l in open(f"{w}/{name}.txt"))
    rows = {k: int(float(v)) for k, v in rows.items()}
    assert rows == {k: len(v) for k, v in exp.items()}, f"{name}: {rows} != {dict((k, len(v)) for k, v in exp.items())}"
print(f"entity:stories {len(es)} entities, topic:stories {len(ts)} topics: exact")
PY

# the article counts still count every article (copies too)
$PY "$ROOT/tests/integration/expected_counts.py" "$WORK/enriched.jsonl" >"$WORK/expected.txt"
diff <(sort "$WORK/expected.txt") <(count_lines | sort) || fail "article counts differ from the events"
first_key() { rcli --scan --pattern "$1" | awk 'NR == 1'; } # reads all: no SIGPIPE
hour=$(first_key "${KP}entity:stories:*")
[[ -n $hour && $(rcli ttl "$hour") -gt 0 ]] || fail "no entity:stories hour key with a TTL"
[[ -n $(first_key "${KP}topic:stories:*") ]] || fail "no topic:stories hour key"
band=$(first_key "${KP}story:band:*")
[[ -n $band && $(rcli ttl "$band") -gt 259200 ]] || fail "band key $band without the window's TTL"
top=$("$NEWSMON" top -c "$CONF" --stories -n 50)
first=$(echo "$top" | awk 'NR == 2 {print $2, $3}')
grep -qx "$first" <(awk '{print $1, int($2)}' "$WORK/entity_stories.txt") || fail "top --stories: $top"
log "article counts exact, story hour keys and band keys with TTLs, top --stories ok"

# replay: a second consumer group reads everything again
counts_snapshot >"$WORK/before.txt"
recent=$(rcli xlen "${KP}alerts:recent")
stop_daemon TERM || fail "daemon exit"
sed -i "s|^group.id = .*|group.id = $NM_RUN-replay|" "$CONF"
start_daemon daemon-replay
wait_count "$NM_RUN.enriched" $((4 * n))
sleep 2
counts_snapshot >"$WORK/after.txt"
diff "$WORK/before.txt" "$WORK/after.txt" || fail "the replay moved counts"
[[ $(rcli xlen "${KP}alerts:recent") -eq $recent ]] || fail "the replay added recent alerts"
dump "$NM_RUN.enriched" "$WORK/enriched2.jsonl"
dump "$NM_RUN.alerts.all" "$WORK/alerts2.jsonl"
$PY - "$WORK" <<'PY' || fail "the replay changed stories or alerts"
import json, sys, collections
w = sys.argv[1]
load = lambda f: [json.loads(l) for l in open(f"{w}/{f}", encoding="utf-8") if l.strip()]
ev = load("enriched2.jsonl")
half = len(ev) // 2
first = {e["id"]: e["story"] for e in ev[:half]}
for e in ev[half:]:
    assert e["story"] == first[e["id"]], (e["id"], e["story"], first[e["id"]])
al = load("alerts2.jsonl")
a1 = collections.Counter((a["id"], a["story"]["id"]) for a in al[:len(al) // 2])
a2 = collections.Counter((a["id"], a["story"]["id"]) for a in al[len(al) // 2:])
assert len(al) % 2 == 0 and a1 == a2, f"replayed alerts differ: {a1} {a2}"
print(f"replay: {half} events with the same stories, the same {len(a1)} alerts")
PY
stop_daemon TERM || fail "replay daemon exit"

# [stories] enabled = false (a third group): events without a story, an
# alert per alerting article again (copies too), still no count moved
sed -i -e "s|^group.id = .*|group.id = $NM_RUN-nostories|" -e "s|^enabled = true|enabled = false|" "$CONF"
start_daemon daemon-nostories
wait_count "$NM_RUN.enriched" $((6 * n))
sleep 2
dump "$NM_RUN.enriched" "$WORK/enriched3.jsonl"
dump "$NM_RUN.alerts.all" "$WORK/alerts3.jsonl"
counts_snapshot >"$WORK/after3.txt"
diff "$WORK/before.txt" "$WORK/after3.txt" || fail "stories off: the replay moved counts"
$PY - "$WORK" "$thr" <<'PY' || fail "stories off: wrong events or alerts"
import json, sys
w, thr = sys.argv[1], float(sys.argv[2])
load = lambda f: [json.loads(l) for l in open(f"{w}/{f}", encoding="utf-8") if l.strip()]
ev = load("enriched3.jsonl")[2 * len(load("enriched.jsonl")):]
assert ev and all("story" not in e for e in ev), "an event with a story"
al = load("alerts3.jsonl")[len(load("alerts2.jsonl")):]
want = sorted(e["id"] for e in ev if e["relevant"] and e["score"] >= thr and e["topics"])
assert sorted(a["id"] for a in al) == want and all("story" not in a for a in al), (al, want)
print(f"stories off: {len(ev)} events without a story, {len(al)} alerts, one per alerting article")
PY
stop_daemon TERM || fail "daemon exit (stories off)"
echo "PASS test_stories"
