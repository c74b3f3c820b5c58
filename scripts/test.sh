#!/usr/bin/env bash
# test.sh - the whole test suite on a fresh machine: installs the packages,
# builds (normal and ASan+UBSan), starts the real Kafka broker and Redis
# (scripts/services.sh), runs the cmocka unit tests (ctest), the integration
# and fault tests against those services, and prints one summary line.
#
#   scripts/test.sh            everything
#   NM_TEST_QUICK=1 scripts/test.sh   skip the sanitizer build and the long fault tests
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1
JOBS=${NM_JOBS:-2}

step() { printf '\n=== %s ===\n' "$*"; }
passed=0 failed=0 failures=()
record() { # name status
    if [[ $2 -eq 0 ]]; then passed=$((passed + 1)); echo "ok   $1"
    else failed=$((failed + 1)); failures+=("$1"); echo "FAIL $1"; fi
}

step "packages"
bash scripts/install-deps.sh || { echo "package installation failed"; exit 1; }

step "build (RelWithDebInfo, warnings are errors)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNM_BUILD_TESTS=ON -DNM_WERROR=ON >/dev/null &&
    cmake --build build -j"$JOBS" 2>&1 | grep -E 'warning|error' ; build_rc=${PIPESTATUS[0]}
[[ -x build/newsmon ]] || { echo "build failed"; exit 1; }
record "build" "$build_rc"

step "shellcheck (warnings and errors)"
shellcheck -S warning scripts/*.sh tests/integration/*.sh tests/failalloc/*.sh tests/fuzz/*.sh bench/*.sh
record "shellcheck" $?

step "services"
bash scripts/services.sh start || { echo "services failed to start"; exit 1; }

step "unit tests (ctest)"
(cd build && ctest --output-on-failure -j"$JOBS")
record "ctest" $?

step "integration and fault tests"
for t in tests/integration/test_*.sh; do
    name=$(basename "$t" .sh)
    if [[ -n ${NM_TEST_QUICK:-} && $name == test_fault_* ]]; then continue; fi
    NEWSMON=$ROOT/build/newsmon bash "$t"
    record "$name" $?
done

if [[ -z ${NM_TEST_QUICK:-} ]]; then
    step "ASan + UBSan build (with the allocation-failure hook): unit tests and the pipeline test"
    cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DNM_SANITIZE=ON -DNM_FAILALLOC=ON -DNM_WERROR=ON -DNM_BUILD_TESTS=ON >/dev/null &&
        cmake --build build-asan -j"$JOBS" 2>&1 | grep -E 'warning|error'
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    (cd build-asan && ctest --output-on-failure -j"$JOBS")
    record "ctest (asan+ubsan)" $?
    NEWSMON=$ROOT/build-asan/newsmon bash tests/integration/test_pipeline.sh
    record "test_pipeline (asan+ubsan)" $?
    # failed allocations on the tag and pipeline paths: no crash, no loss
    NM_FAILALLOC_BIN=$ROOT/build-asan/newsmon bash tests/failalloc/run.sh tag
    record "failalloc tag (asan+ubsan)" $?
    NM_FAILALLOC_BIN=$ROOT/build-asan/newsmon bash tests/failalloc/run.sh run
    record "failalloc pipeline (asan+ubsan)" $?
    unset ASAN_OPTIONS UBSAN_OPTIONS

    step "fuzzing (libFuzzer + ASan + UBSan, ${NM_FUZZ_SECONDS:-60} s per target)"
    bash tests/fuzz/run.sh "${NM_FUZZ_SECONDS:-60}"
    record "fuzz" $?

    step "valgrind: newsmon tag over the dev corpus and the samples"
    corpus=$ROOT/samples/articles.jsonl
    [[ -f $ROOT/../shared/corpus/dev.jsonl ]] && corpus="$corpus $ROOT/../shared/corpus/dev.jsonl"
    # shellcheck disable=SC2086
    cat $corpus | valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
        --error-exitcode=99 build/newsmon tag >/dev/null
    record "valgrind tag" $?
fi

step "summary"
for f in "${failures[@]}"; do echo "failed: $f"; done
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
