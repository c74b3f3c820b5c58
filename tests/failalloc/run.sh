#!/usr/bin/env bash
# tests/failalloc/run.sh [tag|run|all] - allocation-failure injection over
# newsmon's two paths, with a binary built with -DNM_FAILALLOC=ON (and
# ASan + UBSan: scripts/test.sh builds build-asan that way):
#   tag  `newsmon tag` with the Nth allocation failing, for every N of the
#        per-article path and a sample of the start-up ones, then with random
#        failures (p = 0.02, ten seeds): tests/failalloc/check_tag.py checks
#        each run (no crash, no sanitizer report, no degraded event, every
#        article printed or named in an error);
#   run  `newsmon run` against the real broker and Redis, with random
#        failures on the hot path, then a clean daemon finishing the stream:
#        every article enriched (its event equal to the clean one) or
#        dead-lettered with a reason, counts equal to the enriched ones
#        (tests/failalloc/pipeline.sh).
#   NM_FAILALLOC_BIN [build-asan/newsmon]  NM_FAILALLOC_STARTUP_SAMPLES [60]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=${NM_FAILALLOC_BIN:-$ROOT/build-asan/newsmon}
WHAT=${1:-all}
PY=/usr/bin/python3
[[ -x $PY ]] || PY=python3
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
[[ -x $BIN ]] || fail "no newsmon at $BIN (build with -DNM_FAILALLOC=ON)"
NM_FAILALLOC=count "$BIN" tag -c "$ROOT/config/newsmon.conf" /dev/null 2>&1 | grep -q '^failalloc: ' ||
    fail "$BIN was not built with -DNM_FAILALLOC=ON"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/newsmon-failalloc.XXXX")
trap 'rm -rf "$WORK"' EXIT

# allocations BIN makes for `tag FILE` (count mode)
allocs() { NM_FAILALLOC=count "$BIN" tag -c "$ROOT/config/newsmon.conf" "$1" 2>&1 >/dev/null | sed -n 's/^failalloc: \([0-9]*\) .*/\1/p'; }

tag_path() {
    local in=$WORK/in.jsonl
    # the samples (every language path, alerts, invalid UTF-8 repaired) and
    # generated variants of them
    cp "$ROOT/samples/articles.jsonl" "$in"
    $PY "$ROOT/tests/integration/gen_articles.py" "$ROOT/samples/articles.jsonl" 20 "$WORK/gen.jsonl" 3
    cat "$WORK/gen.jsonl" >>"$in"
    "$BIN" tag -c "$ROOT/config/newsmon.conf" "$in" >"$WORK/ref.jsonl" || fail "clean tag run failed"
    [[ $(wc -l <"$WORK/ref.jsonl") -eq $(wc -l <"$in") ]] || fail "clean run printed too few events"
    local start total
    start=$(allocs /dev/null) total=$(allocs "$in")
    [[ -n $start && -n $total && $total -gt $start ]] || fail "cannot count allocations ($start, $total)"
    local ns=() k samples=${NM_FAILALLOC_STARTUP_SAMPLES:-60}
    for ((k = start + 1; k <= total + 1; k++)); do ns+=("nth=$k"); done
    for ((k = 0; k < samples; k++)); do ns+=("nth=$((1 + k * start / samples + (k * 7919) % (start / samples + 1)))"); done
    for k in $(seq 1 10); do ns+=("p=0.02,seed=$k,skip=$start"); done
    echo "tag: $((total - start)) allocations per $(wc -l <"$in") articles after $start at start-up; ${#ns[@]} runs"
    local n=0 failed=0 st spec
    for spec in "${ns[@]}"; do
        st=0
        NM_FAILALLOC=$spec "$BIN" tag -c "$ROOT/config/newsmon.conf" "$in" >"$WORK/out.jsonl" 2>"$WORK/err.txt" || st=$?
        n=$((n + 1))
        if ! why=$($PY "$ROOT/tests/failalloc/check_tag.py" "$WORK/ref.jsonl" "$WORK/out.jsonl" "$WORK/err.txt" "$st"); then
            failed=$((failed + 1))
            echo "  NM_FAILALLOC=$spec: exit $st: $why" >&2
            grep -v '^failalloc:' "$WORK/err.txt" | head -n 5 | sed 's/^/    /' >&2
        fi
    done
    echo "tag: $n runs, $failed lost something or crashed"
    [[ $failed -eq 0 ]]
}

run_path() {
    NEWSMON_FA=$BIN bash "$ROOT/tests/failalloc/pipeline.sh"
}

rc=0
case $WHAT in
tag) tag_path || rc=1 ;;
run) run_path || rc=1 ;;
all) tag_path || rc=1; run_path || rc=1 ;;
*) fail "usage: run.sh [tag|run|all]" ;;
esac
[[ $rc -eq 0 ]] && echo "PASS failalloc $WHAT"
exit $rc
