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
  wrk-table RESULTS_DIR... [--markdown] [--target RATIO]
      Reads RESULTS_DIR/<scenario>.<server>.<run>.wrk (wrk --latency output) and
      RESULTS_DIR/meta.json, and prints a table of the median req/s and p99 per scenario and
      server, with the ratio of each server to the scenario's reference server (meta.json:
      "reference", or per scenario "references"), then the extra ratios ("extra_ratios", e.g.
      a Python route / the engine-only route) and the targets ("targets", or --target).
      Several RESULTS_DIRs (BENCH_RESULTS of several invocations): their runs are pooled.
  valgrind-allocs LOGFILE
      Prints X from valgrind's "total heap usage: X allocs" line.
  dhat-split DHAT_OUT
      Splits the heap allocations of a `valgrind --tool=dhat` profile (JSON) of the Python
      runtime by call stack: the engine thread (stacks through EngineHandle::thread_main), the
      _viperhttp binding on the interpreter thread (other stacks with a frame in _viperhttp),
      and the rest (CPython, libc).  Prints blocks and bytes of each as JSON.
  instructions-table ROWS N1 N2
      Prints the instructions per request of bench/run.sh python-instructions: ROWS has one line
      "label|path|I1 E1|I2 E2" per measurement (interpreter- and engine-thread instruction
      totals of the runs with N1 and N2 requests); per request = (X2 - X1) / (N2 - N1).  For
      MicroPython it adds the device estimate (see DEVICE_* below), and the after / before
      ratios of "label" against "label-base" rows.
  idle-cpu [--seconds S] [--conns N] [--path P] NAME=PID[@PORT] ...
      CPU time and context switches of idle servers: sums utime + stime (/proc/PID/stat, in
      clock ticks), the run time in ns (/proc/PID/task/*/schedstat) and the voluntary and
      involuntary context switches of every thread (/proc/PID/task/*/status) over S seconds
      (default 10) with no traffic; then again while N keep-alive connections per server (each
      made one GET P) stay open and idle (with --conns N > 0 and a PORT).  Prints JSON.
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
        conn = headers.get("connection", "").lower()
        # HTTP/1.0 closes unless it says keep-alive (Microdot answers HTTP/1.0 and closes).
        closes = conn == "close" or (parts[0] == b"HTTP/1.0" and conn != "keep-alive")
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
        # Per thread: "PID TID USER SYSTEM" ticks before and after the run.  The main thread
        # (TID = PID) apart from the others (ViperHTTP: the engine thread; uvicorn: the thread
        # pool that runs FastAPI's "def" handlers).
        t0, t1 = path[:-4] + ".threads0", path[:-4] + ".threads1"
        if os.path.exists(t0) and os.path.exists(t1) and r["requests"]:
            def read_threads(name):
                out = {}
                for line in open(name):
                    f = line.split()
                    if len(f) == 4:
                        out[(f[0], f[1])] = (int(f[2]), int(f[3]))
                return out
            a, b = read_threads(t0), read_threads(t1)
            hz = os.sysconf("SC_CLK_TCK")
            split = {"main": [0, 0], "other": [0, 0], "other_threads": 0}
            for key, (u1, s1) in b.items():
                u0, s0 = a.get(key, (0, 0))
                kind = "main" if key[0] == key[1] else "other"
                split[kind][0] += u1 - u0
                split[kind][1] += s1 - s0
                if kind == "other" and (u1 - u0) + (s1 - s0) > 0:
                    split["other_threads"] += 1
            us = 1e6 / hz / r["requests"]
            r["threads"] = {"main_us": sum(split["main"]) * us, "main_user_us": split["main"][0] * us,
                            "other_us": sum(split["other"]) * us,
                            "other_user_us": split["other"][0] * us,
                            "other_threads": split["other_threads"]}
        # /proc/stat of the server's and the client's core: "BUSY STEAL TOTAL" for each.
        c0, c1 = path[:-4] + ".cores0", path[:-4] + ".cores1"
        if os.path.exists(c0) and os.path.exists(c1):
            a = [int(x) for x in open(c0).read().split()]
            b = [int(x) for x in open(c1).read().split()]
            if len(a) == len(b) == 6:
                d = [y - x for x, y in zip(a, b)]
                if d[2] > 0 and d[5] > 0:
                    r["server_core_busy"] = d[0] / d[2]
                    r["client_core_busy"] = d[3] / d[5]
                    r["steal"] = (d[1] + d[4]) / (d[2] + d[5])
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
is the bottleneck).  others: user + system time of the server's core not used by the
server / of the client's core not used by wrk: other processes (high: a disturbed run).
CPU eff.: %(ref)s CPU us/req / the server's (> 1: less CPU per request).
bytes: response head + body."""


def load_runs_pooled(results_dirs, sc, sv, notes):
    """load_runs over several result directories of the same suite (runs renumbered)."""
    runs = {}
    for k, d in enumerate(results_dirs):
        for i, r in load_runs(d, sc, sv, notes).items():
            runs[k * 1000 + i] = r
    return runs


def wrk_table(results_dirs, markdown, target=None):
    if isinstance(results_dirs, str):
        results_dirs = [results_dirs]
    with open(os.path.join(results_dirs[0], "meta.json")) as f:
        meta = json.load(f)
    scenarios, servers = meta["scenarios"], meta["servers"]
    refs = meta.get("references", {})
    targets = meta.get("targets", {})  # {scenario: {server: minimum ratio to the reference}}
    rows, notes, verdicts = [], [], []
    all_runs = {}
    for sc in scenarios:
        ref = refs.get(sc, meta["reference"])
        runs = {sv: load_runs_pooled(results_dirs, sc, sv, notes) for sv in servers}
        all_runs[sc] = runs
        for sv in servers:
            errs = sum(r["socket_errors"] for r in runs[sv].values())
            if errs:
                notes.append("%s/%s: %d socket errors over %d runs" % (sc, sv, errs, len(runs[sv])))
            steal = med(r.get("steal") for r in runs[sv].values())
            if steal and steal > 0.02:
                notes.append("%s/%s: the hypervisor took %.0f%% of the two cores (steal time)"
                             % (sc, sv, steal * 100))
            bad = sum(r["non2xx"] for r in runs[sv].values())
            if bad and int(meta.get("statuses", {}).get(sc, 200)) < 400:
                notes.append("%s/%s: %d non-2xx/3xx responses over %d runs" % (sc, sv, bad,
                                                                             len(runs[sv])))
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
            # Other processes on the server's core and the client's core (user + system time
            # of the core minus the server's, resp. wrk's CPU time): a disturbed run shows here.
            oth_s = med(max(r["server_core_busy"] - r.get("cpu_share", 0), 0)
                        for r in got.values() if "server_core_busy" in r)
            oth_c = med(max(r["client_core_busy"] - r.get("client_share", 0), 0)
                        for r in got.values() if "client_core_busy" in r)
            others = ("%.0f%% / %.0f%%" % (oth_s * 100, oth_c * 100)
                      if oth_s is not None and oth_c is not None else "-")
            ratio = pair = cpu_ratio = "ref" if sv == ref else "-"
            if sv != ref and refr:
                ratio = "%.2fx" % (med(rps) / med(r["rps"] for r in refr.values()))
                # Runs with the same index ran back to back: their ratio is less sensitive to
                # load that drifts over the whole benchmark.
                both = sorted(set(got) & set(refr))
                if both:
                    v = med(got[i]["rps"] / refr[i]["rps"] for i in both)
                    pair = "%.2fx" % v
                    want = targets.get(sc, {}).get(sv, target if not targets else None)
                    if want:
                        verdicts.append("target %s: %s >= %.2fx %s req/s (median of per-run "
                                        "ratios): %.2fx, %s" % (sc, sv, want, ref, v,
                                                                 "met" if v >= want else "NOT met"))
                ref_cpu = med(r.get("cpu_us_per_req") for r in refr.values())
                if cpu and ref_cpu:
                    cpu_ratio = "%.2fx" % (ref_cpu / cpu)
            size = meta.get("response_bytes", {}).get("%s.%s" % (sc, sv), "")
            rows.append([sc, sv, "%.0f" % med(rps), fmt_ms(med(r["p99_ms"] for r in got.values())),
                         ratio, pair, "%.1f" % cpu if cpu else "-",
                         "%.2f" % user if user is not None else "-",
                         "%.0f%%" % (share * 100) if share else "-",
                         "%.0f%%" % (client * 100) if client else "-", others, cpu_ratio,
                         str(size),
                         " / ".join("%.0f" % x for x in rps)])
    head = ["scenario", "server", "req/s", "p99", "ratio", "ratio/run", "CPU us/req",
            "user us/req", "CPU share", "wrk CPU", "others", "CPU eff.", "bytes",
            "req/s of each run"]
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
    ref_names = sorted(set(refs.get(sc, meta["reference"]) for sc in scenarios))
    print(LEGEND % {"ref": " / ".join(ref_names) + (" (per scenario)" if len(ref_names) > 1
                                                     else "")})
    split = thread_split(all_runs)
    if split:
        print(("* " if markdown else "") + split)
    for x in meta.get("extra_ratios", []):
        line = extra_ratio(all_runs, x)
        if line:
            print(("* " if markdown else "") + line)
    if not markdown:
        for v in verdicts:
            print(v)
    for n in notes:
        print("note: " + n)


def thread_split(all_runs):
    """CPU time per request of the main thread and of the other threads (medians over runs),
    for the servers whose other threads did work."""
    parts = []
    for sc, runs in all_runs.items():
        for sv, got in runs.items():
            th = [r["threads"] for r in got.values() if "threads" in r]
            if not th:
                continue
            total = med(t["main_us"] + t["other_us"] for t in th)
            if min(med(t["other_us"] for t in th), med(t["main_us"] for t in th)) < 0.05 * total:
                continue  # one thread does (nearly) all the work
            parts.append("%s/%s %.1f (user %.1f) + %.1f (user %.1f, %d thread%s)" % (
                sc, sv, med(t["main_us"] for t in th), med(t["main_user_us"] for t in th),
                med(t["other_us"] for t in th), med(t["other_user_us"] for t in th),
                max(t["other_threads"] for t in th),
                "" if max(t["other_threads"] for t in th) == 1 else "s"))
    if not parts:
        return None
    return ("CPU us per request, main thread + other threads (ViperHTTP: interpreter + engine "
            "thread; uvicorn: event loop + thread pool): " + "; ".join(parts))


def extra_ratio(all_runs, x):
    """One line for an extra ratio {"num": [scenario, server], "den": [scenario, server],
    "label": text, "target": minimum or null}: the ratio of the median req/s, the median of
    the per-run ratios (runs with the same index), and of the CPU time per request."""
    (sa, va), (sb, vb) = x["num"], x["den"]
    a = all_runs.get(sa, {}).get(va, {})
    b = all_runs.get(sb, {}).get(vb, {})
    if not a or not b:
        return None
    both = sorted(set(a) & set(b))
    per_run = [a[i]["rps"] / b[i]["rps"] for i in both]
    v = med(per_run)
    line = "%s: %s/%s / %s/%s req/s = %.2fx (ratio of medians %.2fx; per run %s)" % (
        x.get("label", "ratio"), sa, va, sb, vb, v,
        med(r["rps"] for r in a.values()) / med(r["rps"] for r in b.values()),
        " / ".join("%.2f" % r for r in per_run))
    ca = med(r.get("cpu_us_per_req") for r in a.values())
    cb = med(r.get("cpu_us_per_req") for r in b.values())
    if ca and cb:
        line += "; CPU per request %.1f vs %.1f us (%+.1f us)" % (ca, cb, ca - cb)
    if x.get("target"):
        line += "; target >= %.2fx: %s" % (x["target"], "met" if v >= x["target"] else "NOT met")
    return line


def valgrind_allocs(path):
    with open(path, errors="replace") as f:
        text = f.read()
    m = re.search(r"total heap usage: ([\d,]+) allocs", text)
    if not m:
        raise SystemExit("no 'total heap usage' line in " + path)
    print(m.group(1).replace(",", ""))


# ----------------------------------------------------------------------------------------------
# Heap allocations of the Python runtime, split by call stack (valgrind --tool=dhat JSON output)

ENGINE_THREAD_FRAME = "EngineHandle::thread_main"  # the engine thread's entry point
BINDING_OBJECT = "_viperhttp"  # the extension module's file name


def dhat_split(path):
    with open(path) as f:
        d = json.load(f)
    ftbl = d["ftbl"]
    out = {"mode": d.get("mode"), "stacks": len(d["pps"])}
    for k in ("total", "engine_thread", "binding", "other", "other_threads"):
        out[k + "_blocks"] = out[k + "_bytes"] = 0
    deepest_engine = 0
    for pp in d["pps"]:
        frames = [ftbl[i] for i in pp["fs"]]
        blocks, nbytes = pp["tbk"], pp["tb"]
        out["total_blocks"] += blocks
        out["total_bytes"] += nbytes
        if any(ENGINE_THREAD_FRAME in f for f in frames):
            kind = "engine_thread"
            deepest_engine = max(deepest_engine, len(frames))
        elif any(BINDING_OBJECT in f for f in frames):
            kind = "binding"
        else:
            kind = "other"
        out[kind + "_blocks"] += blocks
        out[kind + "_bytes"] += nbytes
        # Stacks of threads other than the interpreter's main thread and the engine thread
        # (none expected: the benchmark app starts no other thread).
        if kind != "engine_thread" and any(f.split(": ", 1)[-1].startswith("start_thread")
                                           for f in frames):
            out["other_threads_blocks"] += blocks
            out["other_threads_bytes"] += nbytes
    out["deepest_engine_stack"] = deepest_engine
    return out


# ----------------------------------------------------------------------------------------------
# CPU time and wake-ups of idle servers

def _proc_sample(pid):
    """{"ticks": utime + stime of the process (all threads), "run_ns": sum of the threads'
    schedstat run time, "voluntary"/"involuntary": context switches summed over the threads,
    "threads": {tid: [comm, voluntary, involuntary, run_ns]}}."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is the 3rd field (state): utime is the 14th field, stime the 15th.
    out = {"ticks": int(fields[11]) + int(fields[12]), "run_ns": 0, "voluntary": 0,
           "involuntary": 0, "threads": {}}
    for tid in os.listdir("/proc/%d/task" % pid):
        base = "/proc/%d/task/%s/" % (pid, tid)
        try:
            with open(base + "schedstat") as f:
                run_ns = int(f.read().split()[0])
            vol = invol = 0
            with open(base + "status") as f:
                for line in f:
                    if line.startswith("voluntary_ctxt_switches:"):
                        vol = int(line.split()[1])
                    elif line.startswith("nonvoluntary_ctxt_switches:"):
                        invol = int(line.split()[1])
            with open(base + "comm") as f:
                comm = f.read().strip()
        except OSError:  # the thread ended meanwhile
            continue
        out["run_ns"] += run_ns
        out["voluntary"] += vol
        out["involuntary"] += invol
        out["threads"][tid] = [comm, vol, invol, run_ns]
    return out


