# shellcheck shell=bash
# lib.sh - helpers shared by the integration and fault tests (sourced).
#
# Every test run gets its own topics, consumer group and Redis key prefix
# (NM_RUN), so runs never see each other's data and nothing is flushed.
# The services must already run (scripts/test.sh starts them); a test that
# cannot reach them FAILS, it never skips.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NEWSMON=${NEWSMON:-$ROOT/build/newsmon}
BOOTSTRAP=${NM_BOOTSTRAP:-127.0.0.1:9092}
REDIS_PORT=${NM_REDIS_PORT:-6379}
NM_RUN=${NM_RUN:-t$(date +%s)$$}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/newsmon-$NM_RUN.XXXX")
DAEMON_PID=""

# Debian's python3 sees the distribution's modules (python3-prometheus-client,
# python3-jsonschema, python3-yaml) even where another python3 comes first
PY=/usr/bin/python3
[[ -x $PY ]] || PY=python3

# a free port for this run's /metrics endpoint (tests may run side by side)
HTTP_PORT=${NM_HTTP_PORT:-$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

# http_get PORT PATH OUT: GET http://127.0.0.1:PORT<PATH> with python3 (the
# tests need no curl); prints the status (0: no answer), the body goes to OUT
http_get() {
    $PY - "http://127.0.0.1:$1$2" "$3" <<'PY'
import sys, urllib.request, urllib.error
try:
    r = urllib.request.urlopen(sys.argv[1], timeout=3); code, body = r.status, r.read()
except urllib.error.HTTPError as e:
    code, body = e.code, e.read()
except OSError:
    code, body = 0, b""
open(sys.argv[2], "wb").write(body)
print(code)
PY
}
rcli() { redis-cli -p "$REDIS_PORT" --no-auth-warning "$@"; }
# this run's Redis key prefix: the config's prefix "$NM_RUN:" as newsmon
# braces it into a hash tag (producer/nm_counts.h)
KP="{$NM_RUN}:"

cleanup() {
    local rc=$?
    if [[ -n $DAEMON_PID ]] && kill -0 "$DAEMON_PID" 2>/dev/null; then
        kill -KILL "$DAEMON_PID" 2>/dev/null || true
    fi
    # drop this run's Redis keys (only ours: the prefix is unique)
    rcli --scan --pattern "$KP*" 2>/dev/null | xargs -r -n 500 redis-cli -p "$REDIS_PORT" del >/dev/null 2>&1 || true
    if [[ $rc -ne 0 ]] && compgen -G "$WORK/daemon*.log" >/dev/null; then
        echo "--- daemon log (tail) ---" >&2
        tail -n 30 "$WORK"/daemon*.log >&2 || true
    fi
    [[ -n ${NM_KEEP_WORK:-} ]] || rm -rf "$WORK"
}
trap cleanup EXIT

require_services() {
    command -v kcat >/dev/null || fail "kcat not installed (scripts/test.sh installs it)"
    kcat -b "$BOOTSTRAP" -L -m 5 >/dev/null 2>&1 || fail "Kafka at $BOOTSTRAP does not answer (run scripts/services.sh start)"
    [[ $(rcli ping 2>/dev/null) == PONG ]] || fail "Redis on port $REDIS_PORT does not answer (run scripts/services.sh start)"
    [[ -x $NEWSMON ]] || fail "newsmon binary not found at $NEWSMON"
}

# write_config [extra sed expressions...]: a config for this run in $WORK/newsmon.conf
write_config() {
    local conf=$WORK/newsmon.conf
    sed -e "s|^topic = news.raw|topic = $NM_RUN.raw|" \
        -e "s|^enriched_topic = .*|enriched_topic = $NM_RUN.enriched|" \
        -e "s|^alert_topic_prefix = .*|alert_topic_prefix = $NM_RUN.alerts.|" \
        -e "s|^dlq_topic = .*|dlq_topic = $NM_RUN.dlq|" \
        -e "s|^surge_topic = .*|surge_topic = $NM_RUN.alerts.surge|" \
        -e "s|^prefix = nm:|prefix = $NM_RUN:|" \
        -e "s|^port = 6379|port = $REDIS_PORT|" \
        -e "s|^bootstrap.servers = .*|bootstrap.servers = $BOOTSTRAP|" \
        -e "s|^group.id = .*|group.id = $NM_RUN-group\\nsession.timeout.ms = 6000\\nheartbeat.interval.ms = 1000|" \
        -e "s|^gazetteer = .*|gazetteer = ${NM_RULES_DIR:-$ROOT/config}/gazetteer.conf|" \
        -e "s|^rules = .*|rules = ${NM_RULES_DIR:-$ROOT/config}/rules.conf|" \
        -e "s|^languages = .*|languages = ${NM_RULES_DIR:-$ROOT/config}/lang|" \
        -e "s|^listen = .*|listen = 127.0.0.1:$HTTP_PORT|" \
        "$@" "$ROOT/config/newsmon.conf" >"$conf"
    CONF=$conf
    "$NEWSMON" topics -c "$CONF" -p "${NM_TEST_PARTITIONS:-3}" >/dev/null || fail "cannot create topics"
}

# start_daemon [log name]: runs `newsmon run` in the background, waits for
# its partition assignment.
start_daemon() {
    local name=${1:-daemon}
    "$NEWSMON" run -c "$CONF" >>"$WORK/$name.log" 2>&1 &
    DAEMON_PID=$!
    for _ in $(seq 1 300); do
        grep -q 'assigned [1-9]' "$WORK/$name.log" 2>/dev/null && return 0
        kill -0 "$DAEMON_PID" 2>/dev/null || fail "newsmon run exited early: $(tail -n 5 "$WORK/$name.log")"
        sleep 0.1
    done
    fail "newsmon run got no partitions within 30 s"
}

# stop_daemon SIGNAL: returns the exit status; fails after 30 s
stop_daemon() {
    local sig=${1:-TERM}
    kill "-$sig" "$DAEMON_PID"
    for _ in $(seq 1 300); do
        if ! kill -0 "$DAEMON_PID" 2>/dev/null; then
            local st=0
            wait "$DAEMON_PID" || st=$?
            DAEMON_PID=""
            return $st
        fi
        sleep 0.1
    done
    fail "newsmon did not exit within 30 s of SIG$sig"
}

# consume TOPIC: every message of the topic as "key<TAB>value" lines (kcat as
# an independent client)
consume() {
    kcat -b "$BOOTSTRAP" -C -t "$1" -o beginning -e -q -f '%k\t%s\n' 2>/dev/null || true
}

# wait_count TOPIC N [TIMEOUT]: until the topic holds at least N messages
wait_count() {
    local topic=$1 want=$2 timeout=${3:-60} n=0
    for _ in $(seq 1 "$timeout"); do
        n=$(consume "$topic" | wc -l)
        [[ $n -ge $want ]] && return 0
        sleep 1
    done
    fail "$topic has $n messages after ${timeout}s, expected >= $want"
}

# snapshot of every count key of this run (sorted, for comparisons)
counts_snapshot() {
    local k
    for k in $(rcli --scan --pattern "${KP}entity:*" ; rcli --scan --pattern "${KP}topic:*"); do
        rcli zrange "$k" 0 -1 withscores | paste - - | sed "s|^|$k |"
    done | sort
    rcli hgetall "${KP}stats" | paste - - | sed 's|^|stats |' | sort
}

# count_lines: this run's all-time counts as "<key> <member> <value>", sorted
# (compare with expected_counts.py over `newsmon tag` output)
count_lines() {
    local k
    for k in entity:articles entity:mentions topic:articles; do
        rcli zrange "$KP$k" 0 -1 withscores | paste - - | awk -v k="$k" '{print k, $1, $2}'
    done
    rcli hgetall "${KP}stats" | paste - - | awk '{print "stats", $1, $2}'
}
