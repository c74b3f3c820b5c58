#!/usr/bin/env bash
# test_schemas.sh - the JSON Schemas of the data contract (config/schemas/,
# draft 2020-12) against real data:
#   1. the schemas are valid, and their topic/entity ids agree with the rule files;
#   2. the sample articles (and this test's edge-case articles) are valid input,
#      and every JSON object in samples/bad.jsonl is rejected by article.schema.json;
#   3. real `newsmon tag` output (body included and include_body = false) is valid
#      against enriched.schema.json;
#   4. a real daemon run: the enriched events AND the alerts read back from Kafka
#      with kcat are valid against enriched/alert schemas, and each alert agrees
#      with its enriched event (topics, first 10 entities, score, threshold).
# Needs python3 with jsonschema >= 4 (Debian: python3-jsonschema).
source "$(dirname "$0")/lib.sh"
SCHEMAS=$ROOT/config/schemas
RULES_DIR=${NM_RULES_DIR:-$ROOT/config}
# One daemon of this test must not collide with another's metrics port.
export NEWSMON_HTTP_LISTEN=""

python3 -c 'import jsonschema; jsonschema.Draft202012Validator' 2>/dev/null ||
    fail "python3 module jsonschema (>= 4.0, draft 2020-12) is missing: apt-get install python3-jsonschema (scripts/install-deps.sh)"
require_services

# ------------------------------------------------------------ the validator
cat >"$WORK/validate.py" <<'PY'
"""validate.py SCHEMA FILE [--kafka] [--invalid]: one JSON document per line
(with --kafka, lines are "key<TAB>value" and the key must equal the id).
Default: every document must be valid. --invalid: every line must be
rejected (unparsable JSON counts as rejected). Prints a one-line summary."""
import json, sys
from jsonschema import Draft202012Validator

schema_path, data_path = sys.argv[1], sys.argv[2]
kafka, want_invalid = "--kafka" in sys.argv, "--invalid" in sys.argv
v = Draft202012Validator(json.load(open(schema_path, encoding="utf-8")))
n = bad = 0
for lineno, line in enumerate(open(data_path, encoding="utf-8"), 1):
    line = line.rstrip("\n")
    if not line.strip():
        continue
    n += 1
    key = None
    if kafka:
        key, _, line = line.partition("\t")
    try:
        doc = json.loads(line)
    except ValueError as e:
        if want_invalid:
            continue
        bad += 1
        print(f"{data_path}:{lineno}: not JSON: {e}")
        continue
    errors = sorted(v.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
    if want_invalid:
        if not errors:
            bad += 1
            print(f"{data_path}:{lineno}: accepted by {schema_path} but must be rejected: {line[:120]}")
        continue
    if kafka and isinstance(doc, dict) and key != doc.get("id"):
        bad += 1
        print(f"{data_path}:{lineno}: message key {key!r} != id {doc.get('id')!r}")
    for e in errors:
        bad += 1
        ident = doc.get("id") if isinstance(doc, dict) else None
        path = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e.absolute_path)
        print(f"{data_path}:{lineno} (id {ident}): {path}: {e.message[:200]}")
if n == 0:
    print(f"{data_path}: no documents")
    sys.exit(1)
what = "rejected" if want_invalid else "valid"
print(f"{n - bad}/{n} {what}: {data_path.rsplit('/', 1)[-1]} against {schema_path.rsplit('/', 1)[-1]}")
sys.exit(1 if bad else 0)
PY
validate() { python3 "$WORK/validate.py" "$@"; }
# A violation is recorded and the test goes on, so one run lists them all.
violations=()
violation() { printf 'VIOLATION: %s\n' "$*" >&2; violations+=("$*"); }

# ------------------------------------------------------------ 1. the schemas themselves
python3 - "$SCHEMAS" "$RULES_DIR" <<'PY' || fail "schemas invalid or out of step with the rule files"
import json, re, sys
from jsonschema import Draft202012Validator as V
sd, rd = sys.argv[1], sys.argv[2]
s = {n: json.load(open(f"{sd}/{n}.schema.json", encoding="utf-8")) for n in ("article", "enriched", "alert", "surge")}
for n, x in s.items():
    assert x.get("$schema") == "https://json-schema.org/draft/2020-12/schema", f"{n}: not draft 2020-12"
    V.check_schema(x)
