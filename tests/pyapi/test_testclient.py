"""viperhttp.testclient.TestClient.

Most tests run in this pytest process: the app's real server (engine + bridge) runs on a
background thread and the client talks HTTP/1.1 to it over 127.0.0.1; the apps are defined
inline.  They are skipped when the suite targets MicroPython (VIPER_INTERPRETER), since the
pytest process is CPython.  test_in_the_app_interpreter runs apps/testclient_app.py — the
TestClient inside the interpreter under test — on either.
"""

import asyncio
import json
import socket
import subprocess
import sys
import threading

import pytest

from pyapi_support import MICROPYTHON, PYTHONPATH, ROOT, app_argv, app_env

for _p in reversed(PYTHONPATH.split(":")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import viperhttp  # noqa: E402
from viperhttp import (HTTPException, JSONResponse, PlainTextResponse,  # noqa: E402
                       RedirectResponse, Response, ViperHTTP)
from viperhttp.testclient import Headers, TestClient  # noqa: E402
from viperhttp.testclient.transport import Connection as _Connection  # noqa: E402

ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def make_app():
    app = ViperHTTP(title="testclient app")

    @app.api_route("/echo", methods=ALL_METHODS)
    async def echo(request):
        body = await request.body()
        return {
            "method": request.method,
            "path": request.url.path,
            "query": request.url.query,
            "host": request.headers.get("host"),
            "x_token": request.headers.get("x-token"),
            "user_agent": request.headers.get("user-agent"),
            "content_type": request.headers.get("content-type"),
            "cookie": request.headers.get("cookie"),
            "body": body.decode("latin-1"),
        }

    @app.get("/items/{item_id:int}")
    def read_item(item_id, q=None, limit=10):
        return {"item_id": item_id, "q": q, "limit": limit}

    @app.post("/digest")
    async def digest(request):
        body = await request.body()
        return {"len": len(body), "sum": sum(body), "head": list(body[:4])}

    @app.get("/names/{name}")
    def name(name):
        return name

    @app.get("/stats")
    def stats():
        return viperhttp.server_stats()

    @app.get("/text")
    def text():
        return PlainTextResponse("héllo")

    @app.get("/old")
    def old():
        return RedirectResponse("/items/1?q=moved")

    @app.post("/see-other")
    def see_other():
        return RedirectResponse("/echo", status_code=303)

    @app.get("/loop")
    def loop():
        return RedirectResponse("/loop")

    @app.get("/slash/")
    def slash():
        return {"slash": True}

    @app.get("/set-cookie")
    def set_cookie():
        r = JSONResponse({"ok": True})
        r.headers.append("set-cookie", "session=abc123; Path=/; HttpOnly")
        r.headers.append("set-cookie", "theme=dark; Max-Age=3600")
        return r

    @app.get("/clear-cookie")
    def clear_cookie():
        r = JSONResponse({"ok": True})
        r.headers.append("set-cookie", 'session=""; Max-Age=0; Path=/')
        return r

    @app.get("/missing")
    def missing():
        raise HTTPException(404, detail="Item not found", headers={"X-Error": "missing"})

    @app.get("/boom")
    def boom():
        raise RuntimeError("handler failed")

    @app.get("/boom-async")
    async def boom_async():
        await asyncio.sleep(0)
        raise ValueError("async handler failed")

    @app.get("/slow")
    async def slow():
        await asyncio.sleep(0.05)
        return {"slept": True}

    @app.get("/empty", status_code=204)
    def empty():
        return None

    @app.get("/bytes")
    def raw_bytes():
        return Response(bytes(range(256)) * 100, media_type="application/octet-stream")

    return app


def test_in_the_app_interpreter():
    """apps/testclient_app.py: the TestClient on VIPER_INTERPRETER (MicroPython too)."""
    proc = subprocess.run(app_argv("testclient_app.py", {}), env=app_env(), cwd=str(ROOT),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    out = proc.stdout.decode("utf-8", "replace")
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 0, out + err
    assert out.rstrip().endswith("ALL OK"), out + err
    assert "ok raise_server_exceptions" in out and "ok reconnects" in out


@pytest.fixture(autouse=True)
def _in_process_on_cpython_only(request):
    if MICROPYTHON and request.node.name != "test_in_the_app_interpreter":
        pytest.skip("runs in the pytest process (CPython); VIPER_INTERPRETER is MicroPython")


@pytest.fixture(scope="module")
def app():
    if MICROPYTHON:
        pytest.skip("runs in the pytest process (CPython); VIPER_INTERPRETER is MicroPython")
    return make_app()


@pytest.fixture(scope="module")
def client(app):
    with TestClient(app) as c:
        yield c


def port_open(port):
    s = socket.socket()
    try:
        s.settimeout(2)
        s.connect(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


# --- methods, parameters, bodies -------------------------------------------------------------

@pytest.mark.parametrize("method", ALL_METHODS)
def test_every_method(client, method):
    fn = getattr(client, method.lower())
    r = fn("/echo")
    assert r.status_code == 200
    assert r.json()["method"] == method
    assert r.json()["host"] == "testserver"
    assert r.json()["user_agent"] == "testclient"


def test_request_method_and_case(client):
    assert client.request("put", "/echo").json()["method"] == "PUT"


def test_head_on_get_route(client):
    g = client.get("/items/5")
    h = client.head("/items/5")
    assert h.status_code == 200
    assert h.content == b""
    assert h.headers["content-length"] == g.headers["content-length"]
    assert h.headers["content-type"] == "application/json"
    # The connection is still usable after a body-less response.
    assert client.get("/items/6").json()["item_id"] == 6


def test_path_and_query_params(client):
    r = client.get("/items/3", params={"q": "a b&c", "limit": 5})
    assert r.json() == {"item_id": 3, "q": "a b&c", "limit": 5}
    assert r.request.url.query == "q=a%20b%26c&limit=5"
    r = client.get("/items/3?q=inline", params={"limit": "7"})
    assert r.json() == {"item_id": 3, "q": "inline", "limit": 7}
    r = client.get("/echo", params=[("a", "1"), ("a", "2"), ("b", True)])
    assert r.json()["query"] == "a=1&a=2&b=true"
    r = client.get("/echo", params={"tag": ["x", "y"]})
    assert r.json()["query"] == "tag=x&tag=y"


def test_validation_error(client):
    r = client.get("/items/3", params={"limit": "abc"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["query", "limit"]


def test_headers(client):
    r = client.get("/echo", headers={"X-Token": "secret", "User-Agent": "mine"})
    assert r.json()["x_token"] == "secret"
    assert r.json()["user_agent"] == "mine"
    # Response headers are case-insensitive.
    assert r.headers["Content-Type"] == r.headers["content-type"] == "application/json"
    assert "CONTENT-LENGTH" in r.headers
    assert r.headers.get("x-nope") is None


def test_client_default_headers():
    app = make_app()
    with TestClient(app, headers={"X-Token": "default"}) as c:
        assert c.get("/echo").json()["x_token"] == "default"
        assert c.get("/echo", headers={"x-token": "override"}).json()["x_token"] == "override"


def test_json_body(client):
    r = client.post("/echo", json={"name": "lamp", "on": True, "n": [1, 2]})
    data = r.json()
    assert data["content_type"] == "application/json"
    assert json.loads(data["body"]) == {"name": "lamp", "on": True, "n": [1, 2]}
    r = client.put("/echo", json=[1, "é"])
    assert json.loads(r.content)["body"].encode("latin-1").decode() == '[1,"é"]'


def test_form_data(client):
    r = client.post("/echo", data={"a": "1 2", "b": ["x", "y"]})
    data = r.json()
    assert data["content_type"] == "application/x-www-form-urlencoded"
    assert data["body"] == "a=1%202&b=x&b=y"


def test_raw_content(client):
    r = client.patch("/echo", content=b"\x00\x01raw", headers={"content-type": "x/y"})
    assert r.json()["body"] == "\x00\x01raw"
    assert r.json()["content_type"] == "x/y"
    r = client.delete("/echo")
    assert r.json()["body"] == ""
    r = client.request("DELETE", "/echo", content="text body")
    assert r.json()["body"] == "text body"


def test_multipart_files(client):
    r = client.post("/echo", files={"upload": ("a.txt", b"hello", "text/plain")},
                    data={"field": "v"})
    data = r.json()
    assert data["content_type"].startswith("multipart/form-data; boundary=")
    assert 'name="upload"; filename="a.txt"' in data["body"]
    assert "hello" in data["body"] and 'name="field"' in data["body"]


def test_large_body_roundtrip(client):
    payload = bytes(range(256)) * 200  # 51,200 bytes: several socket writes and reads
    r = client.post("/digest", content=payload)
    assert r.json() == {"len": len(payload), "sum": sum(payload), "head": [0, 1, 2, 3]}


def test_large_response(client):
    r = client.get("/bytes")
    assert r.content == bytes(range(256)) * 100


# --- responses ---------------------------------------------------------------------------------

def test_response_attributes(client):
    r = client.get("/text")
    assert r.status_code == 200
    assert r.reason_phrase == "OK"
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.content == "héllo".encode()
    assert r.text == "héllo"
    assert r.is_success and not r.is_error
    assert str(r.url) == "http://testserver/text"
    assert r.http_version == "HTTP/1.1"
    r.raise_for_status()


def test_http_exception_and_raise_for_status(client):
    r = client.get("/missing")
    assert r.status_code == 404
    assert r.json() == {"detail": "Item not found"}
    assert r.headers["x-error"] == "missing"
    with pytest.raises(Exception) as info:
        r.raise_for_status()
    assert info.value.response is r


def test_204_no_body(client):
    r = client.get("/empty")
    assert r.status_code == 204
    assert r.content == b""
    assert client.get("/items/1").status_code == 200


# --- the engine answers, not Python ------------------------------------------------------------

def test_404_and_405_from_the_engine(client):
    before = client.server_stats()["python"]
    r = client.get("/no/such/path")
    assert r.status_code == 404
    assert r.json() == {"detail": "Not Found"}
    r = client.post("/items/3")
    assert r.status_code == 405
    assert r.json() == {"detail": "Method Not Allowed"}
    assert r.headers["allow"] == "GET, HEAD"
    r = client.get("/items/notanint")  # the int converter does not match: 404
    assert r.status_code == 404
    after = client.server_stats()["python"]
    assert after["sync"] == before["sync"] and after["fast_path"] == before["fast_path"]


def test_engine_limits_via_server_options():
    app = make_app()
    with TestClient(app, server_options={"max_body_bytes": 16}) as c:
        assert c.post("/echo", content=b"x" * 10).status_code == 200
        assert c.post("/echo", content=b"x" * 1000).status_code == 413
        assert c.get("/items/1").status_code == 200  # reconnects if the engine closed


# --- redirects --------------------------------------------------------------------------------

def test_redirects_followed_by_default(client):
    r = client.get("/old")
    assert r.status_code == 200
    assert r.json() == {"item_id": 1, "q": "moved", "limit": 10}
    assert [h.status_code for h in r.history] == [307]
    assert r.history[0].headers["location"] == "/items/1?q=moved"
    assert str(r.url) == "http://testserver/items/1?q=moved"


def test_redirects_not_followed_on_request(client):
    r = client.get("/old", follow_redirects=False)
    assert r.status_code == 307
    assert r.headers["location"] == "/items/1?q=moved"
    assert r.is_redirect
    with TestClient(make_app(), follow_redirects=False) as c:
        assert c.get("/old").status_code == 307


def test_303_turns_post_into_get(client):
    r = client.post("/see-other", json={"x": 1})
    assert r.status_code == 200
    assert r.json()["method"] == "GET"
    assert r.json()["body"] == ""


def test_redirect_slashes_from_engine(client):
    r = client.get("/slash", follow_redirects=False)
    assert r.status_code == 307
    assert r.headers["location"].endswith("/slash/")
    assert client.get("/slash").json() == {"slash": True}


def test_redirect_loop_raises(client):
    with pytest.raises(RuntimeError, match="redirects"):
        client.get("/loop")


# --- cookies ----------------------------------------------------------------------------------

def test_cookies():
    with TestClient(make_app()) as c:
        r = c.get("/set-cookie")
        assert r.cookies == {"session": "abc123", "theme": "dark"}
        assert r.headers.get_list("set-cookie")[0].startswith("session=abc123")
        assert c.cookies["session"] == "abc123"
        # The client's jar is sent with the next requests.
        sent = c.get("/echo").json()["cookie"]
        assert sorted(sent.split("; ")) == ["session=abc123", "theme=dark"]
        # Per-request cookies are added to the jar's.
        sent = c.get("/echo", cookies={"extra": "1"}).json()["cookie"]
        assert "extra=1" in sent and "session=abc123" in sent
        assert "extra" not in c.cookies
        # Max-Age=0 deletes.
        c.get("/clear-cookie")
        assert "session" not in c.cookies
        assert c.get("/echo").json()["cookie"] == "theme=dark"


def test_initial_cookies():
    with TestClient(make_app(), cookies={"a": "1"}) as c:
        assert c.get("/echo").json()["cookie"] == "a=1"
        c.cookies.clear()
        assert c.get("/echo").json()["cookie"] is None


# --- connections ------------------------------------------------------------------------------

def test_keep_alive_reuses_one_connection():
    with TestClient(make_app()) as c:
        for i in range(10):
            assert c.get("/items/{}".format(i)).status_code == 200
        c.get("/no/such/path")
        stats = c.get("/stats").json()
        assert stats["connections_accepted"] == 1
        assert stats["keepalive_reuses"] >= 11
        # The same counters without a route.
        assert c.server_stats()["connections_accepted"] == 1


def test_reconnects_when_the_server_closes():
    with TestClient(make_app(), server_options={"keepalive_max_requests": 2}) as c:
        for i in range(5):
            assert c.get("/items/{}".format(i)).json()["item_id"] == i
        assert c.server_stats()["connections_accepted"] == 3


def test_reconnects_after_idle_timeout():
    import time

    with TestClient(make_app(), server_options={"keepalive_timeout_s": 0.2}) as c:
        assert c.get("/items/1").status_code == 200
        deadline = time.monotonic() + 10
        while c.server_stats()["connections_closed"] < 1:
            assert time.monotonic() < deadline, "the engine never closed the idle connection"
            time.sleep(0.05)
        assert c.get("/items/2").json()["item_id"] == 2
        assert c.server_stats()["connections_accepted"] == 2


def test_async_handler_that_waits(client):
    r = client.get("/slow")
    assert r.json() == {"slept": True}


def test_concurrent_requests_from_threads():
    with TestClient(make_app()) as c:
        results = []

        def worker(n):
            results.append(c.get("/slow").status_code)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert results == [200] * 6


# --- lifecycle --------------------------------------------------------------------------------

def test_with_block_starts_and_stops_the_server():
    app = make_app()
    with TestClient(app) as c:
        port = c.port
        assert port_open(port)
        assert app._server is c.server
        assert c.get("/items/1").status_code == 200
    assert not port_open(port)
    assert app._server is None


def test_lazy_start_and_close():
    app = make_app()
    c = TestClient(app)
    assert app._server is None  # nothing started yet
    assert c.get("/items/2").json()["item_id"] == 2
    port = c.port
    assert port_open(port)
    c.close()
    assert not port_open(port)
    c.close()  # idempotent
    # A closed client starts a new server on its next request.
    assert c.get("/items/3").json()["item_id"] == 3
    c.close()


def test_garbage_collected_client_stops_its_server():
    import gc

    app = make_app()
    c = TestClient(app)
    c.get("/items/1")
    port = c.port
    del c
    gc.collect()
    assert not port_open(port)


def test_two_clients_at_once():
    app_a = ViperHTTP()
    app_b = ViperHTTP()

    @app_a.get("/who")
    def who_a():
        return "a"

    @app_b.get("/who")
    def who_b():
        return "b"

    with TestClient(app_a) as a, TestClient(app_b) as b:
        ports = (a.port, b.port)
        assert a.port != b.port
        for _ in range(3):
            assert a.get("/who").json() == "a"
            assert b.get("/who").json() == "b"
        assert a.server_stats()["connections_accepted"] == 1
        assert b.server_stats()["connections_accepted"] == 1
    assert not port_open(ports[0]) and not port_open(ports[1])


def test_two_clients_on_the_same_app():
    app = make_app()
    with TestClient(app) as a:
        with TestClient(app) as b:
            assert a.port != b.port
            assert a.get("/items/1").status_code == 200
            assert b.get("/items/2").status_code == 200
            with pytest.raises(RuntimeError):
                b.get("/boom")
        # b's exit leaves a working, with its exception hook.
        with pytest.raises(RuntimeError):
            a.get("/boom")
    assert "server_error" not in app.__dict__


def test_startup_error_is_raised():
    with pytest.raises(ValueError, match="max_connections"):
        TestClient(make_app(), server_options={"max_connections": -1}).get("/items/1")


# --- unhandled exceptions ------------------------------------------------------------------------

def test_unhandled_exception_is_raised_in_the_test(client):
    with pytest.raises(RuntimeError, match="handler failed"):
        client.get("/boom")
    with pytest.raises(ValueError, match="async handler failed"):
        client.get("/boom-async")
    # The server keeps serving on the same client.
    assert client.get("/items/1").status_code == 200


def test_unhandled_exception_as_500_when_not_raised():
    app = make_app()
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/boom")
        assert r.status_code == 500
        assert r.text == "Internal Server Error"
        assert c.get("/items/1").status_code == 200
    assert "server_error" not in app.__dict__


def test_http_exceptions_are_not_raised(client):
    assert client.get("/missing").status_code == 404
    assert client.get("/items/x", params={"limit": "no"}).status_code == 404


# --- URLs -----------------------------------------------------------------------------------------

def test_base_url_and_absolute_urls():
    with TestClient(make_app(), base_url="http://example.local:8080") as c:
        r = c.get("/echo")
        assert r.json()["host"] == "example.local:8080"
        assert str(r.url) == "http://example.local:8080/echo"
        r = c.get("http://other.host/echo?x=1")
        assert r.json()["host"] == "other.host"
        assert r.json()["query"] == "x=1"


def test_path_is_percent_encoded(client):
    r = client.get("/names/a b/é".replace("/é", "é"))
    assert r.json() == "a bé"
    assert r.request.url.path == "/names/a%20b%C3%A9"
    r = client.get("/items/1", params={"q": "ü/?"})
    assert r.json()["q"] == "ü/?"


# --- the HTTP client itself -------------------------------------------------------------------------

def _conn_over(sock):
    c = _Connection.__new__(_Connection)
    c.sock, c.buf, c.used, c.open = sock, b"", False, True
    return c


def test_chunked_response_body_is_decoded():
    a, b = socket.socketpair()
    try:
        b.sendall(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
                  b"5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nx-trailer: 1\r\n\r\n"
                  b"HTTP/1.1 204 No Content\r\n\r\n")
        conn = _conn_over(a)
        version, status, reason, headers, body, keep = conn.read_response("GET")
        assert (status, body, keep) == (200, b"hello, world", True)
        assert conn.read_response("GET")[1] == 204
    finally:
        a.close()
        b.close()


def test_body_until_close_and_interim_response():
    a, b = socket.socketpair()
    try:
        b.sendall(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 200 OK\r\n\r\nall of it")
        b.shutdown(socket.SHUT_WR)
        version, status, reason, headers, body, keep = _conn_over(a).read_response("GET")
        assert (version, status, body, keep) == ("1.0", 200, b"all of it", False)
    finally:
        a.close()
        b.close()


def test_headers_class():
    h = Headers([("Set-Cookie", "a=1"), ("set-cookie", "b=2"), ("X-One", "1")])
    assert h["SET-COOKIE"] == "a=1, b=2"
    assert h.get_list("set-cookie") == ["a=1", "b=2"]
    assert h.keys() == ["set-cookie", "x-one"]
    assert h == [("set-cookie", "a=1"), ("set-cookie", "b=2"), ("x-one", "1")]
    assert h == {"X-One": "1", "set-cookie": "a=1, b=2"} or h.items() == [
        ("set-cookie", "a=1, b=2"), ("x-one", "1")]


def test_basic_auth(client):
    r = client.get("/echo", auth=("user", "pa:ss"))
    assert r.request.headers["authorization"] == "Basic dXNlcjpwYTpzcw=="


def test_gzip_body_is_decompressed():
    import gzip

    from viperhttp.testclient.encoding import decode_content as _decode_content

    h = Headers([("content-encoding", "gzip")])
    assert _decode_content(h, gzip.compress(b"hello" * 100)) == b"hello" * 100
    assert _decode_content(Headers(), b"plain") == b"plain"


def test_set_cookie_expiry():
    from viperhttp.testclient.cookies import parse_set_cookie as _parse_set_cookie

    assert _parse_set_cookie("a=1; Path=/") == ("a", "1", False)
    assert _parse_set_cookie('a=""; Max-Age=0') == ("a", "", True)
    assert _parse_set_cookie("a=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT")[2] is True
    assert _parse_set_cookie("a=1; Expires=Fri, 01-Jan-2100 00:00:00 GMT")[2] is False
    assert _parse_set_cookie("a=1; Max-Age=60; Expires=Thu, 01 Jan 1970 00:00:00 GMT")[2] is False
    assert _parse_set_cookie("novalue") is None
