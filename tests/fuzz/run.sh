#!/bin/sh
# Builds the libFuzzer targets (the 'fuzz' preset, into build/fuzz) and runs each one for
# N seconds (first argument, default 20) on the seed corpus tests/engine/corpus/valid, plus
# tests/fuzz/seeds/<fuzzer>/ where a fuzzer has seeds of its own (e.g. a real asset pack;
# fuzz_tmpl_compiler, the template compiler and renderer, uses only its own templates).
# New inputs go to build/fuzz/corpus/<fuzzer>/, crashes to build/fuzz/artifacts/; the script
# fails on the first fuzzer that finds one.  Replay a crash: <fuzzer> <crash file>.
set -eu
cd "$(dirname "$0")/../.."

SECONDS_EACH=${1:-20}
SEEDS=tests/engine/corpus/valid

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j 2

mkdir -p build/fuzz/artifacts
for fuzzer in build/fuzz/tests/fuzz/fuzz_*; do
  [ -x "$fuzzer" ] || continue
  name=$(basename "$fuzzer")
  case $name in
    fuzz_request_parser) dict=tests/fuzz/http.dict ;;
    *) dict=tests/fuzz/${name#fuzz_}.dict ;;
  esac
  set -- -max_total_time="$SECONDS_EACH" -print_final_stats=1 -artifact_prefix=build/fuzz/artifacts/
  [ -f "$dict" ] && set -- "$@" -dict="$dict"
  mkdir -p "build/fuzz/corpus/$name"
  echo "== $name: $SECONDS_EACH s"
  own=tests/fuzz/seeds/$name
  # The template compiler reads templates, not HTTP requests: its own seeds only.
  shared=$SEEDS
  [ "$name" = fuzz_tmpl_compiler ] && shared=
  if [ -d "$own" ]; then
    "$fuzzer" "$@" "build/fuzz/corpus/$name" ${shared:+"$shared"} "$own"
  else
    "$fuzzer" "$@" "build/fuzz/corpus/$name" ${shared:+"$shared"}
  fi
done
