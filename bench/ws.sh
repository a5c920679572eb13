#!/usr/bin/env bash
# WebSocket echo (issue 12; bench/run.sh ws): msg/s of a closed-loop echo of SIZE-byte text
# messages (64 and 16384) with 1 and 32 clients (bench/ws_load.cpp: one thread, epoll), for
#   viper      ViperHTTP's Python runtime on CPython (bench/apps/ws_viper_app.py): a Python
#              round trip per message (receive_text, send_text)
#   viper-mpy  the same app on the MicroPython unix port
#   fastapi    FastAPI on uvicorn (--ws websockets --loop uvloop --no-access-log, 1 worker;
#              bench/apps/ws_fastapi_app.py)
#   engine     viper_demo --ws-echo (the engine's C echo: no Python)
# each server pinned to SERVER_CPU, the client to CLIENT_CPU.
#
# Knobs: WS_DURATION=5 WS_RUNS=3 SERVER_CPU=0 CLIENT_CPU=1.  Only 127.0.0.1 is loaded; every run
# is bounded in time; every process started is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DURATION=${WS_DURATION:-5}
RUNS=${WS_RUNS:-3}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
PY=/usr/bin/python3
DEMO=$ROOT/build/release/examples/demo/viper_demo
LOAD=$ROOT/build/release/bench/viper_ws_load
MPY=$ROOT/build/micropython/micropython
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
bench_setup ws

echo "== building the release demo, the extension and viper_ws_load"
cmake --preset release >/dev/null
cmake --build --preset release -j2 --target viper_demo viper_ws_load _viperhttp >"$TMP/build.log" 2>&1 ||
  { tail -30 "$TMP/build.log"; exit 1; }
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"


wait_port() {
  local port=$1
  for _ in $(seq 1 200); do
    if $PY -c "import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(('127.0.0.1',$port)))" 2>/dev/null; then
      return 0
    fi
    sleep 0.05
  done
  return 1
}

# start NAME PORT: the server NAME on PORT, pinned; its pid in SERVER_PID.
start() {
  local name=$1 port=$2
  case $name in
    viper) taskset -c "$SERVER_CPU" env PYTHONPATH="$ROOT/build/release/python:$ROOT/python" \
      $PY bench/apps/ws_viper_app.py "$port" >"$TMP/$name.log" 2>&1 & ;;
    viper-mpy) taskset -c "$SERVER_CPU" env MICROPYPATH="$ROOT/python:.frozen" \
      "$MPY" -X heapsize=16M bench/apps/ws_viper_app.py "$port" >"$TMP/$name.log" 2>&1 & ;;
    fastapi) (cd bench/apps && exec taskset -c "$SERVER_CPU" $PY -m uvicorn ws_fastapi_app:app \
      --port "$port" --ws websockets --loop uvloop --no-access-log --log-level warning) \
      >"$TMP/$name.log" 2>&1 & ;;
    engine) taskset -c "$SERVER_CPU" "$DEMO" --port "$port" --ws-echo /ws \
      --ws-max-message-bytes 1048576 --quiet >"$TMP/$name.log" 2>&1 & ;;
  esac
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  wait_port "$port" || { echo "$name did not start:"; cat "$TMP/$name.log"; exit 1; }
}

stop() {
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
}

servers=(viper fastapi engine)
[[ -x $MPY ]] && servers=(viper viper-mpy fastapi engine)
declare -A RESULT
for size in 64 16384; do
  for conns in 1 32; do
    for name in "${servers[@]}"; do
      port=$(free_port)
      start "$name" "$port"
      best=0 line=""
      for _ in $(seq 1 "$RUNS"); do
        out=$(taskset -c "$CLIENT_CPU" "$LOAD" "$port" /ws "$conns" "$DURATION" "$size")
        rate=$(sed -E 's/.*msgs_per_s=([0-9]+).*/\1/' <<<"$out")
        # the median of the runs is reported; keep them all
        RESULT[$name,$size,$conns]+="$rate "
        line=$out
      done
      stop
      echo "   $name size=$size conns=$conns runs(msg/s)=${RESULT[$name,$size,$conns]} last: $line"
    done
  done
done

median() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo
printf '%-7s %-6s %10s %10s %10s %10s %14s\n' size conns viper viper-mpy fastapi engine viper/fastapi
for size in 64 16384; do
  for conns in 1 32; do
    v=$(median "${RESULT[viper,$size,$conns]}")
    m=$([[ -x $MPY ]] && median "${RESULT[viper-mpy,$size,$conns]}" || echo -)
    f=$(median "${RESULT[fastapi,$size,$conns]}")
    e=$(median "${RESULT[engine,$size,$conns]}")
    printf '%-7s %-6s %10s %10s %10s %10s %14s\n' "$size" "$conns" "$v" "$m" "$f" "$e" \
      "$(awk -v a="$v" -v b="$f" 'BEGIN {printf "%.2fx", a / b}')"
  done
done
echo "msg/s: median of $RUNS runs of ${DURATION}s; each client is a closed loop (one message in flight)."
