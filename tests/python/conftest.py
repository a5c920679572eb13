"""Fixtures for the end-to-end tests: real viper_demo processes on 127.0.0.1.

Environment (see scripts/test.sh):
  VIPER_DEMO       path of the viper_demo binary (default: build/debug/examples/demo/viper_demo)
  VIPER_POLLER     epoll | select (default epoll)
  VIPER_SANITIZED  1 under ASan+UBSan: loop counts are scaled down, no test is skipped
  VIPER_TLS        1: every server speaks HTTPS (the test credentials of tests/engine/tls) and
                   every client connection is TLS (rawhttp.TLS_CONTEXT): the suite once more
                   over TLS
  VIPER_LWIP_TAPS  the lwIP run (tests/lwip/run.sh, viper_demo_lwip): how many tap devices
                   vtap0.. the network namespace has; each server takes a free one and serves
                   on 198.18.<n>.2 through its own user-space lwIP stack
  VIPER_MAX_CONNECTIONS  slots of the shared `server` fixture (default 64; the lwIP run has
                   a socket table of 16, as the device)
"""

import json
import os
import pathlib
import selectors
import signal
import subprocess
import sys
import tempfile
import time

import pytest

sys.path.insert(0, os.path.dirname(__file__))

import rawhttp  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
DEMO = os.environ.get("VIPER_DEMO") or str(ROOT / "build/debug/examples/demo/viper_demo")
if not os.path.isabs(DEMO):
    DEMO = str((pathlib.Path.cwd() / DEMO).resolve())
POLLER = os.environ.get("VIPER_POLLER", "epoll")
SANITIZED = os.environ.get("VIPER_SANITIZED") == "1"
LWIP_TAPS = int(os.environ.get("VIPER_LWIP_TAPS", "0"))
TLS = os.environ.get("VIPER_TLS") == "1"
TLS_DIR = ROOT / "tests" / "engine" / "tls"


def scheme_of(url):
    """An absolute URL the engine makes (a redirect's Location) as it is over this run's
    transport: https:// when the suite runs over TLS."""
    return "https://" + url[len("http://"):] if TLS and url.startswith("http://") else url

TLS_ARGS = ["--tls-cert", str(TLS_DIR / "ec-cert.pem"), "--tls-key", str(TLS_DIR / "ec-key.pem")]
if TLS:
    rawhttp.use_tls()
    # requests and curl verify the server: trust the test certificate (CN localhost, SAN
    # 127.0.0.1).
    os.environ["REQUESTS_CA_BUNDLE"] = os.environ["CURL_CA_BUNDLE"] = str(TLS_DIR / "ec-cert.pem")
MAX_CONNECTIONS = os.environ.get("VIPER_MAX_CONNECTIONS", "64")
_taps_in_use = set()

START_TIMEOUT = 20.0 if SANITIZED else 10.0
STOP_TIMEOUT = 10.0
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "runtime error:", "LeakSanitizer")


