"""Fixtures of the browser suite: the demo app (examples/app/app.py) as a subprocess on
127.0.0.1, started and stopped by the test (and started again on the same port when a test
needs the server to go away and come back).

Environment, as in tests/pyapi: VIPER_INTERPRETER (default /usr/bin/python3) and
VIPER_PYTHONPATH (default build/debug/python:python).
"""

import os
import re
import signal
import subprocess
import sys
import tempfile
import time

import pytest
import requests

sys.path.insert(0, os.path.dirname(__file__))

from browser import ROOT  # noqa: E402

INTERPRETER = os.environ.get("VIPER_INTERPRETER") or "/usr/bin/python3"
PYTHONPATH = os.pathsep.join(
    str(ROOT / p) if not os.path.isabs(p) else p
    for p in (os.environ.get("VIPER_PYTHONPATH") or "build/debug/python:python").split(":")
    if p)
RUNNING_RE = re.compile(r"ViperHTTP running on https?://127\.0\.0\.1:(\d+) ")


class DemoServer:
    """examples/app/app.py on 127.0.0.1: ``start()`` (port 0 the first time, the same port
    after), ``stop()`` (SIGTERM, graceful), ``url``, ``stats()``."""

    def __init__(self, max_connections=None, pack=None, tls=None):
        self.max_connections = max_connections
        self.pack = pack
        self.tls = tls  # (certificate, key): HTTPS
        self.port = 0
        self.proc = None
        self.log = tempfile.TemporaryFile()

    @property
    def url(self):
        return "%s://127.0.0.1:%d/" % ("https" if self.tls else "http", self.port)

    def start(self):
        argv = [INTERPRETER, str(ROOT / "examples" / "app" / "app.py"), str(self.port)]
        if "micropython" in os.path.basename(INTERPRETER):
            argv[1:1] = ["-X", "heapsize=16M"]
        if self.max_connections is not None:
            argv += ["--max-connections", str(self.max_connections)]
        if self.pack is not None:
            argv += ["--pack", str(self.pack)]
        if self.tls is not None:
            argv += ["--ssl-certfile", str(self.tls[0]), "--ssl-keyfile", str(self.tls[1])]
        env = dict(os.environ, PYTHONPATH=PYTHONPATH, MICROPYPATH=PYTHONPATH + ":.frozen",
                   PYTHONUNBUFFERED="1")
        start = self.log.tell()
        deadline = time.monotonic() + 20
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=self.log,
                                     stdin=subprocess.DEVNULL, env=env, cwd=str(ROOT))
        while True:
            self.log.seek(start)
            text = self.log.read().decode("utf-8", "replace")
            m = RUNNING_RE.search(text)
            if m:
                self.port = int(m.group(1))
                return self
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.proc.kill()
                pytest.fail("the demo did not start: %s\n%s" % (argv, text))
            time.sleep(0.02)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                pytest.fail("the demo did not stop within 15 s of SIGTERM")
            assert rc == 0, "the demo exited with %s:\n%s" % (rc, self.output())
        self.proc = None

    def output(self):
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")[-4000:]

    def stats(self):
        verify = str(self.tls[0]) if self.tls else True
        return requests.get(self.url + "api/stats", timeout=10, verify=verify).json()


@pytest.fixture
def demo_server():
    """A factory: ``demo_server(max_connections=8)`` starts a demo; all are stopped after."""
    servers = []

    def make(**kwargs):
        server = DemoServer(**kwargs).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()
