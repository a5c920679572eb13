#!/usr/bin/env bash
# HTTPS (issue 16; bench/run.sh tls): the engine's TLS against nginx with the same certificate
# (tests/engine/tls/ec-cert.pem: ECDSA P-256), protocol (TLS 1.2: Debian's mbedTLS 2.28 has no
# TLS 1.3), cipher suite (ECDHE-ECDSA-AES128-GCM-SHA256) and key-exchange group (P-256).
#
#   keep-alive   wrk -t1 -cCONNS over https: /hello from a Python route (bench/apps/tls_app.py on
#                CPython, release build) and a 1 KB static file (its StaticFiles mount) vs
#                nginx (1 worker, `return 200` and a static location); median of RUNS, ratio
#   handshakes   openssl s_time (one client, one connection at a time) for HS_SECONDS: new
#                handshakes (-new) and resumed ones (-reuse, session tickets / session ids):
#                handshakes per second of wall time, and the server's CPU time per handshake
#                (from /proc: the process's user+system time over the run / handshakes), ratio
#   memory       build/esp32/bench/viper_tls_memory (the esp32 profile): heap bytes of one TLS
#                connection during and after its handshake, see bench/tls_memory.cpp
#
# Knobs: BENCH_RUNS=3 BENCH_DURATION=10 BENCH_WARMUP=2 BENCH_CONNS=50 HS_SECONDS=10
#   SERVER_CPU=0 CLIENT_CPU=1
# Only 127.0.0.1 is loaded; every run is bounded in time; every process is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RUNS=${BENCH_RUNS:-3}
DURATION=${BENCH_DURATION:-10}
WARMUP=${BENCH_WARMUP:-2}
CONNS=${BENCH_CONNS:-50}
HS_SECONDS=${HS_SECONDS:-10}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
PY=/usr/bin/python3
CERT=$ROOT/tests/engine/tls/ec-cert.pem
KEY=$ROOT/tests/engine/tls/ec-key.pem
CIPHER=ECDHE-ECDSA-AES128-GCM-SHA256
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
bench_setup tls
die() {
  echo "bench tls: error: $*" >&2
  exit 1
}

for tool in wrk nginx openssl taskset; do
  command -v $tool >/dev/null || die "$tool missing (scripts/install-deps.sh bench)"
done
echo "== building the release extension, and viper_tls_memory in the esp32 profile"
cmake --preset release >/dev/null
cmake --build --preset release -j2 --target _viperhttp >"$TMP/build.log" 2>&1 ||
  { tail -30 "$TMP/build.log"; die "release build failed"; }
cmake --preset esp32 >/dev/null
cmake --build --preset esp32 -j2 --target viper_tls_memory >"$TMP/build-esp32.log" 2>&1 ||
  { tail -30 "$TMP/build-esp32.log"; die "esp32-profile build of viper_tls_memory failed"; }
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); commit $(git rev-parse --short HEAD)"
echo "nginx: $(nginx -v 2>&1 | sed 's/^nginx version: //'); $(openssl version); $(wrk -v 2>&1 | head -1)"

wait_https() {
  local url=$1 i
  for ((i = 0; i < 200; i++)); do
    curl -s -o /dev/null --max-time 1 --cacert "$CERT" "$url" && return 0
    sleep 0.1
  done
  return 1
}
# CPU ticks (user + system) of a process and all its threads.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# The files: one 1,024-byte file of random bytes under /static/.
mkdir -p "$TMP/www/static"
head -c 1024 /dev/urandom >"$TMP/www/static/1k.bin"

# --- the servers ---------------------------------------------------------------------------
VPORT=$(free_port)
PYTHONPATH=$ROOT/build/release/python:$ROOT/python taskset -c "$SERVER_CPU" \
  $PY bench/apps/tls_app.py "$VPORT" "$CERT" "$KEY" "$TMP/www/static" >"$TMP/viper.log" 2>&1 &
VPID=$!
PIDS+=("$VPID")
wait_https "https://localhost:$VPORT/hello" || { cat "$TMP/viper.log"; die "the ViperHTTP app did not start"; }

