#!/usr/bin/env bash
# Builds the MicroPython unix port with the _viperhttp module, from Debian's `micropython`
# source package (Debian 13 "trixie", 1.25), and prints the binary's path.
#
# The source comes through `apt-get source` with a deb-src entry for trixie made from this
# machine's own configured Debian mirror, in a private apt state directory (the system's
# sources are not touched), and is cached under build/micropython/.  Nothing of it is
# committed.  Usage: scripts/micropython.sh [--print-path]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=build/micropython
bin=$out/micropython
apt_dir=$out/apt
src_parent=$out/src

log() { [[ ${quiet:-0} == 1 ]] || echo "micropython.sh: $*" >&2; }
quiet=0
[[ ${1:-} == --print-path ]] && quiet=1

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
make -s -C "$src/mpy-cross" -j "$jobs" >/dev/null
# Debian's configuration (debian/rules): system mbedTLS, btree off; ffi off (not needed).
log "building the unix port with _viperhttp"
# The frozen package is regenerated every time: make does not notice files added to or
# removed from the manifest's list.
rm -rf "$out/build-standard/frozen_content.c" "$out/build-standard/frozen_mpy"
make -s -C "$src/ports/unix" -j "$jobs" \
  BUILD="$root/$out/build-standard" PROG=mpy-viperhttp \
  MICROPY_SSL_AXTLS=0 MICROPY_SSL_MBEDTLS=1 MICROPY_PY_BTREE=0 MICROPY_PY_FFI=0 \
  USER_C_MODULES="$root/bindings" \
  FROZEN_MANIFEST="$root/bindings/micropython/manifest.py" >/dev/null
# Replace by rename: the old binary may be running (a bench, another test run).
cp "$root/$out/build-standard/mpy-viperhttp" "$root/$bin.new"
mv -f "$root/$bin.new" "$root/$bin"
[[ $quiet == 1 ]] && echo "$root/$bin" || log "built $bin"
