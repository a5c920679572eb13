#!/usr/bin/env bash
# Installs what is missing, builds the engine (release) and serves the demo on 127.0.0.1:8000.
# Extra arguments go to viper_demo (try --help).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh build
cmake --preset release >/dev/null
cmake --build --preset release --target viper_demo
exec build/release/examples/demo/viper_demo --host 127.0.0.1 --port "${PORT:-8000}" "$@"
