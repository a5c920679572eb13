#!/usr/bin/env bash
# ViperHTTP engine benchmarks (see bench/README.md).  Usage:
#   bench/run.sh [throughput|alloc|parser|syscalls|all]      (default: all = throughput alloc parser)
#
# throughput  engine demo vs nginx (1 worker) under wrk, per scenario: median req/s, p99, ratio
# alloc       engine heap allocations per request (valgrind), engine counters, idle-connection memory
# parser      bench/parser_instructions.sh (callgrind instructions per request vs http-parser)
# syscalls    (not in "all") strace -c -f on each server during a short wrk run: syscalls/request
#
# Knobs (environment): BENCH_RUNS=3 BENCH_DURATION=10 BENCH_WARMUP=2 BENCH_CONNS=50
#   BENCH_THREADS=1 SERVER_CPU=0 CLIENT_CPU=1 ALLOC_N1=2000 ALLOC_N2=12000
#   BENCH_RESULTS=DIR (keep raw wrk/valgrind outputs there; default: a temp dir, removed)
# Only 127.0.0.1 is loaded; every step is bounded in time; every process started is stopped on
# exit.  The numbers are only meaningful on a quiet machine: the load average is printed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
MODE=${1:-all}
case "$MODE" in
  throughput | alloc | parser | syscalls | all) ;;
  -h | --help)
    sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"
    exit 0
    ;;
  *)
    echo "usage: $0 [throughput|alloc|parser|syscalls|all]" >&2
    exit 2
    ;;
esac

RUNS=${BENCH_RUNS:-3}
DURATION=${BENCH_DURATION:-10}
WARMUP=${BENCH_WARMUP:-2}
CONNS=${BENCH_CONNS:-50}
THREADS=${BENCH_THREADS:-1}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
ALLOC_N1=${ALLOC_N1:-2000}
ALLOC_N2=${ALLOC_N2:-12000}
HOST=127.0.0.1
PY=/usr/bin/python3
TOOL="$ROOT/bench/benchtool.py"
DEMO="$ROOT/build/release/examples/demo/viper_demo"
# The options every engine run uses (the issue's: 256 connection slots, no console output).
DEMO_ARGS=(--host "$HOST" --max-connections 256 --quiet)

exec 3>&2 # the original stderr, for messages given while stderr is redirected
die() {
  echo "bench: error: $*" >&3
  exit 1
}
log() { echo "== $*"; }

# ---------------------------------------------------------------------------------------------
# Processes and clean-up

TMP=$(mktemp -d /tmp/viper-bench.XXXXXX)
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
  done
  if [[ -n ${BENCH_RESULTS:-} ]]; then
    mkdir -p "$BENCH_RESULTS" && cp -r "$TMP"/. "$BENCH_RESULTS"/ 2>/dev/null || true
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'echo "bench: interrupted" >&3; exit 130' INT TERM

# launch NAME CMD...: starts CMD in the background (output in $TMP/NAME.log); sets LAST_PID.
launch() {
  local name=$1
  shift
  "$@" >"$TMP/$name.log" 2>&1 3>&- &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
}

