"""The demo app (examples/app/app.py, what the README's first command serves): its page,
stylesheet and script come from a static mount — the www/ directory, or an asset pack built by
tools/pack_assets.py — and its API from Python, on both interpreters."""

import re
import signal
import subprocess
import sys
import tempfile
import time

import pytest
import requests

from pyapi_support import INTERPRETER, MICROPYTHON, ROOT, RUNNING_RE, app_env

TIMEOUT = 10
WWW = ROOT / "examples" / "app" / "www"


def start_demo(extra):
    argv = [INTERPRETER, str(ROOT / "examples" / "app" / "app.py"), "0"] + extra
    if MICROPYTHON:
        argv[1:1] = ["-X", "heapsize=16M"]
    err = tempfile.TemporaryFile()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err,
                            stdin=subprocess.DEVNULL, env=app_env(), cwd=str(ROOT))
    deadline = time.monotonic() + 15
    while True:
        err.seek(0)
        text = err.read().decode("utf-8", "replace")
        m = RUNNING_RE.search(text)
        if m:
            return proc, int(m.group(1))
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("demo did not start:\n" + text)
        time.sleep(0.02)


@pytest.fixture(scope="module", params=["directory", "pack"])
def demo(request, tmp_path_factory):
    extra = []
    if request.param == "pack":
        pack = tmp_path_factory.mktemp("pack") / "www.vpak"
        subprocess.run([sys.executable, str(ROOT / "tools" / "pack_assets.py"), str(WWW),
                        str(pack)], check=True, capture_output=True, timeout=60)
        extra = ["--pack", str(pack)]
    proc, port = start_demo(extra)
    yield request.param, "http://127.0.0.1:%d" % port
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0


@pytest.mark.parametrize("path, name, media_type", [
    ("/", "index.html", "text/html; charset=utf-8"),
    ("/style.css", "style.css", "text/css; charset=utf-8"),
    ("/app.js", "app.js", "text/javascript; charset=utf-8"),
    ("/favicon.ico", "favicon.ico", "image/vnd.microsoft.icon"),  # no 404 on every page load
])
def test_page_from_the_mount(demo, path, name, media_type):
    kind, base = demo
    r = requests.get(base + path, headers={"Accept-Encoding": "identity"}, timeout=TIMEOUT)
    assert r.status_code == 200
    assert r.content == (WWW / name).read_bytes()
    assert r.headers["content-type"] == media_type
    assert r.headers["cache-control"] == "no-cache"
    etag = r.headers["etag"]
    again = requests.get(base + path, headers={"If-None-Match": etag,
                                               "Accept-Encoding": "identity"}, timeout=TIMEOUT)
    assert again.status_code == 304
    assert again.content == b""


def test_page_gzipped_from_the_pack(demo):
    kind, base = demo
    r = requests.get(base + "/", headers={"Accept-Encoding": "gzip"}, timeout=TIMEOUT,
                     stream=True)
    body = r.raw.read(decode_content=False)
    if kind == "pack":  # the packer kept a gzip variant of the page: it is smaller
        import gzip

        assert r.headers["content-encoding"] == "gzip"
        assert gzip.decompress(body) == (WWW / "index.html").read_bytes()
    else:  # no index.html.gz in the directory: identity
        assert "content-encoding" not in r.headers
        assert body == (WWW / "index.html").read_bytes()


def test_missing_page_is_the_404_page(demo):
    kind, base = demo
    r = requests.get(base + "/nowhere", timeout=TIMEOUT)
    assert r.status_code == 404
    assert r.content == (WWW / "404.html").read_bytes()


def test_api_routes_win_over_the_mount(demo):
    kind, base = demo
    assert requests.get(base + "/api/sensors", timeout=TIMEOUT).json() == {
        "sensors": ["humidity", "light", "pressure", "temperature"]}
    r = requests.put(base + "/api/led", json={"on": True}, timeout=TIMEOUT)
    assert r.status_code == 200
    assert requests.get(base + "/api/led", timeout=TIMEOUT).json()["on"] is True


