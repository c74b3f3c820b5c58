#!/usr/bin/env bash
# install-deps.sh - install the Debian packages newsmon builds, tests and
# runs with, only those missing (apt-get update runs only then).
set -euo pipefail
PKGS=(build-essential cmake pkg-config git python3
      librdkafka-dev libjansson-dev libhiredis-dev libcmocka-dev libutf8proc-dev libxml2-dev libcld2-dev
      libmicrohttpd-dev libsimdjson-dev redis-server redis-tools kcat openjdk-17-jre-headless maven
      valgrind clang libclang-rt-14-dev python3-prometheus-client python3-jsonschema python3-yaml
      chromium fonts-wqy-zenhei prometheus curl shellcheck)
# chromium: the dashboard's browser test (tests/integration/test_web.sh, driven by
# playwright-core from npm, pinned in tests/integration/web/package-lock.json);
# fonts-wqy-zenhei: CJK and Hangul glyphs for its screenshots; prometheus: promtool
# checks deploy/prometheus/; shellcheck: scripts/test.sh lints the shell scripts.
# Node.js and npm: Debian's, unless a node is there already.
command -v npm >/dev/null || PKGS+=(nodejs npm)
missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
    echo "[deps] all ${#PKGS[@]} packages present"
    exit 0
fi
SUDO=""
[[ $(id -u) -eq 0 ]] || SUDO=sudo
echo "[deps] installing: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "[deps] done"
