"""Routing through the engine: every demo route, HEAD, 404/405/501, converters, percent-decoding,
redirect_slashes, Date and Server headers (SPEC §3.1, §4)."""

import email.utils
import json
import re
import time

import pytest
import requests

import rawhttp
from conftest import scheme_of

JSON = "application/json"


def get(server, path, headers=(), version="HTTP/1.1", host="t"):
    with server.conn() as c:
        return c.request("GET", path, headers, version=version, host=host)


def raw(server, method, path, headers=(), body=b""):
    with server.conn() as c:
        return c.request(method, path, headers, body)


# --- every route ------------------------------------------------------------------------------


def test_page(server):
    r = requests.get(server.url("/"))
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert r.text.lstrip().startswith("<!doctype html>")
    assert "</html>" in r.text
    assert int(r.headers["Content-Length"]) == len(r.content)


def test_hello(server):
    r = get(server, "/hello")
    assert r.status == 200 and r.reason == "OK"
    assert r.header("Content-Type") == JSON
    assert r.body == b'{"message":"hello"}'
    assert r.header("Content-Length") == str(len(r.body))


@pytest.mark.parametrize(
    "path,expected",
    [
        ("/items/5", {"item_id": 5, "q": None}),
        ("/items/5?q=abc", {"item_id": 5, "q": "abc"}),
        ("/items/0?q=a+b%21&x=1", {"item_id": 0, "q": "a b!"}),
        ("/items/7?x=1&q=", {"item_id": 7, "q": ""}),
        ("/items/-5", {"item_id": -5, "q": None}),
        ("/items/9223372036854775807", {"item_id": 9223372036854775807, "q": None}),
        ("/items/-9223372036854775808", {"item_id": -9223372036854775808, "q": None}),
        ("/items/%31%32", {"item_id": 12, "q": None}),  # routed on the decoded path
    ],
)
def test_items(server, path, expected):
    r = get(server, path)
    assert r.status == 200, r
    assert r.header("Content-Type") == JSON
    assert json.loads(r.body) == expected


@pytest.mark.parametrize(
    "target,expected",
    [
        ("/%68ello", b'{"message":"hello"}'),  # decoded before routing
        ("/hello?", b'{"message":"hello"}'),
        ("/hello?a=1&b", b'{"message":"hello"}'),
        ("http://t/items/5?q=abs", b'{"item_id":5,"q":"abs"}'),  # absolute-form
        ("http://t", None),  # absolute-form with an empty path is "/"
    ],
)
def test_target_forms(server, target, expected):
    r = get(server, target)
    assert r.status == 200, r
    if expected is not None:
        assert r.body == expected
    else:
        assert r.header("Content-Type") == "text/html; charset=utf-8"


def test_items_bad_query_escape_is_422(server):
    r = get(server, "/items/1?q=%zz")
    assert r.status == 422
    assert r.json() == {"detail": "invalid query string"}


def test_put_item(server):
    r = raw(server, "PUT", "/items/42", [("Content-Type", JSON)], b'{"name":"lamp"}')
    assert r.status == 200
    assert r.json() == {"item_id": 42, "updated": True, "bytes": 15}
    r = raw(server, "PUT", "/items/-1", [("Content-Length", "0")])
    assert r.status == 200
    assert r.json() == {"item_id": -1, "updated": True, "bytes": 0}


def test_sensors(server):
    r = requests.get(server.url("/sensors/"), allow_redirects=False)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == JSON
    names = r.json()["sensors"]
    assert names == ["temperature", "humidity", "pressure", "light"]
    units = {"temperature": "C", "humidity": "%", "pressure": "hPa", "light": "lx"}
    for name in names:
        r = requests.get(server.url(f"/sensors/{name}"))
        assert r.status_code == 200
        d = r.json()
        assert d["sensor"] == name and d["unit"] == units[name]
        assert isinstance(d["value"], float)


def test_unknown_sensor_is_handler_404(server):
    r = get(server, "/sensors/voltage")
    assert r.status == 404
    assert r.json() == {"detail": "Unknown sensor"}


@pytest.mark.parametrize(
    "value,expected", [("1.5", 1.5), ("-2", -2.0), ("0.25", 0.25), ("10", 10.0), ("-0.5", -0.5)]
)
def test_scale_float(server, value, expected):
    r = get(server, f"/scale/{value}")
    assert r.status == 200, r
    assert r.json() == {"factor": expected}


@pytest.mark.parametrize("value", ["1e5", "nan", "inf", "abc", "1.5.2", "--1", "0x10", "1,5"])
def test_scale_not_a_float_is_404(server, value):
    r = get(server, f"/scale/{value}")
    assert r.status == 404
    assert r.body == b'{"detail":"Not Found"}'