def test_page_never_crosses_the_bridge(demo):
    kind, base = demo
    before = requests.get(base + "/api/stats", timeout=TIMEOUT).json()
    for path in ("/", "/style.css", "/app.js") * 5:
        assert requests.get(base + path, timeout=TIMEOUT).status_code == 200
    after = requests.get(base + "/api/stats", timeout=TIMEOUT).json()
    assert after["static_requests"] - before["static_requests"] == 15
    # the only request that reached Python in between is the second /api/stats
    assert after["bridge"]["requests_queued"] - before["bridge"]["requests_queued"] == 1


@pytest.mark.parametrize("method, path", [
    ("GET", "/api/nope"),
    ("GET", "/api/nope/deeper"),
    ("GET", "/api"),
    ("GET", "/api/"),
    ("GET", "/api/sensors/temperature/extra"),
    ("HEAD", "/api/nope"),
])
def test_api_paths_answer_json_404(demo, method, path):
    """A path under /api that no route serves is an API 404 (JSON), not the page's 404.html,
    although the mount at "/" would match it: the app's catch-all API route wins."""
    kind, base = demo
    r = requests.request(method, base + path, timeout=TIMEOUT, allow_redirects=False)
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/json"
    if method == "HEAD":
        assert r.content == b""
        assert r.headers["content-length"] == "22"
    else:
        assert r.content == b'{"detail":"Not Found"}'


def test_unknown_sensor_keeps_its_detail(demo):
    kind, base = demo
    r = requests.get(base + "/api/sensors/nope", timeout=TIMEOUT)
    assert r.status_code == 404
    assert r.json() == {"detail": "Unknown sensor: nope"}


def test_api_methods_keep_their_405(demo):
    """The catch-all is GET (and HEAD) only, so a real route still answers 405 for a method
    it lacks, and another method on an unknown API path is a JSON 405 too (as the mount's)."""
    kind, base = demo
    r = requests.delete(base + "/api/led", timeout=TIMEOUT)
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, HEAD, PUT"
    assert r.json() == {"detail": "Method Not Allowed"}
    r = requests.post(base + "/api/nope", timeout=TIMEOUT)
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, HEAD"
    assert r.json() == {"detail": "Method Not Allowed"}


def test_page_needs_nothing_from_elsewhere():
    """A device has no internet: every asset the page names is one of its own files, and every
    API path its script calls exists."""
    names = {p.name for p in WWW.iterdir()}
    refs = []
    for name in ("index.html", "404.html"):
        refs += re.findall(r'(?:src|href)="([^"]*)"', (WWW / name).read_text())
    refs += re.findall(r"url\(([^)]*)\)", (WWW / "style.css").read_text())
    assert refs
    for ref in refs:
        assert ref.startswith("/") and not ref.startswith("//"), ref
        assert ref == "/" or ref[1:] in names, ref
    for name in names:  # no absolute URL anywhere, but the curl hint's own host
        text = (WWW / name).read_bytes().decode("latin-1").replace("http://HOST/", "")
        assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", text), name
    script = (WWW / "app.js").read_text() + (WWW / "index.html").read_text()
    calls = set(re.findall(r"'(/[a-z/.]*)'", script))
    assert calls == {"/api/sensors", "/api/sensors/", "/api/led", "/api/stats", "/app.js",
                     "/api/stream/"}


def test_sensor_stream_is_server_sent_events(demo):
    kind, base = demo
    with requests.get(base + "/api/stream/humidity?interval_ms=50", stream=True,
                      headers={"Last-Event-ID": "41"}, timeout=TIMEOUT) as r:
        assert r.status_code == 200
        assert r.headers["content-type"] == "text/event-stream; charset=utf-8"
        lines = []
        for line in r.iter_lines():
            lines.append(line.decode())
            if len(lines) == 8:  # two events of three lines and their blank lines
                break
    assert lines[0:2] == ["id: 42", "event: reading"]
    assert lines[4:6] == ["id: 43", "event: reading"]
    for data in (lines[2], lines[6]):
        assert re.fullmatch(r'data: \{.*"sensor":"humidity".*\}', data), data
    assert requests.get(base + "/api/stream/nope", timeout=TIMEOUT).status_code == 404
    assert requests.get(base + "/api/stream/light?interval_ms=10",
                        timeout=TIMEOUT).status_code == 422
