#!/usr/bin/env bash
# test_story_lookup.sh - the story lookup script, which batches its reads,
# returns exactly what one read per ref returned (story_lookup_diff.py's
# oracle) on random windows and batches. Needs only Redis.
source "$(dirname "$0")/lib.sh"
[[ $(rcli ping 2>/dev/null) == PONG ]] || fail "Redis on port $REDIS_PORT does not answer (run scripts/services.sh start)"
$PY "$ROOT/tests/integration/story_lookup_diff.py" "$REDIS_PORT" "$KP" "${NM_LOOKUP_TRIALS:-300}" 13 ||
    fail "the story lookup differs from the oracle"
echo "PASS test_story_lookup"