@pytest.mark.parametrize(
    "path", ["/items/9223372036854775808", "/items/-9223372036854775809", "/items/abc",
             "/items/1.5", "/items/+5", "/items/1a", "/items/", "/items/5/6"]
)
def test_items_converter_mismatch_is_404(server, path):
    r = get(server, path)
    assert r.status == 404
    assert r.header("Content-Type") == JSON
    assert r.body == b'{"detail":"Not Found"}'


@pytest.mark.parametrize(
    "path,expected",
    [
        ("/files/readme.txt", "readme.txt"),
        ("/files/a/b/c.txt", "a/b/c.txt"),
        ("/files/a//b/", "a//b/"),
        ("/files/", ""),
        ("/files/a%20b", "a b"),
        ("/files/a%2Fb", "a/b"),
        ("/files/%7Euser/x%3Fy", "~user/x?y"),
        ("/files/caf%C3%A9", "caf\u00e9"),
        ("/files/q?x=%zz", "q"),  # the query is not part of the path
    ],
)
def test_files_path_converter(server, path, expected):
    r = get(server, path)
    assert r.status == 200, r
    assert r.json() == {"path": expected}


@pytest.mark.parametrize("path", ["/files/%zz", "/files/%00", "/files/a%2", "/files/%", "/hel%6"])
def test_malformed_percent_escape_is_400(server, path):
    with server.conn() as c:
        r = c.request("GET", path)
        assert r.status == 400
        assert r.json() == {"detail": "Invalid percent-encoding in path"}
        assert r.header("Connection") == "close"
        c.expect_closed()
    assert get(server, "/hello").status == 200


def test_echo_and_digest_routes(server):
    r = raw(server, "POST", "/echo", [("Content-Type", "text/plain")], b"ping")
    assert r.status == 200 and r.header("Content-Type") == "text/plain" and r.body == b"ping"
    r = raw(server, "POST", "/digest", (), b"abc")
    rawhttp.check_digest(r, b"abc")


def test_stats_route(server):
    d = requests.get(server.url("/stats")).json()
    for key in ("connections_accepted", "requests", "status", "parse_errors", "engine_allocations",
                "bytes_per_idle_connection", "io_buffers_in_use"):
        assert key in d
    assert d["requests"] >= 1 and d["connections_active"] >= 1


# --- HEAD ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/hello", "/items/5?q=x", "/sensors/", "/files/a/b"])
def test_head_matches_get(server, path):
    with server.conn() as c:
        g = c.request("GET", path)
        h = c.request("HEAD", path)
        # HEAD leaves no body bytes on the connection: the next request parses cleanly.
        again = c.request("GET", "/hello")
    assert g.status == h.status == 200
    assert again.status == 200 and again.body == b'{"message":"hello"}'
    assert h.header("Content-Length") == str(len(g.body))

    def names(r):
        return [(k.lower(), v) for k, v in r.headers if k.lower() != "date"]

    assert names(h) == names(g)


def test_head_on_post_only_route_is_405(server):
    with server.conn() as c:
        r = c.request("HEAD", "/echo")
        assert r.status == 405
        assert r.header("Allow") == "POST"
        assert r.header("Content-Length") == str(len(b'{"detail":"Method Not Allowed"}'))
        assert c.request("GET", "/hello").status == 200  # no body was sent after the HEAD


# --- 404 / 405 / 501 ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/nope", "/hello/x", "/sensors/a/b", "/HELLO", "/scale/", "/echo2"])
def test_not_found(server, path):
    r = get(server, path)
    assert r.status == 404 and r.reason == "Not Found"
    assert r.header("Content-Type") == JSON
    assert r.body == b'{"detail":"Not Found"}'
    assert r.header("Connection") is None  # an engine 404 keeps the connection


@pytest.mark.parametrize(
    "method,path,allow",
    [
        ("DELETE", "/hello", "GET, HEAD"),
        ("POST", "/hello", "GET, HEAD"),
        ("POST", "/items/5", "GET, HEAD, PUT"),
        ("DELETE", "/items/5", "GET, HEAD, PUT"),
        ("GET", "/echo", "POST"),
        ("PUT", "/digest", "POST"),
        ("OPTIONS", "/stream", "GET, HEAD"),
        ("PATCH", "/files/a/b", "GET, HEAD"),
    ],
)
def test_method_not_allowed(server, method, path, allow):
    with server.conn() as c:
        r = c.request(method, path, [("Content-Length", "0")] if method != "GET" else ())
        assert r.status == 405 and r.reason == "Method Not Allowed"
        assert r.header("Content-Type") == JSON
        assert r.body == b'{"detail":"Method Not Allowed"}'
        assert r.header("Allow") == allow
        assert c.request("GET", "/hello").status == 200  # still usable


