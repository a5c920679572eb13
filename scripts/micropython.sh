#!/usr/bin/env bash
# Builds the MicroPython unix port with the _viperhttp module, from Debian's `micropython`
# source package (Debian 13 "trixie", 1.25), and prints the binary's path.
#
# The source comes through `apt-get source` with a deb-src entry for trixie made from this
# machine's own configured Debian mirror, in a private apt state directory (the system's
# sources are not touched), and is cached under build/micropython/.  Nothing of it is
# committed.  Usage: scripts/micropython.sh [--armhf] [--print-path]
#
# --armhf builds a second binary like the device's interpreter: 32-bit (ARMv7, cross-compiled
# with Debian's arm-linux-gnueabihf toolchain and the armhf zlib/mbedTLS of multiarch, see
# scripts/install-deps.sh) and with single-precision floats (MICROPY_FLOAT_IMPL_FLOAT, as the
# ESP32 port).  It runs under Debian's qemu-user: build/micropython-armhf/micropython is a
# wrapper that execs `qemu-arm` on the ARM binary, so the tests use it like the native one.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
armhf=0
quiet=0
for arg in "$@"; do
  case $arg in
    --armhf) armhf=1 ;;
    --print-path) quiet=1 ;;
    *) echo "usage: $0 [--armhf] [--print-path]" >&2; exit 2 ;;
  esac
done
out=build/micropython
[[ $armhf == 1 ]] && out=build/micropython-armhf
bin=$out/micropython
# The source is shared by both builds.
apt_dir=build/micropython/apt
src_parent=build/micropython/src

log() { [[ ${quiet:-0} == 1 ]] || echo "micropython.sh: $*" >&2; }

fetch_source() {
  local mirror
  mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
  [[ -n $mirror ]] || mirror=$(awk '$1 == "deb" {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  [[ -n $mirror ]] || { echo "micropython.sh: no Debian mirror configured in /etc/apt" >&2; exit 1; }
  mkdir -p "$apt_dir/sources.list.d" "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$src_parent"
  printf 'Types: deb-src\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$mirror" > "$apt_dir/sources.list.d/trixie-src.sources"
  local opts=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$root/$apt_dir/sources.list.d"
              -o "Dir::State::Lists=$root/$apt_dir/lists" -o "Dir::Cache=$root/$apt_dir/cache"
              -o "APT::Sandbox::User=root")
  log "fetching Debian's micropython source package (trixie)"
  apt-get "${opts[@]}" -qq update
  (cd "$src_parent" && apt-get "${opts[@]}" -qq source micropython >/dev/null)
}

src=$(ls -d "$src_parent"/micropython-*/ 2>/dev/null | head -1 || true)
if [[ -z $src ]]; then
  fetch_source
  src=$(ls -d "$src_parent"/micropython-*/ | head -1)
fi
src=${src%/}

jobs=$(nproc)
log "building mpy-cross"
# mpy-cross runs on the build machine (it compiles the frozen package), for both builds.
make -s -C "$src/mpy-cross" -j "$jobs" >/dev/null
# Debian's configuration (debian/rules): system mbedTLS, btree off; ffi off (not needed).
port_args=(MICROPY_SSL_AXTLS=0 MICROPY_SSL_MBEDTLS=1 MICROPY_PY_BTREE=0 MICROPY_PY_FFI=0)
if [[ $armhf == 1 ]]; then
  # Floats are single precision, as on the ESP32 port (Debian armhf code is Thumb-2 already).
  port_args+=(CROSS_COMPILE=arm-linux-gnueabihf-
              CFLAGS_EXTRA="-DMICROPY_FLOAT_IMPL=MICROPY_FLOAT_IMPL_FLOAT")
  log "building the unix port with _viperhttp for armhf (32-bit, single-precision floats)"
else
  log "building the unix port with _viperhttp"
fi
# The frozen package is regenerated every time: make does not notice files added to or
# removed from the manifest's list.
rm -rf "$out/build-standard/frozen_content.c" "$out/build-standard/frozen_mpy"
make -s -C "$src/ports/unix" -j "$jobs" \
  BUILD="$root/$out/build-standard" PROG=mpy-viperhttp \
  "${port_args[@]}" \
  USER_C_MODULES="$root/bindings" \
  FROZEN_MANIFEST="$root/bindings/micropython/manifest.py" >/dev/null
# Replace by rename: the old binary may be running (a bench, another test run).
if [[ $armhf == 1 ]]; then
  cp "$root/$out/build-standard/mpy-viperhttp" "$root/$out/mpy-viperhttp-armhf.new"
  mv -f "$root/$out/mpy-viperhttp-armhf.new" "$root/$out/mpy-viperhttp-armhf"
  # The wrapper keeps the name `micropython` (the test suites recognise the interpreter by
  # it); `exec` leaves qemu-arm as the process the tests signal, and qemu passes SIGINT and
  # SIGTERM on to the program.
  printf '#!/bin/sh\nexec qemu-arm "%s" "$@"\n' "$root/$out/mpy-viperhttp-armhf" > "$root/$bin.new"
  chmod +x "$root/$bin.new"
else
  cp "$root/$out/build-standard/mpy-viperhttp" "$root/$bin.new"
fi
mv -f "$root/$bin.new" "$root/$bin"
[[ $quiet == 1 ]] && echo "$root/$bin" || log "built $bin"
