#!/usr/bin/env bash
# Cross-compiles the engine for a 32-bit MCU and checks its flash budget (docs/firmware.md,
# "Flash and RAM"):
#   * Cortex-M4 Thumb-2 (-mcpu=cortex-m4 -mthumb: the ESP32-S3's word size and a similar code
#     density; no Xtensa compiler is packaged by Debian), -Os -fno-exceptions -fno-rtti
#     -Wall -Wextra -Werror, Debian's gcc-arm-none-eabi with newlib, the device's limits
#     (bindings/micropython/micropython.cmake);
#   * the engine (engine/, no bindings) with the port files the ESP32 shares: port/posix/ and
#     port/lwip/port_lwip_sockets.cpp against lwIP's socket headers (liblwip-dev, 2.1.3, the
#     lwIP of ESP-IDF 5.0-5.2) and engine/port/lwip/host/lwipopts.h; port/esp32/ needs ESP-IDF
#     and is not built here;
#   * prints .text/.data/.bss per module and the total, fails when a 64-bit atomic became a
#     library call (__atomic_*_8: a lock on every counter update on the device), and fails when
#     the total exceeds the budget in scripts/mcu-size-budget.txt by more than 10%.
# Usage: scripts/mcu-size.sh [--update "note"]   (--update writes the measured total as the new
#        budget with the note, for a deliberate growth)
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/mcu
budget_file=scripts/mcu-size-budget.txt
CXX=arm-none-eabi-g++
rm -rf "$out/obj"  # objects of removed sources must not be counted
mkdir -p "$out/obj" "$out/zlib"
# zlib.h for gzip_encoder.cpp: on the device it comes from the espressif/zlib component (zlib
# 1.3); Debian's headers are the same API and architecture-independent.
ln -sf /usr/include/zlib.h /usr/include/zconf.h "$out/zlib/"
# mbedTLS headers for engine/tls (TLS glue; mbedTLS's own code is ESP-IDF's component and not
# counted): Debian's 2.28 headers, architecture-independent C like zlib's.
mkdir -p "$out/mbedtls"
ln -sfn /usr/include/mbedtls "$out/mbedtls/mbedtls"
[[ -d /usr/include/psa ]] && ln -sfn /usr/include/psa "$out/mbedtls/psa"

flags=(-std=gnu++20 -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -Os
       -fno-exceptions -fno-rtti -Wall -Wextra -Werror -ffunction-sections -fdata-sections
       -DVIPER_IO_BUFFER_BYTES=4096 -DVIPER_MAX_CONNECTIONS_CAP=16 -DVIPER_MAX_HEADERS_CAP=32
       -DVIPER_GZIP_WINDOW_BITS=11 -DVIPER_GZIP_MEM_LEVEL=4 -DVIPER_DEFAULT_STATIC_CACHE_BYTES=0
       -Iengine -Iengine/include -Iengine/port/lwip/host -Iscripts/mcu -isystem /usr/include/lwip
       -isystem "$out/zlib" -isystem "$out/mbedtls")

modules=(http router net bridge static tls ws mem port)
sources_of() {
  case $1 in
    port) echo engine/port/posix/*.cpp engine/port/lwip/port_lwip_sockets.cpp ;;
    net) ls engine/net/*.cpp | grep -v poller_epoll ;;
    *) echo engine/"$1"/*.cpp ;;
  esac
}

jobs=()
for m in "${modules[@]}"; do
  mkdir -p "$out/obj/$m"
  for src in $(sources_of "$m"); do
    obj=$out/obj/$m/$(basename "${src%.cpp}").o
    jobs+=("$src $obj")
  done
done
printf '%s\n' "${jobs[@]}" | xargs -P "$(nproc)" -L 1 sh -c "$CXX ${flags[*]} -c \"\$0\" -o \"\$1\""

atomics=$(arm-none-eabi-nm -u "$out"/obj/*/*.o | grep -E '__atomic_[a-z_]+_8' | sort -u || true)
if [[ -n $atomics ]]; then
  echo "mcu-size.sh: 64-bit atomics compiled to library calls on a 32-bit MCU:" >&2
  arm-none-eabi-nm -A -u "$out"/obj/*/*.o | grep -E '__atomic_[a-z_]+_8' >&2
  exit 1
fi

printf '%-8s %8s %6s %6s\n' module text data bss
tt=0 td=0 tb=0
for m in "${modules[@]}"; do
  read -r t d b < <(arm-none-eabi-size -t "$out"/obj/"$m"/*.o | tail -1 | awk '{print $1, $2, $3}')
  printf '%-8s %8d %6d %6d\n' "$m" "$t" "$d" "$b"
  tt=$((tt + t)) td=$((td + d)) tb=$((tb + b))
done
total=$((tt + td + tb))
printf '%-8s %8d %6d %6d   (text+data+bss %d bytes)\n' total "$tt" "$td" "$tb" "$total"
echo "no __atomic_*_8 library calls (arm-none-eabi-nm -u)"

if [[ ${1:-} == --update ]]; then
  [[ -n ${2:-} ]] || { echo "mcu-size.sh: --update needs a note saying why" >&2; exit 2; }
  printf '%d %s %s\n' "$total" "$(date +%Y-%m-%d)" "$2" >> "$budget_file"
  echo "budget set to $total bytes"
  exit 0
fi
# The last line of the budget file is in force: "<bytes> <date> <note>".
read -r budget _ note < <(grep -v '^#' "$budget_file" | grep . | tail -1)
[[ -n ${note:-} ]] || { echo "mcu-size.sh: the budget line needs a note" >&2; exit 1; }
limit=$((budget + budget / 10))
echo "budget $budget bytes (+10%: $limit)"
if ((total > limit)); then
  echo "mcu-size.sh: the engine grew to $total bytes, more than 10% over the budget of $budget:" \
       "shrink it, or raise the budget with scripts/mcu-size.sh --update \"why\"" >&2
  exit 1
fi
