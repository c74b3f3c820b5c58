#!/usr/bin/env bash
# test_fault_redis.sh - Redis goes away while articles stream, and comes back:
#   1. stop Redis (services.sh stop-redis: SHUTDOWN, AOF kept) for >= 12 s,
#      then start it again; newsmon must wait, retry and carry on by itself;
#   2. empty Redis's script cache (SCRIPT FLUSH, no restart) mid-stream, twice:
#      newsmon must get NOSCRIPT, load the script again and carry on.
# Checks: lost = 0, drift = 0 against one clean pass, the daemon never died,
# the script was loaded again after each flush.
#   NM_FAULT_ARTICLES [8000]  NM_FAULT_OUTAGE_S [12]
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/fault_lib.sh"
require_services
write_fault_config

N=${NM_FAULT_ARTICLES:-8000}
OUTAGE=${NM_FAULT_OUTAGE_S:-12}
gen_articles "$N" "$WORK/articles.jsonl" 11
ids_of "$WORK/articles.jsonl" >"$WORK/ids.txt"
expected_counts "$WORK/articles.jsonl" "$WORK/expected.txt"

script_loads() {
    rcli info commandstats | tr -d '\r' | sed -n 's/^cmdstat_script|load:calls=\([0-9]*\),.*/\1/p' | head -n1
}

start_daemon
# 40 chunks of 200, ~1 s apart: the stream lasts ~45 s
start_ingest "$WORK/articles.jsonl" 200 0.8
sleep 4

# 1. outage
before=$(enriched_keys "$NM_RUN.enriched" | wc -l)
log "stopping Redis for ${OUTAGE}s (enriched so far: $before)"
svc_stop redis
t0=$(date +%s)
sleep "$OUTAGE"
daemon_alive || fail "newsmon run died while Redis was down"
during=$(enriched_keys "$NM_RUN.enriched" | wc -l)
svc_start redis
outage=$(($(date +%s) - t0))
log "Redis back after ${outage}s (enriched during the outage: $((during - before)))"
# newsmon resumes: counts move again within 30 s
for _ in $(seq 1 30); do
    [[ -n $(rcli hget "${KP}stats" articles) ]] && [[ $(rcli hget "${KP}stats" articles) -gt 0 ]] && break
    sleep 1
done
sleep 3

# 2. script cache emptied without a restart, twice, while articles stream
flushes=0
loads0=$(script_loads)
for k in 1 2; do
    kill -0 "$INGEST_PID" 2>/dev/null || log "note: ingest already finished before flush $k"
    c0=$(rcli hget "${KP}stats" articles)
    rcli script flush >/dev/null
    flushes=$((flushes + 1))
    # the next batch gets NOSCRIPT and must reload: counts move again
    for _ in $(seq 1 30); do
        c1=$(rcli hget "${KP}stats" articles)
        [[ $c1 -gt $c0 ]] && break
        sleep 1
    done
    [[ $c1 -gt $c0 ]] || fail "counts stopped moving after SCRIPT FLUSH #$k ($c0 -> $c1)"
    log "SCRIPT FLUSH #$k: counts moved $c0 -> $c1"
    sleep 2
done
loads=$(( $(script_loads) - loads0 ))
[[ $loads -ge $flushes ]] || fail "the script was loaded $loads time(s) after $flushes flushes"
daemon_alive || fail "newsmon run died after SCRIPT FLUSH"

finish_run 180
check_story_counts "$NM_RUN.enriched"
retries=$(grep -c 'Redis: .*retrying' "$WORK/daemon.log" || true)
echo "redis: articles=$N outage=${outage}s redis_retries=$retries script_flushes=$flushes script_loads=$loads lost=$LOST drift=$DRIFT story_drift=$STORY_DRIFT duplicates=$DUPLICATES elapsed=$(elapsed)s"
[[ $retries -gt 0 ]] || fail "newsmon never noticed the Redis outage (no retry logged)"
[[ $LOST -eq 0 ]] || fail "$LOST articles lost"
[[ $DRIFT -eq 0 ]] || fail "Redis counts drift from the clean pass ($DRIFT values differ)"
[[ $STORY_DRIFT -eq 0 ]] || fail "story counts drift from the stored story decisions ($STORY_DRIFT values differ)"
echo "PASS test_fault_redis"
