#!/bin/sh
# Instructions per parse of a typical 8-header GET request: ours vs Debian's http-parser.
#
# Builds bench/parser_bench.cpp with the release preset, runs it under callgrind with 1 and
# with 100001 iterations, and divides the difference by 100000, so that start-up and the
# first-call costs (page faults, lazy binding) cancel out.  Our parser must use at most half
# of http-parser's instructions; the script exits 1 otherwise.
set -eu
cd "$(dirname "$0")/.."

N=100000
cmake --preset release >/dev/null
cmake --build --preset release --target viper_parser_bench >/dev/null
BENCH=build/release/bench/viper_parser_bench

collected() {  # impl iterations -> instructions executed by the whole program
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$BENCH" "$1" "$2" 2>&1 >/dev/null |
    sed -n 's/.*Collected : *\([0-9]*\).*/\1/p'
}

per_parse() {
  one=$(collected "$1" 1)
  many=$(collected "$1" $((N + 1)))
  echo $(((many - one) / N))
}

viper=$(per_parse viper)
hp=$(per_parse http_parser)
echo "viper:       $viper instructions per request"
echo "http_parser: $hp instructions per request"
awk -v a="$viper" -v b="$hp" 'BEGIN { printf "ratio:       %.3f (viper / http_parser; must be <= 0.5)\n", a / b;
                                      exit (a * 2 <= b) ? 0 : 1 }'
