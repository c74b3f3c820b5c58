#!/usr/bin/env bash
# install-deps.sh - install the Debian packages newsmon builds, tests and
# runs with, only those missing (apt-get update runs only then).
set -euo pipefail
PKGS=(build-essential cmake pkg-config git python3
      librdkafka-dev libjansson-dev libhiredis-dev libcmocka-dev libutf8proc-dev libxml2-dev libcld2-dev
      libmicrohttpd-dev redis-server redis-tools kcat openjdk-17-jre-headless maven
      valgrind clang libclang-rt-14-dev python3-prometheus-client python3-jsonschema python3-yaml)
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
