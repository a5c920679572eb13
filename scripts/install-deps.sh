#!/usr/bin/env bash
# Installs the Debian packages a task needs, only those missing.  Usage:
#   scripts/install-deps.sh build|test|bench
#   scripts/install-deps.sh --list build|test|bench    prints the task's packages, one a line
# Packages are installed with --no-install-recommends: whatever a task needs must be named
# here (or be a Depends of a package named here), never a recommendation that happens to be
# installed.  scripts/check_deps.py (run by scripts/test.sh) checks that every module, tool
# and npm package the scripts, suites and benchmarks use is provided by these lists.
set -euo pipefail
# openssl: scripts/demo.sh --https makes the demo's self-signed certificate with it.
build=(build-essential cmake ninja-build pkg-config libgtest-dev libhttp-parser-dev python3-dev
       zlib1g-dev libmbedtls-dev openssl)
# python3-multipart: FastAPI's Form needs it (tests/parity); Debian's python3-fastapi only
# recommends it.  chromium, nodejs: the browser suite (tests/browser, npm packages from
# scripts/install-npm.sh).  shfmt: check_deps.py reads the shell scripts with it.
# gcc-arm-none-eabi, libstdc++-arm-none-eabi-newlib: the MCU size budget (scripts/mcu-size.sh);
# liblwip-dev, iproute2: the engine on lwIP (tests/lwip/run.sh).
# python3-websockets: a WebSocket client nobody here wrote (tests/pyapi/test_websocket.py).
test=("${build[@]}" clang-14 libclang-rt-14-dev python3-pytest python3-requests curl
      dpkg-dev xz-utils python3-fastapi python3-starlette python3-multipart
      python3-jinja2 python3-websockets chromium nodejs shfmt
      gcc-arm-none-eabi libstdc++-arm-none-eabi-newlib liblwip-dev iproute2
      gcc-arm-linux-gnueabihf g++-arm-linux-gnueabihf qemu-user
      zlib1g-dev:armhf libmbedtls-dev:armhf libstdc++6:armhf)
# The 32-bit MicroPython build (scripts/micropython.sh --armhf) and qemu-arm to run it: the
# armhf libraries come from Debian's multiarch (armhf added below when missing).
bench=("${build[@]}" wrk nginx-light valgrind python3-requests curl python3-fastapi uvicorn
       python3-uvloop python3-httptools strace git python3-multipart
       python3-jinja2)
# Debian's own nodejs comes without npm (a package of its own); the NodeSource build some
# machines have provides npm itself and conflicts with Debian's npm package.
if ! dpkg-query -W -f='${Provides}' nodejs 2>/dev/null | grep -qw npm; then
  test+=(npm)
fi
list=0
if [[ ${1:-} == --list ]]; then
  list=1
  shift
fi
case "${1:-test}" in
  build) want=("${build[@]}") ;;
  test) want=("${test[@]}") ;;
  bench) want=("${bench[@]}") ;;
  *) echo "usage: $0 [--list] build|test|bench" >&2; exit 2 ;;
esac
if ((list)); then
  printf '%s\n' "${want[@]}"
  exit 0
fi
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0
sudo=""
[[ $(id -u) -eq 0 ]] || sudo="sudo"
echo "installing: ${missing[*]}"
if [[ " ${missing[*]}" == *:armhf* ]] && ! dpkg --print-foreign-architectures | grep -qx armhf; then
  $sudo dpkg --add-architecture armhf
fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
