"""Support for the end-to-end tests of the Python API: real apps (tests/pyapi/apps/*.py) run
as subprocesses on 127.0.0.1 and are driven through real sockets.

Environment:
  VIPER_INTERPRETER  interpreter that runs the apps (default /usr/bin/python3)
  VIPER_PYTHONPATH   its module path, entries relative to the repository root
                     (default build/debug/python:python)

Each app reads its arguments as ``key=value`` options for ``app.run``; a value is parsed as
JSON when it can be (``max_connections=64``, ``access_log=false``, ``handler_timeout_s=0.5``),
otherwise kept as a string (``log_level=info``).  ``port=0`` is always passed, and the port is
read from the startup line on stderr.
"""

import json
import os
import pathlib
import re
import resource
import signal
import socket
import subprocess
import tempfile
import time

import pytest
import requests

import pyapi_http as rawhttp

ROOT = pathlib.Path(__file__).resolve().parents[2]
APPS = pathlib.Path(__file__).resolve().parent / "apps"
INTERPRETER = os.environ.get("VIPER_INTERPRETER") or "/usr/bin/python3"
MICROPYTHON = "micropython" in os.path.basename(INTERPRETER)
PYTHONPATH = os.pathsep.join(
    str((ROOT / p).resolve()) if not os.path.isabs(p) else p
    for p in (os.environ.get("VIPER_PYTHONPATH") or "build/debug/python:python").split(":")
    if p
)

START_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0
RUNNING_RE = re.compile(
    r"INFO:     ViperHTTP running on https?://127\.0\.0\.1:(\d+) \(Press CTRL\+C to quit\)"
)


def _raise_fd_limit():
    # The 1,000-connection test needs descriptors in the server and in this process.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 8192 if hard == resource.RLIM_INFINITY else min(hard, 8192)
    if soft != resource.RLIM_INFINITY and soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


_raise_fd_limit()


def app_env(extra=None):
    env = dict(os.environ)
    env["PYTHONPATH"] = PYTHONPATH
    # MicroPython reads MICROPYPATH: the package from the source tree, then what is frozen
    # into the binary (asyncio).
    env["MICROPYPATH"] = PYTHONPATH + os.pathsep + ".frozen"
    env["PYTHONUNBUFFERED"] = "1"
    env.pop("PYTHONSTARTUP", None)
    if extra:
        env.update(extra)
    return env


def app_argv(app, options):
    argv = [INTERPRETER, str(APPS / app)]
    if MICROPYTHON:
        # The unix port's default GC heap (2 MB) is too small for the 1,000-request test;
        # a device's heap is smaller still, and so is its max_connections.
        argv[1:1] = ["-X", "heapsize=64M"]
    for key, value in options.items():
        argv.append(key + "=" + (value if isinstance(value, str) else json.dumps(value)))
    return argv