def _measure_idle(servers, seconds):
    before = {name: _proc_sample(pid) for name, (pid, _) in servers.items()}
    t0 = time.monotonic()
    time.sleep(seconds)
    elapsed = time.monotonic() - t0
    after = {name: _proc_sample(pid) for name, (pid, _) in servers.items()}
    hz = os.sysconf("SC_CLK_TCK")
    res = {}
    for name in servers:
        b, a = before[name], after[name]
        threads = {}
        for tid, (comm, vol, invol, ns) in a["threads"].items():
            if tid in b["threads"]:
                _, vol0, invol0, ns0 = b["threads"][tid]
                threads[tid] = {"comm": comm, "wakeups": vol - vol0, "preempted": invol - invol0,
                                "cpu_us": (ns - ns0) / 1e3}
        cpu_s = (a["ticks"] - b["ticks"]) / hz
        res[name] = {
            "seconds": round(elapsed, 3),
            "cpu_ticks": a["ticks"] - b["ticks"],
            "cpu_percent_ticks": round(100.0 * cpu_s / elapsed, 3),
            "cpu_us": round((a["run_ns"] - b["run_ns"]) / 1e3, 1),
            "cpu_percent": round(100.0 * (a["run_ns"] - b["run_ns"]) / 1e9 / elapsed, 4),
            "voluntary_ctxt_switches": a["voluntary"] - b["voluntary"],
            "involuntary_ctxt_switches": a["involuntary"] - b["involuntary"],
            "wakeups_per_s": round((a["voluntary"] - b["voluntary"]) / elapsed, 2),
            "threads": threads,
        }
    return res


