#!/usr/bin/env bash
# test_redis_cluster.sh - the pipeline against a real Redis Cluster (three
# masters, three replicas, scripts/services.sh start-redis-cluster): articles
# stream in, the master of newsmon's hash slot is killed (kill -9) mid-stream,
# its replica takes over, newsmon follows (MOVED, reconnect through the other
# nodes) and carries on. Checks: lost = 0 and drift = 0 against one clean
# offline pass, the daemon never died, the replica really took over.
# The config's seed address is the slot's master itself, so newsmon must
# find the new master through the nodes it learned, not through the seed.
#   NM_REDIS_CLUSTER_PORT [7001] (six ports from there, and their cluster
#   bus ports +10000)   NM_FAULT_ARTICLES [2000]
CLUSTER_PORT=${NM_REDIS_CLUSTER_PORT:-7001}
export NM_REDIS_CLUSTER_PORT=$CLUSTER_PORT
NM_RUN=${NM_RUN:-c$(date +%s)$$}
# the slot of this run's keys, "{$NM_RUN}:..." (CRC16 mod 16384, as Redis)
SLOT=$(python3 - "$NM_RUN" <<'PY'
import sys
def crc16(b):
    c = 0
    for x in b:
        c ^= x << 8
        for _ in range(8):
            c = ((c << 1) ^ 0x1021) if c & 0x8000 else c << 1
            c &= 0xFFFF
    return c
print(crc16(sys.argv[1].encode()) % 16384)
PY
)
# redis-cli -c follows the cluster's redirects for the count readers
export NM_REDIS_PORT=$CLUSTER_PORT
source "$(dirname "$0")/lib.sh"
rcli() { redis-cli -c -p "$REDIS_PORT" --no-auth-warning "$@"; }
csvc() { bash "$ROOT/scripts/services.sh" "$@" >>"$WORK/cluster.log" 2>&1 || fail "services.sh $* failed: $(tail -n 5 "$WORK/cluster.log")"; }
csvc stop-redis-cluster
csvc start-redis-cluster
source "$(dirname "$0")/fault_lib.sh"
# shellcheck disable=SC2154 # rc is assigned inside the trap string
trap 'rc_=$?; fault_cleanup; bash "$ROOT/scripts/services.sh" stop-redis-cluster >/dev/null 2>&1; (exit $rc_); cleanup' EXIT

# the master serving the slot, and its replica
nodes=$(redis-cli -p "$CLUSTER_PORT" cluster nodes | tr -d '\r')
read -r MASTER_ID MASTER_PORT < <(echo "$nodes" | awk -v s="$SLOT" '$3 ~ /master/ {
    for (i = 9; i <= NF; i++) { split($i, r, "-"); if (s >= r[1] && s <= (r[2] == "" ? r[1] : r[2])) {
        split($2, a, "[:@]"); print $1, a[2] } } }')
REPLICA_PORT=$(echo "$nodes" | awk -v m="$MASTER_ID" '$4 == m { split($2, a, "[:@]"); print a[2] }')
[[ -n $MASTER_PORT && -n $REPLICA_PORT ]] || fail "no master/replica found for slot $SLOT: $nodes"
log "slot $SLOT of {$NM_RUN}: master 127.0.0.1:$MASTER_PORT, replica 127.0.0.1:$REPLICA_PORT"

REDIS_PORT=$MASTER_PORT
write_fault_config -e "s|^wait_replicas = 0|wait_replicas = 1|" -e "s|^timeout_ms = 5000|timeout_ms = 1000|" \
    -e "s|^retry_max_ms = 5000|retry_max_ms = 500|"
grep -q "^port = $MASTER_PORT" "$CONF" || fail "config does not name the master"
require_services

N=${NM_FAULT_ARTICLES:-2000}
gen_articles "$N" "$WORK/articles.jsonl" 23
ids_of "$WORK/articles.jsonl" >"$WORK/ids.txt"
expected_counts "$WORK/articles.jsonl" "$WORK/expected.txt"

start_daemon
# 10 chunks of 200, ~0.5 s apart
start_ingest "$WORK/articles.jsonl" 200 0.4
for _ in $(seq 1 100); do
    c0=$(rcli hget "{$NM_RUN}:stats" articles | tr -d '\r')
    [[ -n $c0 && $c0 -gt 400 ]] && break
    sleep 0.1
done
[[ -n $c0 && $c0 -gt 0 ]] || fail "no article counted before the failover"

# kill -9 the slot's master mid-stream
mpid=$(tr -dc 0-9 <"$ROOT/.services/redis-cluster/$MASTER_PORT/redis.pid" 2>/dev/null ||
    tr -dc 0-9 <"${NM_SERVICES_DIR:-$ROOT/.services}/redis-cluster/$MASTER_PORT/redis.pid")
t0=$(date +%s%3N)
kill -KILL "$mpid"
log "killed the master (pid $mpid) with $c0 articles counted"
promoted=""
for _ in $(seq 1 300); do
    if redis-cli -p "$REPLICA_PORT" role 2>/dev/null | head -n1 | grep -q '^master'; then
        promoted=$(($(date +%s%3N) - t0))
        break
    fi
    sleep 0.1
done
[[ -n $promoted ]] || fail "the replica on $REPLICA_PORT did not take over within 30 s"
REDIS_PORT=$REPLICA_PORT
log "replica on $REPLICA_PORT is master after ${promoted} ms"
resumed=""
for _ in $(seq 1 300); do
    c1=$(redis-cli -p "$REPLICA_PORT" hget "{$NM_RUN}:stats" articles 2>/dev/null | tr -d '\r')
    if [[ -n $c1 && $c1 -gt $c0 ]]; then resumed=$(($(date +%s%3N) - t0)); break; fi
    sleep 0.1
done
[[ -n $resumed ]] || fail "counts did not move on the new master within 30 s of the kill"
daemon_alive || fail "newsmon run died in the failover"

finish_run 120
retries=$(grep -c 'Redis: .*retrying' "$WORK/daemon.log" || true)
moved=$(grep -c 'MOVED' "$WORK/daemon.log" || true)
echo "redis cluster: articles=$N slot=$SLOT killed_master=$MASTER_PORT counted_before_kill=$c0 failover_ms=$promoted counts_resumed_ms=$resumed redis_retries=$retries moved=$moved lost=$LOST drift=$DRIFT duplicates=$DUPLICATES elapsed=$(elapsed)s"
[[ $retries -gt 0 ]] || fail "newsmon never noticed the failover (no retry logged)"
[[ $moved -gt 0 ]] || fail "newsmon never followed a MOVED reply"
[[ $LOST -eq 0 ]] || fail "$LOST articles lost"
[[ $DRIFT -eq 0 ]] || fail "Redis counts drift from the clean pass ($DRIFT values differ)"
echo "PASS test_redis_cluster"
