"""The Request object a handler receives (SPEC §3.5), against apps/main_app.py."""

import json

import pytest
import requests

import pyapi_http as rawhttp

TIMEOUT = 10


def echo(srv, method="GET", path="/req/echo/bob/7", headers=(), body=b"", version="HTTP/1.1",
         host="t"):
    """One request to /req/echo on a raw connection; returns (response json, local port)."""
    with srv.conn() as c:
        local_port = c.sock.getsockname()[1]
        c.send(rawhttp.build(method, path, headers, body, version, host))
        r = c.read_response()
    assert r.status == 200, r
    return r.json(), local_port


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE"])
def test_method(main_app, method):
    data, _ = echo(main_app, method)
    assert data["method"] == method


def test_url_parts(main_app):
    data, _ = echo(main_app, path="/req/echo/bob/7?a=1&a=2&s=x+y%21&e=",
                   host="example.test:8080")
    assert data["path"] == "/req/echo/bob/7"
    assert data["query"] == "a=1&a=2&s=x+y%21&e="
    assert data["scheme"] == "http"
    assert data["hostname"] == "example.test"
    assert data["url_port"] == 8080
    assert data["url"] == "http://example.test:8080/req/echo/bob/7?a=1&a=2&s=x+y%21&e="


def test_url_without_query(main_app):
    r = requests.get(main_app.url("/req/echo/ann/1"), timeout=TIMEOUT)
    data = r.json()
    assert data["url"] == main_app.url("/req/echo/ann/1")
    assert data["query"] == ""
    assert data["url_port"] == main_app.port


def test_url_path_is_percent_decoded(main_app):
    data, _ = echo(main_app, path="/req/echo/b%C3%B6b%20x/12")
    assert data["path"] == "/req/echo/b\u00f6b x/12"
    assert data["name"] == "b\u00f6b x"
    assert data["n"] == 12


def test_headers_case_insensitive_and_multi_valued(main_app):
    data, _ = echo(main_app, headers=[("X-One", "1"), ("X-Multi", "a"), ("x-MULTI", "b, c"),
                                      ("X-Multi", "d")])
    assert data["x_one"] == "1"
    assert data["x_one_upper"] == "1"
    assert data["x_one_item"] == "1"
    assert data["x_multi"] == ["a", "b, c", "d"]
    assert data["x_multi_get"] == "a"
    assert data["missing"] == "dflt"
    assert data["has_x_one"] is True
    assert data["has_missing"] is False
    # Names are lower-cased, in wire order.
    assert data["header_names"] == ["host", "x-one", "x-multi", "x-multi", "x-multi"]


def test_query_params_multi_dict(main_app):
    data, _ = echo(main_app, path="/req/echo/bob/7?a=1&s=x+y%21&a=2&e=&a=3")
    assert data["q_get"] == "3"  # last value, as Starlette
    assert data["q_item"] == "3"
    assert data["q_list"] == ["1", "2", "3"]
    assert data["q_space"] == "x y!"
    assert data["q_empty"] == ""
    assert data["q_none"] is None
    assert data["q_keys"] == ["a", "s", "e"]
    assert data["q_multi"] == [["a", "1"], ["s", "x y!"], ["a", "2"], ["e", ""], ["a", "3"]]


def test_query_params_utf8(main_app):
    data, _ = echo(main_app, path="/req/echo/bob/7?a=%E2%82%AC%20&a=caf%C3%A9")
    assert data["q_list"] == ["\u20ac ", "caf\u00e9"]


def test_path_params_is_a_dict(main_app):
    data, _ = echo(main_app, path="/req/echo/bob/7")
    assert data["path_params"] == {"name": "bob", "n": 7}


def test_path_params_typed_by_converter(main_app):
    r = requests.get(main_app.url("/req/params/x/1.5/a/b/c"), timeout=TIMEOUT)
    assert r.status_code == 200
    assert r.json() == {"path_params": {"a": "x", "b": 1.5, "c": "a/b/c"}}