def do_idle_cpu(specs, seconds, conns, path, host="127.0.0.1"):
    servers = {}
    for spec in specs:
        name, _, rest = spec.partition("=")
        pid, _, port = rest.partition("@")
        servers[name] = (int(pid), int(port) if port else None)
    out = {"no_connections": _measure_idle(servers, seconds)}
    if conns > 0:
        held = []
        try:
            for name, (_, port) in servers.items():
                if port is None:
                    continue
                for _ in range(conns):
                    c = Conn(host, port)
                    status, _, _, closes = c.get(path)
                    if status != 200 or closes:
                        raise RuntimeError("%s: GET %s answered %d (close=%s)"
                                           % (name, path, status, closes))
                    held.append(c)
            time.sleep(0.5)  # let the servers go idle after the requests
            out["idle_keepalive_connections"] = conns
            out["with_idle_connections"] = _measure_idle(servers, seconds)
        finally:
            for c in held:
                c.close()
    return out


# ----------------------------------------------------------------------------------------------
# Instructions per request (bench/run.sh python-instructions, callgrind)

# The device estimate: the ESP32-S3 runs the same MicroPython bytecode VM (compiled C) at
# DEVICE_HZ on one core (the engine has the other).  Assumed: one Xtensa LX7 instruction per
# x86-64 instruction of the unix port, and DEVICE_CPI_LOW .. DEVICE_CPI_HIGH cycles per
# instruction (an in-order core at most one instruction per cycle, the VM's code and the
# GC heap behind flash/PSRAM caches).  Assumptions, to be replaced by a measurement on the
# device; docs/benchmarks.md gives the reasoning.
DEVICE_HZ = 240e6
DEVICE_CPI_LOW, DEVICE_CPI_HIGH = 1.5, 3.0


