#!/usr/bin/env bash
# ViperHTTP engine benchmarks (see bench/README.md).  Usage:
#   bench/run.sh [MODE]      (default: all)
#
# throughput    engine demo vs nginx (1 worker) under wrk, per scenario: median req/s, p99, ratio
# alloc         engine heap allocations per request (valgrind), engine counters, idle-connection memory
# parser        bench/parser_instructions.sh (callgrind instructions per request vs http-parser)
# python        the Python runtime (bench/apps/viper_app.py) on CPython and on the MicroPython
#               unix port vs FastAPI on uvicorn (bench/apps/fastapi_app.py) and the engine-only
#               demo route, under wrk as in throughput
# python-idle   CPU time and wake-ups of the idle Python runtime (and of uvicorn, the demo)
# python-alloc  heap allocations per request of the engine thread in the Python runtime
#               (valgrind --tool=dhat, split by call stack)
# wakeup        bench/wakeup.py: idle CPU and wake-up round-trip percentiles of the Python
#               runtime on CPython and on the MicroPython unix port
# microdot      the Python runtime on the MicroPython unix port vs Microdot on the same
#               interpreter (bench/apps/microdot_app.py), under wrk as in python; needs
#               MICRODOT_DIR (Microdot's src/ directory, kept outside the repository), else
#               it prints a skip line
# python-instructions  interpreter-thread (and engine-thread) instructions per request under
#               callgrind, MicroPython and CPython: /hello, /hello-async, /items/42?q=x, a 404;
#               with the device estimate they imply
# static        static files (1 KB, 100 KB) from the engine alone (bench/apps/static_app.py on
#               CPython: a StaticFiles directory mount and an asset pack mount) vs nginx
#               (1 worker, sendfile on), under wrk as in throughput; the engine's counters after
# syscalls      (not in "all") strace -c -f on each server during a short wrk run: syscalls/request
# static-syscalls (not in "all") the same for the servers and files of static
# pool          (not in "all") bench/pool.sh: 8 slots and 8..256 keep-alive clients (wrk and
#               viper_loadgen: errors, p50/p99, fairness) on the engine, the Python runtime, nginx
# form          (not in "all") bench/form.sh: the form parsers' MB/s on 100 MB in 8 KB pieces,
#               callgrind instructions per byte, python-multipart on the same bodies
# sse           (not in "all") bench/sse.sh: StreamingResponse(text/event-stream) events/s to 1
#               and 50 clients with p50/p99 latency, a 100 MB generator body (MB/s, RSS growth),
#               ViperHTTP vs FastAPI/uvicorn in the same run
# tls           (not in "all") bench/tls.sh: HTTPS vs nginx with the same ECDSA P-256 certificate
#               and TLS 1.2 suite: keep-alive /hello (Python route) and a 1 KB static file under
#               wrk, new and resumed handshakes/s (openssl s_time) with server CPU per handshake,
#               heap bytes per TLS connection in the esp32 profile (bench/tls_memory.cpp)
# ws            (not in "all") bench/ws.sh: WebSocket echo msg/s, 64 B and 16 KB messages, 1 and 32
#               clients (bench/ws_load.cpp), ViperHTTP on CPython and MicroPython vs FastAPI on
#               uvicorn (websockets) and the engine's C echo
# templates     templates: renders/s of a 2 KB page with a 50-item loop, ViperHTTP vs Jinja2
#               in-process (bench/templates_bench.py, CPython and MicroPython), a 1 MB page whole
#               and in 16 KB pieces, memory in the esp32 profile (bench/templates_memory.py),
#               and a Python route returning the page vs FastAPI + Jinja2Templates under wrk
# models        (not in "all") POST /orders with a 10-field nested model (3 lines, an address):
#               viperhttp.Model on CPython and MicroPython vs FastAPI + pydantic under wrk
#               (bench/apps/models_*_app.py, bench/models_post.lua)
# all           throughput alloc parser python python-idle wakeup python-alloc static microdot
#               python-instructions templates
#
# Knobs (environment): BENCH_RUNS=3 BENCH_DURATION=10 BENCH_WARMUP=2 BENCH_CONNS=50
#   BENCH_THREADS=1 SERVER_CPU=0 CLIENT_CPU=1 ALLOC_N1=2000 ALLOC_N2=12000 IDLE_SECONDS=10
#   IDLE_CONNS=10 PYALLOC_N1=2000 PYALLOC_N2=12000
#   MPY_OPTS="" (options of the MicroPython binary in python, e.g. "-X heapsize=16M")
#   NGINX_TCP_NOPUSH=on (static: nginx's tcp_nopush, with sendfile on)
#   BENCH_RESULTS=DIR (keep raw wrk/valgrind outputs there; default: a temp dir, removed)
#   MICRODOT_DIR=DIR (microdot: Microdot's src/ directory)
#   BENCH_BASELINE=DIR (python, microdot, python-instructions: also measure the checkout in DIR,
#     built there beforehand: build/release/python/_viperhttp*.so and build/micropython/micropython;
#     its servers are named *-base, and the after/before ratios are printed)
#   INSTR_N1=1000 INSTR_N2=6000 (python-instructions: requests of the two runs)
# Only 127.0.0.1 is loaded; every step is bounded in time; every process started is stopped on
# exit.  The numbers are only meaningful on a quiet machine: the load average is printed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
MODE=${1:-all}
MODES="throughput|alloc|parser|python|python-idle|python-alloc|wakeup|static|microdot|python-instructions|syscalls|static-syscalls|pool|form|sse|tls|ws|templates|models|all"
case "$MODE" in
  pool) exec bench/pool.sh ;;
  form) exec bench/form.sh ;;
  sse) exec bench/sse.sh ;;
  tls) exec bench/tls.sh ;;
  ws) exec bench/ws.sh ;;
  throughput | alloc | parser | python | python-idle | python-alloc | wakeup | static | microdot | models | \
    python-instructions | syscalls | static-syscalls | templates | all) ;;
  -h | --help)
    sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"
    exit 0
    ;;
  *)
    echo "usage: $0 [$MODES]" >&2
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
IDLE_SECONDS=${IDLE_SECONDS:-10}
IDLE_CONNS=${IDLE_CONNS:-10}
PYALLOC_N1=${PYALLOC_N1:-2000}
PYALLOC_N2=${PYALLOC_N2:-12000}
INSTR_N1=${INSTR_N1:-1000}
INSTR_N2=${INSTR_N2:-6000}
HOST=127.0.0.1
PY=/usr/bin/python3
TOOL="$ROOT/bench/benchtool.py"
DEMO="$ROOT/build/release/examples/demo/viper_demo"
# The options every engine run uses (the issue's: 256 connection slots, no console output).
DEMO_ARGS=(--host "$HOST" --max-connections 256 --quiet)
APPS="$ROOT/bench/apps"
# The Python runtime: the release extension and the package from the source tree.
PY_ENV=(env "PYTHONPATH=$ROOT/build/release/python:$ROOT/python")
# The MicroPython unix port with the _viperhttp module (scripts/micropython.sh builds it): the
# package from the source tree, then the frozen modules (asyncio).
MPY_BIN="$ROOT/build/micropython/micropython"
MPY_ENV=(env "MICROPYPATH=$ROOT/python:.frozen")
read -r -a MPY_OPTS <<<"${MPY_OPTS:-}"
# Another checkout measured beside this one (BENCH_BASELINE), e.g. the commit a branch started
# from: the same apps of this tree run with its package, extension and MicroPython binary.
BASE_ROOT=${BENCH_BASELINE:-}
if [[ -n $BASE_ROOT ]]; then
  BASE_ROOT=$(cd "$BASE_ROOT" && pwd) || { echo "bench: BENCH_BASELINE=$BENCH_BASELINE is not a directory" >&2; exit 2; }
fi
BASE_PY_ENV=(env "PYTHONPATH=$BASE_ROOT/build/release/python:$BASE_ROOT/python")
BASE_MPY_BIN="$BASE_ROOT/build/micropython/micropython"
BASE_MPY_ENV=(env "MICROPYPATH=$BASE_ROOT/python:.frozen")
MICRODOT_DIR=${MICRODOT_DIR:-}
NGINX_TCP_NOPUSH=${NGINX_TCP_NOPUSH:-on}
# nginx: a file of extra directives put into its server block (after "listen"); empty: none.
NGINX_EXTRA=""
# The Python app start_viper runs (in bench/apps) and its arguments after the port.
VIPER_APP=viper_app.py
VIPER_APP_ARGS=()
WRK_ARGS=()   # extra wrk arguments of a suite (models: the POST script)
CURL_ARGS=()  # extra curl arguments of check_scenarios (models: the POST body)
MPY_OK=0 # set by build_micropython

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
  : >"$TMP/$name.log" # exists before the background job opens it (readers poll it at once)
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

