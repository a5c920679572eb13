#!/usr/bin/env bash
# Installs what is missing, builds the engine and its CPython extension (release), and serves
# the demo app (examples/app/app.py, a FastAPI-style Python app) on http://127.0.0.1:8000/
# (https:// with --https).
#   PORT=9000 scripts/demo.sh      another port
#   scripts/demo.sh --engine       the engine-only C demo instead (examples/demo)
#   scripts/demo.sh --micropython  the same app on the MicroPython unix port (built from
#                                  Debian's micropython source package, scripts/micropython.sh)
#   scripts/demo.sh --pack         the page from an asset pack (tools/pack_assets.py) instead of
#                                  the www/ directory (combine with --micropython: --pack first)
#   scripts/demo.sh --https        over HTTPS, with a self-signed ECDSA P-256 certificate made
#                                  at the first run in build/demo-tls/ (git-ignored); first
#                                  of the options (--https --pack --micropython)
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
SCHEME=http
if [[ "${1:-}" == "--https" ]]; then
  shift
  SCHEME=https
  tls=build/demo-tls
  if [[ ! -s $tls/cert.pem || ! -s $tls/key.pem ]]; then
    mkdir -p "$tls"
    # Self-signed, for this machine only: the browser warns until the certificate is trusted.
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tls/key.pem" \
      -out "$tls/cert.pem" -days 825 -subj "/CN=localhost" \
      -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>/dev/null
    echo "demo.sh: made a self-signed certificate: $tls/cert.pem" >&2
  fi
  SITE=(--ssl-certfile "$tls/cert.pem" --ssl-keyfile "$tls/key.pem")
fi
if [[ "${1:-}" == "--pack" ]]; then
  shift
  mkdir -p build
  /usr/bin/python3 tools/pack_assets.py examples/app/www build/demo-www.vpak
  SITE+=(--pack build/demo-www.vpak)
fi
echo "demo.sh: the demo will be on $SCHEME://127.0.0.1:${PORT:-8000}/" >&2
if [[ "${1:-}" == "--micropython" ]]; then
  scripts/install-deps.sh test
  scripts/micropython.sh
  MICROPYPATH=python:.frozen exec build/micropython/micropython examples/app/app.py "${PORT:-8000}" "${SITE[@]}"
fi
cmake --build --preset release --target _viperhttp
PYTHONPATH=build/release/python:python exec /usr/bin/python3 examples/app/app.py "${PORT:-8000}" "${SITE[@]}"
