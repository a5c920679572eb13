#!/bin/sh
# The engine's form parsers (engine/http/multipart.h, engine/http/urlencoded.h):
#   1. throughput: a 100 MB body fed in 8 KB pieces, best and median of 5 (release build), for
#      five bodies (bench/form_bench.cpp: a random binary file, a CRLF text file, a file of
#      delimiter prefixes, a file of CRs, an urlencoded body with escapes);
#   2. callgrind instructions per byte, counting only the parse (parse_body) of a 10 MB body,
#      which do not depend on the machine's load;
#   3. for reference, python-multipart 0.0.5 (FastAPI 0.92's parser) on the same bodies, 20 MB.
set -eu
cd "$(dirname "$0")/.."

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

echo "== python-multipart 0.0.5 on the same bodies (20 MB, 8 KB pieces, best of 3)"
for kind in binary text adversarial cr urlencoded; do
  "$BENCH" "$kind" 20 8192 1 "$TMP/body" >/dev/null
  /usr/bin/python3 bench/form_reference.py "$kind" "$TMP/body" 8192 3
done
