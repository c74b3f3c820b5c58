#!/usr/bin/env bash
# demo.sh - the main job end to end on a fresh machine: installs packages,
# builds, starts Kafka and Redis, runs the newsmon daemon, ingests the
# sample articles (and a few bad ones), then shows the alerts as read back
# by kcat, the dead letters, and the top entities and topics from Redis, and
# leaves the dashboard (`newsmon web`) running in the background: its URL is
# the last line.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BOOTSTRAP=127.0.0.1:9092
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "1/7 packages and build"
bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNM_BUILD_TESTS=OFF >/dev/null
cmake --build build -j2 >/dev/null
./build/newsmon --version

say "2/7 Kafka (KRaft, single node) and Redis"
bash scripts/services.sh start
./build/newsmon topics -c config/newsmon.conf >/dev/null

say "3/7 newsmon run (log: .services/demo-newsmon.log)"
./build/newsmon run -c config/newsmon.conf >>.services/demo-newsmon.log 2>&1 &
PID=$!
trap 'kill -TERM $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do grep -q 'assigned [1-9]' .services/demo-newsmon.log && break; sleep 0.1; done

say "4/7 ingest samples/articles.jsonl (13 articles, 10 languages) and samples/bad.jsonl"
./build/newsmon ingest -c config/newsmon.conf samples/articles.jsonl samples/bad.jsonl || true
# wait until every sample has its enriched event
for _ in $(seq 1 60); do
    n=$(kcat -b $BOOTSTRAP -C -t news.enriched -o beginning -e -q -f '%k\n' 2>/dev/null | grep -c '^sample-' || true)
    [[ $n -ge 13 ]] && break
    sleep 1
done

say "5/7 alerts, as read back by kcat from alerts.all"
kcat -b $BOOTSTRAP -C -t alerts.all -o beginning -e -q | python3 -c '
import json, sys
seen = set()
for line in sys.stdin:
    a = json.loads(line)
    if a["id"] in seen: continue
    seen.add(a["id"])
    topics = ",".join(a["topics"])
    print("%-14s %-3s score %6.1f  %-40s %s" % (a["id"], a["lang"], a["score"], topics, a["title"][:60]))
'
echo
echo "dead letters on news.dlq (reason header):"
kcat -b $BOOTSTRAP -C -t news.dlq -o beginning -e -q -f '  %h\n' | sort -u | head -n 8

say "6/7 counts in Redis"
./build/newsmon top -c config/newsmon.conf --entities -n 10
echo
./build/newsmon top -c config/newsmon.conf --topics
echo
echo "raw: redis-cli ZREVRANGE {nm}:entity:articles 0 9 WITHSCORES"
redis-cli ZREVRANGE "{nm}:entity:articles" 0 4 WITHSCORES | paste - - | sed 's/^/  /'

kill -TERM $PID; wait $PID || true
trap - EXIT
echo
echo "newsmon run stopped (SIGTERM, exit 0). Kafka and Redis still run: scripts/services.sh stop"

say "7/7 the dashboard: newsmon web (log: .services/demo-web.log)"
WEB_LISTEN=$(sed -n '/^\[web\]/,/^\[/s/^listen = //p' config/newsmon.conf)
# a dashboard left by an earlier demo run: stop that one (its pid only)
if [[ -f .services/demo-web.pid ]] && kill -0 "$(cat .services/demo-web.pid)" 2>/dev/null; then
    kill -TERM "$(cat .services/demo-web.pid)"
    sleep 0.5
fi
setsid nohup ./build/newsmon web -c config/newsmon.conf >>.services/demo-web.log 2>&1 </dev/null &
echo $! >.services/demo-web.pid
for _ in $(seq 1 50); do curl -sf "http://$WEB_LISTEN/api/status" >/dev/null && break; sleep 0.1; done
curl -sf "http://$WEB_LISTEN/api/status" >/dev/null || { echo "newsmon web did not start:"; tail -n 5 .services/demo-web.log; exit 1; }
echo "newsmon web runs in the background (pid $(cat .services/demo-web.pid); stop it: kill $(cat .services/demo-web.pid))."
echo "JSON API: http://$WEB_LISTEN/api/status, /api/top, /api/series, /api/movers, /api/alerts (README, Dashboard)"
echo
echo "Dashboard: http://$WEB_LISTEN/"
