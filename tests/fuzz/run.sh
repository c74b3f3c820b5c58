#!/usr/bin/env bash
# tests/fuzz/run.sh [SECONDS] - build the libFuzzer targets with clang
# (CMake -DNM_FUZZ=ON, ASan + UBSan) and run each for SECONDS (default 60), starting from the
# seed corpus tests/fuzz/corpus/<target>/ and the saved crashers
# tests/fuzz/regressions/<target>/ (which are first replayed one by one).
# Fails on any crash, leak, sanitizer report or failed check.
# fuzz_fastjson is differential: simdjson's fast path against jansson.
#   NM_FUZZ_TARGETS="article fastjson tag text"  NM_FUZZ_JOBS [1]  NM_FUZZ_OUT [build-fuzz]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SECS=${1:-60}
TARGETS=${NM_FUZZ_TARGETS:-article fastjson tag text}
OUT=${NM_FUZZ_OUT:-$ROOT/build-fuzz}
CC=${NM_FUZZ_CC:-}
if [[ -z $CC ]]; then
    for c in clang clang-16 clang-15 clang-14; do command -v "$c" >/dev/null && { CC=$c; break; }; done
fi
[[ -n $CC ]] || { echo "FAIL: clang not found (libFuzzer needs clang)" >&2; exit 1; }
CXX=${NM_FUZZ_CXX:-${CC/clang/clang++}}
mkdir -p "$OUT"

# the targets are CMake's (-DNM_FUZZ=ON: libFuzzer, coverage in every library
# they link) with ASan + UBSan
echo "=== build fuzz_* with $CC (cmake -DNM_FUZZ=ON -DNM_SANITIZE=ON in $OUT)"
CC=$CC CXX=$CXX cmake -S "$ROOT" -B "$OUT" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNM_FUZZ=ON -DNM_SANITIZE=ON \
    -DNM_BUILD_TESTS=OFF >"$OUT/cmake.log" 2>&1 || { tail -n 20 "$OUT/cmake.log"; echo "FAIL: cmake"; exit 1; }
targets=()
for t in $TARGETS; do targets+=("fuzz_$t"); done
cmake --build "$OUT" -j"${NM_JOBS:-2}" --target "${targets[@]}" >"$OUT/build.log" 2>&1 ||
    { grep -E 'error' "$OUT/build.log" | head -n 20; echo "FAIL: build"; exit 1; }

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
rc=0
for t in $TARGETS; do
    seeds=$ROOT/tests/fuzz/corpus/$t
    regs=$ROOT/tests/fuzz/regressions/$t
    work=$OUT/corpus-$t
    mkdir -p "$work" "$OUT/crashes-$t"
    # 1. every saved crasher must now pass
    if compgen -G "$regs/*" >/dev/null; then
        echo "=== fuzz_$t: replaying $(ls "$regs" | wc -l) regression input(s)"
        "$OUT/fuzz_$t" -runs=1 "$regs"/* >"$OUT/regress-$t.log" 2>&1 ||
            { tail -n 40 "$OUT/regress-$t.log"; echo "FAIL fuzz_$t: a regression input fails"; rc=1; continue; }
    fi
    # 2. fuzz for SECS seconds (new corpus entries go to $work, not the repo)
    echo "=== fuzz_$t: ${SECS}s"
    if "$OUT/fuzz_$t" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -print_final_stats=1 -artifact_prefix="$OUT/crashes-$t/" "$work" "$seeds" \
        >"$OUT/fuzz-$t.log" 2>&1; then
        echo "ok   fuzz_$t: $(grep -E '^stat::number_of_executed_units' "$OUT/fuzz-$t.log" | awk '{print $2}') runs, corpus $(ls "$work" | wc -l)"
    else
        tail -n 60 "$OUT/fuzz-$t.log"
        echo "FAIL fuzz_$t: crash saved under $OUT/crashes-$t/ (minimise: $OUT/fuzz_$t -minimize_crash=1 -runs=10000 FILE)"
        rc=1
    fi
done
exit $rc