def test_405_with_requests(server):
    r = requests.delete(server.url("/hello"))
    assert r.status_code == 405
    assert r.json() == {"detail": "Method Not Allowed"}
    assert r.headers["Allow"] == "GET, HEAD"


@pytest.mark.parametrize("method", ["BREW", "get", "PROPFIND", "Get"])
def test_unknown_method_is_501(server, method):
    with server.conn() as c:
        r = c.request(method, "/hello")
        assert r.status == 501
        assert r.header("Content-Type") == JSON
        assert r.json() == {"detail": "Method Not Implemented"}
        # The request was well-formed: the connection stays usable.
        assert c.request("GET", "/hello").status == 200


# --- redirect_slashes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target,location",
    [
        ("/sensors", "http://example.com:8080/sensors/"),
        ("/sensors?a=1&b=%20", "http://example.com:8080/sensors/?a=1&b=%20"),
        ("/hello/", "http://example.com:8080/hello"),
        ("/hello/?x=y", "http://example.com:8080/hello?x=y"),
        ("/items/5/", "http://example.com:8080/items/5"),
        ("/files", "http://example.com:8080/files/"),
    ],
)
def test_redirect_slashes(server, target, location):
    with server.conn() as c:
        r = c.request("GET", target, host="example.com:8080")
        assert r.status == 307 and r.reason == "Temporary Redirect"
        assert r.header("Location") == scheme_of(location)
        assert r.header("Content-Length") == "0" and r.body == b""
        assert c.request("GET", "/hello").status == 200  # keep-alive after a redirect


def test_redirect_location_is_the_matched_path_reencoded(server):
    # The Location is built from the decoded path the router matched, re-encoded only where a
    # path needs it; the query is kept raw.
    r = get(server, "/sen%73ors?q=1", host="h")
    assert r.status == 307
    assert r.header("Location") == scheme_of("http://h/sensors/?q=1")


@pytest.mark.parametrize("target,location", [("/hello%2F", "http://t/hello"),
                                             ("/hello%2f?x=1", "http://t/hello?x=1"),
                                             ("/sensors/%2F", "http://t/sensors/")])
def test_redirect_for_encoded_trailing_slash(server, target, location):
    r = get(server, target)
    assert r.status == 307
    assert r.header("Location") == scheme_of(location)
    assert get(server, location[len("http://t"):]).status == 200


def test_redirect_without_host_is_relative(server):
    r = get(server, "/sensors?q=1", version="HTTP/1.0")
    assert r.status == 307
    assert r.header("Location") == "/sensors/?q=1"


def test_redirect_followed_by_requests(server):
    r = requests.get(server.url("/sensors"))
    assert r.status_code == 200
    assert [h.status_code for h in r.history] == [307]
    assert r.url == server.url("/sensors/")
    assert r.json()["sensors"][0] == "temperature"


def test_no_redirect_for_unknown_path(server):
    assert get(server, "/nope/").status == 404
    assert get(server, "/nope").status == 404


def test_no_redirect_slashes_option(make_server):
    srv = make_server("--no-redirect-slashes")
    for path in ("/sensors", "/hello/", "/items/5/"):
        r = get(srv, path)
        assert r.status == 404, (path, r)
        assert r.body == b'{"detail":"Not Found"}'
        assert r.header("Location") is None
    assert get(srv, "/sensors/").status == 200
    assert get(srv, "/hello").status == 200


# --- Date and Server -----------------------------------------------------------------------------

IMF_FIXDATE = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
    r" \d{4} \d\d:\d\d:\d\d GMT$"
)


@pytest.mark.parametrize("path", ["/hello", "/nope", "/sensors", "/stream?n=1"])
def test_date_and_server_headers(server, path):
    r = get(server, path)
    assert r.header("Server") == "viperhttp"
    assert len(r.header_all("Date")) == 1
    date = r.header("Date")
    assert IMF_FIXDATE.match(date), date
    parsed = email.utils.parsedate_to_datetime(date)
    # The same instant as the local clock (generous margin: this checks the formatting, e.g.
    # the weekday, month and year arithmetic, not the speed).
    assert abs(parsed.timestamp() - time.time()) < 300
    assert email.utils.format_datetime(parsed, usegmt=True) == date  # weekday consistent


def test_error_responses_have_date_and_server(server):
    with server.conn() as c:
        c.send(b"GET /hello HTTP/9.9\r\n\r\n")
        r = c.read_response()
    assert r.status == 505
    assert r.header("Server") == "viperhttp"
    assert IMF_FIXDATE.match(r.header("Date"))
