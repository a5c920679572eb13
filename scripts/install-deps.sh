#!/usr/bin/env bash
# Installs the Debian packages a task needs, only those missing.  Usage:
#   scripts/install-deps.sh build|test|bench
set -euo pipefail
build=(build-essential cmake ninja-build pkg-config libgtest-dev libhttp-parser-dev python3-dev
       zlib1g-dev)
test=("${build[@]}" clang-14 libclang-rt-14-dev python3-pytest python3-requests curl
      dpkg-dev xz-utils libmbedtls-dev python3-fastapi python3-jinja2)
bench=("${build[@]}" wrk nginx-light valgrind python3-requests curl python3-fastapi uvicorn python3-uvloop python3-httptools python3-jinja2)
case "${1:-test}" in
  build) want=("${build[@]}") ;;
  test) want=("${test[@]}") ;;
  bench) want=("${bench[@]}") ;;
  *) echo "usage: $0 build|test|bench" >&2; exit 2 ;;
esac
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0
sudo=""
[[ $(id -u) -eq 0 ]] || sudo="sudo"
echo "installing: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
