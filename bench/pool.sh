#!/usr/bin/env bash
# More clients than connection slots (SPEC §4 "When the pool is full"; bench/run.sh pool).
#
# A pool of SLOTS (8, a device's) and N keep-alive clients for N in CLIENTS (8 16 64 256):
#   wrk -t1 -cN --latency   req/s, wrk's socket errors, non-2xx, p50/p99, req/s against N = 8
#   viper_loadgen N         errors as a browser would see them (reset, EOF mid-request, failed
#                           connect) and fairness: the least served client's requests / mean
# for: the engine demo's /hello (C route) on the epoll and the select poller; the Python
# runtime's /hello on CPython (bench/apps/pool_app.py: app.run(max_connections=8)); and nginx
# (1 worker, worker_connections SLOTS+2: its listener and ~SLOTS clients) as the reference of a
# fixed pool that accepts and drops.
#
# Knobs: POOL_SLOTS=8 POOL_CLIENTS="8 16 64 256" POOL_DURATION=5 SERVER_CPU=0 CLIENT_CPU=1
# Only 127.0.0.1 is loaded; every run is bounded in time; every process is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SLOTS=${POOL_SLOTS:-8}
read -r -a CLIENTS <<<"${POOL_CLIENTS:-8 16 64 256}"
DURATION=${POOL_DURATION:-5}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
PY=/usr/bin/python3
DEMO=$ROOT/build/release/examples/demo/viper_demo
LOADGEN=$ROOT/build/release/bench/viper_loadgen
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
bench_setup pool

echo "== building the release demo, the extension and viper_loadgen"
cmake --preset release >/dev/null
cmake --build --preset release -j2 --target viper_demo viper_loadgen _viperhttp >"$TMP/build.log" 2>&1 ||
  { tail -30 "$TMP/build.log"; exit 1; }
command -v wrk >/dev/null || { echo "wrk missing: scripts/install-deps.sh bench"; exit 1; }
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); commit $(git rev-parse --short HEAD)"

wait_port() {
  local port=$1 i
  for ((i = 0; i < 100; i++)); do
    curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/hello" && return 0
    sleep 0.1
  done
  echo "server on port $port did not start" >&2
  return 1
}

# measure LABEL PORT: the wrk and loadgen runs for every client count; one table row each.
measure() {
  local label=$1 port=$2 n out rps base="" errs non2xx p50 p99 lg
  for n in "${CLIENTS[@]}"; do
    out=$(taskset -c "$CLIENT_CPU" wrk -t1 -c"$n" -d"${DURATION}s" --latency "http://127.0.0.1:$port/hello" 2>&1)
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    errs=$(awk -F'[ ,]+' '/Socket errors/ {print $4+$6+$8+$10}' <<<"$out")
    non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    [[ -n $base ]] || base=$rps
    lg=$(taskset -c "$CLIENT_CPU" "$LOADGEN" 127.0.0.1 "$port" /hello "$n" "$DURATION")
    $PY - "$label" "$n" "$rps" "${errs:-0}" "${non2xx:-0}" "$p50" "$p99" "$base" "$lg" <<'PYEOF'
import json, sys
label, n, rps, errs, non2xx, p50, p99, base, lg = sys.argv[1:]
g = json.loads(lg)
e = g["errors"]
print("| %s | %s | %.0f | %.2f | %s | %s | %s / %s | %d | %.2f |" % (
    label, n, float(rps), float(rps) / float(base), errs, non2xx, p50, p99,
    e["connect"] + e["reset"] + e["eof_mid_request"], g["per_client"]["min_over_mean"]))
PYEOF
  done
}

echo
echo "| server | clients | wrk req/s | × 8 clients | wrk socket errors | non-2xx | p50 / p99 | loadgen errors | least served / mean |"
echo "|---|---|---|---|---|---|---|---|---|"
for poller in epoll select; do
  port=$(free_port)
  taskset -c "$SERVER_CPU" "$DEMO" --port "$port" --max-connections "$SLOTS" --poller "$poller" --quiet >"$TMP/demo.log" 2>&1 &
  PIDS+=($!)
  wait_port "$port"
  measure "engine ($poller)" "$port"
  kill -TERM "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true
done

port=$(free_port)
PYTHONPATH=$ROOT/build/release/python:$ROOT/python taskset -c "$SERVER_CPU" $PY bench/apps/pool_app.py "$port" "$SLOTS" >"$TMP/py.log" 2>&1 &
PIDS+=($!)
wait_port "$port"
measure "Python /hello (CPython)" "$port"
kill -TERM "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true

if command -v nginx >/dev/null; then
  port=$(free_port)
  mkdir -p "$TMP/nginx"
  user_line=""
  [[ $(id -u) -eq 0 ]] && user_line="user $(id -un) $(id -gn);"
  sed -e "s|@TMP@|$TMP/nginx|g" -e "s|@PORT@|$port|g" -e "s|@USER_LINE@|$user_line|" \
    -e "s|worker_connections 1024;|worker_connections $((SLOTS + 2));|" \
    bench/nginx.conf.in >"$TMP/nginx/nginx.conf"
  taskset -c "$SERVER_CPU" nginx -p "$TMP/nginx/" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/error.log" >"$TMP/nginx.log" 2>&1 &
  PIDS+=($!)
  wait_port "$port"
  measure "nginx (worker_connections $((SLOTS + 2)))" "$port"
fi
