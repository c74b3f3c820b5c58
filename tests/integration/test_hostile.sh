#!/usr/bin/env bash
# test_hostile.sh - hostile input, produced with kcat (binary-safe: one file
# per message, or -K for keys and empty values), interleaved with good
# articles: malformed JSON, a non-object, wrong types, missing title/body,
# raw NUL bytes, an escaped \u0000, a 10 MB message, a body over
# max_body_bytes, JSON nested 100,000 deep, an empty message, a NULL
# message, a 100 KB key; plus invalid UTF-8 (REPAIRED and processed:
# utf8_repaired = true), a keyless article and a 100 KB-keyed article (both
# processed; the enriched key is the article id).
# Checks: each bad message is on the DLQ with its original key and bytes and
# a `reason` header; every good article is enriched; the daemon stays alive.
# Phase 2: a valid article whose enriched event (with its 1.5 MB body, under
# max_body_bytes) is larger than the enriched topic accepts must not stall
# the stream: the articles after it are still processed.
#
# Kafka's own limit: the broker takes 1 MB per message by default. The test
# raises max.message.bytes of its input and DLQ topics to 16 MiB (Kafka's
# ConfigCommand, from the broker jars of scripts/services.sh) and the
# producers' message.max.bytes, as an operator accepting big articles would.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/fault_lib.sh"
require_services
write_fault_config -e 's|^include_body = false|include_body = true|' \
    -e 's|^compression.type = lz4|&\nmessage.max.bytes = 16000000|'

SVC_DIR=${NM_SERVICES_DIR:-$ROOT/.services}
topic_max_bytes() { # TOPIC BYTES
    java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp "$SVC_DIR/kafka/libs/*" \
        kafka.admin.ConfigCommand --bootstrap-server "$BOOTSTRAP" --alter --entity-type topics \
        --entity-name "$1" --add-config "max.message.bytes=$2" >>"$WORK/services.log" 2>&1 ||
        fail "cannot set max.message.bytes of $1: $(tail -n 3 "$WORK/services.log")"
}
topic_max_bytes "$NM_RUN.raw" 16777216
topic_max_bytes "$NM_RUN.dlq" 16777216

M=$WORK/msgs
mkdir -p "$M"
# Every hostile message: $M/<key>.bad (value bytes); the key is the file name.
# Good articles by kcat: $M/<key>.good. Written by python (exact bytes).
python3 - "$M" <<'PY'
import json, os, sys
d = sys.argv[1]
def w(name, data):
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
art = lambda i, **kw: json.dumps(dict({"id": i, "source": "hostile", "title": "Putin meets Kim Jong Un",
                                       "body": "Russia and North Korea discussed artillery shells."}, **kw))
w("hb-malformed.bad", '{"id":"hb-malformed","title":"unterminated')
w("hb-array.bad", '["not", "an", "object"]')
w("hb-scalar.bad", '42')
w("hb-title-int.bad", '{"id":"hb-title-int","title":42,"body":"x"}')
w("hb-body-array.bad", '{"id":"hb-body-array","title":"t","body":["x"]}')
w("hb-id-object.bad", '{"id":{"a":1},"title":"t","body":"b"}')
w("hb-no-title.bad", '{"id":"hb-no-title","body":"a body without a title"}')
w("hb-no-body.bad", '{"id":"hb-no-body","title":"a title without a body"}')
w("hb-nul-raw.bad", b'{"id":"hb-nul-raw","title":"a\x00b","body":"x"}')
w("hb-nul-after.bad", b'{"id":"hb-nul-after","title":"t","body":"b"}\x00\x00garbage')
w("hb-nul-escaped.bad", '{"id":"hb-nul-escaped","title":"t","body":"a\\u0000b"}')
w("hb-10mb.bad", art("hb-10mb", body="x" * 10_000_000))
w("hb-3mb-body.bad", art("hb-3mb-body", body="word " * 600_000))
w("hb-deep.bad", '{"id":"hb-deep","title":"t","body":"b","x":' + "[" * 100_000 + "]" * 100_000 + "}")
w("hb-deep-open.bad", "[" * 100_000)
w("hb-dup-key.bad", '{"id":"hb-dup-key","title":"t","title":"u","body":"b"}')
# good ones
w("hg-utf8.good", b'{"id":"hg-utf8","source":"hostile","title":"Putin \xff\xfe meets Kim Jong Un",'
                  b'"body":"North Korea \xc3\x28 shipped \xed\xa0\x80 artillery shells to Russia \xf4\x90\x80\x80."}')
w("hg-nokey.good", art("hg-nokey"))
w("hg-bigkey.good", art("hg-bigkey"))
w("hg-html.good", art("hg-html", body="<p>Kim Jong Un &amp; Putin</p><script>x</script>" * 50))
PY

