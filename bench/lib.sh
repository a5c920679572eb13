# Shared by the benchmark scripts (bench/pool.sh, tls.sh, ws.sh, sse.sh), sourced after PY is set:
#   bench_setup NAME   a temporary directory in TMP, removed on exit, and PIDS: every process
#                      appended there is stopped on exit (SIGTERM, then SIGKILL after 0.3 s)
#   free_port          prints a free TCP port on 127.0.0.1
bench_cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  sleep 0.3
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  [[ -z ${TMP:-} ]] || rm -rf "$TMP"
}

bench_setup() {
  TMP=$(mktemp -d "/tmp/viper-$1.XXXXXX")
  PIDS=()
  trap bench_cleanup EXIT
}

free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
