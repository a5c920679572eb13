"""Keep-alive: connection reuse, HTTP/1.0 and 1.1 Connection semantics, max requests per
connection, idle timeout (SPEC §4)."""

import os
import socket
import subprocess

import pytest
import requests

import rawhttp
from conftest import TLS

HELLO = b'{"message":"hello"}'


def test_session_reuses_one_connection(server):
    before = server.stats()
    n = 10
    with requests.Session() as s:
        s.trust_env = False  # no proxies from the environment
        s.verify = os.environ.get("REQUESTS_CA_BUNDLE", True)  # the suite over TLS
        for i in range(n):
            r = s.get(server.url(f"/items/{i}"))
            assert r.status_code == 200 and r.json()["item_id"] == i
            assert "close" not in r.headers.get("Connection", "")
    after = server.stats()
    # One connection for the session, one for the second /stats.
    assert after["connections_accepted"] - before["connections_accepted"] == 2
    assert after["keepalive_reuses"] - before["keepalive_reuses"] == n - 1
    assert after["requests"] - before["requests"] == n + 1


def test_raw_socket_reuse(server):
    before = server.stats()
    with server.conn() as c:
        for i in range(5):
            r = c.request("GET", f"/items/{i}?q=k{i}")
            assert r.status == 200
            assert r.json() == {"item_id": i, "q": f"k{i}"}
            assert r.header("Connection") is None
        r = c.request("POST", "/echo", [("Content-Type", "text/plain")], b"body")
        assert r.body == b"body"
        assert c.request("GET", "/nope").status == 404
        assert c.request("GET", "/hello").body == HELLO
    after = server.stats()
    assert after["connections_accepted"] - before["connections_accepted"] == 2
    assert after["keepalive_reuses"] - before["keepalive_reuses"] == 7


def test_curl_reuses_connection(server):
    before = server.stats()
    p = subprocess.run(
        ["curl", "-sv", "--noproxy", "*", server.url("/hello"), server.url("/items/3?q=z")],
        capture_output=True,
        timeout=20,
    )
    assert p.returncode == 0, p.stderr.decode()
    err = p.stderr.decode()
    assert "Re-using existing connection" in err or "Reusing existing connection" in err, err
    assert p.stdout == HELLO + b'{"item_id":3,"q":"z"}'
    after = server.stats()
    assert after["connections_accepted"] - before["connections_accepted"] == 2  # curl + /stats
    assert after["keepalive_reuses"] - before["keepalive_reuses"] == 1


def test_http10_closes_by_default(server):
    with server.conn() as c:
        c.send(b"GET /hello HTTP/1.0\r\n\r\n")
        r = c.read_response()
        assert r.status == 200 and r.body == HELLO
        assert r.header("Connection", "").lower() != "keep-alive"
        c.expect_closed()


def test_http10_keep_alive(server):
    with server.conn() as c:
        for i in range(3):
            c.send(f"GET /items/{i} HTTP/1.0\r\nConnection: keep-alive\r\n\r\n".encode())
            r = c.read_response()
            assert r.status == 200 and r.json()["item_id"] == i
            assert r.header("Connection") == "keep-alive"
        # Without the header the next HTTP/1.0 request ends the connection.
        c.send(b"GET /hello HTTP/1.0\r\n\r\n")
        r = c.read_response()
        assert r.body == HELLO and r.header("Connection", "").lower() != "keep-alive"
        c.expect_closed()