class AppServer:
    """A running test app.  `stop()` signals it and checks a clean exit; the fixtures call it."""

    def __init__(self, app, **options):
        options.setdefault("port", 0)
        self.app = app
        self.argv = app_argv(app, options)
        self.stdout_file = tempfile.TemporaryFile()
        self.stderr_file = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            self.argv,
            stdout=self.stdout_file,
            stderr=self.stderr_file,
            stdin=subprocess.DEVNULL,
            env=app_env(),
            cwd=str(ROOT),
        )
        self.returncode = None
        self.port = self._read_port()

    def _read_port(self):
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            m = RUNNING_RE.search(self.stderr_text())
            if m:
                return int(m.group(1))
            if self.proc.poll() is not None:
                self.returncode = self.proc.returncode
                pytest.fail(
                    "app {} exited with {} before serving:\n{}".format(
                        self.app, self.returncode, self.stderr_text()
                    )
                )
            if time.monotonic() > deadline:
                self.kill()
                pytest.fail("app {} did not start in time:\n{}".format(self.app, self.stderr_text()))
            time.sleep(0.02)

    # --- access --------------------------------------------------------------------------------
    def url(self, path="/"):
        return "http://127.0.0.1:{}{}".format(self.port, path)

    def conn(self, timeout=rawhttp.DEFAULT_TIMEOUT):
        return rawhttp.Conn(self.port, timeout)

    def stats(self):
        """GET /__stats (viperhttp.server_stats()) on its own connection.  The request itself
        goes through Python: it is counted in bridge.requests_queued before the snapshot."""
        with self.conn() as c:
            r = c.request("GET", "/__stats", [("Connection", "close")])
            assert r.status == 200, r
            data = json.loads(r.body)
            c.expect_closed()
        return data

    def wait_stats(self, predicate, timeout=10.0, what="condition"):
        """Polls stats() until predicate(stats) holds; returns the stats (fails after timeout).
        Used where the server settles asynchronously (a cancellation, a closed connection)."""
        deadline = time.monotonic() + timeout
        while True:
            s = self.stats()
            if predicate(s):
                return s
            if time.monotonic() > deadline:
                pytest.fail("server stats never reached {}: {}".format(what, json.dumps(s)))
            time.sleep(0.05)

    # --- output ----------------------------------------------------------------------------------
    def stdout_text(self):
        self.stdout_file.seek(0)
        return self.stdout_file.read().decode("utf-8", "replace")

    def stderr_text(self):
        self.stderr_file.seek(0)
        return self.stderr_file.read().decode("utf-8", "replace")

    def wait_output(self, needle, stream="stdout", timeout=5.0):
        """Waits until `needle` appears in stdout/stderr (output is written asynchronously)."""
        read = self.stdout_text if stream == "stdout" else self.stderr_text
        deadline = time.monotonic() + timeout
        while needle not in read():
            if time.monotonic() > deadline:
                pytest.fail("{!r} never appeared on {}:\n{}".format(needle, stream, read()))
            time.sleep(0.02)
        return read()

    # --- lifecycle ---------------------------------------------------------------------------
    def send_signal(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)

    def wait(self, timeout=STOP_TIMEOUT):
        try:
            self.returncode = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail("app {} did not exit within {} s of the signal:\n{}".format(
                self.app, timeout, self.stderr_text()))
        return self.returncode

    def stop(self, sig=signal.SIGTERM):
        """Signals the app, waits for it and asserts a graceful exit (0, "Finished server
        process").  Idempotent."""
        if self.returncode is None:
            if self.proc.poll() is None:
                self.send_signal(sig)
            self.wait()
        err = self.stderr_text()
        assert self.returncode == 0, "app {} exited with {}:\n{}".format(
            self.app, self.returncode, err)
        assert "INFO:     Finished server process" in err, err

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def close_files(self):
        self.stdout_file.close()
        self.stderr_file.close()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def assert_json(raw, expected):
    """`raw` is compact JSON (FastAPI's separators, UTF-8 rather than \\u escapes) of a value
    equal to `expected`, types included (3.0 is not 3, true is not 1).  Key order is not
    checked: MicroPython's dicts keep no insertion order."""
    value = json.loads(raw)
    assert json.dumps(value, sort_keys=True) == json.dumps(expected, sort_keys=True), raw
    assert raw == json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode(), raw


# --- request helpers shared by the test modules --------------------------------------------------

TIMEOUT = 10


def call(srv, method, path, **kw):
    """One request with `requests`, with the suite's timeout."""
    kw.setdefault("timeout", TIMEOUT)
    return requests.request(method, srv.url(path), **kw)


def ok(srv, path, method="GET", **kw):
    """The JSON of a request that must answer 200."""
    r = call(srv, method, path, **kw)
    assert r.status_code == 200, r.content
    return json.loads(r.content)


def events(srv):
    """GET /events of an app that records what its handlers observed."""
    r = requests.get(srv.url("/events"), timeout=TIMEOUT)
    assert r.status_code == 200
    return r.json()


def wait_events(srv, predicate, what, timeout=15.0):
    """Polls /events until predicate(events) holds (the handlers run asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        e = events(srv)
        if predicate(e):
            return e
        if time.monotonic() > deadline:
            pytest.fail("handlers never reached {}: {}".format(what, json.dumps(e)[:2000]))
        time.sleep(0.02)
