"""Routes, path converters, query parameters, return values, response classes and the errors
the engine answers on its own (SPEC §3.1, §3.2, §3.5), against apps/main_app.py."""

import json

import pytest
import requests

from pyapi_support import assert_json

TIMEOUT = 10


def call(srv, method, path, **kw):
    kw.setdefault("timeout", TIMEOUT)
    kw.setdefault("allow_redirects", False)
    return requests.request(method, srv.url(path), **kw)


def jbody(r):
    assert r.headers.get("content-type") == "application/json", r.headers
    return json.loads(r.content)


# --- methods -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, path, expected",
    [
        ("GET", "/items", {"op": "list"}),
        ("POST", "/items", {"op": "create"}),
        ("PUT", "/items/3", {"op": "replace", "id": 3}),
        ("PATCH", "/items/4", {"op": "patch", "id": 4}),
        ("DELETE", "/items/5", {"op": "delete", "id": 5}),
        ("GET", "/multi", {"method": "GET"}),
        ("POST", "/multi", {"method": "POST"}),
        ("PUT", "/multi", {"method": "PUT"}),
        ("GET", "/sync", {"kind": "sync"}),
        ("GET", "/async", {"kind": "async"}),
        ("GET", "/async-await", {"kind": "async-await"}),
    ],
)
def test_method_decorators(main_app, method, path, expected):
    r = call(main_app, method, path)
    assert r.status_code == 200
    assert jbody(r) == expected
    assert r.headers["content-length"] == str(len(r.content))


def test_options_decorator(main_app):
    r = call(main_app, "OPTIONS", "/items")
    assert r.status_code == 200
    assert r.headers["x-options"] == "handler"
    assert r.headers["allow"] == "GET, POST, OPTIONS"
    assert r.content == b""


def test_head_decorator(main_app):
    with main_app.conn() as c:
        r = c.request("HEAD", "/only-head")
        assert r.status == 200
        assert r.header("x-head") == "explicit"
        # A HEAD-only route has no GET: the engine answers 405 and lists HEAD alone.
        r = c.request("GET", "/only-head")
        assert r.status == 405
        assert r.header("allow") == "HEAD"
        assert r.json() == {"detail": "Method Not Allowed"}


def test_api_route_other_method_is_405(main_app):
    r = call(main_app, "DELETE", "/multi")
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, HEAD, POST, PUT"
    assert r.content == b'{"detail":"Method Not Allowed"}'


# --- path converters -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path, value, kind",
    [
        ("/conv/int/42", 42, "int"),
        ("/conv/int/-5", -5, "int"),
        ("/conv/int/9007199254740993", 9007199254740993, "int"),
        ("/conv/float/2.5", 2.5, "float"),
        ("/conv/float/3", 3.0, "float"),
        ("/conv/float/-0.125", -0.125, "float"),
        ("/conv/str/abc", "abc", "str"),
        ("/conv/str/42", "42", "str"),
        ("/conv/plain/a%20b", "a b", "str"),
        ("/conv/plain/caf%C3%A9", "caf\u00e9", "str"),
        ("/conv/path/a/b/c.txt", "a/b/c.txt", "str"),
        ("/conv/path/", "", "str"),
    ],
)
def test_path_converters(main_app, path, value, kind):
    r = call(main_app, "GET", path)
    assert r.status_code == 200, r.content
    body = jbody(r)
    assert body == {"value": value, "type": kind}
    assert type(body["value"]) is type(value)


def test_float_converter_value_is_float_on_the_wire(main_app):
    r = call(main_app, "GET", "/conv/float/3")
    assert_json(r.content, {"value": 3.0, "type": "float"})
    assert b'"value":3.0' in r.content


def test_two_params_by_name_not_position(main_app):
    r = call(main_app, "GET", "/conv/two/7/seven")
    assert jbody(r) == {"a": 7, "b": "seven", "types": ["int", "str"]}


@pytest.mark.parametrize("path", ["/conv/int/abc", "/conv/int/1.5", "/conv/float/abc",
                                  "/conv/float/1e5", "/conv/int/99999999999999999999"])
def test_value_not_fitting_converter_is_404(main_app, path):
    r = call(main_app, "GET", path)
    assert r.status_code == 404
    assert r.content == b'{"detail":"Not Found"}'


# --- query parameters ----------------------------------------------------------------------------


def test_query_defaults(main_app):
    r = call(main_app, "GET", "/query/typed")
    assert_json(r.content, {"limit": 10, "ratio": 0.5, "active": False, "name": "anon",
                            "q": None, "types": ["int", "float", "bool", "str", "NoneType"]})