def test_http10_keep_alive_on_engine_error_response(server):
    with server.conn() as c:
        c.send(b"GET /nope HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        r = c.read_response()
        assert r.status == 404 and r.header("Connection") == "keep-alive"
        c.send(b"GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        assert c.read_response().body == HELLO


@pytest.mark.parametrize("method,path,status", [("BREW", "/hello", 501), ("POST", "/hello", 405),
                                                ("POST", "/nope", 404)])
def test_body_of_refused_request_is_consumed(server, method, path, status):
    # The body of a request answered by the engine is skipped, not parsed as the next request.
    body = b"GET /items/666 HTTP/1.1\r\nHost: t\r\n\r\n"
    with server.conn() as c:
        r = c.request(method, path, [("Content-Type", "text/plain")], body)
        assert r.status == status
        assert r.header("Connection") is None
        r = c.request("GET", "/items/1")
        assert r.json() == {"item_id": 1, "q": None}
        assert c.buf == b""


@pytest.mark.skipif(TLS, reason="TLS 1.2 has no half-close: close_notify ends both directions")
def test_half_close_after_requests(server):
    # The client sends its requests and shuts down its write side: every response is still
    # delivered, then the server closes.
    with server.conn() as c:
        c.send(b"".join(rawhttp.build("GET", f"/items/{i}") for i in range(5)))
        c.sock.shutdown(socket.SHUT_WR)
        for i in range(5):
            assert c.read_response().json()["item_id"] == i
        c.expect_closed()


def test_http11_connection_close(server):
    with server.conn() as c:
        assert c.request("GET", "/hello").status == 200
        r = c.request("GET", "/hello", [("Connection", "close")])
        assert r.status == 200 and r.body == HELLO
        assert r.header("Connection") == "close"
        c.expect_closed()


def test_http11_connection_close_token_list(server):
    with server.conn() as c:
        r = c.request("GET", "/hello", [("Connection", "TE, Close")])
        assert r.header("Connection") == "close"
        c.expect_closed()


def test_close_on_error_response_of_keepalive_connection(server):
    # A request that asks to close gets Connection: close also on engine-made responses.
    with server.conn() as c:
        r = c.request("GET", "/nope", [("Connection", "close")])
        assert r.status == 404 and r.header("Connection") == "close"
        c.expect_closed()


def test_keepalive_max_requests(make_server):
    n = 4
    srv = make_server("--keepalive-max-requests", n)
    with srv.conn() as c:
        for i in range(1, n):
            r = c.request("GET", f"/items/{i}")
            assert r.status == 200 and r.json()["item_id"] == i
            assert r.header("Connection") is None, i
        r = c.request("GET", f"/items/{n}")
        assert r.status == 200 and r.json()["item_id"] == n
        assert r.header("Connection") == "close"
        c.expect_closed()
    # A new connection gets a fresh budget.
    with srv.conn() as c:
        assert c.request("GET", "/hello").header("Connection") is None


def test_keepalive_max_requests_pipelined(make_server):
    # The limit also applies when the requests arrive in one packet: the third response closes
    # and the fourth request is not answered.
    srv = make_server("--keepalive-max-requests", 3)
    with srv.conn() as c:
        c.send(b"GET /items/1 HTTP/1.1\r\nHost: t\r\n\r\n"
               + b"GET /items/2 HTTP/1.1\r\nHost: t\r\n\r\n"
               + b"GET /items/3 HTTP/1.1\r\nHost: t\r\n\r\n"
               + b"GET /items/4 HTTP/1.1\r\nHost: t\r\n\r\n")
        for i in (1, 2):
            r = c.read_response()
            assert r.json()["item_id"] == i and r.header("Connection") is None
        r = c.read_response()
        assert r.json()["item_id"] == 3 and r.header("Connection") == "close"
        c.expect_closed()


def test_keepalive_max_requests_one(make_server):
    srv = make_server("--keepalive-max-requests", 1)
    with srv.conn() as c:
        r = c.request("GET", "/hello")
        assert r.status == 200 and r.header("Connection") == "close"
        c.expect_closed()


def test_idle_timeout_closes_connection(make_server):
    srv = make_server("--keepalive-timeout", "0.3")
    before = srv.stats()
    with srv.conn() as c:
        assert c.request("GET", "/hello").status == 200
        c.expect_closed(timeout=5)  # closed by the server, without a response
    after = srv.stats()
    assert after["timeouts_idle"] - before["timeouts_idle"] == 1
    assert after["timeouts_header"] == before["timeouts_header"]
    assert after["connections_active"] == 1  # only the /stats connection