def scaled(n, sanitized_n=None):
    """A loop count, smaller under sanitizers (default: a fifth, at least 1)."""
    if not SANITIZED:
        return n
    return sanitized_n if sanitized_n is not None else max(1, n // 5)


class DemoServer:
    """A running viper_demo.  `stop()` sends SIGTERM and checks the exit; the fixtures call it."""

    def __init__(self, *args):
        self.host = "127.0.0.1"
        self.tap = None
        env = None
        if LWIP_TAPS:
            free = [n for n in range(LWIP_TAPS) if n not in _taps_in_use]
            assert free, f"more than {LWIP_TAPS} lwIP servers at once"
            self.tap = free[0]
            _taps_in_use.add(self.tap)
            self.host = f"198.18.{self.tap}.2"
            env = dict(os.environ, PRECONFIGURED_TAPIF=f"vtap{self.tap}", VIPER_LWIP_ADDR=self.host)
        self.args = [DEMO, "--host", self.host, "--port", "0", "--poller", POLLER,
                     *(TLS_ARGS if TLS else []), *map(str, args)]
        if LWIP_TAPS and "--tls-cert" in self.args and "--max-body-bytes" not in self.args:
            # The lwIP build has the esp32 profile's 256 KB budget: mbedTLS's context (about
            # 40 KB) fits beside body buffers for the device's 16 KB bodies, not 64 KB ones
            # (docs/firmware.md, "RAM").
            self.args += ["--max-body-bytes", "16384"]
        self.tls = "--tls-cert" in self.args
        self.stderr_file = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            self.args,
            stdout=subprocess.PIPE,
            stderr=self.stderr_file,
            stdin=subprocess.DEVNULL,
            env=env,
        )
        self.returncode = None
        try:
            self.port = self._read_port()
        except BaseException:
            if self.tap is not None:  # a server that never listened gives its tap back
                _taps_in_use.discard(self.tap)
            raise

    def _read_port(self):
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + START_TIMEOUT
        line = b""
        fd = self.proc.stdout.fileno()
        while not line.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not sel.select(remaining):
                self._kill()
                pytest.fail(f"viper_demo did not print its port in time: {self.args}")
            chunk = os.read(fd, 1)
            if not chunk:
                self.proc.wait(STOP_TIMEOUT)
                pytest.fail(
                    f"viper_demo exited with {self.proc.returncode} before listening:"
                    f" {self.args}\n{self.stderr_text()}"
                )
            line += chunk
        sel.close()
        text = line.decode()
        prefix = f"viper_demo listening on {'https' if self.tls else 'http'}://{self.host}:"
        assert text.startswith(prefix) and text.rstrip().endswith("/"), text
        return int(text[len(prefix) :].rstrip().rstrip("/"))

    def url(self, path="/"):
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}{path}"

    def conn(self, timeout=rawhttp.DEFAULT_TIMEOUT):
        return rawhttp.Conn(self.port, timeout, self.host)

    def stats(self):
        """GET /stats on its own connection (Connection: close), as a dict.  The request is
        counted by the engine: it adds one accepted connection and one request; its own 200 is
        counted after the JSON was written, so it shows only in the next snapshot."""
        with self.conn() as c:
            r = c.request("GET", "/stats", [("Connection", "close")])
            assert r.status == 200, r
            data = json.loads(r.body)
            c.expect_closed()  # the server has released the slot
        return data

    def stderr_text(self):
        self.stderr_file.seek(0)
        return self.stderr_file.read().decode("utf-8", "replace")

    def signal(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)

    def wait(self, timeout=STOP_TIMEOUT):
        """Waits for the process to exit; fails (and kills it) after `timeout`."""
        try:
            self.returncode = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self._kill()
            pytest.fail(f"viper_demo did not exit within {timeout} s of SIGTERM")
        return self.returncode

    def stop(self):
        """SIGTERM, wait for exit 0, no sanitizer report.  Idempotent."""
        if self.returncode is None:
            if self.proc.poll() is None:
                self.signal(signal.SIGTERM)
            self.wait()
        self.check_exit()

    def check_exit(self):
        err = self.stderr_text()
        for marker in SANITIZER_MARKERS:
            assert marker not in err, f"sanitizer report in viper_demo stderr:\n{err}"
        assert self.returncode == 0, f"viper_demo exited with {self.returncode}:\n{err}"

    def _kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def close_files(self):
        self.proc.stdout.close()
        self.stderr_file.close()
        _taps_in_use.discard(self.tap)


def _run(args):
    srv = DemoServer(*args)
    try:
        yield srv
    finally:
        try:
            srv.stop()
        finally:
            srv._kill()
            srv.close_files()


@pytest.fixture(scope="module")
def server():
    """A viper_demo with default options, shared by the tests of one module."""
    yield from _run(["--max-connections", MAX_CONNECTIONS])


def _factory():
    """Starts viper_demo processes with options; stops them all at the end, reporting every
    failure (the first is raised)."""
    started = []

    def start(*args):
        srv = DemoServer(*args)
        started.append(srv)
        return srv

    yield start
    errors = []
    for srv in started:
        try:
            srv.stop()
        except BaseException as e:  # report every server, not only the first failure
            errors.append(e)
        finally:
            srv._kill()
            srv.close_files()
    if errors:
        raise errors[0]


@pytest.fixture
def make_server():
    """Factory: make_server(*options) starts a viper_demo with extra options for one test."""
    yield from _factory()


@pytest.fixture(scope="module")
def module_server_factory():
    """Like make_server, but the servers live for the whole module (for modules that need one
    server with special limits)."""
    yield from _factory()
