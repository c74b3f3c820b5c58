#!/usr/bin/env bash
# test_fault_crash.sh - kill -9 `newsmon run` at random moments while 20,000
# articles stream in, restart it each time, then let it finish.
# Checks: every input id is on the enriched topic (lost = 0); the Redis
# totals equal one clean pass over the same input, computed offline with
# `newsmon tag` (drift = 0); entity:stories and topic:stories equal the
# distinct stories of the decisions stored with the articles (story drift
# = 0); reports the duplicate enriched events (allowed: at-least-once) and
# the articles whose redone events carry another story than the stored one.
#   NM_FAULT_ARTICLES [20000]  NM_FAULT_KILLS [10]  NM_FAULT_SEED [1]
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/fault_lib.sh"
require_services
# static membership: a restarted daemon takes the killed one's place at once
# (no wait for its session to expire), so the kills land mid-stream
write_fault_config -e "s|^group.id = .*|&\ngroup.instance.id = $NM_RUN-member|"

N=${NM_FAULT_ARTICLES:-20000}
KILLS=${NM_FAULT_KILLS:-10}
RANDOM=${NM_FAULT_SEED:-1}

gen_articles "$N" "$WORK/articles.jsonl" 7
ids_of "$WORK/articles.jsonl" >"$WORK/ids.txt"
[[ $(sort -u "$WORK/ids.txt" | wc -l) -eq $N ]] || fail "generator made duplicate ids"
expected_counts "$WORK/articles.jsonl" "$WORK/expected.txt"
log "generated $N articles ($(du -h "$WORK/articles.jsonl" | cut -f1)), clean-pass expectation: $(wc -l <"$WORK/expected.txt") count values"

start_daemon daemon
# 40 chunks of 500 spread over ~50 s
start_ingest "$WORK/articles.jsonl" 500 1.0

kills=0
while [[ $kills -lt $KILLS ]] || kill -0 "$INGEST_PID" 2>/dev/null; do
    # a random moment: 1.0 .. 8.9 s after the daemon got its partitions
    # (offsets are auto-committed every 5 s: some kills come before the
    # daemon's first commit, some after)
    sleep "$((1 + RANDOM % 8)).$((RANDOM % 10))"
    daemon_alive || fail "newsmon run died by itself"
    kill -KILL "$DAEMON_PID"
    wait "$DAEMON_PID" 2>/dev/null || true
    kills=$((kills + 1))
    log "kill -9 #$kills (enriched so far: $(enriched_keys "$NM_RUN.enriched" | wc -l))"
    start_daemon "daemon$kills"
    # stop killing after 3x the planned number (slow machine): let it finish
    [[ $kills -ge $((3 * KILLS)) ]] && break
done
log "$kills kills done; letting the last daemon finish the stream"

finish_run 300
check_story_counts "$NM_RUN.enriched"
echo "crash: articles=$N kills=$kills lost=$LOST drift=$DRIFT story_drift=$STORY_DRIFT story_changed=$STORY_CHANGED duplicates=$DUPLICATES events=$EVENTS elapsed=$(elapsed)s"
[[ $LOST -eq 0 ]] || fail "$LOST articles lost"
[[ $DRIFT -eq 0 ]] || fail "Redis counts drift from the clean pass ($DRIFT values differ)"
[[ $STORY_DRIFT -eq 0 ]] || fail "story counts drift from the stored story decisions ($STORY_DRIFT values differ)"
echo "PASS test_fault_crash"