def instructions_table(rows_path, n1, n2):
    rows = [line.rstrip("\n").split("|") for line in open(rows_path) if line.strip()]
    per = {}
    print("   %-18s %-15s %18s %16s   %s" % ("interpreter", "path", "interpreter/req",
                                            "engine/req", "device estimate (interpreter thread)"))
    for label, path, first, second in rows:
        i1, e1 = map(int, first.split())
        i2, e2 = map(int, second.split())
        i, e = (i2 - i1) / (n2 - n1), (e2 - e1) / (n2 - n1)
        per[(label, path)] = i
        est = ""
        if label.startswith("micropython") and i > 100:
            est = "%d .. %d req/s" % (DEVICE_HZ / (i * DEVICE_CPI_HIGH),
                                      DEVICE_HZ / (i * DEVICE_CPI_LOW))
        print("   %-18s %-15s %18.0f %16.0f   %s" % (label, path, i, e, est))
    for (label, path), i in sorted(per.items()):
        base = per.get((label + "-base", path))
        if base is not None and base > 100:
            print("   after / before, %s %s: %.0f / %.0f = %.2fx interpreter instructions"
                  % (label, path, i, base, i / base))
        other = per.get(("microdot", path))
        if label.startswith("micropython") and other is not None and i > 100:
            print("   Microdot / %s %s: %.0f / %.0f = %.1fx the instructions per request"
                  % (label, path, other, i, other / i))
    print("   device estimate: %.0f MHz / (instructions x CPI), one Xtensa instruction per x86-64"
          " instruction," % (DEVICE_HZ / 1e6))
    print("   CPI %.1f .. %.1f (assumed; docs/benchmarks.md).  A 404 is answered by the engine:"
          " the interpreter does nothing." % (DEVICE_CPI_LOW, DEVICE_CPI_HIGH))


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
    p.add_argument("dir", nargs="+", help="one or more result directories of the same suite "
                   "(several: their runs are pooled)")
    p.add_argument("--markdown", action="store_true")
    p.add_argument("--target", type=float, default=None, help="minimum ratio to the reference")
    p = sub.add_parser("valgrind-allocs")
    p.add_argument("log")
    p = sub.add_parser("dhat-split")
    p.add_argument("dhat_out")
    p = sub.add_parser("instructions-table")
    p.add_argument("rows"), p.add_argument("n1", type=int), p.add_argument("n2", type=int)
    p = sub.add_parser("idle-cpu")
    p.add_argument("servers", nargs="+", metavar="NAME=PID[@PORT]")
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--conns", type=int, default=0)
    p.add_argument("--path", default="/hello")
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
    elif a.cmd == "dhat-split":
        print(json.dumps(dhat_split(a.dhat_out)))
    elif a.cmd == "instructions-table":
        instructions_table(a.rows, a.n1, a.n2)
    elif a.cmd == "idle-cpu":
        print(json.dumps(do_idle_cpu(a.servers, a.seconds, a.conns, a.path), indent=1))


if __name__ == "__main__":
    sys.exit(main())
