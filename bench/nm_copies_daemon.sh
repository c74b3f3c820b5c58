#!/usr/bin/env bash
# nm_copies_daemon.sh - the copy set (bench/nm_copies.py gen, from the
# project's own articles) through `newsmon run` (stories from Redis) and
# through `newsmon tag` (in-memory index), compared: the share of articles
# whose story the daemon and tag agree on, and nm_copies.py eval of each.
# Needs the broker and Redis (scripts/services.sh start); one partition, so
# the daemon sees the stream in tag's order.
#   NM_BOOTSTRAP, NM_REDIS_PORT, NEWSMON as for tests/integration;
#   BATCH [500]: [input] batch_size (small: most candidates come from Redis)
source "$(dirname "$0")/../tests/integration/lib.sh"
require_services
NM_TEST_PARTITIONS=1 write_config -e "s|^batch_size = .*|batch_size = ${BATCH:-500}|"
src=$ROOT/samples/articles.jsonl
[[ -f $ROOT/../shared/corpus/dev.jsonl ]] && src="$src $ROOT/../shared/corpus/dev.jsonl" # project-written
# shellcheck disable=SC2086
$PY "$ROOT/bench/nm_copies.py" gen --out "$WORK/stream.jsonl" $src >/dev/null
n=$(grep -c . "$WORK/stream.jsonl")
"$NEWSMON" ingest -c "$CONF" "$WORK/stream.jsonl" 2>/dev/null
start_daemon
wait_count "$NM_RUN.enriched" "$n" 120
consume "$NM_RUN.enriched" | cut -f2- > "$WORK/daemon.jsonl"
"$NEWSMON" tag -c "$CONF" "$WORK/stream.jsonl" > "$WORK/tag.jsonl"
python3 - "$WORK" <<'PY'
import json, sys
w = sys.argv[1]
d = {e["id"]: e["story"] for e in map(json.loads, open(f"{w}/daemon.jsonl"))}
t = {e["id"]: e["story"] for e in map(json.loads, open(f"{w}/tag.jsonl"))}
same = sum(1 for k in t if d.get(k) == t[k])
print(f"articles={len(t)} daemon_equals_tag={same} ({100*same/len(t):.2f} %)")
PY
echo "daemon:"; $PY "$ROOT/bench/nm_copies.py" eval "$WORK/stream.jsonl" "$WORK/daemon.jsonl" | grep -E "copies found|merged"
echo "tag:"; $PY "$ROOT/bench/nm_copies.py" eval "$WORK/stream.jsonl" "$WORK/tag.jsonl" | grep -E "copies found|merged"
stop_daemon TERM