NPORT=$(free_port)
mkdir -p "$TMP/nginx"
user_line=""
[[ $(id -u) -eq 0 ]] && user_line="user $(id -un) $(id -gn);"
cat >"$TMP/nginx/nginx.conf" <<NGINX
$user_line
worker_processes 1;
daemon off;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $TMP/nginx/client_body;
  proxy_temp_path $TMP/nginx/proxy;
  fastcgi_temp_path $TMP/nginx/fastcgi;
  uwsgi_temp_path $TMP/nginx/uwsgi;
  scgi_temp_path $TMP/nginx/scgi;
  server {
    listen 127.0.0.1:$NPORT ssl;
    ssl_certificate $CERT;
    ssl_certificate_key $KEY;
    ssl_protocols TLSv1.2;
    ssl_ciphers $CIPHER;
    ssl_ecdh_curve prime256v1;
    ssl_session_cache shared:SSL:1m;
    ssl_session_tickets on;
    sendfile on;
    tcp_nopush on;
    location = /hello {
      default_type application/json;
      return 200 '{"message":"hello"}';
    }
    location /static/ {
      root $TMP/www;
      default_type application/octet-stream;
    }
  }
}
NGINX
taskset -c "$SERVER_CPU" nginx -p "$TMP/nginx/" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/error.log" \
  >"$TMP/nginx.log" 2>&1 &
NPID=$!
PIDS+=("$NPID")
wait_https "https://localhost:$NPORT/hello" || { cat "$TMP/nginx.log" "$TMP/nginx/error.log"; die "nginx did not start"; }
NWORKER=$(pgrep -P "$NPID" | head -1)
[[ -n $NWORKER ]] || die "no nginx worker"

declare -A PORT=([viper]=$VPORT [nginx]=$NPORT) CPUPID=([viper]=$VPID [nginx]=$NWORKER)
echo "servers: viper https://127.0.0.1:$VPORT (pid $VPID), nginx https://127.0.0.1:$NPORT (worker $NWORKER); server CPU $SERVER_CPU, clients CPU $CLIENT_CPU"
for sv in viper nginx; do
  echo | openssl s_client -connect "127.0.0.1:${PORT[$sv]}" -servername localhost 2>/dev/null |
    awk -v sv="$sv" '/Server Temp Key|^New,/ {printf "   %s: %s\n", sv, $0}'
  for path in /hello /static/1k.bin; do
    out=$(curl -s --cacert "$CERT" -o "$TMP/body" -w '%{http_code} %{size_download}' "https://localhost:${PORT[$sv]}$path")
    [[ $out == "200 "* ]] || die "$sv answered $out to $path"
  done
  cmp -s "$TMP/body" "$TMP/www/static/1k.bin" || die "$sv: /static/1k.bin differs"
done

# --- keep-alive ----------------------------------------------------------------------------
echo
echo "== keep-alive: wrk -t1 -c$CONNS -d${DURATION}s (after ${WARMUP}s), $RUNS runs, servers alternating"
declare -A RPS
for ((run = 1; run <= RUNS; run++)); do
  order=(viper nginx)
  ((run % 2)) || order=(nginx viper)
  for sc in /hello /static/1k.bin; do
    for sv in "${order[@]}"; do
      url="https://127.0.0.1:${PORT[$sv]}$sc"
      taskset -c "$CLIENT_CPU" timeout 60 wrk -t1 -c"$CONNS" -d"${WARMUP}s" "$url" >/dev/null
      out=$(taskset -c "$CLIENT_CPU" timeout $((DURATION + 30)) wrk -t1 -c"$CONNS" -d"${DURATION}s" "$url")
      rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
      bad=$(awk '/Non-2xx|Socket errors/' <<<"$out")
      [[ -z $bad ]] || echo "   ($sv $sc: $bad)"
      RPS[$sc.$sv]+="$rps "
      printf '   run %d  %-15s %-6s %10s req/s  load %s\n' "$run" "$sc" "$sv" "$rps" "$(cut -d' ' -f1 /proc/loadavg)"
    done
  done
