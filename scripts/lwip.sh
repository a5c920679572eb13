#!/usr/bin/env bash
# Builds viper_demo_lwip: the engine's C demo on lwIP 2.2 in user space (tests/lwip), and
# prints the binary's path.
#
# lwIP comes from Debian's `lwip` source package of Debian 13 "trixie" (2.2.1) through
# `apt-get source`, with a deb-src entry made from this machine's configured Debian mirror in a
# private apt state directory (the system's sources are untouched), cached under build/lwip/.
# Nothing of it is committed.  Bookworm's binary liblwip-dev (2.1.3) is not used: Debian builds
# it for the Hurd's TCP/IP translator, without select() (LWIP_SOCKET_SELECT 0), with 64 KB
# windows and no socket limit — nothing like a device.  Here lwIP is compiled with
# engine/port/lwip/host/lwipopts.h, ESP-IDF's settings.
# Usage: scripts/lwip.sh [--print-path]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=build/lwip
apt_dir=$out/apt
src_parent=$out/src
quiet=0
[[ ${1:-} == --print-path ]] && quiet=1
log() { [[ $quiet == 1 ]] || echo "lwip.sh: $*" >&2; }

fetch_source() {
  local mirror
  mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
  [[ -n $mirror ]] || mirror=$(awk '$1 == "deb" {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  [[ -n $mirror ]] || { echo "lwip.sh: no Debian mirror configured in /etc/apt" >&2; exit 1; }
  mkdir -p "$apt_dir/sources.list.d" "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$src_parent"
  printf 'Types: deb-src\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$mirror" > "$apt_dir/sources.list.d/trixie-src.sources"
  local opts=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$root/$apt_dir/sources.list.d"
              -o "Dir::State::Lists=$root/$apt_dir/lists" -o "Dir::Cache=$root/$apt_dir/cache"
              -o "APT::Sandbox::User=root")
  log "fetching Debian's lwip source package (trixie)"
  apt-get "${opts[@]}" -qq update
  (cd "$src_parent" && apt-get "${opts[@]}" -qq source lwip >/dev/null 2>&1)
}

src=$(ls -d "$src_parent"/lwip-2.*/ 2>/dev/null | head -1 || true)
if [[ -z $src ]]; then
  fetch_source
  src=$(ls -d "$src_parent"/lwip-2.*/ | head -1)
fi
src=$root/${src%/}

# The unix port's mailboxes hold 128 messages whatever lwIP asks for; a FreeRTOS queue on the
# device holds what was asked (6 for a listening socket's accept queue, which decides when a
# waiting client is reset).  Make a copy where each mailbox keeps its size.
sys_arch=$root/$out/sys_arch.c
/usr/bin/python3 - "$src/contrib/ports/unix/port/sys_arch.c" "$sys_arch" <<'PY'
import sys
s = open(sys.argv[1]).read()
edits = [
    ("struct sys_mbox {\n  int first, last;", "struct sys_mbox {\n  int first, last, size;"),
    ("  mbox->first = mbox->last = 0;",
     "  mbox->first = mbox->last = 0;\n"
     "  mbox->size = size > 0 && size < SYS_MBOX_SIZE ? size + 1 : SYS_MBOX_SIZE;"),
    (">= (mbox->first + SYS_MBOX_SIZE)", ">= (mbox->first + mbox->size)"),
]
for old, new in edits:
    if old not in s:
        sys.exit("lwip.sh: sys_arch.c is not the one this script knows: " + old)
    s = s.replace(old, new)
if s.count("mbox->first + mbox->size") != 2:
    sys.exit("lwip.sh: expected two mailbox capacity checks in sys_arch.c")
open(sys.argv[2] + ".new", "w").write(s)
PY
if ! cmp -s "$sys_arch.new" "$sys_arch" 2>/dev/null; then mv "$sys_arch.new" "$sys_arch"; else rm "$sys_arch.new"; fi

log "building viper_demo_lwip"
cmake --preset lwip -DVIPER_LWIP_DIR="$src" -DVIPER_LWIP_SYS_ARCH="$sys_arch" >/dev/null
cmake --build --preset lwip -j "$(nproc)" --target viper_demo_lwip viper_lwip_listen_probe >/dev/null
bin=$root/build/lwip-build/tests/lwip/viper_demo_lwip
[[ $quiet == 1 ]] && echo "$bin" || log "built $bin"
