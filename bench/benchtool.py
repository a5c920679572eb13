#!/usr/bin/python3
"""Helpers for bench/run.sh (standard library only).

Subcommands:
  requests HOST PORT PATH N [--conns C]
      Sends exactly N "GET PATH" requests over C keep-alive connections (default 4), one request
      in flight per connection, and prints the status counts as JSON.  A connection the server
      closes ("Connection: close") is reopened and counted in the output.
  stats HOST PORT
      Prints the demo's GET /stats JSON (fetched on a fresh connection).
  idle HOST PORT N [--pid PID]
      Measures the engine's memory for N idle keep-alive connections: takes /stats, opens N
      connections that each make one request and stay open, takes /stats again, checks that
      the lent buffers are back to the baseline, and prints the figures as JSON.
  wrk-table RESULTS_DIR [--markdown] [--target RATIO]
      Reads RESULTS_DIR/<scenario>.<server>.<run>.wrk (wrk --latency output) and
      RESULTS_DIR/meta.json, and prints a table of the median req/s and p99 per scenario and
      server, with the ratio of each server to the reference server.
  valgrind-allocs LOGFILE
      Prints X from valgrind's "total heap usage: X allocs" line.
"""
import argparse
import json
import os
import re
import socket
import statistics
import sys
import time


# ----------------------------------------------------------------------------------------------
# A minimal keep-alive HTTP/1.1 client (exact request counts, no third-party modules).

class Conn:
    def __init__(self, host, port, timeout=30.0):
        self.host, self.port = host, port
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.rfile = self.sock.makefile("rb")

    def send_get(self, path):
        self.sock.sendall(("GET %s HTTP/1.1\r\nHost: %s:%d\r\n\r\n"
                           % (path, self.host, self.port)).encode())

    def read_response(self):
        """Returns (status, headers dict, body, server_closes)."""
        line = self.rfile.readline(65536)
        if not line:
            raise ConnectionError("server closed the connection before answering")
        parts = line.split(None, 2)
        status = int(parts[1])
        headers = {}
        while True:
            h = self.rfile.readline(65536)
            if h in (b"\r\n", b"\n", b""):
                break
            k, _, v = h.decode("latin-1").partition(":")
            headers[k.strip().lower()] = v.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                chunk = self.rfile.read(size + 2)
                body += chunk[:size]
                if size == 0:
                    # trailers end with an empty line
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
        else:
            body = self.rfile.read(int(headers.get("content-length", "0")))
        closes = headers.get("connection", "").lower() == "close"
        return status, headers, body, closes

    def get(self, path):
        self.send_get(path)
        return self.read_response()

    def close(self):
        try:
            self.rfile.close()
            self.sock.close()
        except OSError:
            pass


def do_requests(host, port, path, n, conns):
    pool = [Conn(host, port) for _ in range(min(conns, max(n, 1)))]
    statuses, reconnects, done = {}, 0, 0
    while done < n:
        batch = min(len(pool), n - done)
        for i in range(batch):
            pool[i].send_get(path)
        for i in range(batch):
            status, _, _, closes = pool[i].read_response()
            statuses[str(status)] = statuses.get(str(status), 0) + 1
            if closes:
                pool[i].close()
                pool[i] = Conn(host, port)
                reconnects += 1
        done += batch
    for c in pool:
        c.close()
    return {"requests": done, "connections": len(pool), "reconnects": reconnects,
            "statuses": statuses}


def get_stats(host, port):
    c = Conn(host, port)
    try:
        status, _, body, _ = c.get("/stats")
    finally:
        c.close()
    if status != 200:
        raise RuntimeError("GET /stats answered %d" % status)
    return json.loads(body)


def rss_kib(pid):
    if not pid:
        return None
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def do_idle(host, port, n, pid):
    before = get_stats(host, port)
    rss0 = rss_kib(pid)
    conns = []
    try:
        for _ in range(n):
            c = Conn(host, port)
            status, _, _, closes = c.get("/hello")
            if status != 200 or closes:
                raise RuntimeError("idle setup: GET /hello answered %d (close=%s)" % (status, closes))
            conns.append(c)
        time.sleep(0.3)  # let the engine finish any bookkeeping after the last response
        during = get_stats(host, port)
        rss1 = rss_kib(pid)
    finally:
        for c in conns:
            c.close()
    time.sleep(0.3)
    after = get_stats(host, port)
    keys = ("connections_active", "io_buffers_in_use", "body_buffers_in_use", "engine_bytes",
            "engine_allocations")
    out = {
        "idle_connections": n,
        "before": {k: before[k] for k in keys},
        "with_idle": {k: during[k] for k in keys},
        "after_close": {k: after[k] for k in keys},
        "bytes_per_idle_connection": during["bytes_per_idle_connection"],
        # Both /stats requests count their own connection and its buffer, so equal values mean
        # the N idle connections hold no lent buffer.
        "buffers_back_to_baseline": (during["io_buffers_in_use"] == before["io_buffers_in_use"]
                                     and during["body_buffers_in_use"]
                                     == before["body_buffers_in_use"]),
        "idle_connections_counted": (during["connections_active"]
                                     - before["connections_active"]) == n,
        "engine_bytes_delta": during["engine_bytes"] - before["engine_bytes"],
        "engine_allocations_delta": during["engine_allocations"] - before["engine_allocations"],
    }
    if rss0 is not None and rss1 is not None:
        out["process_rss_delta_kib"] = rss1 - rss0
    return out