def test_path_param_values_reach_handler(main_app):
    # Whatever the container, the values are converted by the engine's converters.
    r = requests.get(main_app.url("/req/params/x/1.5/a/b/c"), timeout=TIMEOUT)
    pp = r.json()["path_params"]
    assert [pp["a"], pp["b"], pp["c"]] == ["x", 1.5, "a/b/c"]


def test_client_address(main_app):
    data, local_port = echo(main_app)
    assert data["client"] == ["127.0.0.1", local_port]
    with main_app.conn() as c:
        port = c.sock.getsockname()[1]
        r = c.request("GET", "/req/client")
    assert r.json() == {"host": "127.0.0.1", "port": port}


def test_body_empty(main_app):
    data, _ = echo(main_app)
    assert data["body"] == ""
    assert data["body_hex"] == ""
    assert data["body_type"] == "bytes"
    assert data["body_len"] == 0


def test_body_bytes(main_app):
    payload = bytes(range(256)) * 3
    data, _ = echo(main_app, "POST", body=payload)
    assert data["body_type"] == "bytes"
    assert data["body_len"] == len(payload)
    assert bytes.fromhex(data["body_hex"]) == payload
    assert data["body"] is None  # not UTF-8


def test_body_chunked(main_app):
    body = rawhttp.chunked([b"hello ", b"chunked ", b"world"])
    data, _ = echo(main_app, "PUT", headers=[("Transfer-Encoding", "chunked")], body=body)
    assert data["body"] == "hello chunked world"
    assert data["body_len"] == 19


def test_body_large(main_app):
    payload = b"0123456789abcdef" * 1500  # 24,000 bytes: more than one 8 KB I/O buffer
    r = requests.post(main_app.url("/req/echo/big/1"), data=payload, timeout=TIMEOUT)
    assert r.status_code == 200
    assert r.json()["body_len"] == len(payload)
    assert r.json()["body"] == payload.decode()
    assert bytes.fromhex(r.json()["body_hex"]) == payload


@pytest.mark.parametrize("doc", [{"a": [1, 2], "b": None}, [1, "x", True], "str\u00e9", 3.5])
def test_json_body(main_app, doc):
    r = requests.post(main_app.url("/req/json"), data=json.dumps(doc).encode(),
                      headers={"Content-Type": "application/json"}, timeout=TIMEOUT)
    assert r.status_code == 200
    assert r.json() == {"got": doc, "same": True, "type": type(doc).__name__}


@pytest.mark.parametrize("raw", [b"{bad", b"", b"nul", b"\xff\xfe"])
def test_invalid_json_is_500(main_app, raw):
    with main_app.conn() as c:
        r = c.request("POST", "/req/json", [("Content-Type", "application/json")], raw)
    assert r.status == 500
    assert r.body == b'Internal Server Error'


def test_invalid_json_caught_by_handler(main_app):
    r = requests.post(main_app.url("/req/json-safe"), data=b"{bad", timeout=TIMEOUT)
    assert r.status_code == 400
    body = r.json()
    assert body["error"] == "invalid json"
    r = requests.post(main_app.url("/req/json-safe"), data=b'{"ok":1}', timeout=TIMEOUT)
    assert r.status_code == 200 and r.json() == {"got": {"ok": 1}}


def test_state_and_app(main_app):
    r = requests.get(main_app.url("/req/state"), timeout=TIMEOUT)
    assert r.json() == {"user": "ada", "count": 2, "app_is_app": True,
                        "title": "pyapi main app", "app_state": "yes"}
    # Per request: a later request starts with an empty state.
    r = requests.get(main_app.url("/req/state-fresh"), timeout=TIMEOUT)
    assert r.json() == {"has_user": False}


def test_http_10_request(main_app):
    with main_app.conn() as c:
        c.send(b"GET /req/echo/old/1?a=9 HTTP/1.0\r\nX-One: 1\r\n\r\n")
        r = c.read_response()
    assert r.status == 200
    data = r.json()
    assert data["q_get"] == "9"
    assert data["x_one"] == "1"