def test_query_typed_by_default_value(main_app):
    r = call(main_app, "GET", "/query/typed?limit=5&ratio=2&active=on&name=J%C3%B6rg+X&q=zz")
    assert jbody(r) == {"limit": 5, "ratio": 2.0, "active": True, "name": "J\u00f6rg X",
                        "q": "zz", "types": ["int", "float", "bool", "str", "str"]}
    assert b'"ratio":2.0' in r.content


def test_query_negative_and_repeated(main_app):
    # A scalar parameter given twice takes the last value (as Starlette's QueryParams).
    r = call(main_app, "GET", "/query/typed?limit=-3&limit=8&ratio=-1.25&q=")
    body = jbody(r)
    assert body["limit"] == 8
    assert body["ratio"] == -1.25
    assert body["q"] == ""


@pytest.mark.parametrize("raw", ["1", "true", "TRUE", "True", "on", "ON", "On", "yes", "YES",
                                 "yEs"])
def test_query_bool_true(main_app, raw):
    r = call(main_app, "GET", "/query/bool?flag=" + raw)
    assert r.status_code == 200
    assert r.content == b'{"flag":true}'


@pytest.mark.parametrize("raw", ["0", "false", "FALSE", "False", "off", "OFF", "oFf", "no",
                                 "NO", "No"])
def test_query_bool_false(main_app, raw):
    r = call(main_app, "GET", "/query/bool?flag=" + raw)
    assert r.status_code == 200
    assert r.content == b'{"flag":false}'


INT_MSG = "Input should be a valid integer, unable to parse string as an integer"
FLOAT_MSG = "Input should be a valid number, unable to parse string as a number"
BOOL_MSG = "Input should be a valid boolean, unable to interpret input"


@pytest.mark.parametrize("raw", ["2", "", "maybe", "tru", "y es", "-1"])
def test_query_bool_invalid(main_app, raw):
    r = call(main_app, "GET", "/query/bool", params={"flag": raw})
    assert r.status_code == 422
    assert jbody(r) == {"detail": [{"type": "bool_parsing", "loc": ["query", "flag"],
                                    "msg": BOOL_MSG, "input": raw}]}


def test_422_all_errors_aggregated(main_app):
    r = call(main_app, "GET", "/query/required?limit=x&ratio=y&flag=maybe&tag=ok")
    assert r.status_code == 422
    assert jbody(r) == {
        "detail": [
            {"type": "missing", "loc": ["query", "count"], "msg": "Field required",
             "input": None},
            {"type": "int_parsing", "loc": ["query", "limit"], "msg": INT_MSG, "input": "x"},
            {"type": "float_parsing", "loc": ["query", "ratio"], "msg": FLOAT_MSG,
             "input": "y"},
            {"type": "bool_parsing", "loc": ["query", "flag"], "msg": BOOL_MSG,
             "input": "maybe"},
        ]
    }


@pytest.mark.parametrize(
    "query, errors",
    [
        ("", [{"type": "missing", "loc": ["query", "count"], "msg": "Field required",
               "input": None}]),
        ("count=1&limit=1.5", [{"type": "int_parsing", "loc": ["query", "limit"],
                                "msg": INT_MSG, "input": "1.5"}]),
        ("count=1&limit=", [{"type": "int_parsing", "loc": ["query", "limit"],
                             "msg": INT_MSG, "input": ""}]),
        ("count=1&ratio=abc", [{"type": "float_parsing", "loc": ["query", "ratio"],
                                "msg": FLOAT_MSG, "input": "abc"}]),
        ("count=1&limit=%C3%A9", [{"type": "int_parsing", "loc": ["query", "limit"],
                                   "msg": INT_MSG, "input": "\u00e9"}]),
    ],
)
def test_422_single_errors(main_app, query, errors):
    r = call(main_app, "GET", "/query/required?" + query)
    assert r.status_code == 422
    assert jbody(r) == {"detail": errors}


def test_required_query_without_default_is_str(main_app):
    r = call(main_app, "GET", "/query/required?count=abc&flag=NO")
    assert r.status_code == 200
    assert jbody(r) == {"count": "abc", "limit": 10, "ratio": 0.5, "flag": False, "tag": None}


