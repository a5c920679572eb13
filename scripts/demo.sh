#!/usr/bin/env bash
# Installs what is missing, builds the engine and its CPython extension (release), and serves
# the demo app (examples/app/app.py, a FastAPI-style Python app) on http://127.0.0.1:8000/.
#   PORT=9000 scripts/demo.sh      another port
#   scripts/demo.sh --engine       the engine-only C demo instead (examples/demo)
#   scripts/demo.sh --micropython  the same app on the MicroPython unix port (built from
#                                  Debian's micropython source package, scripts/micropython.sh)
#   scripts/demo.sh --pack         the page from an asset pack (tools/pack_assets.py) instead of
#                                  the www/ directory (combine with --micropython: --pack first)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh build
cmake --preset release >/dev/null
if [[ "${1:-}" == "--engine" ]]; then
  shift
  cmake --build --preset release --target viper_demo
  exec build/release/examples/demo/viper_demo --host 127.0.0.1 --port "${PORT:-8000}" "$@"
fi
SITE=()
if [[ "${1:-}" == "--pack" ]]; then
  shift
  mkdir -p build
  /usr/bin/python3 tools/pack_assets.py examples/app/www build/demo-www.vpak
  SITE=(--pack build/demo-www.vpak)
fi
if [[ "${1:-}" == "--micropython" ]]; then
  scripts/install-deps.sh test
  scripts/micropython.sh
  MICROPYPATH=python:.frozen exec build/micropython/micropython examples/app/app.py "${PORT:-8000}" "${SITE[@]}"
fi
cmake --build --preset release --target _viperhttp
PYTHONPATH=build/release/python:python exec /usr/bin/python3 examples/app/app.py "${PORT:-8000}" "${SITE[@]}"
