"""GZipMiddleware, executed by the engine, against apps/gzip_app.py over real sockets:
Accept-Encoding negotiation, the minimum size at the limit and one below, skipped types and
encodings, HEAD, Python middleware still running, counters."""

import gzip

import pytest
import requests


TIMEOUT = 10
TEXT = "".join("line %d of a compressible text\n" % i for i in range(400)).encode()


@pytest.fixture(scope="module")
def app(module_app_factory):
    return module_app_factory("gzip_app.py", access_log=False, minimum_size=500,
                              compresslevel=6)


def raw_get(app, path, accept="gzip", method="GET"):
    headers = {"Accept-Encoding": accept}  # None: no header at all (requests drops it)
    # stream=True + raw read: requests must not decode the body for us
    r = requests.request(method, app.url(path), headers=headers, timeout=TIMEOUT, stream=True)
    body = r.raw.read(decode_content=False)
    return r, body


def test_compresses_when_accepted(app):
    r, body = raw_get(app, "/text")
    assert r.status_code == 200
    assert r.headers["content-encoding"] == "gzip"
    assert r.headers["vary"] == "Accept-Encoding"
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert int(r.headers["content-length"]) == len(body) < len(TEXT)
    assert gzip.decompress(body) == TEXT
    assert r.headers["x-python-middleware"] == "ran"  # Python middleware ran before


@pytest.mark.parametrize("path", ["/json", "/html", "/svg"])
def test_compressible_types(app, path):
    r, body = raw_get(app, path)
    assert r.headers["content-encoding"] == "gzip"
    plain = requests.get(app.url(path), headers={"Accept-Encoding": "identity"},
                         timeout=TIMEOUT).content
    assert gzip.decompress(body) == plain


@pytest.mark.parametrize("accept, compressed", [
    ("gzip", True), ("GZIP", True), ("x-gzip", True), ("*", True), ("br, gzip;q=0.5", True),
    ("deflate, gzip;q=1.0", True), ("gzip;q=0", False), ("gzip;q=0.000", False),
    ("*, gzip;q=0", False), ("identity", False), ("br", False), ("", False), (None, False),
    ("gzip;q=nonsense", False),
])
def test_accept_encoding_negotiation(app, accept, compressed):
    r, body = raw_get(app, "/text", accept=accept)
    assert r.status_code == 200
    if compressed:
        assert r.headers["content-encoding"] == "gzip"
        assert gzip.decompress(body) == TEXT
    else:
        assert "content-encoding" not in r.headers
        assert "vary" not in r.headers
        assert body == TEXT


@pytest.mark.parametrize("n, compressed", [(499, False), (500, True), (501, True)])
def test_minimum_size_at_the_limit(app, n, compressed):
    r, body = raw_get(app, "/sized?n=%d" % n)
    assert ("content-encoding" in r.headers) == compressed
    if compressed:
        assert gzip.decompress(body) == b"a" * n
    else:
        assert body == b"a" * n


@pytest.mark.parametrize("path", ["/encoded", "/events", "/png", "/random"])
def test_skipped(app, path):
    # already encoded, a stream, an already-compressed type, or gzip would not be smaller
    r, body = raw_get(app, path)
    assert r.headers.get("content-encoding") in (None, "br")
    assert "vary" not in r.headers
    assert len(body) == int(r.headers["content-length"])
    assert len(body) >= 3600


def test_no_body_statuses(app):
    r, body = raw_get(app, "/empty")
    assert r.status_code == 204
    assert body == b""
    assert "content-encoding" not in r.headers


def test_head_says_what_get_sends(app):
    r_get, body = raw_get(app, "/text")
    r_head, head_body = raw_get(app, "/text", method="HEAD")
    assert head_body == b""
    assert r_head.headers["content-encoding"] == "gzip"
    assert r_head.headers["content-length"] == r_get.headers["content-length"]


def test_engine_answers_are_not_touched(app):
    r, body = raw_get(app, "/no-such-route")
    assert r.status_code == 404
    assert "content-encoding" not in r.headers


def test_counters(app):
    def stats():  # not gzipped itself, so that it does not count
        return requests.get(app.url("/stats"), headers={"Accept-Encoding": "identity"},
                            timeout=TIMEOUT).json()

    before = stats()
    for _ in range(5):
        raw_get(app, "/text")
    after = stats()
    assert after["gzip_responses"] - before["gzip_responses"] == 5
    grew_in = after["gzip_bytes_in"] - before["gzip_bytes_in"]
    grew_out = after["gzip_bytes_out"] - before["gzip_bytes_out"]
    assert grew_in == 5 * len(TEXT)
    assert 0 < grew_out < grew_in


def test_many_in_a_row_on_one_connection(app):
    s = requests.Session()
    for i in range(50):
        r = s.get(app.url("/json?n=%d" % (100 + i)), headers={"Accept-Encoding": "gzip"},
                  timeout=TIMEOUT)
        assert r.json() == {"items": ["item-%d" % k for k in range(100 + i)]}


def test_off_without_the_middleware(start_app):
    app = start_app("gzip_app.py", access_log=False, gzip="off")
    r, body = raw_get(app, "/text")
    assert "content-encoding" not in r.headers
    assert body == TEXT


def test_default_minimum_size_is_the_run_option(start_app):
    app = start_app("gzip_app.py", access_log=False, gzip_min_bytes=2000)
    assert "content-encoding" not in raw_get(app, "/sized?n=1999")[0].headers
    assert raw_get(app, "/sized?n=2000")[0].headers["content-encoding"] == "gzip"


def test_bad_options_are_refused():
    import subprocess

    from pyapi_support import app_argv, app_env

    proc = subprocess.run(app_argv("gzip_app.py", {"compresslevel": 12, "port": 0}),
                          env=app_env(), capture_output=True, timeout=30)
    assert proc.returncode != 0
    assert b"compresslevel must be 1..9" in proc.stderr
