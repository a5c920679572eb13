"""The pytest side of the browser harness (tests/browser/harness.js): runs a scenario (a Node
script in this directory) with its parameters, reads the JSON events it prints, answers its
requests on stdin, and returns its result for the test to assert.

    with Scenario("demo_page.js", {"url": demo.url}) as s:
        result = s.result()

A scenario that needs the test to act prints an event and waits for a line:

    with Scenario("demo_offline.js", {...}) as s:
        s.expect("live")
        demo.stop()
        s.send("stopped")
        s.expect("offline")

Screenshots go to build/browser/ (``OUT``); ``VIPER_BROWSER_OUT`` moves them.
"""

import json
import os
import pathlib
import queue
import shutil
import subprocess
import tempfile
import threading

import pytest

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
OUT = pathlib.Path(os.environ.get("VIPER_BROWSER_OUT") or ROOT / "build" / "browser")
NODE = shutil.which("node") or "/usr/bin/node"
PLAYWRIGHT = HERE / "node_modules" / "playwright-core" / "package.json"
CHROMIUM = os.environ.get("VIPER_CHROMIUM") or "/usr/bin/chromium"


def check_installed():
    """Fails (never skips) when the browser or the npm packages are missing: CI must run this
    suite, so a machine without them is a broken machine."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail("%s is missing: scripts/install-deps.sh test installs Debian's chromium"
                    % CHROMIUM)
    if not PLAYWRIGHT.is_file():
        pytest.fail("playwright-core is not installed in tests/browser/node_modules: run "
                    "scripts/install-npm.sh (npm ci from tests/browser/package-lock.json)")


class ScenarioError(AssertionError):
    pass


class Scenario:
    """A running scenario: ``node SCRIPT PARAMS_JSON`` with stdout read line by line."""

    def __init__(self, script, params, timeout=120):
        check_installed()
        OUT.mkdir(parents=True, exist_ok=True)
        params = dict(params)
        params.setdefault("out", str(OUT))
        self.script = script
        self.timeout = timeout
        self.events = []
        self._stderr = tempfile.TemporaryFile()
        self._queue = queue.Queue()
        self.proc = subprocess.Popen(
            [NODE, str(HERE / script), json.dumps(params)],
            cwd=str(HERE), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self._stderr, env=dict(os.environ, VIPER_CHROMIUM=CHROMIUM))
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.proc.stdout:
            line = line.decode("utf-8", "replace").strip()
            if not line:
                continue
            try:
                event = json.loads(line)
            except ValueError:
                event = {"event": "output", "text": line}
            self._queue.put(event)
        self._queue.put(None)

    def stderr(self):
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")[-8000:]

    def expect(self, name, timeout=None):
        """Waits for the event ``name`` (ignoring others, which are kept in ``events``)."""
        timeout = self.timeout if timeout is None else timeout
        while True:
            try:
                event = self._queue.get(timeout=timeout)
            except queue.Empty:
                raise ScenarioError("%s: no %r event within %s s; events so far: %s\n%s"
                                    % (self.script, name, timeout, self.events, self.stderr()))
            if event is None:
                self.proc.wait(timeout=10)
                raise ScenarioError("%s exited (%s) before the %r event; events: %s\n%s"
                                    % (self.script, self.proc.returncode, name, self.events,
                                       self.stderr()))
            self.events.append(event)
            if event.get("event") == "error":
                raise ScenarioError("%s failed:\n%s" % (self.script, event.get("error")))
            if event.get("event") == name:
                return event

    def send(self, line):
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()

    def result(self, timeout=None):
        event = self.expect("result", timeout)
        self.proc.wait(timeout=30)
        if self.proc.returncode != 0:
            raise ScenarioError("%s exited with %s after its result\n%s"
                                % (self.script, self.proc.returncode, self.stderr()))
        return event

    def close(self):
        if self.proc.poll() is None:
            # playwright closes Chromium on SIGTERM; SIGKILL only if that does not end it
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._stderr.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
