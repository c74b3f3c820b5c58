#!/usr/bin/env bash
# nm_story_state.sh FILE OUT - FILE (JSON lines) through `newsmon run` on a
# one-partition topic (so the daemon sees FILE's order), then into OUT:
# stories.tsv, each article's id and story object from the enriched events,
# and redis.txt, every key of the run (the prefix cut off) with its type, whether
# it has a TTL, and its content sorted (stream entries without their ids,
# times cut out). Two binaries whose OUTs are equal decided the same stories
# and wrote the same Redis state (run them within one UTC hour: keys carry it).
#   NEWSMON, NM_BOOTSTRAP, NM_REDIS_PORT as for tests/integration;
#   BATCH [100]: [input] batch_size
source "$(dirname "$0")/../tests/integration/lib.sh"
require_services
file=$1 out=$2
mkdir -p "$out"
NM_TEST_PARTITIONS=1 write_config -e "s|^batch_size = .*|batch_size = ${BATCH:-100}|"
n=$(grep -c . "$file")
"$NEWSMON" ingest -c "$CONF" "$file" 2>/dev/null
start_daemon
wait_count "$NM_RUN.enriched" "$n" 300
stop_daemon TERM
consume "$NM_RUN.enriched" | cut -f2- | $PY -c '
import json, sys
for line in sys.stdin:
    e = json.loads(line)
    print(e["id"], json.dumps(e.get("story"), sort_keys=True), sep="\t")' | sort >"$out/stories.tsv"
ROOT=$ROOT PYTHONDONTWRITEBYTECODE=1 $PY - "$REDIS_PORT" "$KP" >"$out/redis.txt" <<'PY'
import os, re, sys
sys.path.insert(0, os.path.join(os.environ.get("ROOT", "."), "tests", "integration"))
from story_lookup_diff import Redis
r, kp = Redis(int(sys.argv[1])), sys.argv[2].encode()
keys, cur = [], b"0"
while True:
    cur, part = r.call("SCAN", cur, "MATCH", kp + b"*", "COUNT", 1000)
    keys += part
    if cur == b"0":
        break
untimed = lambda v: re.sub(rb'"(processed_at|detected_ms)":("[^"]*"|[0-9]+)', b"", v)
for k in sorted(set(keys)):
    t = r.call("TYPE", k)
    ttl = r.call("PTTL", k) > 0
    if t == b"string":
        v = [r.call("GET", k)]
    elif t == b"hash":
        h = r.call("HGETALL", k)
        v = sorted(zip(h[::2], h[1::2]))
    elif t == b"set":
        v = sorted(r.call("SMEMBERS", k))
    elif t == b"zset":
        z = r.call("ZRANGE", k, 0, -1, "WITHSCORES")
        v = sorted(zip(z[::2], z[1::2]))
    elif t == b"list":
        v = r.call("LRANGE", k, 0, -1)
    else:  # stream
        v = [[untimed(x) for x in e[1]] for e in r.call("XRANGE", k, "-", "+")]
    print(repr(k[len(kp):]), t.decode(), "ttl" if ttl else "no-ttl", repr(v))
PY
echo "$(wc -l <"$out/stories.tsv") articles, $(wc -l <"$out/redis.txt") keys in $out"
