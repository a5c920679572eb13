#!/usr/bin/env bash
# Streamed responses (issue 13; bench/run.sh sse): ViperHTTP's StreamingResponse against
# FastAPI 0.92 / uvicorn (one worker, uvloop + httptools) with the same producers
# (bench/apps/sse_common.py), in the same run, on CPython:
#   1. text/event-stream events per second to 1 client and to SSE_CLIENTS clients (a producer
#      that awaits every 64 events), with p50/p99 delivery latency, read by a buffered client
#      (bench/sse_client.py: large recv()s, events counted with bytes.count);
#   2. a 100 MB body from a sync generator (64 KB items): MB/s, and the server's peak RSS
#      growth (VmHWM after - VmRSS before).
# ViperHTTP runs twice: with the default window (stream_buffer_bytes=0: 7 KB in an I/O buffer)
# and with a 64 KB window (stream_buffer_bytes=65536: a body buffer per stream while free).
# Knobs: SSE_EVENTS=200000 (per run, split over the clients) SSE_CLIENTS=50 SSE_MB=100
#        SERVER_CPU=0 CLIENT_CPU=1
# Only 127.0.0.1 is loaded; every run is bounded in time; every process is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=/usr/bin/python3
EVENTS=${SSE_EVENTS:-200000}
MANY=${SSE_CLIENTS:-50}
MB=${SSE_MB:-100}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
bench_setup sse

echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), load average: $(cut -d' ' -f1-3 /proc/loadavg)"
cmake --preset release >/dev/null
cmake --build --preset release --target _viperhttp -j2 >/dev/null

wait_port() {
  for _ in $(seq 100); do
    if $PY -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "server on port $1 did not start" >&2
  exit 1
}
rss() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }

run_server() {  # name -> sets PORT and PID
  PORT=$(free_port)
  if [[ $1 == viperhttp* ]]; then
    local window=0
    [[ $1 == viperhttp-64k ]] && window=65536
    PYTHONPATH=$ROOT/build/release/python:$ROOT/python taskset -c "$SERVER_CPU" \
      $PY bench/apps/sse_viper_app.py "$PORT" "$window" >/dev/null 2>&1 &
  else
    (cd bench/apps && exec taskset -c "$SERVER_CPU" $PY -m uvicorn sse_fastapi_app:app \
      --host 127.0.0.1 --port "$PORT" --loop uvloop --http httptools --no-access-log \
      --log-level warning) &
  fi
  PID=$!
  PIDS+=("$PID")
  wait_port "$PORT"
}

client() { timeout 300 taskset -c "$CLIENT_CPU" $PY bench/sse_client.py "$@"; }

for server in viperhttp viperhttp-64k fastapi; do
  run_server $server
  client events "$PORT" 1 1000 >/dev/null  # warm-up
  one=$(client events "$PORT" 1 "$EVENTS")
  many=$(client events "$PORT" "$MANY" $((EVENTS / MANY)))
  before=$(rss "$PID" VmRSS)
  blob=$(client blob "$PORT" "$MB")
  peak=$(rss "$PID" VmHWM)
  echo "$server events, 1 client:      $one"
  echo "$server events, $MANY clients:     $many"
  echo "$server $MB MB generator body: $blob, RSS before ${before} kB, peak ${peak} kB, growth $((peak - before)) kB"
  kill -TERM "$PID" 2>/dev/null || true
  wait "$PID" 2>/dev/null || true
done