# stop PID [SECONDS] [SIGNAL]: signals PID (default SIGTERM), waits for it, SIGKILL after the
# timeout.  Returns the exit status.
stop() {
  local pid=$1 secs=${2:-10} sig=${3:-TERM} i rc=0
  kill -"$sig" "$pid" 2>/dev/null || true
  for ((i = 0; i < secs * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "bench: pid $pid did not exit within ${secs}s of SIG$sig; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || rc=$?
  local keep=() p
  for p in "${PIDS[@]}"; do [[ $p == "$pid" ]] || keep+=("$p"); done
  PIDS=("${keep[@]+"${keep[@]}"}")
  return "$rc"
}

# start_demo NAME TIMEOUT [WRAPPER...] [-- EXTRA DEMO ARGS]: starts the demo on a free port,
# waits for its "listening" line; sets DEMO_PID and DEMO_PORT.
start_demo() {
  local name=$1 secs=$2 i
  shift 2
  local wrapper=() extra=()
  while (($#)) && [[ $1 != -- ]]; do
    wrapper+=("$1")
    shift
  done
  (($#)) && shift
  extra=("$@")
  launch "$name" "${wrapper[@]+"${wrapper[@]}"}" "$DEMO" "${DEMO_ARGS[@]}" --port 0 \
    "${extra[@]+"${extra[@]}"}"
  DEMO_PID=$LAST_PID
  DEMO_PORT=""
  for ((i = 0; i < secs * 10; i++)); do
    DEMO_PORT=$(sed -n 's|^viper_demo listening on http://[^:]*:\([0-9]*\)/.*|\1|p' \
      "$TMP/$name.log" | head -1)
    [[ -n $DEMO_PORT ]] && break
    kill -0 "$DEMO_PID" 2>/dev/null || break
    sleep 0.1
  done
  if [[ -z $DEMO_PORT ]]; then
    echo "--- $TMP/$name.log:" >&2
    tail -20 "$TMP/$name.log" >&2 || true
    die "the engine demo ($name) did not start within ${secs}s"
  fi
}

free_port() {
  $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_http URL SECONDS PID: waits until URL answers (any status) while PID lives.
wait_http() {
  local url=$1 secs=$2 pid=$3 i
  for ((i = 0; i < secs * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || return 1
    curl -s -o /dev/null --max-time 1 "$url" && return 0
    sleep 0.1
  done
  return 1
}

build_demo() {
  log "building the release demo"
  cmake --preset release >/dev/null
  cmake --build --preset release --target viper_demo -j2 >"$TMP/build.log" 2>&1 || {
    tail -30 "$TMP/build.log" >&2
    die "release build of viper_demo failed"
  }
  [[ -x $DEMO ]] || die "$DEMO missing after the build"
}

machine_info() {
  echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), kernel $(uname -r)"
  echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (other engineers' builds/tests may share the machine)"
}

# ---------------------------------------------------------------------------------------------
# Servers and scenarios of the throughput comparison.  To add a server: a start_server_NAME
# function that sets SERVER_URL[NAME] and SERVER_PID[NAME] (pinned to $SERVER_CPU), its name in
# SERVERS, and a path per scenario in SCENARIO_PATH.  To add a scenario: its name in
# SCENARIOS, a description, the expected status, and a path per server.

SERVERS=(engine nginx)
REFERENCE=nginx # ratios are server / REFERENCE
SCENARIOS=(c-404 d-hello)
declare -A SCENARIO_DESC=(
  [c-404]="unknown path answered 404 (engine: 22-byte JSON body; nginx: its HTML error page)"
  [d-hello]='GET /hello -> {"message":"hello"} (application/json)'
)
declare -A SCENARIO_STATUS=([c-404]=404 [d-hello]=200)
declare -A SCENARIO_PATH=(
  [c-404.engine]=/no/such/path [c-404.nginx]=/no/such/path
  [d-hello.engine]=/hello [d-hello.nginx]=/hello
)
# SERVER_WORKERS[NAME]: the processes that serve (their CPU time is measured); default: the pid.
declare -A SERVER_URL=() SERVER_PID=() SERVER_WORKERS=()

# cpu_ticks PID...: "USER SYSTEM" CPU time of the processes (all their threads), in clock ticks.
cpu_ticks() {
  local user=0 sys=0 p stat f
  for p in "$@"; do
    stat=$(<"/proc/$p/stat") || return 1
    read -r -a f <<<"${stat##*) }" # fields from the 3rd on: utime is the 14th, stime the 15th
    user=$((user + f[11]))
    sys=$((sys + f[12]))
  done
  echo "$user $sys"
}

start_server_engine() {
  start_demo engine 15 taskset -c "$SERVER_CPU"
  SERVER_URL[engine]="http://$HOST:$DEMO_PORT"
  SERVER_PID[engine]=$DEMO_PID
}

start_server_nginx() {
  command -v nginx >/dev/null || die "nginx not installed (scripts/install-deps.sh bench)"
  local dir="$TMP/nginx" port user_line=""
  mkdir -p "$dir"
  port=$(free_port)
  # As root, nginx would switch its worker to "nobody": keep it as the current user.
  [[ $(id -u) -eq 0 ]] && user_line="user $(id -un) $(id -gn);"
  sed -e "s|@TMP@|$dir|g" -e "s|@PORT@|$port|g" -e "s|@USER_LINE@|$user_line|" \
    "$ROOT/bench/nginx.conf.in" >"$dir/nginx.conf"
  nginx -t -q -p "$dir/" -c "$dir/nginx.conf" -e "$dir/nginx-error.log" >"$TMP/nginx-t.log" 2>&1 ||
    {
      cat "$TMP/nginx-t.log" >&2
      die "nginx rejected $dir/nginx.conf"
    }
  launch nginx taskset -c "$SERVER_CPU" nginx -p "$dir/" -c "$dir/nginx.conf" -e "$dir/nginx-error.log"
  SERVER_PID[nginx]=$LAST_PID
  SERVER_URL[nginx]="http://$HOST:$port"
  wait_http "${SERVER_URL[nginx]}/" 10 "$LAST_PID" || {
    cat "$TMP/nginx.log" "$dir/nginx-error.log" >&2 2>/dev/null || true
    die "nginx did not start on port $port within 10s"
  }
  SERVER_WORKERS[nginx]=$(pgrep -P "$LAST_PID" | tr '\n' ' ')
  [[ -n ${SERVER_WORKERS[nginx]// /} ]] || die "no nginx worker process under pid $LAST_PID"
}

# Checks each scenario's answer once (status) and records its size for the table.
check_scenarios() {
  local sc sv url out code hdr body sizes=()
  for sc in "${SCENARIOS[@]}"; do
    for sv in "${SERVERS[@]}"; do
      url="${SERVER_URL[$sv]}${SCENARIO_PATH[$sc.$sv]}"
      out=$(curl -s -o "$TMP/body.$sc.$sv" --max-time 5 -w '%{http_code} %{size_header} %{size_download}' "$url") ||
        die "$sv does not answer $url"
      read -r code hdr body <<<"$out"
      [[ $code == "${SCENARIO_STATUS[$sc]}" ]] ||
        die "$sv answered $code to $url (expected ${SCENARIO_STATUS[$sc]})"
      printf '   %-8s %-7s %s -> %s, %s header + %s body bytes\n' "$sc" "$sv" "${SCENARIO_PATH[$sc.$sv]}" "$code" "$hdr" "$body"
      sizes+=("\"$sc.$sv\": \"$hdr+$body\"")
    done
  done
  local IFS=,
  RESPONSE_BYTES_JSON="{${sizes[*]}}"
}

run_wrk() { # run_wrk SECONDS URL [--latency]
  local secs=$1 url=$2 pid rc=0
  shift 2
  # In the background and waited for, so that a signal reaches the trap (and stops wrk) at once.
  timeout --signal=INT --kill-after=5 $((secs + 30)) \
    taskset -c "$CLIENT_CPU" wrk -t"$THREADS" -c"$CONNS" -d"${secs}s" "$@" "$url" 3>&- &
  pid=$!
  PIDS+=("$pid")
  wait "$pid" || rc=$?
  unset 'PIDS[${#PIDS[@]}-1]'
  return "$rc"
}

mode_throughput() {
  local TIMEFORMAT='%U %S'
  command -v wrk >/dev/null || die "wrk not installed (scripts/install-deps.sh bench)"
  log "throughput: wrk -t$THREADS -c$CONNS -d${DURATION}s --latency (after a ${WARMUP}s warm-up), $RUNS run(s); servers on CPU $SERVER_CPU, wrk on CPU $CLIENT_CPU"
  machine_info
  local sv sc run url res="$TMP/wrk" t0 t1 u0 u1 s0 s1 workers
  mkdir -p "$res"
  for sv in "${SERVERS[@]}"; do "start_server_$sv"; done
  for sv in "${SERVERS[@]}"; do echo "   $sv: ${SERVER_URL[$sv]} (pid ${SERVER_PID[$sv]})"; done
  check_scenarios
  local scj svj
  scj=$(printf '"%s",' "${SCENARIOS[@]}")
  svj=$(printf '"%s",' "${SERVERS[@]}")
  printf '{"scenarios": [%s], "servers": [%s], "reference": "%s", "response_bytes": %s}\n' \
    "${scj%,}" "${svj%,}" "$REFERENCE" "$RESPONSE_BYTES_JSON" >"$res/meta.json"
  # Servers alternate order from run to run (A B, B A, ...) so that load drifting during the
  # benchmark does not always favour the same server.
  local order=("${SERVERS[@]}") reversed=() i
  for ((i = ${#SERVERS[@]} - 1; i >= 0; i--)); do reversed+=("${SERVERS[$i]}"); done
  for ((run = 1; run <= RUNS; run++)); do
    if ((run % 2)); then order=("${SERVERS[@]}"); else order=("${reversed[@]}"); fi
    for sc in "${SCENARIOS[@]}"; do
      for sv in "${order[@]}"; do
        url="${SERVER_URL[$sv]}${SCENARIO_PATH[$sc.$sv]}"
        # shellcheck disable=SC2206 # word splitting of the pid list is wanted
        workers=(${SERVER_WORKERS[$sv]:-${SERVER_PID[$sv]}})
        run_wrk "$WARMUP" "$url" >/dev/null || die "wrk warm-up failed on $url"
        t0=$(cpu_ticks "${workers[@]}") || die "$sv: cannot read its CPU time"
        # bash's `time` gives wrk's own CPU time (user + system): is the client the bottleneck?
        { time run_wrk "$DURATION" "$url" --latency >"$res/$sc.$sv.$run.wrk"; } 2>"$res/$sc.$sv.$run.client" ||
          die "wrk failed on $url (see $res/$sc.$sv.$run.wrk)"
        t1=$(cpu_ticks "${workers[@]}") || die "$sv exited during the run"
        read -r u0 s0 <<<"$t0"
        read -r u1 s1 <<<"$t1"
        # total ticks, ticks per second, user-space ticks
        echo "$((u1 + s1 - u0 - s0)) $(getconf CLK_TCK) $((u1 - u0))" >"$res/$sc.$sv.$run.cpu"
        kill -0 "${SERVER_PID[$sv]}" 2>/dev/null || die "$sv exited during the run"
        printf '   run %d/%d  %-8s %-7s %10s req/s  server CPU %5.1f s  load %s\n' "$run" "$RUNS" \
          "$sc" "$sv" "$(sed -n 's/^Requests\/sec:[[:space:]]*//p' "$res/$sc.$sv.$run.wrk")" \
          "$(awk '{print $1 / $2}' "$res/$sc.$sv.$run.cpu")" "$(cut -d' ' -f1 /proc/loadavg)"
      done
    done
  done
  for sv in "${SERVERS[@]}"; do stop "${SERVER_PID[$sv]}" 10 || true; done
  echo
  log "throughput results (median of $RUNS runs; ratio = server req/s / $REFERENCE req/s)"
  for sc in "${SCENARIOS[@]}"; do echo "   $sc: ${SCENARIO_DESC[$sc]}"; done
  echo
  $PY "$TOOL" wrk-table "$res" --target 1.0
  echo
  echo "markdown:"
  $PY "$TOOL" wrk-table "$res" --markdown
  echo "note: nginx's 404 body is its HTML error page (~150 bytes + Server header); the engine's is"
  echo "      the 22-byte JSON {\"detail\":\"Not Found\"}.  Targets: engine >= 1.00x nginx in (c) and (d)."
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
}

# ---------------------------------------------------------------------------------------------
# Allocations and idle-connection memory

ALLOC_PATHS=(/hello /no/such/path)

# valgrind_allocs TAG PATH N: demo under memcheck serving N requests on 4 keep-alive
# connections, stopped with SIGTERM; sets VG_ALLOCS to valgrind's total heap allocations.
valgrind_allocs() {
  local tag=$1 path=$2 n=$3 vlog="$TMP/valgrind.$1.log"
  start_demo "vg.$tag" 120 valgrind --tool=memcheck --leak-check=no --log-file="$vlog" \
    -- --keepalive-max-requests 100000000
  timeout 900 $PY "$TOOL" requests "$HOST" "$DEMO_PORT" "$path" "$n" --conns 4 >"$TMP/vg.$tag.client" ||
    die "client failed against the demo under valgrind ($tag)"
  $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(d["requests"] != int(sys.argv[2]))' \
    "$TMP/vg.$tag.client" "$n" || die "the client did not complete $n requests ($tag)"
  stop "$DEMO_PID" 120 || die "demo under valgrind exited with an error ($tag); see $vlog"
  VG_ALLOCS=$($PY "$TOOL" valgrind-allocs "$vlog") || die "no heap summary in $vlog"
}

mode_alloc() {
  command -v valgrind >/dev/null || die "valgrind not installed (scripts/install-deps.sh bench)"
  log "alloc: heap allocations per request in steady state (valgrind memcheck, outside the engine)"
  echo "   demo under valgrind serves N1=$ALLOC_N1 then (new process) N2=$ALLOC_N2 GET requests on 4 keep-alive"
  echo "   connections, stopped with SIGTERM; allocs/request = (X2 - X1) / (N2 - N1), X = 'total heap usage: X allocs'"
  local path x1 x2 rows=() worst=0
  for path in "${ALLOC_PATHS[@]}"; do
    valgrind_allocs "n1${path//\//_}" "$path" "$ALLOC_N1"
    x1=$VG_ALLOCS
    valgrind_allocs "n2${path//\//_}" "$path" "$ALLOC_N2"
    x2=$VG_ALLOCS
    rows+=("$(printf '   %-15s %7d %9d %7d %9d %14s' "$path" "$ALLOC_N1" "$x1" "$ALLOC_N2" "$x2" \
      "$($PY -c "print('%.4f' % (($x2 - $x1) / ($ALLOC_N2 - $ALLOC_N1)))")")")
    ((x2 - x1 > worst)) && worst=$((x2 - x1))
  done
  printf '   %-15s %7s %9s %7s %9s %14s\n' path N1 X1 N2 X2 allocs/request
  printf '%s\n' "${rows[@]}"
  echo "   (X1 counts start-up: the engine's pools, libc and the dynamic loader)"
  if ((worst == 0)); then
    echo "target: 0 heap allocations per request in steady state: met"
  else
    echo "target: 0 heap allocations per request in steady state: NOT met (up to $worst extra allocations)"
  fi
  echo

  log "alloc: the engine's own counter (GET /stats engine_allocations around 10,000 requests)"
  start_demo counters 15
  local before after b_alloc a_alloc b_bytes a_bytes
  for path in "${ALLOC_PATHS[@]}"; do
    before=$($PY "$TOOL" stats "$HOST" "$DEMO_PORT")
    timeout 300 $PY "$TOOL" requests "$HOST" "$DEMO_PORT" "$path" 10000 --conns 4 >"$TMP/counters.client" ||
      die "client failed (counters)"
    after=$($PY "$TOOL" stats "$HOST" "$DEMO_PORT")
    read -r b_alloc b_bytes < <(echo "$before" | $PY -c 'import json,sys; d=json.load(sys.stdin); print(d["engine_allocations"], d["engine_bytes"])')
    read -r a_alloc a_bytes < <(echo "$after" | $PY -c 'import json,sys; d=json.load(sys.stdin); print(d["engine_allocations"], d["engine_bytes"])')
    printf '   %-15s engine_allocations %d -> %d (+%d over 10000 requests)   engine_bytes %d -> %d\n' \
      "$path" "$b_alloc" "$a_alloc" $((a_alloc - b_alloc)) "$b_bytes" "$a_bytes"
  done
  echo

  log "alloc: engine memory per idle keep-alive connection (200 connections, one request each, left open)"
  $PY "$TOOL" idle "$HOST" "$DEMO_PORT" 200 --pid "$DEMO_PID" >"$TMP/idle.json" || die "idle-connection check failed"
  $PY - "$TMP/idle.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
b, w, a = d["before"], d["with_idle"], d["after_close"]
print("   %-22s %10s %12s %12s" % ("", "baseline", "200 idle", "after close"))
for k in ("connections_active", "io_buffers_in_use", "body_buffers_in_use", "engine_bytes",
          "engine_allocations"):
    print("   %-22s %10d %12d %12d" % (k, b[k], w[k], a[k]))
print("   (each /stats request counts its own connection and its I/O buffer)")
print("   idle connections hold no lent buffer: %s" % ("yes" if d["buffers_back_to_baseline"] else "NO"))
bpc = d["bytes_per_idle_connection"]
print("   engine bytes per idle keep-alive connection (bytes_per_idle_connection): %d" % bpc)
ok = bpc <= 2048 and d["buffers_back_to_baseline"] and d["engine_bytes_delta"] == 0
print("target: <= 2 KB engine memory per idle keep-alive connection: %s"
      % ("met" if ok else "NOT met"))
if "process_rss_delta_kib" in d:
    print("   process RSS grew by %d KiB for 200 connections (first touch of preallocated slots"
          " and buffers; kernel socket memory is not in RSS)" % d["process_rss_delta_kib"])
EOF
  stop "$DEMO_PID" 15 || true
}

# ---------------------------------------------------------------------------------------------

mode_parser() {
  log "parser: instructions per request (callgrind), our parser vs http-parser"
  local script=$ROOT/bench/parser_instructions.sh rc=0
  if [[ -f $script ]]; then
    if [[ -x $script ]]; then
      timeout 900 "$script" || rc=$?
    else
      timeout 900 sh "$script" || rc=$?
    fi
    # The script exits 1 when the target is missed: report it, let the other modes' output stand.
    ((rc == 0)) || echo "   parser_instructions.sh exited with status $rc"
    return "$rc"
  else
    echo "   bench/parser_instructions.sh is missing: parser figures not measured"
  fi
}

# syscalls/request: strace -c -f attached to each server's working process during a short wrk
# run (strace slows the server a lot; the counts per request are what matter).
mode_syscalls() {
  command -v strace >/dev/null || die "strace not installed"
  log "syscalls: strace -c -f on each server during wrk -t$THREADS -c$CONNS -d3s, per scenario"
  local sv sc url tpid target res
  for sv in "${SERVERS[@]}"; do "start_server_$sv"; done
  for sc in "${SCENARIOS[@]}"; do
    for sv in "${SERVERS[@]}"; do
      url="${SERVER_URL[$sv]}${SCENARIO_PATH[$sc.$sv]}"
      # The serving process (nginx: its worker, not the master).
      target=${SERVER_WORKERS[$sv]:-${SERVER_PID[$sv]}}
      target=${target%% *}
      launch "strace.$sc.$sv" strace -c -f -o "$TMP/strace.$sc.$sv.txt" -p "$target"
      tpid=$LAST_PID
      sleep 1
      res=$(run_wrk 3 "$url") || die "wrk failed under strace"
      stop "$tpid" 20 INT || true
      WRK_OUT=$res $PY - "$TMP/strace.$sc.$sv.txt" "$sc" "$sv" <<'EOF'
import os, re, sys
reqs = int(re.search(r"(\d+) requests in", os.environ["WRK_OUT"]).group(1))
total = 0
rows = []
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) >= 5 and re.match(r"[\d.]+$", f[0]) and f[-1] != "total":
        rows.append((int(f[3]), f[-1]))
    elif f and f[-1] == "total":
        total = int(f[3])
rows.sort(reverse=True)
print("   %-8s %-7s %6d requests  %5.2f syscalls/request: %s" % (sys.argv[2], sys.argv[3], reqs,
      total / reqs, ", ".join("%s %.2f" % (n, c / reqs) for c, n in rows[:6])))
EOF
    done
  done
  for sv in "${SERVERS[@]}"; do stop "${SERVER_PID[$sv]}" 10 || true; done
}

# ---------------------------------------------------------------------------------------------

scripts/install-deps.sh bench
case "$MODE" in
  throughput | alloc | syscalls | all) build_demo ;;
esac
case "$MODE" in
  throughput) mode_throughput ;;
  alloc) mode_alloc ;;
  parser) mode_parser ;;
  syscalls) mode_syscalls ;;
  all)
    mode_throughput
    echo
    mode_alloc
    echo
    mode_parser
    ;;
esac