# build_demo [TARGET...]: the release demo (and the given extra targets, e.g. _viperhttp).
build_demo() {
  log "building the release demo${1:+ and $*}"
  cmake --preset release >/dev/null
  cmake --build --preset release --target viper_demo "$@" -j2 >"$TMP/build.log" 2>&1 || {
    tail -30 "$TMP/build.log" >&2
    die "release build of viper_demo $* failed"
  }
  [[ -x $DEMO ]] || die "$DEMO missing after the build"
  if (($#)); then
    compgen -G "$ROOT/build/release/python/_viperhttp*.so" >/dev/null ||
      die "build/release/python/_viperhttp*.so missing after the build"
  fi
}

machine_info() {
  echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), kernel $(uname -r)"
  local dirty
  dirty=$(git -C "$ROOT" status --porcelain -- engine bindings python examples 2>/dev/null | wc -l)
  echo "source: commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$( ((dirty == 0)) || echo ", $dirty uncommitted file(s) in engine/ bindings/ python/ examples/")"
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
# SCENARIO_REF[scenario]: its reference server when not REFERENCE.  TARGETS_JSON: minimum
# per-run ratios to the reference, {"scenario": {"server": ratio}} (empty: --target 1.0 for all).
# EXTRA_RATIOS_JSON: further ratios printed under the table (see benchtool.py extra_ratio).
declare -A SCENARIO_REF=()
TARGETS_JSON=""
EXTRA_RATIOS_JSON="[]"
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

# core_ticks CPU...: per CPU "BUSY STEAL TOTAL" clock ticks from /proc/stat (busy: user, nice,
# system: the processes' time, which is also what their utime/stime count; not irq/softirq).
core_ticks() {
  local c line f
  for c in "$@"; do
    line=$(grep "^cpu$c " /proc/stat) || return 1
    read -r -a f <<<"$line"
    echo -n "$((f[1] + f[2] + f[3])) $((f[8])) $((f[1] + f[2] + f[3] + f[4] + f[5] + f[6] + f[7] + f[8])) "
  done
  echo
}

# thread_ticks PID...: one line per thread, "PID TID USER SYSTEM" (clock ticks).
thread_ticks() {
  local p t stat f
  for p in "$@"; do
    for t in /proc/"$p"/task/*; do
      stat=$(<"$t/stat") 2>/dev/null || continue # the thread ended meanwhile
      read -r -a f <<<"${stat##*) }"
      echo "$p ${t##*/} ${f[11]} ${f[12]}"
    done
  done
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
  local extra=()
  [[ -z $NGINX_EXTRA ]] || extra=(-e "/^[[:space:]]*listen 127\.0\.0\.1:/r $NGINX_EXTRA")
  sed -e "s|@TMP@|$dir|g" -e "s|@PORT@|$port|g" -e "s|@USER_LINE@|$user_line|" \
    "${extra[@]+"${extra[@]}"}" "$ROOT/bench/nginx.conf.in" >"$dir/nginx.conf"
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
      [[ -n ${SCENARIO_PATH[$sc.$sv]+x} ]] || continue # this server does not run the scenario
      url="${SERVER_URL[$sv]}${SCENARIO_PATH[$sc.$sv]}"
      out=$(curl -s -o "$TMP/body.$sc.$sv" --max-time 5 -w '%{http_code} %{size_header} %{size_download}' \
        "${CURL_ARGS[@]+"${CURL_ARGS[@]}"}" "$url") ||
        die "$sv does not answer $url"
      read -r code hdr body <<<"$out"
      [[ $code == "${SCENARIO_STATUS[$sc]}" ]] ||
        die "$sv answered $code to $url (expected ${SCENARIO_STATUS[$sc]})"
      printf '   %-13s %-9s %s -> %s, %s header + %s body bytes\n' "$sc" "$sv" "${SCENARIO_PATH[$sc.$sv]}" "$code" "$hdr" "$body"
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

# run_suite: the wrk comparison of SERVERS over SCENARIOS (see above), then the table.
run_suite() {
  local TIMEFORMAT='%U %S'
  command -v wrk >/dev/null || die "wrk not installed (scripts/install-deps.sh bench)"
  log "$1: wrk -t$THREADS -c$CONNS -d${DURATION}s --latency (after a ${WARMUP}s warm-up), $RUNS run(s); servers on CPU $SERVER_CPU, wrk on CPU $CLIENT_CPU"
  machine_info
  local sv sc run url res="$TMP/wrk" t0 t1 u0 u1 s0 s1 workers
  [[ $1 == throughput ]] || res+=".$1"
  mkdir -p "$res"
  for sv in "${SERVERS[@]}"; do "start_server_$sv"; done
  for sv in "${SERVERS[@]}"; do echo "   $sv: ${SERVER_URL[$sv]} (pid ${SERVER_PID[$sv]})"; done
  check_scenarios
  local scj svj
  scj=$(printf '"%s",' "${SCENARIOS[@]}")
  svj=$(printf '"%s",' "${SERVERS[@]}")
  local refj="" stj="" targets=${TARGETS_JSON:-"{}"}
  for sc in "${!SCENARIO_REF[@]}"; do refj+="\"$sc\": \"${SCENARIO_REF[$sc]}\","; done
  for sc in "${SCENARIOS[@]}"; do stj+="\"$sc\": ${SCENARIO_STATUS[$sc]},"; done
  printf '{"scenarios": [%s], "servers": [%s], "reference": "%s", "references": {%s}, "statuses": {%s}, "targets": %s, "extra_ratios": %s, "response_bytes": %s}\n' \
    "${scj%,}" "${svj%,}" "$REFERENCE" "${refj%,}" "${stj%,}" "$targets" "$EXTRA_RATIOS_JSON" \
    "$RESPONSE_BYTES_JSON" >"$res/meta.json"
  # Servers alternate order from run to run (A B, B A, ...) so that load drifting during the
  # benchmark does not always favour the same server.
  local order=("${SERVERS[@]}") reversed=() i
  for ((i = ${#SERVERS[@]} - 1; i >= 0; i--)); do reversed+=("${SERVERS[$i]}"); done
  for ((run = 1; run <= RUNS; run++)); do
    if ((run % 2)); then order=("${SERVERS[@]}"); else order=("${reversed[@]}"); fi
    for sc in "${SCENARIOS[@]}"; do
      for sv in "${order[@]}"; do
        [[ -n ${SCENARIO_PATH[$sc.$sv]+x} ]] || continue
        url="${SERVER_URL[$sv]}${SCENARIO_PATH[$sc.$sv]}"
        # shellcheck disable=SC2206 # word splitting of the pid list is wanted
        workers=(${SERVER_WORKERS[$sv]:-${SERVER_PID[$sv]}})
        run_wrk "$WARMUP" "$url" "${WRK_ARGS[@]+"${WRK_ARGS[@]}"}" >/dev/null || die "wrk warm-up failed on $url"
        thread_ticks "${workers[@]}" >"$res/$sc.$sv.$run.threads0"
        core_ticks "$SERVER_CPU" "$CLIENT_CPU" >"$res/$sc.$sv.$run.cores0"
        t0=$(cpu_ticks "${workers[@]}") || die "$sv: cannot read its CPU time"
        # bash's `time` gives wrk's own CPU time (user + system): is the client the bottleneck?
        { time run_wrk "$DURATION" "$url" --latency "${WRK_ARGS[@]+"${WRK_ARGS[@]}"}" >"$res/$sc.$sv.$run.wrk"; } 2>"$res/$sc.$sv.$run.client" ||
          die "wrk failed on $url (see $res/$sc.$sv.$run.wrk)"
        t1=$(cpu_ticks "${workers[@]}") || die "$sv exited during the run"
        thread_ticks "${workers[@]}" >"$res/$sc.$sv.$run.threads1"
        core_ticks "$SERVER_CPU" "$CLIENT_CPU" >"$res/$sc.$sv.$run.cores1"
        read -r u0 s0 <<<"$t0"
        read -r u1 s1 <<<"$t1"
        # total ticks, ticks per second, user-space ticks
        echo "$((u1 + s1 - u0 - s0)) $(getconf CLK_TCK) $((u1 - u0))" >"$res/$sc.$sv.$run.cpu"
        kill -0 "${SERVER_PID[$sv]}" 2>/dev/null || die "$sv exited during the run"
        printf '   run %d/%d  %-13s %-9s %10s req/s  server CPU %5.1f s  load %s\n' "$run" "$RUNS" \
          "$sc" "$sv" "$(sed -n 's/^Requests\/sec:[[:space:]]*//p' "$res/$sc.$sv.$run.wrk")" \
          "$(awk '{print $1 / $2}' "$res/$sc.$sv.$run.cpu")" "$(cut -d' ' -f1 /proc/loadavg)"
      done
    done
  done
  [[ -z ${SUITE_HOOK:-} ]] || "$SUITE_HOOK" # e.g. counters of the servers, before they stop
  for sv in "${SERVERS[@]}"; do stop "${SERVER_PID[$sv]}" 10 || true; done
  echo
  log "$1 results (median of $RUNS runs; ratio = server req/s / ${2:-$REFERENCE} req/s)"
  for sc in "${SCENARIOS[@]}"; do echo "   $sc: ${SCENARIO_DESC[$sc]}"; done
  echo
  $PY "$TOOL" wrk-table "$res" --target 1.0
  echo
  echo "markdown:"
  $PY "$TOOL" wrk-table "$res" --markdown
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
}

mode_throughput() {
  run_suite throughput
  echo "note: nginx's 404 body is its HTML error page (~150 bytes + Server header); the engine's is"
  echo "      the 22-byte JSON {\"detail\":\"Not Found\"}.  Targets: engine >= 1.00x nginx in (c) and (d)."
}

# ---------------------------------------------------------------------------------------------
# The Python runtime: bench/apps/viper_app.py (ViperHTTP) against bench/apps/fastapi_app.py
# (FastAPI on uvicorn, one worker) and the engine-only demo route.

check_python_deps() {
  $PY -c 'import fastapi, uvicorn, uvloop, httptools' 2>/dev/null ||
    die "FastAPI, uvicorn, uvloop or httptools missing (scripts/install-deps.sh bench)"
  "${PY_ENV[@]}" $PY -c 'import _viperhttp, viperhttp' 2>/dev/null ||
    die "cannot import _viperhttp/viperhttp from build/release/python:python"
}

# start_viper NAME TIMEOUT [WRAPPER...]: starts bench/apps/viper_app.py on CPython on a free port
# (port 0) and waits for its "ViperHTTP running on http://HOST:PORT" line; sets VIPER_PID,
# VIPER_PORT.
start_viper() {
  local name=$1 secs=$2
  shift 2
  start_viper_cmd "$name" "$secs" "${PY_ENV[@]}" "$@" $PY
}

# start_viper_cmd NAME TIMEOUT CMD...: the same with any interpreter command line: runs
# CMD bench/apps/viper_app.py 0 (another app: VIPER_APP, its further arguments: VIPER_APP_ARGS).
start_viper_cmd() {
  local name=$1 secs=$2 i
  shift 2
  launch "$name" "$@" "$APPS/$VIPER_APP" 0 "${VIPER_APP_ARGS[@]+"${VIPER_APP_ARGS[@]}"}"
  VIPER_PID=$LAST_PID
  VIPER_PORT=""
  for ((i = 0; i < secs * 10; i++)); do
    VIPER_PORT=$(sed -n 's|.*ViperHTTP running on http://[^:]*:\([0-9]*\).*|\1|p' \
      "$TMP/$name.log" | head -1)
    [[ -n $VIPER_PORT ]] && break
    kill -0 "$VIPER_PID" 2>/dev/null || break
    sleep 0.1
  done
  if [[ -z $VIPER_PORT ]]; then
    echo "--- $TMP/$name.log:" >&2
    tail -20 "$TMP/$name.log" >&2 || true
    die "the ViperHTTP app ($name) did not start within ${secs}s"
  fi
}

start_server_viper() {
  start_viper viper 30 taskset -c "$SERVER_CPU"
  SERVER_URL[viper]="http://$HOST:$VIPER_PORT"
  SERVER_PID[viper]=$VIPER_PID
}

# The same app on the MicroPython unix port (the same pinning; MPY_OPTS, e.g. a heap size).
start_server_viper-mpy() {
  start_viper_cmd viper-mpy 30 "${MPY_ENV[@]}" taskset -c "$SERVER_CPU" "$MPY_BIN" \
    "${MPY_OPTS[@]+"${MPY_OPTS[@]}"}"
  SERVER_URL[viper-mpy]="http://$HOST:$VIPER_PORT"
  SERVER_PID[viper-mpy]=$VIPER_PID
}

# The same apps with the package, extension and MicroPython binary of BENCH_BASELINE.
start_server_viper-base() {
  start_viper_cmd viper-base 30 "${BASE_PY_ENV[@]}" taskset -c "$SERVER_CPU" $PY
  SERVER_URL[viper-base]="http://$HOST:$VIPER_PORT"
  SERVER_PID[viper-base]=$VIPER_PID
}

start_server_viper-mpy-base() {
  start_viper_cmd viper-mpy-base 30 "${BASE_MPY_ENV[@]}" taskset -c "$SERVER_CPU" "$BASE_MPY_BIN" \
    "${MPY_OPTS[@]+"${MPY_OPTS[@]}"}"
  SERVER_URL[viper-mpy-base]="http://$HOST:$VIPER_PORT"
  SERVER_PID[viper-mpy-base]=$VIPER_PID
}

# Microdot (MICRODOT_DIR: its src/ directory) on the same MicroPython binary, pinned the same:
# bench/apps/microdot_app.py with common.py beside it.
start_server_microdot-mpy() {
  local port
  port=$(free_port)
  launch microdot-mpy env "MICROPYPATH=$MICRODOT_DIR:$APPS:.frozen" taskset -c "$SERVER_CPU" \
    "$MPY_BIN" "${MPY_OPTS[@]+"${MPY_OPTS[@]}"}" "$APPS/microdot_app.py" "$port"
  SERVER_PID[microdot-mpy]=$LAST_PID
  SERVER_URL[microdot-mpy]="http://$HOST:$port"
  wait_http "${SERVER_URL[microdot-mpy]}/hello" 30 "$LAST_PID" || {
    tail -20 "$TMP/microdot-mpy.log" >&2 || true
    die "Microdot did not start on port $port within 30s"
  }
}

# check_baseline: BENCH_BASELINE's builds are there (BASE_CPY_OK / BASE_MPY_OK), or says why not.
check_baseline() {
  BASE_CPY_OK=0
  BASE_MPY_OK=0
  [[ -n $BASE_ROOT ]] || return 0
  if "${BASE_PY_ENV[@]}" $PY -c 'import _viperhttp, viperhttp' 2>/dev/null; then
    BASE_CPY_OK=1
  else
    echo "   BENCH_BASELINE=$BASE_ROOT: cannot import _viperhttp/viperhttp from its build/release/python:python; its CPython column is skipped"
  fi
  if [[ -x $BASE_MPY_BIN ]]; then
    BASE_MPY_OK=1
  else
    echo "   BENCH_BASELINE=$BASE_ROOT: no build/micropython/micropython there; its MicroPython column is skipped"
  fi
  echo "   baseline (*-base): $BASE_ROOT, commit $(git -C "$BASE_ROOT" rev-parse --short HEAD 2>/dev/null || echo '(not a git checkout)')"
}

# build_micropython: scripts/micropython.sh (the first time it fetches Debian's micropython
# source package and builds the unix port, about a minute; afterwards make rebuilds what
# changed).  Sets MPY_OK=1, or prints why the MicroPython figures are skipped.
build_micropython() {
  MPY_OK=0
  log "building the MicroPython unix port with _viperhttp (scripts/micropython.sh)"
  if ! timeout 900 "$ROOT/scripts/micropython.sh" >"$TMP/micropython-build.log" 2>&1; then
    tail -15 "$TMP/micropython-build.log" | sed 's/^/   | /'
    echo "   scripts/micropython.sh failed: the ViperHTTP (MicroPython) figures are skipped"
    return 1
  fi
  if [[ ! -x $MPY_BIN ]]; then
    echo "   $MPY_BIN missing after scripts/micropython.sh: the ViperHTTP (MicroPython) figures are skipped"
    return 1
  fi
  MPY_OK=1
}

FASTAPI_APP=fastapi_app # the module start_server_fastapi serves (bench/apps)
start_server_fastapi() {
  local port
  port=$(free_port)
  launch fastapi taskset -c "$SERVER_CPU" $PY -m uvicorn "$FASTAPI_APP:app" --app-dir "$APPS" \
    --host "$HOST" --port "$port" --loop uvloop --http httptools --no-access-log \
    --log-level warning
  SERVER_PID[fastapi]=$LAST_PID
  SERVER_URL[fastapi]="http://$HOST:$port"
  wait_http "${SERVER_URL[fastapi]}/hello" 30 "$LAST_PID" || {
    tail -20 "$TMP/fastapi.log" >&2 || true
    die "uvicorn did not start on port $port within 30s"
  }
}

# The Python suite replaces the throughput suite's servers and scenarios.
use_python_suite() {
  SERVERS=(engine viper)
  ((${BASE_CPY_OK:-0})) && SERVERS+=(viper-base)
  ((MPY_OK)) && SERVERS+=(viper-mpy)
  ((MPY_OK && ${BASE_MPY_OK:-0})) && SERVERS+=(viper-mpy-base)
  SERVERS+=(fastapi)
  REFERENCE=fastapi
  SCENARIOS=(a-hello a-hello-async b-items)
  SCENARIO_DESC=(
    [a-hello]='GET /hello -> {"message":"hello"}: a Python "def" handler (viper, fastapi); engine: the demo'"'"'s engine-only route'
    [a-hello-async]='GET /hello-async -> {"message":"hello"}: the same handler as "async def" (ViperHTTP: coroutine fast path)'
    [b-items]='GET /items/42?q=x -> {"item_id":42,"q":"x","name":"item 42","price":420}: int path parameter, optional query parameter, get_db() -> get_item(db, id)'
  )
  SCENARIO_STATUS=([a-hello]=200 [a-hello-async]=200 [b-items]=200)
  SCENARIO_PATH=(
    [a-hello.engine]=/hello [a-hello.viper]=/hello [a-hello.fastapi]=/hello
    [a-hello-async.viper]=/hello-async [a-hello-async.fastapi]=/hello-async
    [b-items.viper]='/items/42?q=x' [b-items.fastapi]='/items/42?q=x'
    [a-hello.viper-mpy]=/hello [a-hello-async.viper-mpy]=/hello-async
    [b-items.viper-mpy]='/items/42?q=x'
    [a-hello.viper-base]=/hello [a-hello-async.viper-base]=/hello-async
    [b-items.viper-base]='/items/42?q=x'
    [a-hello.viper-mpy-base]=/hello [a-hello-async.viper-mpy-base]=/hello-async
    [b-items.viper-mpy-base]='/items/42?q=x'
  )
  SCENARIO_REF=()
  TARGETS_JSON='{"a-hello": {"viper": 2.5}, "a-hello-async": {"viper": 4.0}, "b-items": {"viper": 8.0}}'
  EXTRA_RATIOS_JSON='[
    {"label": "Python route / engine-only route", "num": ["a-hello", "viper"], "den": ["a-hello", "engine"], "target": 0.5},
    {"label": "async Python route / engine-only route", "num": ["a-hello-async", "viper"], "den": ["a-hello", "engine"]},
    {"label": "ViperHTTP async def / def", "num": ["a-hello-async", "viper"], "den": ["a-hello", "viper"]},
    {"label": "FastAPI async def / def", "num": ["a-hello-async", "fastapi"], "den": ["a-hello", "fastapi"]},
    {"label": "ViperHTTP MicroPython / CPython (a, def)", "num": ["a-hello", "viper-mpy"], "den": ["a-hello", "viper"]},
    {"label": "ViperHTTP MicroPython / CPython (a, async def)", "num": ["a-hello-async", "viper-mpy"], "den": ["a-hello-async", "viper"]},
    {"label": "ViperHTTP MicroPython / CPython (b)", "num": ["b-items", "viper-mpy"], "den": ["b-items", "viper"]},
    {"label": "MicroPython route / engine-only route", "num": ["a-hello", "viper-mpy"], "den": ["a-hello", "engine"]},
    {"label": "ViperHTTP MicroPython async def / def", "num": ["a-hello-async", "viper-mpy"], "den": ["a-hello", "viper-mpy"]},
    {"label": "after / before (a, CPython)", "num": ["a-hello", "viper"], "den": ["a-hello", "viper-base"]},
    {"label": "after / before (a async, CPython)", "num": ["a-hello-async", "viper"], "den": ["a-hello-async", "viper-base"]},
    {"label": "after / before (b, CPython)", "num": ["b-items", "viper"], "den": ["b-items", "viper-base"]},
    {"label": "after / before (a, MicroPython)", "num": ["a-hello", "viper-mpy"], "den": ["a-hello", "viper-mpy-base"]},
    {"label": "after / before (a async, MicroPython)", "num": ["a-hello-async", "viper-mpy"], "den": ["a-hello-async", "viper-mpy-base"]},
    {"label": "after / before (b, MicroPython)", "num": ["b-items", "viper-mpy"], "den": ["b-items", "viper-mpy-base"]}]'
  SERVER_WORKERS=()
  SUITE_HOOK=python_suite_counters
}

# The MicroPython runtime against Microdot on the same binary.
use_microdot_suite() {
  SERVERS=(viper-mpy)
  ((${BASE_MPY_OK:-0})) && SERVERS+=(viper-mpy-base)
  SERVERS+=(microdot-mpy)
  REFERENCE=microdot-mpy
  SCENARIOS=(m-hello m-hello-async m-items)
  SCENARIO_DESC=(
    [m-hello]='GET /hello -> {"message":"hello"}: a "def" handler'
    [m-hello-async]='GET /hello-async -> the same from an "async def" handler'
    [m-items]='GET /items/42?q=x -> {"item_id":42,"q":"x","name":"item 42","price":420}: ViperHTTP: two chained Depends; Microdot: the same two calls in the handler'
  )
  SCENARIO_STATUS=([m-hello]=200 [m-hello-async]=200 [m-items]=200)
  SCENARIO_PATH=()
  local sv
  for sv in "${SERVERS[@]}"; do
    SCENARIO_PATH[m-hello.$sv]=/hello
    SCENARIO_PATH[m-hello-async.$sv]=/hello-async
    SCENARIO_PATH[m-items.$sv]='/items/42?q=x'
  done
  SCENARIO_REF=()
  TARGETS_JSON='{"m-hello": {"viper-mpy": 12.0}, "m-items": {"viper-mpy": 12.0}}'
  EXTRA_RATIOS_JSON='[
    {"label": "after / before (hello)", "num": ["m-hello", "viper-mpy"], "den": ["m-hello", "viper-mpy-base"]},
    {"label": "after / before (hello async)", "num": ["m-hello-async", "viper-mpy"], "den": ["m-hello-async", "viper-mpy-base"]},
    {"label": "after / before (items)", "num": ["m-items", "viper-mpy"], "den": ["m-items", "viper-mpy-base"]}]'
  SERVER_WORKERS=()
  SUITE_HOOK=python_suite_counters
}

# The ViperHTTP apps' counters after the runs: how the bridge batched the requests.
python_suite_counters() {
  local sv
  for sv in viper viper-base viper-mpy viper-mpy-base; do
    [[ -n ${SERVER_URL[$sv]:-} ]] || continue
    curl -s --max-time 5 "${SERVER_URL[$sv]}/stats" >"$TMP/$sv-stats.json" || continue
    $PY - "$TMP/$sv-stats.json" "$sv" <<'EOF' || true
import json, sys
d = json.load(open(sys.argv[1]))
b, p = d["bridge"], d["python"]
req = b["requests_queued"]
print("   %s counters over all runs: %d requests queued to Python, %d interpreter wake-ups "
      "(%.1f requests per wake-up), %d engine wake-ups (%.1f responses per wake-up), %d answered "
      "503 (queue full), %d engine loop wake-ups"
      % (sys.argv[2], req, b["interpreter_wakeups"], req / max(b["interpreter_wakeups"], 1),
         b["engine_wakeups"], b["responses_applied"] / max(b["engine_wakeups"], 1),
         b["queue_full_503"], d["loop_wakeups"]))
print("   Python side: " + ", ".join("%s %s" % kv for kv in sorted(p.items())))
EOF
  done
}

mode_python() {
  check_python_deps
  build_micropython || true # without it: the table without the MicroPython column
  check_baseline
  use_python_suite
  echo "   viper: $PY bench/apps/viper_app.py (ViperHTTP Python runtime: engine thread + interpreter"
  echo "          thread, both on CPU $SERVER_CPU; max_connections=256, access_log=False)"
  if ((MPY_OK)); then
    echo "   viper-mpy: ViperHTTP (MicroPython), the same app on the MicroPython unix port, pinned the same:"
    echo "          MICROPYPATH=python:.frozen build/micropython/micropython ${MPY_OPTS[*]:-(default GC heap: 2 MB)} bench/apps/viper_app.py"
  else
    echo "   viper-mpy: ViperHTTP (MicroPython): skipped (the MicroPython build failed, see above)"
  fi
  echo "   fastapi: uvicorn fastapi_app:app --loop uvloop --http httptools --no-access-log (1 worker)"
  echo "   engine: the demo's engine-only /hello (no Python), as in throughput"
  run_suite python FastAPI
  echo "note: FastAPI runs a \"def\" handler in its thread pool, an \"async def\" one on the event loop."
  echo "      Targets: ViperHTTP >= 2.5x FastAPI in (a), >= 8x in (b); Python route >= 0.5x the engine-only route."
  if ((MPY_OK)); then
    echo "      viper-mpy: its ratio column is vs FastAPI; the MicroPython / CPython ratios are under the table."
  fi
}

# The MicroPython runtime against Microdot (https://github.com/miguelgrinberg/microdot) on the
# same MicroPython binary.  Microdot is not in this repository: MICRODOT_DIR names its src/.
mode_microdot() {
  log "microdot: ViperHTTP on the MicroPython unix port vs Microdot on the same interpreter"
  if [[ -z $MICRODOT_DIR || ! -f $MICRODOT_DIR/microdot/microdot.py ]]; then
    echo "   skipped: MICRODOT_DIR${MICRODOT_DIR:+=$MICRODOT_DIR} does not name Microdot's src/ directory"
    echo "   (a checkout of github.com/miguelgrinberg/microdot kept outside this repository; then"
    echo "   MICRODOT_DIR=/path/to/microdot/src bench/run.sh microdot)"
    return 0
  fi
  build_micropython || {
    echo "   skipped: no MicroPython binary"
    return 0
  }
  check_baseline
  use_microdot_suite
  echo "   viper-mpy: MICROPYPATH=python:.frozen build/micropython/micropython bench/apps/viper_app.py"
  echo "          (engine thread + interpreter thread, both on CPU $SERVER_CPU; max_connections=256, access_log=False)"
  echo "   microdot-mpy: MICROPYPATH=$MICRODOT_DIR:bench/apps:.frozen build/micropython/micropython bench/apps/microdot_app.py"
  echo "          (one thread on CPU $SERVER_CPU; Microdot closes the connection after each response)"
  run_suite microdot Microdot
  echo "note: Microdot has no keep-alive, so wrk reconnects for every request to it; ViperHTTP keeps"
  echo "      connections open.  Targets: ViperHTTP >= 12x Microdot on /hello and /items (per-run ratios)."
}

# ---------------------------------------------------------------------------------------------
# Instructions per request under callgrind: what the interpreter thread executes for one
# request, independent of the machine's load (the proxy for the device, where the same
# bytecode runs on a 240 MHz core).

INSTR_PATHS=(/hello /hello-async '/items/42?q=x' /no/such/path)

# instr_run TAG N ENV-CMD...: the app under callgrind (one output file per thread) serving N
# sequential requests to INSTR_PATH on one keep-alive connection, stopped with SIGTERM; sets
# INSTR_THREADS to "interpreter-thread engine-thread" instruction totals.
instr_run() {
  local tag=$1 n=$2 out="$TMP/cg.$1"
  shift 2
  start_viper_cmd "cg.$tag" 300 "$@" valgrind --tool=callgrind --separate-threads=yes \
    --callgrind-out-file="$out" --log-file="$TMP/cg.$tag.vglog" "$INSTR_INTERP"
  timeout 900 $PY "$TOOL" requests "$HOST" "$VIPER_PORT" "$INSTR_PATH" "$n" --conns 1 \
    >"$TMP/cg.$tag.client" || die "client failed against the app under callgrind ($tag)"
  stop "$VIPER_PID" 300 || die "the app under callgrind exited with an error ($tag); see $TMP/cg.$tag.vglog"
  # Thread 1 is the interpreter's (the main thread); the engine's thread is the next one made.
  INSTR_THREADS="$(sed -n 's/^totals: *//p' "$out-01") $(sed -n 's/^totals: *//p' "$out-02")"
  [[ $INSTR_THREADS =~ ^[0-9]+\ [0-9]+$ ]] || die "cannot read the callgrind totals of $out-01/-02"
}

# instr_microdot: Microdot (from its source: it is not frozen) on the same binary, one thread;
# /hello and /items only (its 404 is its own Python code, not comparable).
instr_microdot() {
  local path n a b port out
  for path in /hello '/items/42?q=x'; do
    for n in "$INSTR_N1" "$INSTR_N2"; do
      port=$(free_port)
      out="$TMP/cg.microdot.$n${path//[^a-z0-9]/_}"
      launch "cg.microdot.$n" env "MICROPYPATH=$MICRODOT_DIR:$APPS:.frozen" valgrind \
        --tool=callgrind --separate-threads=yes --callgrind-out-file="$out" \
        --log-file="$out.vglog" "$MPY_BIN" "$APPS/microdot_app.py" "$port"
      wait_http "http://$HOST:$port/hello" 300 "$LAST_PID" || die "Microdot under callgrind did not start"
      timeout 900 $PY "$TOOL" requests "$HOST" "$port" "$path" "$n" --conns 1 >"$out.client" ||
        die "client failed against Microdot under callgrind"
      stop "$LAST_PID" 120 INT || true # Microdot stops on KeyboardInterrupt
      [[ $n == "$INSTR_N1" ]] && a="$(sed -n 's/^totals: *//p' "$out-01") 0" || b="$(sed -n 's/^totals: *//p' "$out-01") 0"
    done
    echo "microdot|$path|$a|$b" >>"$TMP/instructions.rows"
    printf '   %-18s %-15s measured\n' microdot "$path"
  done
}

# instr_interp LABEL ENV-CMD...: every INSTR_PATH for one interpreter (INSTR_INTERP) and tree.
instr_interp() {
  local label=$1 path a b
  shift
  for path in "${INSTR_PATHS[@]}"; do
    INSTR_PATH=$path
    instr_run "$label.n1${path//[^a-z0-9]/_}" "$INSTR_N1" "$@"
    a=$INSTR_THREADS
    instr_run "$label.n2${path//[^a-z0-9]/_}" "$INSTR_N2" "$@"
    b=$INSTR_THREADS
    echo "$label|$path|$a|$b" >>"$TMP/instructions.rows"
    printf '   %-18s %-15s measured\n' "$label" "$path"
  done
}

mode_python_instructions() {
  command -v valgrind >/dev/null || die "valgrind not installed (scripts/install-deps.sh bench)"
  log "python-instructions: instructions per request under callgrind (interpreter thread, engine thread)"
  echo "   bench/apps/viper_app.py under valgrind --tool=callgrind --separate-threads=yes serves"
  echo "   N1=$INSTR_N1 then (new process) N2=$INSTR_N2 sequential GET requests on one keep-alive connection"
  echo "   (benchtool.py requests --conns 1), stopped with SIGTERM; per request = (X2 - X1) / (N2 - N1),"
  echo "   X = the thread's instruction total (start-up, compilation and shutdown cancel out)"
  machine_info
  "${PY_ENV[@]}" $PY -c 'import _viperhttp, viperhttp' 2>/dev/null ||
    die "cannot import _viperhttp/viperhttp from build/release/python:python"
  build_micropython || true
  check_baseline
  : >"$TMP/instructions.rows"
  if ((MPY_OK)); then
    # The package frozen into the binary (scripts/micropython.sh freezes python/), as on the
    # device: its strings are in the frozen qstr pool, not interned at run time.
    INSTR_INTERP=$MPY_BIN
    instr_interp micropython env MICROPYPATH=.frozen
    if ((${BASE_MPY_OK:-0})); then
      INSTR_INTERP=$BASE_MPY_BIN
      instr_interp micropython-base env MICROPYPATH=.frozen
    fi
    if [[ -n $MICRODOT_DIR && -f $MICRODOT_DIR/microdot/microdot.py ]]; then
      instr_microdot
    else
      echo "   microdot: skipped (MICRODOT_DIR does not name Microdot's src/ directory)"
    fi
  fi
  INSTR_INTERP=$PY
  instr_interp cpython "${PY_ENV[@]}"
  if ((${BASE_CPY_OK:-0})); then
    instr_interp cpython-base "${BASE_PY_ENV[@]}"
  fi
  $PY "$TOOL" instructions-table "$TMP/instructions.rows" "$INSTR_N1" "$INSTR_N2"
}

# Templates (issue 18): the in-process renders/s and the long page (bench/templates_bench.py)
# on CPython (with Jinja2 beside it) and on MicroPython, the memory of the esp32 profile
# (bench/templates_memory.py with the extension built by the esp32 preset), then the Python
# route returning the page (bench/apps/templates_viper_app.py) against FastAPI + Starlette's
# Jinja2Templates on uvicorn (bench/apps/templates_fastapi_app.py) under wrk.
use_templates_suite() {
  SERVERS=(viper fastapi)
  ((MPY_OK)) && SERVERS=(viper viper-mpy fastapi)
  REFERENCE=fastapi
  SCENARIOS=(t-status)
  SCENARIO_DESC=(
    [t-status]='GET /status -> templates.TemplateResponse("status.html", ...): a 2 KB page with a 50-item loop (bench/apps/templates/status.html)'
  )
  SCENARIO_STATUS=([t-status]=200)
  SCENARIO_PATH=([t-status.viper]=/status [t-status.viper-mpy]=/status [t-status.fastapi]=/status)
  SCENARIO_REF=()
  TARGETS_JSON='{"t-status": {"viper": 3.0}}'
  EXTRA_RATIOS_JSON='[
    {"label": "ViperHTTP MicroPython / CPython", "num": ["t-status", "viper-mpy"], "den": ["t-status", "viper"]}]'
  SERVER_WORKERS=()
  SUITE_HOOK=""
  VIPER_APP=templates_viper_app.py
  FASTAPI_APP=templates_fastapi_app
}

# Models (issue 20): a POST whose JSON body is read into a 10-field nested model, ViperHTTP's
# portable Model (CPython, MicroPython) against FastAPI + pydantic (Debian: pydantic 1.10).
use_models_suite() {
  SERVERS=(viper fastapi)
  ((MPY_OK)) && SERVERS=(viper viper-mpy fastapi)
  REFERENCE=fastapi
  SCENARIOS=(m-order)
  SCENARIO_DESC=(
    [m-order]='POST /orders, bench/apps/models_body.json (419 bytes): a 10-field model with a nested address and 3 nested lines, constraints on 12 fields, read into a model; a 4-key JSON answer'
  )
  SCENARIO_STATUS=([m-order]=200)
  SCENARIO_PATH=([m-order.viper]=/orders [m-order.viper-mpy]=/orders [m-order.fastapi]=/orders)
  SCENARIO_REF=()
  TARGETS_JSON='{"m-order": {"viper": 8.0}}'
  EXTRA_RATIOS_JSON='[
    {"label": "ViperHTTP MicroPython / CPython", "num": ["m-order", "viper-mpy"], "den": ["m-order", "viper"]}]'
  SERVER_WORKERS=()
  SUITE_HOOK=""
  VIPER_APP=models_viper_app.py
  FASTAPI_APP=models_fastapi_app
  export MODELS_BODY="$ROOT/bench/apps/models_body.json"
  WRK_ARGS=(-s "$ROOT/bench/models_post.lua")
  CURL_ARGS=(-X POST -H 'Content-Type: application/json' --data-binary "@$MODELS_BODY")
}

mode_models() {
  check_python_deps
  build_micropython || true
  use_models_suite
  echo "   viper: $PY bench/apps/models_viper_app.py (viperhttp.Model, Body(Order))"
  if ((MPY_OK)); then
    echo "   viper-mpy: the same app on the MicroPython unix port"
  fi
  echo "   fastapi: uvicorn models_fastapi_app:app --loop uvloop --http httptools (pydantic $($PY -c 'import pydantic; print(pydantic.VERSION)'))"
  run_suite models FastAPI
  WRK_ARGS=()
  CURL_ARGS=()
  echo "      Target: ViperHTTP >= 8x FastAPI + pydantic in req/s."
}

mode_templates() {
  check_python_deps
  $PY -c 'import jinja2' 2>/dev/null || die "python3-jinja2 missing (scripts/install-deps.sh bench)"
  build_micropython || true
  log "templates: in-process rendering (bench/templates_bench.py, ${DURATION}s per interpreter)"
  machine_info
  local seconds=$DURATION
  "${PY_ENV[@]}" taskset -c "$SERVER_CPU" timeout 300 $PY "$ROOT/bench/templates_bench.py" "$seconds" >"$TMP/tb-cpython.json" ||
    die "bench/templates_bench.py failed on CPython"
  if ((MPY_OK)); then
    "${MPY_ENV[@]}" taskset -c "$SERVER_CPU" timeout 300 "$MPY_BIN" -X heapsize=64M "$ROOT/bench/templates_bench.py" "$seconds" >"$TMP/tb-mpy.json" ||
      die "bench/templates_bench.py failed on MicroPython"
  else
    echo '{}' >"$TMP/tb-mpy.json"
  fi
  log "templates: memory in the esp32 profile (the extension built by the esp32 preset)"
  cmake --preset esp32 >/dev/null
  cmake --build --preset esp32 --target _viperhttp -j2 >"$TMP/build-esp32.log" 2>&1 || {
    tail -20 "$TMP/build-esp32.log" >&2
    die "esp32 build of _viperhttp failed"
  }
  env "PYTHONPATH=$ROOT/build/esp32/python:$ROOT/python" timeout 120 $PY "$ROOT/bench/templates_memory.py" >"$TMP/tm.json" ||
    die "bench/templates_memory.py failed"
  $PY - "$TMP/tb-cpython.json" "$TMP/tb-mpy.json" "$TMP/tm.json" <<'EOF'
import json, sys
c, m, mem = (json.load(open(p)) for p in sys.argv[1:4])
print("   page: %d bytes (bench/apps/templates/status.html), compiled %d bytes" % (c["page_bytes"], c["compiled_bytes"]))
print("   renders/s, compiled once:   ViperHTTP CPython %8.0f   Jinja2 %8.0f   ratio %.2f (target >= 2)"
      % (c["viper_renders_per_s"], c["jinja2_renders_per_s"], c["ratio_vs_jinja2"]))
if m:
    print("                               ViperHTTP MicroPython %8.0f" % m["viper_renders_per_s"])
for name, d in (("CPython", c), ("MicroPython", m)):
    if not d:
        continue
    print("   %-11s context encoding: %.0f%% of a render (%.1f us of %.1f us)"
          % (name, 100 * d["encode_share"], 1e6 / d["viper_encode_per_s"], 1e6 / d["viper_renders_per_s"]))
    print("   %-11s long page (%d bytes): whole %.1f ms, context encoded in %.1f ms, then %d pieces of 16 KB, the longest %.2f ms"
          % (name, d["big_page_bytes"], d["big_whole_ms"], d["big_encode_ms"], d["big_pieces"], d["big_longest_piece_ms"]))
print("   Jinja2 long page: %.1f ms" % c["jinja2_big_whole_ms"])
print("   esp32 profile: render memory %d bytes per render (+ context_bytes: a slot is %d bytes, %d slots %d bytes)"
      % (mem["render_memory"], mem["slot_bytes"] // mem["render_slots"], mem["render_slots"], mem["slot_bytes"]))
print("   esp32 profile: demo templates compiled %s (cache %d bytes); status page context %d bytes, scratch peak %d bytes"
      % (mem["demo_compiled_bytes"], mem["cache_bytes_used"], mem["demo_context_bytes"], mem["demo_scratch_peak"]))
print("   esp32 profile: benchmark page compiled %d bytes, context %d bytes, scratch peak %d bytes"
      % (mem["bench_compiled_bytes"], mem["bench_context_bytes"], mem["bench_scratch_peak"]))
EOF
  use_templates_suite
  echo "   viper: $PY bench/apps/templates_viper_app.py (the route returns templates.TemplateResponse)"
  if ((MPY_OK)); then
    echo "   viper-mpy: the same app on the MicroPython unix port"
  fi
  echo "   fastapi: uvicorn templates_fastapi_app:app --loop uvloop --http httptools (Starlette's Jinja2Templates)"
  run_suite templates FastAPI
  echo "      Target: ViperHTTP >= 3x FastAPI + Jinja2Templates in req/s."
}

# Idle CPU and wake-up round trips of the Python runtime on CPython and on the MicroPython unix
# port: bench/wakeup.py (it starts bench/apps/wakeup_app.py on each interpreter itself).
mode_wakeup() {
  log "wakeup: idle CPU over ${IDLE_SECONDS}s and wake-up round trips (bench/wakeup.py), CPython and MicroPython"
  "${PY_ENV[@]}" $PY -c 'import _viperhttp, viperhttp' 2>/dev/null ||
    die "cannot import _viperhttp/viperhttp from build/release/python:python"
  build_micropython || true
  machine_info
  echo "   bench/apps/wakeup_app.py (GET /ping -> \"pong\" at once) on each interpreter, not pinned:"
  echo "   idle CPU = utime + stime of all threads (/proc/PID/stat) over ${IDLE_SECONDS}s with no traffic, 2 s"
  echo "   after 50 warm-up requests; then 2,000 requests one at a time on one keep-alive connection:"
  echo "   round trip = send to end of the response (a timer-driven bridge would cluster at its period)"
  local mpy=$MPY_BIN
  ((MPY_OK)) || mpy="$TMP/micropython-not-built"
  timeout 300 $PY "$ROOT/bench/wakeup.py" --cpython "$ROOT/build/release/python:$ROOT/python" \
    --micropython "$mpy" --idle-seconds "$IDLE_SECONDS" >"$TMP/wakeup.txt" ||
    die "bench/wakeup.py failed: $(cat "$TMP/wakeup.txt")"
  sed 's/^/   /' "$TMP/wakeup.txt"
  $PY - "$TMP/wakeup.txt" "$IDLE_SECONDS" <<'EOF'
import re, sys
rows = re.findall(r"^(\S+)\s+idle CPU\s+([\d.]+)%.*?> 1 ms:\s+([\d.]+)%",
                  open(sys.argv[1]).read(), re.M)
if rows:
    ok = all(float(cpu) < 1.0 for _, cpu, _ in rows)
    print("target: idle CPU < 1%% over %s s: %s (%s)" % (sys.argv[2], "met" if ok else "NOT met",
          ", ".join("%s %s%%" % (n, c) for n, c, _ in rows)))
    print("round trips above 1 ms: " + ", ".join("%s %s%%" % (n, o) for n, _, o in rows)
          + " (a bridge polled on a timer would add up to its period to every round trip)")
EOF
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
}

# ---------------------------------------------------------------------------------------------
# Static files: the engine alone (bench/apps/static_app.py on CPython, a StaticFiles directory
# mount and an asset pack mount of the same files) against nginx serving the same directory.

STATIC_SEED=20240601 # the files' random bytes (fixed: the same files on every run)
STATIC_FILES=(1k.bin:1024 100k.bin:102400)
STATIC_APP_PID=""
STATIC_APP_PORT=""

# static_make_files: $TMP/static/www/static/{1k,100k}.bin (random bytes, fixed seed), the asset
# pack of that directory ($TMP/static/assets.vpak, tools/pack_assets.py) and nginx's extra
# directives ($TMP/static/nginx-static.conf).
static_make_files() {
  local dir="$TMP/static" f
  mkdir -p "$dir/www/static"
  for f in "${STATIC_FILES[@]}"; do
    $PY -c 'import random, sys
r = random.Random(int(sys.argv[3]) + int(sys.argv[2]))
open(sys.argv[1], "wb").write(r.randbytes(int(sys.argv[2])))' \
      "$dir/www/static/${f%%:*}" "${f##*:}" "$STATIC_SEED" || die "cannot write $dir/www/static/${f%%:*}"
  done
  $PY "$ROOT/tools/pack_assets.py" "$dir/www/static" "$dir/assets.vpak" --mtime 1700000000 \
    >"$dir/pack.log" 2>&1 || die "tools/pack_assets.py failed: $(cat "$dir/pack.log")"
  # Inside nginx's server block (bench/nginx.conf.in): Debian's stock nginx.conf has
  # "sendfile on; tcp_nopush on;"; open_file_cache stays off (nginx's default), so nginx opens,
  # fstats and closes the file for every request, as the engine's directory mount does.
  cat >"$dir/nginx-static.conf" <<NGINX
    # bench/run.sh static: the same files under /static/.
    sendfile on;
    tcp_nopush $NGINX_TCP_NOPUSH;
    location /static/ {
      root $dir/www;
      default_type application/octet-stream;
    }
NGINX
}

# One app process serves both engine "servers" (/static: the directory, /pack: the pack).
static_app_start() {
  if [[ -z $STATIC_APP_PID ]] || ! kill -0 "$STATIC_APP_PID" 2>/dev/null; then
    start_viper static-app 30 taskset -c "$SERVER_CPU"
    STATIC_APP_PID=$VIPER_PID
    STATIC_APP_PORT=$VIPER_PORT
  fi
}

start_server_engine-dir() {
  static_app_start
  SERVER_URL[engine-dir]="http://$HOST:$STATIC_APP_PORT"
  SERVER_PID[engine-dir]=$STATIC_APP_PID
}

start_server_engine-pack() {
  static_app_start
  SERVER_URL[engine-pack]="http://$HOST:$STATIC_APP_PORT"
  SERVER_PID[engine-pack]=$STATIC_APP_PID
}

use_static_suite() {
  "${PY_ENV[@]}" $PY -c 'import _viperhttp, viperhttp' 2>/dev/null ||
    die "cannot import _viperhttp/viperhttp from build/release/python:python"
  static_make_files
  VIPER_APP=static_app.py
  VIPER_APP_ARGS=("$TMP/static/www/static" "$TMP/static/assets.vpak")
  NGINX_EXTRA="$TMP/static/nginx-static.conf"
  SERVERS=(engine-dir engine-pack nginx)
  REFERENCE=nginx
  SCENARIOS=(s-1k s-100k)
  SCENARIO_DESC=(
    [s-1k]="GET of a 1,024-byte file (random bytes, application/octet-stream)"
    [s-100k]="GET of a 102,400-byte file (random bytes, application/octet-stream)"
  )
  SCENARIO_STATUS=([s-1k]=200 [s-100k]=200)
  SCENARIO_PATH=(
    [s-1k.engine-dir]=/static/1k.bin [s-1k.engine-pack]=/pack/1k.bin [s-1k.nginx]=/static/1k.bin
    [s-100k.engine-dir]=/static/100k.bin [s-100k.engine-pack]=/pack/100k.bin
    [s-100k.nginx]=/static/100k.bin
  )
  SCENARIO_REF=()
  TARGETS_JSON='{"s-1k": {"engine-dir": 1.0, "engine-pack": 1.0}, "s-100k": {"engine-dir": 0.9, "engine-pack": 0.9}}'
  EXTRA_RATIOS_JSON='[
    {"label": "1 KB: asset pack / directory", "num": ["s-1k", "engine-pack"], "den": ["s-1k", "engine-dir"]},
    {"label": "100 KB: asset pack / directory", "num": ["s-100k", "engine-pack"], "den": ["s-100k", "engine-dir"]}]'
  SERVER_WORKERS=()
  SUITE_HOOK=static_suite_counters
}

# The app's counters after all the runs (warm-ups and checks included): every file request
# answered by the engine, none crossing the bridge but the /stats request itself.
static_suite_counters() {
  [[ -n $STATIC_APP_PORT ]] || return 0
  curl -s --max-time 5 "http://$HOST:$STATIC_APP_PORT/stats" >"$TMP/static-stats.json" || {
    echo "   (the app's /stats did not answer)"
    return 0
  }
  $PY - "$TMP/static-stats.json" "$TMP/wrk.static" <<'PYEOF' || true
import json, os, re, sys
d = json.load(open(sys.argv[1]))
b, p = d["bridge"], d["python"]
measured = 0
for name in os.listdir(sys.argv[2]):
    if re.match(r"s-\w+\.engine-(dir|pack)\.\d+\.wrk$", name):
        m = re.search(r"(\d+) requests in", open(os.path.join(sys.argv[2], name)).read())
        measured += int(m.group(1)) if m else 0
print("   static_app.py counters after all runs (server_stats() via GET /stats; warm-ups and checks"
      " included):")
print("     engine: requests %d, static_requests %d, status 200 %d, file_bytes %d, deferred %d,"
      " transfers_active %d, io_errors %d, peer_resets %d"
      % (d["requests"], d["static_requests"], d["status"]["200"], d["file_bytes"], d["deferred"],
         d["transfers_active"], d["io_errors"], d["peer_resets"]))
print("     bridge: requests_queued %d, interpreter_wakeups %d, responses_applied %d"
      % (b["requests_queued"], b["interpreter_wakeups"], b["responses_applied"]))
print("     python: " + ", ".join("%s %s" % kv for kv in sorted(p.items())))
print("     (the measured wrk runs made %d of the static requests; requests - static_requests = %d:"
      " the GET /stats itself, the only request that crossed the bridge)"
      % (measured, d["requests"] - d["static_requests"]))
PYEOF
}

mode_static() {
  use_static_suite
  echo "   engine-dir, engine-pack: $PY bench/apps/static_app.py (PYTHONPATH=build/release/python:python;"
  echo "          engine thread + idle interpreter thread, both on CPU $SERVER_CPU; max_connections=256,"
  echo "          access_log=False): /static = StaticFiles(directory=...), /pack = StaticFiles(pack=...),"
  echo "          the same files; no Python code runs per request"
  echo "   nginx: $(nginx -v 2>&1 | sed 's/^nginx version: //'), bench/nginx.conf.in (1 worker, access_log off) plus, in its"
  echo "          server block: sendfile on; tcp_nopush $NGINX_TCP_NOPUSH; location /static/ { root ...;"
  echo "          default_type application/octet-stream; } (open_file_cache off: nginx's default)"
  echo "   files: $(for f in "${STATIC_FILES[@]}"; do printf '%s (%s bytes), ' "${f%%:*}" "${f##*:}"; done)random bytes, seed $STATIC_SEED;"
  echo "          $(cat "$TMP/static/pack.log")"
  run_suite static
  echo "note: targets: engine >= 1.0x nginx req/s for 1 KB, >= 0.9x for 100 KB (per-run ratios), for"
  echo "      both sources.  Response heads: the engine sends Date, Server, Content-Type,"
  echo "      Content-Length, ETag, Last-Modified, Accept-Ranges; nginx the same plus Connection."
}

# Idle CPU: the Python runtime (and, for comparison, uvicorn and the engine demo) started, left
# alone for 2 s, then measured over IDLE_SECONDS with no traffic, then again with IDLE_CONNS
# idle keep-alive connections per server.
mode_python_idle() {
  check_python_deps
  log "python-idle: CPU time and wake-ups of idle servers over ${IDLE_SECONDS}s (2 s after start)"
  machine_info
  start_server_viper
  start_server_fastapi
  start_server_engine
  sleep 2
  $PY "$TOOL" idle-cpu --seconds "$IDLE_SECONDS" --conns "$IDLE_CONNS" --path /hello \
    "viper=${SERVER_PID[viper]}@$VIPER_PORT" \
    "fastapi=${SERVER_PID[fastapi]}@${SERVER_URL[fastapi]##*:}" \
    "engine=${SERVER_PID[engine]}@$DEMO_PORT" >"$TMP/idle-cpu.json" || die "idle-cpu failed"
  for sv in viper fastapi engine; do stop "${SERVER_PID[$sv]}" 10 || true; done
  $PY - "$TMP/idle-cpu.json" "$IDLE_CONNS" "${SERVER_PID[viper]}" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
names = {"viper": "ViperHTTP app (Python runtime)", "fastapi": "FastAPI on uvicorn",
         "engine": "engine demo (no Python)"}
print("   %-32s %-24s %9s %8s %12s %10s %11s" % ("server", "phase", "CPU ticks", "CPU %",
      "CPU us", "wakeups", "wakeups/s"))
for phase, title in (("no_connections", "idle, no connection"),
                     ("with_idle_connections", "%s idle keep-alive" % sys.argv[2])):
    for name, r in d.get(phase, {}).items():
        print("   %-32s %-24s %9d %7.3f%% %12.0f %10d %11.1f" % (
            names.get(name, name), title, r["cpu_ticks"], r["cpu_percent"], r["cpu_us"],
            r["voluntary_ctxt_switches"], r["wakeups_per_s"]))
r = d["no_connections"]["viper"]
pid = sys.argv[3]
print("   ViperHTTP threads (no connection): " + ", ".join(
    "%s %s: %d wakeups, %.0f us" % ("interpreter" if tid == pid else "thread", tid, t["wakeups"],
                                    t["cpu_us"])
    for tid, t in sorted(r["threads"].items())))
print("   (CPU ticks: utime + stime from /proc/PID/stat; CPU us: the threads' run time from")
print("   /proc/PID/task/*/schedstat; wakeups: voluntary context switches of all threads)")
ok = all(d[p]["viper"]["cpu_percent"] < 0.1 for p in ("no_connections", "with_idle_connections")
         if p in d)
print("target: an idle ViperHTTP server uses no CPU (~0%%): %s (%.3f%%, %d wakeups in %.0f s)"
      % ("met" if ok else "NOT met", r["cpu_percent"], r["voluntary_ctxt_switches"], r["seconds"]))
EOF
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
}

PYALLOC_PATHS=(/hello /hello-async '/items/42?q=x')

# dhat_run TAG PATH N [MODE]: the ViperHTTP app under valgrind --tool=dhat serving N requests on
# 4 keep-alive connections, stopped with SIGTERM; sets DHAT_SPLIT to the stack split (JSON).
dhat_run() {
  local tag=$1 path=$2 n=$3 mode=${4:-heap} out="$TMP/dhat.$1.out"
  start_viper "dhat.$tag" 180 valgrind --tool=dhat --mode="$mode" --num-callers=40 \
    --dhat-out-file="$out" --log-file="$TMP/dhat.$tag.vglog"
  timeout 900 $PY "$TOOL" requests "$HOST" "$VIPER_PORT" "$path" "$n" --conns 4 \
    >"$TMP/dhat.$tag.client" || die "client failed against the app under valgrind ($tag)"
  $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(d["statuses"] != {"200": int(sys.argv[2])})' \
    "$TMP/dhat.$tag.client" "$n" || die "the client did not get $n answers 200 ($tag): $(cat "$TMP/dhat.$tag.client")"
  stop "$VIPER_PID" 180 || die "the app under valgrind exited with an error ($tag); see $TMP/dhat.$tag.vglog"
  DHAT_SPLIT=$($PY "$TOOL" dhat-split "$out") || die "cannot read $out"
}

mode_python_alloc() {
  command -v valgrind >/dev/null || die "valgrind not installed (scripts/install-deps.sh bench)"
  check_python_deps
  log "python-alloc: heap allocations per request in the Python runtime, split by call stack (valgrind dhat)"
  echo "   bench/apps/viper_app.py under valgrind --tool=dhat serves N1=$PYALLOC_N1 then (new process)"
  echo "   N2=$PYALLOC_N2 GET requests on 4 keep-alive connections, stopped with SIGTERM; per request ="
  echo "   (X2 - X1) / (N2 - N1) for: engine thread (stacks through EngineHandle::thread_main),"
  echo "   _viperhttp binding on the interpreter thread, the rest (CPython, libc), the whole process"
  machine_info
  # Method check: in copy mode DHAT records memcpy/memmove calls with their stacks; the engine
  # thread copies each request into the bridge's ring, so its stacks must be found.
  dhat_run check /hello 500 copy
  local check_engine check_depth
  check_engine=$(echo "$DHAT_SPLIT" | $PY -c 'import json,sys; d=json.load(sys.stdin); print(d["engine_thread_blocks"], d["deepest_engine_stack"])')
  read -r check_engine check_depth <<<"$check_engine"
  ((check_engine > 0)) || die "method check failed: no memcpy/memmove on a stack through EngineHandle::thread_main"
  echo "   method check (dhat --mode=copy, 500 requests): $check_engine copy calls on engine-thread stacks"
  echo "   ($($PY -c "print('%.1f' % ($check_engine / 500))") per request, stacks up to $check_depth frames of --num-callers=40): engine-thread stacks are resolved"
  local path s1 s2 rows=() worst=0
  for path in "${PYALLOC_PATHS[@]}"; do
    dhat_run "n1${path//[^a-z0-9]/_}" "$path" "$PYALLOC_N1"
    s1=$DHAT_SPLIT
    dhat_run "n2${path//[^a-z0-9]/_}" "$path" "$PYALLOC_N2"
    s2=$DHAT_SPLIT
    rows+=("$($PY - "$path" "$PYALLOC_N1" "$PYALLOC_N2" "$s1" "$s2" <<'EOF'
import json, sys
path, n1, n2 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
a, b = json.loads(sys.argv[4]), json.loads(sys.argv[5])
per = lambda k: (b[k] - a[k]) / (n2 - n1)
print("%s|%d|%d|%d|%d|%d|%d|%.4f|%.1f|%.4f|%.4f|%.1f|%d" % (
    path, a["engine_thread_blocks"], b["engine_thread_blocks"], a["binding_blocks"],
    b["binding_blocks"], a["total_blocks"], b["total_blocks"], per("engine_thread_blocks"),
    per("engine_thread_bytes"), per("binding_blocks"), per("total_blocks"), per("total_bytes"),
    b["engine_thread_blocks"] - a["engine_thread_blocks"]))
EOF
    )")
  done
  printf '   %-14s %9s %9s %10s %10s %10s %10s %8s %8s %8s %8s %8s\n' path "engine X1" "engine X2" \
    "binding X1" "binding X2" "process X1" "process X2" engine/r "engine B" binding/r process/r "proc. B"
  local r f
  for r in "${rows[@]}"; do
    IFS='|' read -r -a f <<<"$r"
    printf '   %-14s %9s %9s %10s %10s %10s %10s %8s %8s %8s %8s %8s\n' "${f[@]:0:12}"
    ((f[12] > worst)) && worst=${f[12]}
  done
  echo "   (N1=$PYALLOC_N1, N2=$PYALLOC_N2; X = malloc/new/calloc blocks over the process's life; /r = per request"
  echo "   = (X2 - X1) / (N2 - N1), B = bytes per request.  engine = the engine thread; binding = stacks"
  echo "   through _viperhttp on the interpreter thread (it creates the engine's pools at start);"
  echo "   process = everything, but CPython's small objects come from its own arenas (pymalloc),"
  echo "   which valgrind does not see as allocations)"
  if ((worst == 0)); then
    echo "target: 0 engine heap allocations per request on the Python runtime: met"
  else
    echo "target: 0 engine heap allocations per request on the Python runtime: NOT met (up to $worst extra)"
  fi
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
  throughput | alloc | syscalls) build_demo ;;
  python | python-idle | python-alloc | wakeup | static | static-syscalls | microdot | \
    python-instructions | templates | models | all) build_demo _viperhttp ;;
esac
case "$MODE" in
  throughput) mode_throughput ;;
  alloc) mode_alloc ;;
  parser) mode_parser ;;
  python) mode_python ;;
  python-idle) mode_python_idle ;;
  python-alloc) mode_python_alloc ;;
  wakeup) mode_wakeup ;;
  syscalls) mode_syscalls ;;
  static) mode_static ;;
  microdot) mode_microdot ;;
  python-instructions) mode_python_instructions ;;
  templates) mode_templates ;;
  models) mode_models ;;
  static-syscalls)
    use_static_suite
    mode_syscalls
    ;;
  all)
    mode_throughput
    echo
    mode_alloc
    echo
    mode_parser || status=$? # reported; the other modes still run
    echo
    mode_python
    echo
    mode_python_idle
    echo
    mode_wakeup
    echo
    mode_python_alloc
    echo
    mode_static
    echo
    mode_microdot
    echo
    mode_python_instructions
    echo
    mode_templates
    exit "${status:-0}"
    ;;
esac