# --- return values ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "what, body, media",
    [
        ("dict", {"a": 1, "b": [True, None], "s": "x\u00e9"}, "application/json"),
        ("list", b'[1,"two",3.5,false,null]', "application/json"),
        ("int", b"42", "application/json"),
        ("float", b"2.5", "application/json"),
        ("bool", b"true", "application/json"),
        ("str", b'"hello \\"world\\""', "application/json"),
        ("none", b"null", "application/json"),
        ("empty-dict", b"{}", "application/json"),
        ("bytes", b"\x00\x01raw\xff", "application/octet-stream"),
        ("tuple", b'[1,"a"]', "application/json"),
        ("nested", {"l": [{"x": [1, {"y": None}]}], "f": -0.5}, "application/json"),
    ],
)
def test_return_values(main_app, what, body, media):
    with main_app.conn() as c:
        r = c.request("GET", "/ret/" + what)
    assert r.status == 200
    if isinstance(body, dict):
        assert_json(r.body, body)
    else:
        assert r.body == body
    assert r.header_all("content-type") == [media]
    assert r.header("content-length") == str(len(r.body))


def test_status_code_201(main_app):
    r = call(main_app, "POST", "/created")
    assert r.status_code == 201
    assert r.content == b'{"created":true}'


def test_returned_response_keeps_its_status(main_app):
    r = call(main_app, "POST", "/created-response")
    assert r.status_code == 200
    assert r.content == b'{"explicit":true}'


def test_response_class_on_decorator(main_app):
    r = call(main_app, "GET", "/rc/html")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.content == b"<p>hi</p>"
    r = call(main_app, "POST", "/rc/plain")
    assert r.status_code == 201
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.content == b"made"


@pytest.mark.parametrize("method, path", [("DELETE", "/nocontent/3"), ("GET", "/nocontent-value")])
def test_status_code_204_has_no_body(main_app, method, path):
    with main_app.conn() as c:
        # Pipelined with a second request: any stray body byte would corrupt the next response.
        c.send(b"%s %s HTTP/1.1\r\nHost: t\r\n\r\nGET /items HTTP/1.1\r\nHost: t\r\n\r\n"
               % (method.encode(), path.encode()))
        r = c.read_response()
        assert r.status == 204
        assert r.header("content-length") in (None, "0")
        assert r.header("content-type") is None
        r2 = c.read_response()
        assert r2.status == 200 and r2.json() == {"op": "list"}


def test_status_code_after_await(main_app):
    r = call(main_app, "GET", "/accepted-async")
    assert r.status_code == 202
    assert r.content == b'["queued"]'


# --- response classes ----------------------------------------------------------------------------


def test_response_class(main_app):
    with main_app.conn() as c:
        r = c.request("GET", "/resp/response")
    assert r.status == 200
    assert r.body == b"raw bytes"
    assert r.header_all("content-type") == ["application/x-thing"]
    assert r.header("x-one") == "1"


def test_response_text_media_type_gets_charset(main_app):
    r = call(main_app, "GET", "/resp/response-text")
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.content == b"text body"


def test_response_without_content(main_app):
    with main_app.conn() as c:
        r = c.request("GET", "/resp/response-none")
    assert r.status == 200
    assert r.body == b""
    assert r.header("content-length") == "0"


def test_json_response(main_app):
    with main_app.conn() as c:
        r = c.request("GET", "/resp/json")
    assert r.status == 202
    assert_json(r.body, {"k": [1, 2], "u": "\u00fc"})
    assert "\u00fc".encode() in r.body
    assert r.header_all("content-type") == ["application/json"]
    assert r.header("x-json") == "yes"


def test_plain_text_response(main_app):
    r = call(main_app, "GET", "/resp/plain")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.content == "plain \u00e9t\u00e9".encode("utf-8")
    assert r.headers["content-length"] == str(len(r.content))


def test_html_response(main_app):
    r = call(main_app, "GET", "/resp/html")
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.content == b"<h1>Hello</h1>"


def test_redirect_response_default_307(main_app):
    r = call(main_app, "GET", "/resp/redirect")
    assert r.status_code == 307
    assert r.headers["location"] == "/items"
    assert r.content == b""
    # And a client following it lands on the target.
    r = requests.get(main_app.url("/resp/redirect"), timeout=TIMEOUT)
    assert r.status_code == 200 and r.json() == {"op": "list"}


def test_redirect_response_other_status(main_app):
    r = call(main_app, "GET", "/resp/redirect-301")
    assert r.status_code == 301
    assert r.headers["location"] == "https://example.com/x?y=1"


def test_custom_headers_and_repeated_headers(main_app):
    with main_app.conn() as c:
        r = c.request("GET", "/resp/headers")
    assert r.status == 200
    assert r.body == b'{"ok":true}'
    assert r.header("x-custom") == "custom-value"
    assert r.header_all("set-cookie") == ["a=1; Path=/", "b=2; Path=/"]
    assert r.header("cache-control") == "no-store"


def test_explicit_content_type_header_wins(main_app):
    with main_app.conn() as c:
        r = c.request("GET", "/resp/override-type")
    assert r.header_all("content-type") == ["application/vnd.test+json"]
    assert r.body == b"{}"