topics = re.findall(r"^\[topic:([a-z0-9_]+)\]", open(f"{rd}/rules.conf", encoding="utf-8").read(), re.M)
assert topics, "no [topic:...] in rules.conf"
enr = s["enriched"]["$defs"]["topic_id"]["enum"]
alr = s["alert"]["properties"]["topics"]["items"]["enum"]
assert sorted(enr) == sorted(topics), f"enriched topic enum {enr} != rules.conf {topics}"
assert sorted(alr) == sorted(topics), f"alert topic enum {alr} != rules.conf {topics}"
pat = re.compile(s["enriched"]["$defs"]["entity_id"]["pattern"])
apat = s["alert"]["properties"]["entities"]["items"]["pattern"]
assert apat == pat.pattern, "entity id patterns of enriched and alert differ"
# surge keys: entity ids, topic ids, and the [surge] pairs of rules.conf
skey = re.compile(s["surge"]["properties"]["key"]["pattern"])
pairs = re.findall(r"^pair\s*=\s*([^,\s]+)\s*,\s*(\S+)", open(f"{rd}/rules.conf", encoding="utf-8").read(), re.M)
for k in topics + [f"{e}|{t}" for e, t in pairs]:
    assert skey.match(k), f"surge key {k} does not match {skey.pattern}"
for e, t in pairs:
    assert t in topics, f"[surge] pair {e}, {t}: unknown topic"
types = set(s["enriched"]["$defs"]["entity"]["properties"]["type"]["enum"])
gaz = re.findall(r"^\[([^\]]+)\]", open(f"{rd}/gazetteer.conf", encoding="utf-8").read(), re.M)
for sec in gaz:
    assert pat.match(sec), f"gazetteer.conf entity [{sec}] does not match {pat.pattern}"
    assert sec.split(":")[0] in types, f"gazetteer.conf entity type of [{sec}] not in {sorted(types)}"
print(f"schemas: 4 valid draft 2020-12 schemas; {len(topics)} topic ids and {len(gaz)} gazetteer ids agree")
PY

# ------------------------------------------------------------ 2. input
SAMPLES=$ROOT/samples/articles.jsonl
BAD=$ROOT/samples/bad.jsonl
# Edge cases the samples lack: derived ids (u-, h-), nulls, HTML, invalid
# UTF-8 (utf8_repaired), unknown extra fields, a lang that is not ISO 639-1.
EDGE=$WORK/edge.jsonl
{
    printf '%s\n' "{\"url\":\"https://edge.example/$NM_RUN/1\",\"source\":\"edge\",\"title\":\"Putin and Kim Jong Un sign mutual defence pact in Pyongyang\",\"body\":\"Russia and North Korea signed a treaty on mutual military assistance. North Korean troops were sent to Kursk, Russia.\"}"
    printf '%s\n' "{\"title\":\"Kim Jong Un visits Vostochny with Putin ($NM_RUN)\",\"body\":\"North Korea&#39;s leader met Vladimir Putin &amp; discussed &lt;b&gt;satellite&lt;/b&gt; help. <p>Russia will help North Korea build satellites, Putin said.</p>\"}"
    printf '%s\n' "{\"id\":\"$NM_RUN-null\",\"url\":null,\"source\":null,\"lang\":null,\"published_at\":null,\"title\":\"Seoul weather\",\"body\":\"Sunny in Seoul.\",\"labels\":{\"relevant\":false}}"
    printf '{"id":"%s-utf8","lang":"en","title":"Putin \xff\xfe and Kim","body":"North Korea and Russia \xc3 shells"}\n' "$NM_RUN"
    printf '%s\n' "{\"id\":\"$NM_RUN-lang\",\"lang\":\"русский\",\"title\":\"Путин и Ким Чен Ын подписали договор\",\"body\":\"КНДР и Россия.\"}"
    printf '%s\n' "{\"id\":\"$NM_RUN-empty-title\",\"title\":\"\",\"body\":\"North Korea and Russia.\"}"
} >"$EDGE"
# (the invalid UTF-8 line is not JSON to Python: validate the others)
grep -v -- "-utf8\"" "$EDGE" >"$WORK/edge-valid-utf8.jsonl"
validate "$SCHEMAS/article.schema.json" "$SAMPLES" || violation "sample articles violate article.schema.json"
validate "$SCHEMAS/article.schema.json" "$WORK/edge-valid-utf8.jsonl" || violation "edge-case articles violate article.schema.json"
validate "$SCHEMAS/article.schema.json" "$BAD" --invalid || violation "article.schema.json accepts input that newsmon dead-letters"
n_good=$(grep -c . "$SAMPLES")
n_edge=$(grep -c . "$EDGE")
n_bad=$(grep -c . "$BAD")