done
median() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo
printf '   %-15s %12s %12s %8s\n' scenario "viper req/s" "nginx req/s" ratio
for sc in /hello /static/1k.bin; do
  v=$(median "${RPS[$sc.viper]}")
  n=$(median "${RPS[$sc.nginx]}")
  printf '   %-15s %12.0f %12.0f %8.2f\n' "$sc" "$v" "$n" "$(awk -v a="$v" -v b="$n" 'BEGIN {print a / b}')"
done

# --- handshakes ----------------------------------------------------------------------------
echo
echo "== handshakes: openssl s_time -$CIPHER, ${HS_SECONDS}s each, one client"
declare -A HS HSCPU
for kind in new reuse; do
  for sv in viper nginx; do
    c0=$(cpu_ticks "${CPUPID[$sv]}")
    t0=$(date +%s.%N)
    out=$(taskset -c "$CLIENT_CPU" timeout $((HS_SECONDS + 30)) openssl s_time \
      -connect "127.0.0.1:${PORT[$sv]}" -"$kind" -time "$HS_SECONDS" -tls1_2 -cipher "$CIPHER" 2>&1)
    t1=$(date +%s.%N)
    c1=$(cpu_ticks "${CPUPID[$sv]}")
    # "N connections in T real seconds": N over the measured wall time.
    n=$(awk '/connections in .* real seconds/ {print $1; exit}' <<<"$out")
    [[ -n $n ]] || { echo "$out"; die "s_time gave no count ($sv, -$kind)"; }
    HS[$kind.$sv]=$(awk -v n="$n" -v a="$t0" -v b="$t1" 'BEGIN {printf "%.0f", n / (b - a)}')
    HSCPU[$kind.$sv]=$(awk -v n="$n" -v c="$((c1 - c0))" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.3f", c * 1000 / hz / n}')
    printf '   %-6s %-6s %6d handshakes in %5.1f s: %6s/s, server CPU %s ms each\n' "-$kind" "$sv" "$n" \
      "$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')" "${HS[$kind.$sv]}" "${HSCPU[$kind.$sv]}"
  done
done
curl -s --cacert "$CERT" "https://localhost:$VPORT/stats" >"$TMP/stats.json"
$PY - "$TMP/stats.json" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
print("   viper counters: tls_handshakes %d, tls_resumed %d, tls_failed %s"
      % (d["tls_handshakes"], d["tls_resumed"], d["tls_failed"]))
PYEOF
printf '   ratios viper/nginx: full %.2f (CPU per handshake %.2f), resumed %.2f (CPU %.2f)\n' \
  "$(awk -v a="${HS[new.viper]}" -v b="${HS[new.nginx]}" 'BEGIN {print a / b}')" \
  "$(awk -v a="${HSCPU[new.viper]}" -v b="${HSCPU[new.nginx]}" 'BEGIN {print a / b}')" \
  "$(awk -v a="${HS[reuse.viper]}" -v b="${HS[reuse.nginx]}" 'BEGIN {print a / b}')" \
  "$(awk -v a="${HSCPU[reuse.viper]}" -v b="${HSCPU[reuse.nginx]}" 'BEGIN {print a / b}')"

# --- memory --------------------------------------------------------------------------------
echo
echo "== memory: build/esp32/bench/viper_tls_memory (esp32 profile, 8 connections)"
build/esp32/bench/viper_tls_memory "$CERT" "$KEY" 8 | tee "$TMP/mem.json"
$PY - "$TMP/mem.json" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
obj = d["session_object_bytes"]
print("   per connection: %d B during a full handshake (Session object %d + mbedTLS %d, of which"
      " setup %d), %d B after it; a resumed handshake %d B; shared context %d B"
      % (obj + d["handshake_bytes"], obj, d["handshake_bytes"], d["setup_bytes"],
         obj + d["established_bytes"], obj + d["resumed_handshake_bytes"], d["context_bytes"]))
PYEOF
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
