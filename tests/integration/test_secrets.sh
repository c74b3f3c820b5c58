#!/usr/bin/env bash
# test_secrets.sh - secrets given by environment (Redis password, Kafka SASL
# password) never show up in logs, errors, --help, /metrics or events.
source "$(dirname "$0")/lib.sh"
require_services
write_config
SECRET_R="redis-$RANDOM-s3cr3t-$$"
SECRET_K="kafka-$RANDOM-s3cr3t-$$"
export NEWSMON_REDIS_PASSWORD=$SECRET_R NEWSMON_KAFKA_SASL_PASSWORD=$SECRET_K
# the local Redis has no password: AUTH fails, which must be reported
# without the password
"$NEWSMON" run -c "$CONF" >"$WORK/daemon.log" 2>&1 &
DAEMON_PID=$!
for _ in $(seq 1 300); do
    [[ $(http_get "$HTTP_PORT" /healthz "$WORK/healthz.txt") == 200 ]] && break
    kill -0 "$DAEMON_PID" 2>/dev/null || fail "newsmon run exited: $(tail -n 5 "$WORK/daemon.log")"
    sleep 0.1
done
tr '\0' '\n' <"/proc/$DAEMON_PID/environ" | grep -qx "NEWSMON_REDIS_PASSWORD=$SECRET_R" ||
    fail "the daemon was not given the Redis password"
"$NEWSMON" ingest -c "$CONF" "$ROOT/samples/articles.jsonl" >"$WORK/ingest.log" 2>&1 || true
# the daemon owns partitions and has tried Redis with the password: /readyz
# says the script is not loaded (AUTH failed)
ready=""
for _ in $(seq 1 300); do
    st=$(http_get "$HTTP_PORT" /readyz "$WORK/readyz.txt")
    [[ $st == 503 ]] && grep -q 'Redis' "$WORK/readyz.txt" && { ready=1; break; }
    sleep 0.1
done
[[ -n $ready ]] || fail "/readyz never reported Redis not ready (last: $st $(cat "$WORK/readyz.txt"))"
[[ $(http_get "$HTTP_PORT" /metrics "$WORK/metrics.txt") == 200 ]] || fail "GET /metrics failed"
grep -q '^newsmon_build_info' "$WORK/metrics.txt" || fail "/metrics has no newsmon_build_info"
"$NEWSMON" top -c "$CONF" >"$WORK/top.log" 2>&1 || true
"$NEWSMON" run --help >"$WORK/help.txt" 2>&1
"$NEWSMON" tag -c "$CONF" "$ROOT/samples/articles.jsonl" >"$WORK/events.jsonl" 2>&1
stop_daemon TERM || true
grep -q 'AUTH' "$WORK/daemon.log" "$WORK/top.log" || fail "the failing Redis AUTH was not reported"
if grep -l -e "$SECRET_R" -e "$SECRET_K" "$WORK"/*; then
    fail "a secret leaked into the files above"
fi
echo "secrets: not in daemon log ($(wc -l <"$WORK/daemon.log") lines), ingest/top output, --help, /metrics ($(wc -l <"$WORK/metrics.txt") lines), /readyz, events"
echo "PASS test_secrets"
