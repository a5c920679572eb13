#!/usr/bin/env bash
# The engine on lwIP (docs/testing.md, "The engine on lwIP"): builds viper_demo_lwip
# (scripts/lwip.sh), makes a network namespace with tap devices vtap0..vtapN-1 (198.18.<n>.1/24
# on the Linux side; each demo's lwIP stack takes 198.18.<n>.2), and runs pytest inside it
# against the lwIP demo with the select poller, as on the device.  Arguments go to pytest
# (default: the e2e suite tests/python and tests/lwip).  Skips, saying why, only where the
# kernel refuses network namespaces or tap devices (not root, no /dev/net/tun).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=/usr/bin/python3
taps=${VIPER_LWIP_TAPS:-6}
ns=viperlwip$$

skip() { echo "SKIPPED: the engine on lwIP: $*"; exit 0; }
[[ $(id -u) -eq 0 ]] || skip "needs root for a network namespace and tap devices"
[[ -c /dev/net/tun ]] || skip "no /dev/net/tun"
ip netns add "$ns" 2>/dev/null || skip "the kernel refused a network namespace (ip netns add)"
cleanup() { ip netns del "$ns" 2>/dev/null || true; }
trap cleanup EXIT
in_ns() { ip netns exec "$ns" "$@"; }
in_ns ip link set lo up
for ((n = 0; n < taps; n++)); do
  in_ns ip tuntap add dev "vtap$n" mode tap 2>/dev/null || skip "the kernel refused a tap device"
  in_ns ip addr add "198.18.$n.1/24" dev "vtap$n"
  in_ns ip link set "vtap$n" up
done

demo=$(scripts/lwip.sh --print-path)
# Deselected by default: test_shutdown_with_many_idle_connections needs 20 slots (the lwIP run
# has the device's 8 and a socket table of 16).
(($# > 0)) || set -- tests/python tests/lwip \
  --deselect tests/python/test_shutdown.py::test_shutdown_with_many_idle_connections
in_ns env VIPER_DEMO="$demo" VIPER_POLLER=select VIPER_LWIP_TAPS="$taps" \
  VIPER_MAX_CONNECTIONS=8 $PY -m pytest -q -p no:cacheprovider "$@"
