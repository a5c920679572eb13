#!/usr/bin/python3
"""Idle CPU and wake-up latency of the Python runtime, per interpreter.

For each interpreter (CPython with the _viperhttp extension, the MicroPython unix port with the
_viperhttp module) it starts bench/apps/wakeup_app.py and measures:

* idle CPU: the server's CPU time (all threads, /proc/PID/stat) over 10 s with no traffic,
  and its context switches in that time (an event-driven server has none);
* wake-up latency: 2,000 requests sent one at a time over one keep-alive connection to a
  handler that returns at once; the round-trip time includes the engine thread waking the
  interpreter and back.  A bridge that polled on a timer would show round trips clustered at
  multiples of its period (1 ms on unix, 10 ms on the device); the percentiles and the share of
  round trips above 1 ms show whether it does.

Usage: bench/wakeup.py [--cpython PYTHONPATH] [--micropython BINARY] [--idle-seconds 10]
"""

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
APP = os.path.join(ROOT, "bench", "apps", "wakeup_app.py")
TICK = os.sysconf("SC_CLK_TCK")


def start(argv, env):
    p = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = p.stderr.readline().decode()
        m = re.search(r"running on http://127\.0\.0\.1:(\d+)", line)
        if m:
            return p, int(m.group(1))
        if not line and p.poll() is not None:
            break
    p.kill()
    raise SystemExit("server did not start: " + " ".join(argv))


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime, all threads


def context_switches(pid):
    total = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
            for line in f:
                if "ctxt_switches" in line:
                    total += int(line.split()[1])
    return total


def round_trips(port, n):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    req = b"GET /ping HTTP/1.1\r\nHost: b\r\n\r\n"
    times = []
    buf = b""
    for _ in range(n):
        t0 = time.perf_counter()
        s.sendall(req)
        while b'"pong"' not in buf:
            chunk = s.recv(4096)
            if not chunk:
                raise SystemExit("the server closed the connection")
            buf += chunk
        times.append(time.perf_counter() - t0)
        buf = buf[buf.index(b'"pong"') + 6:]
    s.close()
    return sorted(times)


def measure(name, argv, env, idle_seconds):
    p, port = start(argv, env)
    try:
        round_trips(port, 50)  # warm up
        time.sleep(2)
        c0, s0 = cpu_ticks(p.pid), context_switches(p.pid)
        time.sleep(idle_seconds)
        c1, s1 = cpu_ticks(p.pid), context_switches(p.pid)
        idle_pct = 100.0 * (c1 - c0) / TICK / idle_seconds
        rtt = round_trips(port, 2000)
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(10)
    pct = lambda q: rtt[int(q * (len(rtt) - 1))] * 1e6
    over_1ms = 100.0 * sum(1 for t in rtt if t > 1e-3) / len(rtt)
    print("{:<12} idle CPU {:5.2f}% over {} s, {:3d} context switches | round trip us: "
          "p50 {:6.0f}  p90 {:6.0f}  p99 {:6.0f}  max {:7.0f} | > 1 ms: {:4.1f}%".format(
              name, idle_pct, idle_seconds, s1 - s0, pct(0.5), pct(0.9), pct(0.99),
              rtt[-1] * 1e6, over_1ms))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cpython", default="build/release/python:python",
                    help="PYTHONPATH for CPython (the extension and the package)")
    ap.add_argument("--micropython", default="build/micropython/micropython")
    ap.add_argument("--idle-seconds", type=int, default=10)
    args = ap.parse_args()
    os.chdir(ROOT)
    env = dict(os.environ, PYTHONPATH=args.cpython)
    measure("CPython", ["/usr/bin/python3", APP], env, args.idle_seconds)
    if os.path.exists(args.micropython):
        env = dict(os.environ, MICROPYPATH="python:.frozen")
        measure("MicroPython", [args.micropython, APP], env, args.idle_seconds)
    else:
        print("MicroPython: {} not built (scripts/micropython.sh)".format(args.micropython))


if __name__ == "__main__":
    sys.exit(main())