# ----------------------------------------------------------------------------------------------
# wrk output

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def _to_ms(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if not m:
        raise ValueError("bad latency " + text)
    return float(m.group(1)) * _UNITS[m.group(2)]


def parse_wrk(text):
    r = {}
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    if not m:
        raise ValueError("no Requests/sec line")
    r["rps"] = float(m.group(1))
    m = re.search(r"^\s+99%\s+(\S+)", text, re.M)
    r["p99_ms"] = _to_ms(m.group(1)) if m else None
    m = re.search(r"^\s+50%\s+(\S+)", text, re.M)
    r["p50_ms"] = _to_ms(m.group(1)) if m else None
    m = re.search(r"(\d+) requests in ([\d.]+)(ms|s|m)", text)
    r["requests"] = int(m.group(1)) if m else None
    r["seconds"] = float(m.group(2)) * {"ms": 1e-3, "s": 1.0, "m": 60.0}[m.group(3)] if m else None
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    r["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    r["socket_errors"] = sum(int(x) for x in m.groups()) if m else 0
    return r


def fmt_ms(v):
    if v is None:
        return "-"
    return "%.0f us" % (v * 1000) if v < 1 else "%.2f ms" % v


def load_runs(results_dir, sc, sv, notes):
    """{run index: parsed wrk output (+ server CPU figures from the .cpu file)}."""
    runs = {}
    for name in os.listdir(results_dir):
        m = re.fullmatch(re.escape("%s.%s." % (sc, sv)) + r"(\d+)\.wrk", name)
        if not m:
            continue
        path = os.path.join(results_dir, name)
        with open(path) as f:
            try:
                r = parse_wrk(f.read())
            except ValueError as e:
                notes.append("%s: %s" % (name, e))
                continue
        # "<ticks> <ticks per second>": server CPU time (user + system) during the run.
        cpu = path[:-4] + ".cpu"
        if os.path.exists(cpu) and r["requests"] and r["seconds"]:
            f = [float(x) for x in open(cpu).read().split()]
            ticks, hz = f[0], f[1]
            r["cpu_us_per_req"] = ticks / hz * 1e6 / r["requests"]
            r["cpu_share"] = ticks / hz / r["seconds"]
            if len(f) > 2:  # user-space part
                r["user_us_per_req"] = f[2] / hz * 1e6 / r["requests"]
        # "<user seconds> <system seconds>" of wrk itself (bash's time).
        client = path[:-4] + ".client"
        if os.path.exists(client) and r["seconds"]:
            try:
                u, s_ = (float(x) for x in open(client).read().split()[-2:])
                r["client_share"] = (u + s_) / r["seconds"]
            except ValueError:
                pass
        runs[int(m.group(1))] = r
    return runs


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


LEGEND = """\
req/s, p99, CPU us/req, CPU share: medians over the runs.  ratio: median req/s / median %(ref)s
req/s.  ratio/run: median over runs of req/s / %(ref)s req/s of the same run (back to back).
CPU us/req: user + system CPU time of the serving process(es) during the run / requests (user
us/req: the user-space part; the rest is the kernel's TCP work on the server's behalf).  CPU
share: that CPU time / run duration (below ~100%%: the server waited for the client or lost its
core to other work).  wrk CPU: the client's CPU time / run duration (near 100%%: the client
is the bottleneck).  CPU eff.: %(ref)s CPU us/req / the server's (> 1: less CPU per request).
bytes: response head + body."""


def wrk_table(results_dir, markdown, target=None):
    with open(os.path.join(results_dir, "meta.json")) as f:
        meta = json.load(f)
    scenarios, servers, ref = meta["scenarios"], meta["servers"], meta["reference"]
    rows, notes, verdicts = [], [], []
    for sc in scenarios:
        runs = {sv: load_runs(results_dir, sc, sv, notes) for sv in servers}
        for sv in servers:
            errs = sum(r["socket_errors"] for r in runs[sv].values())
            if errs:
                notes.append("%s/%s: %d socket errors over %d runs" % (sc, sv, errs, len(runs[sv])))
        refr = runs.get(ref, {})
        for sv in servers:
            got = runs[sv]
            if not got:
                continue
            rps = [got[i]["rps"] for i in sorted(got)]
            cpu = med(r.get("cpu_us_per_req") for r in got.values())
            share = med(r.get("cpu_share") for r in got.values())
            user = med(r.get("user_us_per_req") for r in got.values())
            client = med(r.get("client_share") for r in got.values())
            ratio = pair = cpu_ratio = "ref" if sv == ref else "-"
            if sv != ref and refr:
                ratio = "%.2fx" % (med(rps) / med(r["rps"] for r in refr.values()))
                # Runs with the same index ran back to back: their ratio is less sensitive to
                # load that drifts over the whole benchmark.
                both = sorted(set(got) & set(refr))
                if both:
                    v = med(got[i]["rps"] / refr[i]["rps"] for i in both)
                    pair = "%.2fx" % v
                    if target:
                        verdicts.append("target %s: %s >= %.2fx %s req/s (median of per-run "
                                        "ratios): %.2fx, %s" % (sc, sv, target, ref, v,
                                                                 "met" if v >= target else "NOT met"))
                ref_cpu = med(r.get("cpu_us_per_req") for r in refr.values())
                if cpu and ref_cpu:
                    cpu_ratio = "%.2fx" % (ref_cpu / cpu)
            size = meta.get("response_bytes", {}).get("%s.%s" % (sc, sv), "")
            rows.append([sc, sv, "%.0f" % med(rps), fmt_ms(med(r["p99_ms"] for r in got.values())),
                         ratio, pair, "%.1f" % cpu if cpu else "-",
                         "%.2f" % user if user is not None else "-",
                         "%.0f%%" % (share * 100) if share else "-",
                         "%.0f%%" % (client * 100) if client else "-", cpu_ratio, str(size),
                         " / ".join("%.0f" % x for x in rps)])
    head = ["scenario", "server", "req/s", "p99", "ratio", "ratio/run", "CPU us/req",
            "user us/req", "CPU share", "wrk CPU", "CPU eff.", "bytes", "req/s of each run"]
    if markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "|".join("---" for _ in head) + "|")
        for r in rows:
            print("| " + " | ".join(r) + " |")
    else:
        widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
                  for i, h in enumerate(head)]
        print("  ".join(h.ljust(w) for h, w in zip(head, widths)).rstrip())
        print("  ".join("-" * w for w in widths))
        for r in rows:
            print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    print(LEGEND % {"ref": ref})
    if not markdown:
        for v in verdicts:
            print(v)
    for n in notes:
        print("note: " + n)