good_batch() { # N: publish the samples with ids prefixed hg-N- (newsmon ingest: key = id)
    sed "s/\"id\":\"/\"id\":\"hg-$1-/" "$ROOT/samples/articles.jsonl" >"$WORK/good$1.jsonl"
    "$NEWSMON" ingest -c "$CONF" "$WORK/good$1.jsonl" 2>>"$WORK/ingest.log" || fail "ingest of good batch $1 failed"
}
kput() { # KEY FILE [kcat options]
    local key=$1 file=$2
    shift 2
    kcat -P -b "$BOOTSTRAP" -t "$NM_RUN.raw" -X message.max.bytes=16000000 -k "$key" "$@" "$file" ||
        fail "kcat could not produce $file"
}
BIGKEY=$(head -c 76800 /dev/urandom | base64 -w0 | head -c 102400) # 100 KB
[[ ${#BIGKEY} -eq 102400 ]] || fail "big key is ${#BIGKEY} bytes"

start_daemon
good_batch 1
n_bad=0
for f in "$M"/*.bad; do
    key=$(basename "$f" .bad)
    kput "$key" "$f"
    n_bad=$((n_bad + 1))
done
good_batch 2
# empty and NULL values, a 100 KB key on a malformed value
printf 'hb-empty\t\n' | kcat -P -b "$BOOTSTRAP" -t "$NM_RUN.raw" -K '\t' || fail "kcat empty"
printf 'hb-null\t\n' | kcat -P -b "$BOOTSTRAP" -t "$NM_RUN.raw" -K '\t' -Z || fail "kcat null"
printf '{"id":"hb-bigkey","title":' >"$WORK/bigkey.bad"
kput "$BIGKEY" "$WORK/bigkey.bad"
n_bad=$((n_bad + 3))
# good ones by kcat: repaired UTF-8, no key, 100 KB key, HTML
kput hg-utf8 "$M/hg-utf8.good"
kcat -P -b "$BOOTSTRAP" -t "$NM_RUN.raw" "$M/hg-nokey.good" || fail "kcat nokey"
kput "$BIGKEY" "$M/hg-bigkey.good"
kput hg-html "$M/hg-html.good"
good_batch 3
n_good=$((3 * $(grep -c . "$ROOT/samples/articles.jsonl") + 4))
log "published $n_bad hostile and $n_good good messages"

# wait for the outputs (the DLQ may need its 10 MB record)
for _ in $(seq 1 90); do
    d=$(kcat -b "$BOOTSTRAP" -C -t "$NM_RUN.dlq" -o beginning -e -q -f '%o\n' 2>/dev/null | wc -l)
    g=$(enriched_keys "$NM_RUN.enriched" | sort -u | wc -l)
    [[ $d -ge $n_bad && $g -ge $n_good ]] && break
    daemon_alive || fail "newsmon run died on hostile input"
    sleep 1
done
daemon_alive || fail "newsmon run died on hostile input"

# framed dumps: K<keylen>:<key>V<len>:<value>H<headers>\n, binary-safe
kcat -b "$BOOTSTRAP" -C -t "$NM_RUN.dlq" -o beginning -e -q -f 'K%K:%kV%S:%sH%h\n' >"$WORK/dlq.bin" 2>/dev/null
kcat -b "$BOOTSTRAP" -C -t "$NM_RUN.enriched" -o beginning -e -q -f 'K%K:%kV%S:%sH%h\n' >"$WORK/enriched.bin" 2>/dev/null
phase1_failed=0
NM_MAX_OUTPUT=$(sed -n "s/^max_output_bytes = //p" "$CONF") python3 - "$M" "$WORK" "$BIGKEY" "$ROOT/samples/articles.jsonl" >"$WORK/hostile.out" <<'PY' || phase1_failed=1
import json, os, sys
M, W, bigkey, samples = sys.argv[1], sys.argv[2], sys.argv[3].encode(), sys.argv[4]
def records(path):
    b = open(path, "rb").read(); i = 0; out = []
    while i < len(b):
        assert b[i:i+1] == b"K", f"bad frame at {i}"
        j = b.index(b":", i); kl = int(b[i+1:j]); i = j + 1
        key = None if kl < 0 else b[i:i+kl]; i += max(kl, 0)
        assert b[i:i+1] == b"V"; j = b.index(b":", i); vl = int(b[i+1:j]); i = j + 1
        val = None if vl < 0 else b[i:i+vl]; i += max(vl, 0)
        assert b[i:i+1] == b"H"; j = b.index(b"\n", i); hdr = b[i+1:j].decode(); i = j + 1
        out.append((key, val, hdr))
    return out
dlq = records(f"{W}/dlq.bin")
enr = records(f"{W}/enriched.bin")
errors = []
# expected dead letters: key -> original bytes
want = {}
for f in os.listdir(M):
    if f.endswith(".bad"):
        want[f[:-4].encode()] = open(os.path.join(M, f), "rb").read()
want[b"hb-empty"] = b""
want[b"hb-null"] = None
want[bigkey] = open(f"{W}/bigkey.bad", "rb").read()
got = {}
for key, val, hdr in dlq:
    got.setdefault(key, []).append((val, hdr))
reasons = {}
for key, val in want.items():
    name = key.decode()[:20]
    if key not in got:
        errors.append(f"{name}: not on the DLQ"); continue
    v, hdr = got[key][0]
    # a dead letter larger than max_output_bytes keeps its head and says
    # how long it was (truncated_from header)
    maxout = int(os.environ["NM_MAX_OUTPUT"])
    if val and len(val) > maxout:
        if f"truncated_from={len(val)}" not in hdr:
            errors.append(f"{name}: no truncated_from={len(val)} header: {hdr[:200]}")
        val = val[:maxout]
    if (v or b"") != (val or b""):
        errors.append(f"{name}: DLQ bytes differ (len {len(v or b'')} != {len(val or b'')})")
    if not hdr.startswith("reason="):
        errors.append(f"{name}: no reason header ({hdr!r})")
    reasons[name] = hdr[7:]
extra = set(got) - set(want)
if extra:
    errors.append(f"unexpected dead letters: {[k.decode(errors='replace')[:40] for k in extra]}")
# good articles
ev = {}
for key, val, hdr in enr:
    e = json.loads(val)
    ev.setdefault(e["id"], []).append((key, e))
good = [json.loads(l)["id"] for l in open(samples) if l.strip()]
want_good = [f"hg-{n}-{i}" for n in (1, 2, 3) for i in good] + ["hg-utf8", "hg-nokey", "hg-bigkey", "hg-html"]
for i in want_good:
    if i not in ev:
        errors.append(f"good article {i} not enriched")
for i, evs in ev.items():
    for key, e in evs:
        if key != i.encode():
            errors.append(f"enriched key of {i} is {None if key is None else key[:20]!r}, not the article id")
if "hg-utf8" in ev:
    e = ev["hg-utf8"][0][1]
    if e.get("utf8_repaired") is not True:
        errors.append(f"hg-utf8: utf8_repaired is {e.get('utf8_repaired')!r}")
    if "\ufffd" not in e["title"] or "\ufffd" not in e["body"]:
        errors.append("hg-utf8: no U+FFFD in the repaired text")
    if not e["entities"]:
        errors.append("hg-utf8: repaired article was not tagged")
for k, r in sorted(reasons.items()):
    print(f"  dlq {k:20} reason={r[:90]}")
print(f"FIGURES dlq={len(dlq)} dlq_expected={len(want)} enriched_ids={len(ev)} good_expected={len(want_good)} errors={len(errors)}")
for e in errors:
    print("ERROR", e)
sys.exit(1 if errors else 0)
PY
cat "$WORK/hostile.out"
figures=$(sed -n 's/^FIGURES //p' "$WORK/hostile.out")

# Phase 2: an article within every newsmon limit whose enriched event is
# bigger than the enriched topic accepts (1 MB broker default) must not
# stall the stream.
# (random letters: lz4 must not shrink it under the limit)
python3 -c 'import json, random, string; r = random.Random(5); body = "Russia and North Korea. " + "".join(r.choice(string.ascii_lowercase + "  ") for _ in range(1_600_000)); print(json.dumps({"id": "hg-big-event", "title": "Putin meets Kim Jong Un", "body": body}))' >"$WORK/bigevent.json"
kput hg-big-event "$WORK/bigevent.json"
good_batch 4
stalled=1
for _ in $(seq 1 60); do
    if [[ $(enriched_keys "$NM_RUN.enriched" | grep -c '^hg-4-') -ge $(grep -c . "$ROOT/samples/articles.jsonl") ]]; then
        stalled=0
        break
    fi
    sleep 1
done
big_where=$( (enriched_keys "$NM_RUN.enriched" | grep -q '^hg-big-event$' && echo enriched) ||
    (kcat -b "$BOOTSTRAP" -C -t "$NM_RUN.dlq" -o beginning -e -q -f '%k\n' 2>/dev/null | grep -q '^hg-big-event$' && echo dlq) || echo nowhere)
daemon_alive || fail "newsmon run died"
check_daemon_logs
echo "hostile: $figures big_event=$big_where stalled=$stalled daemon_alive=1 elapsed=$(elapsed)s"
problems=""
[[ $phase1_failed -eq 0 ]] || problems+="hostile input checks failed: $(grep '^ERROR' "$WORK/hostile.out" | tr '\n' ';') "
[[ $stalled -eq 0 ]] || problems+="stream stalled behind an enriched event larger than the topic accepts ($(grep -c 're-sending' "$WORK/daemon.log") re-send rounds: $(grep 'Message size too large' "$WORK/daemon.log" | tail -n1 | sed 's/.*msg=//')); "
[[ $big_where != nowhere ]] || problems+="hg-big-event neither enriched nor dead-lettered; "
[[ -z $problems ]] || fail "$problems"
echo "PASS test_hostile"
