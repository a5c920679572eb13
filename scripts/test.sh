#!/usr/bin/env bash
# Installs what is missing, builds every configuration and runs every test:
#   0. the dependency guard (scripts/check_deps.py): every module, tool and npm package the
#      scripts, suites and benchmarks use comes from the lists of scripts/install-deps.sh
#   1. GoogleTest suites (debug build, g++); the form parsers against python-multipart;
#      unit tests of the Python package (no engine) on CPython and on MicroPython
#   2. end-to-end pytest through real sockets, on the epoll and the select poller; the Python
#      API's end-to-end tests and the guide's examples on CPython, on the MicroPython unix port,
#      and on a 32-bit ARM build of it with single-precision floats (like the ESP32 port) under
#      qemu-arm; the demo page in headless Chromium (tests/browser)
#   3. GoogleTest and the e2e suite again under ASan+UBSan (clang)
#   4. the server loop under TSan (engine thread stopped from another thread)
#   5. each libFuzzer target for a short run (FUZZ_SECONDS, default 20)
#   6. the engine cross-compiled for a 32-bit MCU (flash budget, no 64-bit atomics), and the
#      engine on a user-space lwIP stack in a network namespace (docs/testing.md)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh test
scripts/install-npm.sh
PY=/usr/bin/python3
jobs=$(nproc)

step() { printf '\n=== %s ===\n' "$*"; }

step "dependency guard (scripts/check_deps.py)"
$PY scripts/check_deps.py

step "build: debug (g++)"
cmake --preset debug >/dev/null
cmake --build --preset debug -j "$jobs"

step "unit tests of the Python package (CPython, no engine, no native module)"
$PY -m pytest -q -p no:cacheprovider tests/unit

step "engine unit tests (debug)"
ctest --test-dir build/debug --output-on-failure -j "$jobs"

step "form parsers vs python-multipart (differential, debug build)"
VIPER_FORM_EVENTS=build/debug/tests/multipart/viper_form_events \
  $PY -m pytest -q -p no:cacheprovider tests/multipart

step "engine unit tests (esp32 profile: the device's limits)"
# The same suites built with the device's limits (4 KB buffers, 16 slots, 32 headers, 256 KB
# memory budget; port_linux on the PC).  Only the test binaries: the demo, the CPython extension
# and the benchmarks are covered by the host builds.
cmake --preset esp32 >/dev/null
esp32_tests=()
for f in tests/engine/test_*.cpp; do
  t=${f##*/}
  esp32_tests+=("${t%.cpp}")
done
cmake --build --preset esp32 -j "$jobs" --target "${esp32_tests[@]}"
ctest --test-dir build/esp32 --output-on-failure -j "$jobs"

for poller in epoll select; do
  step "end-to-end tests ($poller poller, debug build)"
  VIPER_DEMO=build/debug/examples/demo/viper_demo VIPER_POLLER=$poller \
    $PY -m pytest -q -p no:cacheprovider tests/python
done

step "end-to-end tests once more over TLS (epoll, debug build)"
VIPER_DEMO=build/debug/examples/demo/viper_demo VIPER_TLS=1 \
  $PY -m pytest -q -p no:cacheprovider tests/python

step "Python API end-to-end tests (CPython, debug build)"
VIPER_INTERPRETER=$PY VIPER_PYTHONPATH=build/debug/python:python \
  $PY -m pytest -q -p no:cacheprovider tests/pyapi

step "the demo page in headless Chromium (tests/browser)"
VIPER_INTERPRETER=$PY VIPER_PYTHONPATH=build/debug/python:python \
  $PY -m pytest -q -p no:cacheprovider tests/browser

step "user guide examples (CPython)"
VIPER_INTERPRETER=$PY VIPER_PYTHONPATH=build/debug/python:python \
  $PY -m pytest -q -p no:cacheprovider tests/docs

step "asset packer (tools/pack_assets.py) and the dependency guard's own tests"
$PY -m pytest -q -p no:cacheprovider tests/tools

if [[ -d tests/parity ]]; then
  step "FastAPI parity (the same apps under FastAPI's and ViperHTTP's TestClient)"
  PYTHONPATH=build/debug/python:python $PY -m pytest -q -p no:cacheprovider tests/parity
fi

step "build: MicroPython unix port with _viperhttp (Debian's micropython source package)"
scripts/micropython.sh

step "unit tests of the Python package (MicroPython unix port, tests/unit/run.py)"
build/micropython/micropython tests/unit/run.py

step "Python API end-to-end tests (MicroPython unix port)"
VIPER_INTERPRETER=build/micropython/micropython VIPER_PYTHONPATH=python \
  $PY -m pytest -q -p no:cacheprovider tests/pyapi

step "user guide examples (MicroPython unix port)"
VIPER_INTERPRETER=build/micropython/micropython VIPER_PYTHONPATH=python \
  $PY -m pytest -q -p no:cacheprovider tests/docs

# The device's word size and float precision: the same suites on the unix port cross-built for
# 32-bit ARM with single-precision floats (the ESP32 port's MICROPY_FLOAT_IMPL_FLOAT), run under
# qemu-arm (docs/testing.md).  -rs prints why each skipped test cannot run there.
step "build: MicroPython unix port for armhf (32-bit, single-precision floats)"
scripts/micropython.sh --armhf

step "Python API end-to-end tests (MicroPython armhf under qemu-arm)"
VIPER_INTERPRETER=build/micropython-armhf/micropython VIPER_PYTHONPATH=python \
  $PY -m pytest -q -rs -p no:cacheprovider tests/pyapi

step "user guide examples (MicroPython armhf under qemu-arm)"
VIPER_INTERPRETER=build/micropython-armhf/micropython VIPER_PYTHONPATH=python \
  $PY -m pytest -q -rs -p no:cacheprovider tests/docs

step "build: asan+ubsan (clang)"
cmake --preset asan >/dev/null
cmake --build --preset asan -j "$jobs"

step "engine unit tests (asan+ubsan)"
ctest --test-dir build/asan --output-on-failure -j "$jobs"

step "form parsers vs python-multipart (asan+ubsan)"
VIPER_FORM_EVENTS=build/asan/tests/multipart/viper_form_events \
  $PY -m pytest -q -p no:cacheprovider tests/multipart

step "end-to-end tests (asan+ubsan, epoll)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  VIPER_DEMO=build/asan/examples/demo/viper_demo VIPER_POLLER=epoll VIPER_SANITIZED=1 \
  $PY -m pytest -q -p no:cacheprovider tests/python

step "threads: server loop, bridge rings, bridge, counters, streams (tsan)"
cmake --preset tsan >/dev/null
cmake --build --preset tsan -j "$jobs" --target test_server_loop test_bridge_rings test_bridge test_counter \
  test_stream_bridge
for t in test_server_loop test_bridge_rings test_bridge test_counter test_stream_bridge; do
  TSAN_OPTIONS=halt_on_error=1 build/tsan/tests/engine/$t
done

step "MCU cross build: Cortex-M4 -Os, flash budget, no 64-bit atomics (scripts/mcu-size.sh)"
scripts/mcu-size.sh

step "the engine on lwIP: user-space lwIP 2.2 on a tap device in a network namespace"
tests/lwip/run.sh

if [[ -x tests/fuzz/run.sh ]]; then
  step "fuzzers (${FUZZ_SECONDS:-20} s each)"
  tests/fuzz/run.sh "${FUZZ_SECONDS:-20}"
fi
step "all tests passed"