def valgrind_allocs(path):
    with open(path, errors="replace") as f:
        text = f.read()
    m = re.search(r"total heap usage: ([\d,]+) allocs", text)
    if not m:
        raise SystemExit("no 'total heap usage' line in " + path)
    print(m.group(1).replace(",", ""))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("requests")
    p.add_argument("host"), p.add_argument("port", type=int), p.add_argument("path")
    p.add_argument("n", type=int), p.add_argument("--conns", type=int, default=4)
    p = sub.add_parser("stats")
    p.add_argument("host"), p.add_argument("port", type=int)
    p = sub.add_parser("idle")
    p.add_argument("host"), p.add_argument("port", type=int), p.add_argument("n", type=int)
    p.add_argument("--pid", type=int, default=0)
    p = sub.add_parser("wrk-table")
    p.add_argument("dir"), p.add_argument("--markdown", action="store_true")
    p.add_argument("--target", type=float, default=None, help="minimum ratio to the reference")
    p = sub.add_parser("valgrind-allocs")
    p.add_argument("log")
    a = ap.parse_args()
    if a.cmd == "requests":
        print(json.dumps(do_requests(a.host, a.port, a.path, a.n, a.conns)))
    elif a.cmd == "stats":
        print(json.dumps(get_stats(a.host, a.port)))
    elif a.cmd == "idle":
        print(json.dumps(do_idle(a.host, a.port, a.n, a.pid), indent=1))
    elif a.cmd == "wrk-table":
        wrk_table(a.dir, a.markdown, a.target)
    elif a.cmd == "valgrind-allocs":
        valgrind_allocs(a.log)


if __name__ == "__main__":
    sys.exit(main())
