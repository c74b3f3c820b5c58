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
sleep 4
"$NEWSMON" ingest -c "$CONF" "$ROOT/samples/articles.jsonl" >"$WORK/ingest.log" 2>&1 || true
sleep 3
$PY -c "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:$HTTP_PORT/metrics').read().decode())" >"$WORK/metrics.txt" || true
"$NEWSMON" top -c "$CONF" >"$WORK/top.log" 2>&1 || true
"$NEWSMON" run --help >"$WORK/help.txt" 2>&1
"$NEWSMON" tag -c "$CONF" "$ROOT/samples/articles.jsonl" >"$WORK/events.jsonl" 2>&1
stop_daemon TERM || true
grep -q 'AUTH' "$WORK/daemon.log" "$WORK/top.log" || fail "the failing Redis AUTH was not reported"
if grep -l -e "$SECRET_R" -e "$SECRET_K" "$WORK"/*; then
    fail "a secret leaked into the files above"
fi
echo "secrets: not in daemon log ($(wc -l <"$WORK/daemon.log") lines), ingest/top output, --help, /metrics, events"
echo "PASS test_secrets"
