#!/bin/sh
# The engine's form parsers (engine/http/multipart.h, engine/http/urlencoded.h):
#   1. throughput: a 100 MB body fed in 8 KB pieces, best and median of 5 (release build), for
#      five bodies (bench/form_bench.cpp: a random binary file, a CRLF text file, a file of
#      delimiter prefixes, a file of CRs, an urlencoded body with escapes);
#   2. callgrind instructions per byte, counting only the parse (parse_body) of a 10 MB body,
#      which do not depend on the machine's load;
#   3. for reference, python-multipart 0.0.5 (FastAPI 0.92's parser) on the same bodies: 20 MB,
#      2 MB for the two it is slow on (delimiter prefixes, all CRs: minutes otherwise).
set -eu
cd "$(dirname "$0")/.."
echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), load average: $(cut -d' ' -f1-3 /proc/loadavg)"

cmake --preset release >/dev/null
cmake --build --preset release --target viper_form_bench >/dev/null
BENCH=build/release/bench/viper_form_bench
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM

echo "== throughput (100 MB, 8 KB pieces, release)"
for kind in binary text adversarial cr urlencoded; do
  "$BENCH" "$kind" 100 8192 5
done

echo "== instructions per byte (callgrind, parse only, 10 MB)"
for kind in binary text adversarial cr urlencoded; do
  n=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null --toggle-collect='*parse_body*' \
        "$BENCH" "$kind" 10 8192 1 2>&1 | sed -n 's/.*Collected : *\([0-9]*\).*/\1/p')
  awk -v k="$kind" -v n="$n" 'BEGIN { printf "%s: %.2f instructions per byte\n", k, n / 10e6 }'
done

echo "== python-multipart 0.0.5 on the same bodies (8 KB pieces, best of 3)"
if ! /usr/bin/python3 -c "import multipart" 2>/dev/null; then
  echo "python3-multipart is not installed (scripts/install-deps.sh bench): not measured"
  exit 0
fi
for kind in binary text adversarial cr urlencoded; do
  case $kind in adversarial | cr) mb=2 ;; *) mb=20 ;; esac
  "$BENCH" "$kind" "$mb" 8192 1 "$TMP/body" >/dev/null
  /usr/bin/python3 bench/form_reference.py "$kind" "$TMP/body" 8192 3
done