def test_engine_headers_from_handler_are_ignored(main_app):
    with main_app.conn() as c:
        r = c.request("GET", "/resp/engine-headers")
        assert r.status == 200
        assert r.body == b"abc"
        assert r.header_all("content-length") == ["3"]
        assert r.header("transfer-encoding") is None
        assert r.header_all("server") == ["viperhttp"]
        assert r.header_all("date") != ["yesterday"] and len(r.header_all("date")) == 1
        assert r.header("connection") != "close"
        # Still keep-alive and in sync.
        r = c.request("GET", "/items")
        assert r.status == 200 and r.body == b'{"op":"list"}'


def test_custom_status_on_response(main_app):
    r = call(main_app, "GET", "/resp/teapot")
    assert r.status_code == 418
    assert r.content == b"short and stout"


# --- header injection ------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["ctor", "set", "append", "redirect", "exception"])
@pytest.mark.parametrize("which", ["cr", "lf", "crlf"])
def test_crlf_in_header_value_is_500_and_never_sent(main_app, how, which):
    with main_app.conn() as c:
        c.send(b"GET /crlf/%s/%s HTTP/1.1\r\nHost: t\r\n\r\n" % (how.encode(), which.encode()))
        r = c.read_response()
        raw = b"".join(k.encode() + b":" + v.encode() for k, v in r.headers) + r.body
        assert r.status == 500
        assert r.body == b'Internal Server Error'
        assert b"Injected" not in raw and b"injected" not in raw.lower()
        assert r.header("x-bad") is None and r.header("location") is None
        # The connection is still in sync.
        r = c.request("GET", "/items")
        assert r.status == 200 and r.json() == {"op": "list"}
    assert "ValueError" in main_app.stderr_text()


def test_crlf_in_header_name_is_500(main_app):
    with main_app.conn() as c:
        r = c.request("GET", "/crlf/name/crlf")
        assert r.status == 500
        assert r.header("injected") is None
        assert r.body == b'Internal Server Error'


@pytest.mark.parametrize("which", ["cr", "lf", "crlf"])
def test_crlf_raises_value_error_at_the_call(main_app, which):
    r = call(main_app, "GET", "/crlf-caught/" + which)
    assert r.status_code == 200
    assert jbody(r) == {"raised": "ValueError", "headers": []}


# --- HEAD on GET routes ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/items", "/resp/headers", "/ret/bytes", "/async-await",
                                  "/resp/plain", "/query/typed?limit=3"])
def test_head_on_get_route(main_app, path):
    with main_app.conn() as c:
        get = c.request("GET", path)
        head = c.request("HEAD", path)
        assert head.status == get.status == 200

        def strip(h):
            return [(k.lower(), v) for k, v in h if k.lower() != "date"]

        assert strip(head.headers) == strip(get.headers)
        # No body bytes: the next response on the connection starts right away.
        r = c.request("GET", "/items")
        assert r.status == 200 and r.body == b'{"op":"list"}'


# --- 404 / 405 from the engine -------------------------------------------------------------------


def test_404_405_do_not_reach_python(main_app):
    before = main_app.stats()
    with main_app.conn() as c:
        r = c.request("GET", "/no/such/path")
        assert r.status == 404
        assert r.body == b'{"detail":"Not Found"}'
        assert r.header("content-type").lower().startswith("application/json")
        r = c.request("POST", "/nope")
        assert r.status == 404
        r = c.request("DELETE", "/items")
        assert r.status == 405
        assert r.body == b'{"detail":"Method Not Allowed"}'
        assert r.header("allow") == "GET, HEAD, POST, OPTIONS"
        r = c.request("POST", "/ret/dict")
        assert r.status == 405
        assert r.header("allow") == "GET, HEAD"
        r = c.request("GET", "/conv/int/xyz")
        assert r.status == 404
        r = c.request("GET", "/items/")  # slash redirect, by the engine too
        assert r.status == 307
        assert r.header("location").endswith("/items")
    after = main_app.stats()
    # Only the second /__stats request went through the bridge.
    assert after["bridge"]["requests_queued"] == before["bridge"]["requests_queued"] + 1
    assert after["bridge"]["requests_popped"] == before["bridge"]["requests_popped"] + 1
    assert after["status"]["404"] == before["status"]["404"] + 3
    assert after["status"]["405"] == before["status"]["405"] + 2
    py_before, py_after = before["python"], after["python"]
    assert py_after["sync"] == py_before["sync"] + 1  # the first /__stats call (a plain def)
    assert py_after["fast_path"] == py_before["fast_path"]
    assert py_after["tasks_created"] == py_before["tasks_created"]
    assert py_after["errors"] == py_before["errors"]
