#!/usr/bin/env bash
# Installs the npm packages of the browser suite (tests/browser: playwright-core, which drives
# Debian's /usr/bin/chromium; it never downloads a browser of its own; and ws, Node's WebSocket
# client, which tests/pyapi/test_websocket.py runs against the engine) exactly as
# tests/browser/package-lock.json records them, with `npm ci`; does nothing when
# node_modules already holds every locked package at its locked version.  Needs nodejs and
# npm (scripts/install-deps.sh test).
set -euo pipefail
cd "$(dirname "$0")/../tests/browser"
if node -e '
  const want = require("./package-lock.json").packages;
  const have = require("./node_modules/.package-lock.json").packages;
  for (const [k, v] of Object.entries(want))
    if (k && (!have[k] || have[k].version !== v.version || have[k].integrity !== v.integrity))
      process.exit(1);' 2>/dev/null; then
  exit 0
fi
echo "npm ci in tests/browser"
npm ci --no-audit --no-fund --loglevel=error