# ------------------------------------------------------------ 3. newsmon tag
write_config # (creates this run's topics too: the daemon part uses them)
st=0
"$NEWSMON" tag -c "$CONF" "$SAMPLES" >"$WORK/tag.jsonl" 2>"$WORK/tag.err" || st=$?
[[ $st -eq 0 ]] || fail "newsmon tag exited $st: $(head -n 3 "$WORK/tag.err")"
[[ $(grep -c . "$WORK/tag.jsonl") -eq $n_good ]] || fail "newsmon tag printed $(grep -c . "$WORK/tag.jsonl") events for $n_good samples"
validate "$SCHEMAS/enriched.schema.json" "$WORK/tag.jsonl" || violation "newsmon tag output violates enriched.schema.json"
"$NEWSMON" tag -c "$CONF" "$EDGE" >"$WORK/tag-edge.jsonl" 2>"$WORK/tag-edge.err" || fail "newsmon tag failed on the edge cases: $(head -n 3 "$WORK/tag-edge.err")"
[[ $(grep -c . "$WORK/tag-edge.jsonl") -eq $n_edge ]] || fail "newsmon tag printed $(grep -c . "$WORK/tag-edge.jsonl") events for $n_edge edge cases: $(cat "$WORK/tag-edge.err")"
validate "$SCHEMAS/enriched.schema.json" "$WORK/tag-edge.jsonl" || violation "newsmon tag output (edge cases) violates enriched.schema.json"
grep -q '"utf8_repaired":true' "$WORK/tag-edge.jsonl" || violation "no utf8_repaired event for the invalid UTF-8 article"
grep -q '"id":"u-[0-9a-f]\{16\}"' "$WORK/tag-edge.jsonl" || violation "no derived u-<hash> id"
grep -q '"id":"h-[0-9a-f]\{16\}"' "$WORK/tag-edge.jsonl" || violation "no derived h-<hash> id"
cat "$SAMPLES" "$EDGE" | NEWSMON_OUTPUT_INCLUDE_BODY=false "$NEWSMON" tag -c "$CONF" >"$WORK/tag-nobody.jsonl" 2>/dev/null ||
    fail "newsmon tag with include_body=false failed"
validate "$SCHEMAS/enriched.schema.json" "$WORK/tag-nobody.jsonl" || violation "include_body=false output violates enriched.schema.json"
! grep -q '"body":' "$WORK/tag-nobody.jsonl" || violation "include_body=false still printed a body"

# ------------------------------------------------------------ 4. daemon run, read back from Kafka
start_daemon
"$NEWSMON" ingest -c "$CONF" "$SAMPLES" 2>/dev/null || fail "ingest of samples failed"
"$NEWSMON" ingest -c "$CONF" "$EDGE" 2>/dev/null || fail "ingest of edge cases failed"
"$NEWSMON" ingest -c "$CONF" "$BAD" 2>/dev/null || fail "ingest of bad input failed"
wait_count "$NM_RUN.enriched" $((n_good + n_edge))
wait_count "$NM_RUN.dlq" "$n_bad"
consume "$NM_RUN.enriched" >"$WORK/enriched.tsv"
# alerts expected from the enriched events and the threshold in rules.conf
threshold=$(sed -n 's/^alert_threshold *= *//p' "$RULES_DIR/rules.conf" | head -n1)
[[ -n $threshold ]] || fail "no alert_threshold in $RULES_DIR/rules.conf"
n_alerts=$(python3 - "$WORK/enriched.tsv" "$threshold" <<'PY'
import json, sys
ids = set()
for line in open(sys.argv[1], encoding="utf-8"):
    ev = json.loads(line.split("\t", 1)[1])
    if ev["relevant"] and ev["score"] >= float(sys.argv[2]) and ev["topics"]:
        ids.add(ev["id"])
print(len(ids))
PY
)
[[ $n_alerts -gt 0 ]] || fail "no enriched event reaches alert_threshold $threshold: the alert check would be empty"
wait_count "$NM_RUN.alerts.all" "$n_alerts"
consume "$NM_RUN.alerts.all" >"$WORK/alerts.all.tsv"
: >"$WORK/alerts.topics.tsv"
for t in $(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["$defs"]["topic_id"]["enum"]))' "$SCHEMAS/enriched.schema.json"); do
    consume "$NM_RUN.alerts.$t" | sed "s|^|$t\t|" >>"$WORK/alerts.topics.tsv"
done
cut -f2- "$WORK/alerts.topics.tsv" >"$WORK/alerts.per-topic.tsv"

validate "$SCHEMAS/enriched.schema.json" "$WORK/enriched.tsv" --kafka || violation "enriched events on Kafka violate enriched.schema.json"
validate "$SCHEMAS/alert.schema.json" "$WORK/alerts.all.tsv" --kafka || violation "alerts on alerts.all violate alert.schema.json"
validate "$SCHEMAS/alert.schema.json" "$WORK/alerts.per-topic.tsv" --kafka || violation "alerts on alerts.<topic> violate alert.schema.json"

python3 - "$WORK" "$threshold" <<'PY' || violation "alerts disagree with their enriched events"
import json, sys
w, threshold = sys.argv[1], float(sys.argv[2])
enr = {}
for line in open(f"{w}/enriched.tsv", encoding="utf-8"):
    ev = json.loads(line.split("\t", 1)[1]); enr[ev["id"]] = ev
alerts = {}
for line in open(f"{w}/alerts.all.tsv", encoding="utf-8"):
    a = json.loads(line.split("\t", 1)[1]); alerts[a["id"]] = a
for aid, a in alerts.items():
    ev = enr.get(aid)
    assert ev, f"alert {aid} has no enriched event"
    assert ev["relevant"] and ev["score"] >= threshold, f"alert {aid}: relevant={ev['relevant']} score={ev['score']}"
    assert a["topics"] == [t["id"] for t in ev["topics"]], f"alert {aid}: topics {a['topics']} != enriched"
    assert a["entities"] == [e["id"] for e in ev["entities"]][:10], f"alert {aid}: entities differ from enriched"
    assert "story" in a and a.get("story") == ev.get("story"), f"alert {aid}: story {a.get('story')} != enriched {ev.get('story')}"
    for k in ("title", "lang", "score", "rules_version", "url", "source", "published_at"):
        assert a.get(k) == ev.get(k), f"alert {aid}: {k} {a.get(k)!r} != enriched {ev.get(k)!r}"
want = {i for i, ev in enr.items() if ev["relevant"] and ev["score"] >= threshold and ev["topics"]}
assert set(alerts) == want, f"alerts.all ids {sorted(alerts)} != expected {sorted(want)}"
per = {}
for line in open(f"{w}/alerts.topics.tsv", encoding="utf-8"):
    topic, _, rest = line.rstrip("\n").partition("\t")
    per.setdefault(topic, set()).add(json.loads(rest.split("\t", 1)[1])["id"])
for aid, a in alerts.items():
    for t in a["topics"]:
        assert aid in per.get(t, set()), f"alert {aid} missing from alerts.{t}"
extra = {(t, i) for t, ids in per.items() for i in ids if t not in alerts.get(i, {}).get("topics", [])}
assert not extra, f"alerts on topics they do not have: {sorted(extra)}"
print(f"kafka: {len(enr)} enriched events, {len(alerts)} alerts on alerts.all, "
      f"{sum(len(v) for v in per.values())} per-topic alerts, consistent")
PY

st=0
stop_daemon TERM || st=$?
[[ $st -eq 0 ]] || fail "newsmon run exited $st on SIGTERM"
if ((${#violations[@]})); then
    printf 'violated: %s\n' "${violations[@]}" >&2
    fail "${#violations[@]} schema violation(s)"
fi
echo "PASS test_schemas"
