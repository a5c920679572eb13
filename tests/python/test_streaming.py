"""Chunked (streamed) responses: GET /stream?n=K writes "chunk i of K\\n" lines (SPEC §4)."""

import time

import pytest
import requests

from conftest import SANITIZED
from rawhttp import build


def expected_lines(n):
    return "".join(f"chunk {i} of {n}\n" for i in range(1, n + 1)).encode()


def test_stream_raw_chunk_framing(server):
    with server.conn() as c:
        r = c.request("GET", "/stream?n=3")
        assert r.status == 200
        assert r.header("Transfer-Encoding") == "chunked"
        assert r.header("Content-Length") is None
        assert r.header("Content-Type") == "text/plain; charset=utf-8"
        assert r.body == expected_lines(3)
        # Every chunk is non-empty and correctly sized (the reader checks sizes and CRLFs);
        # the body ends with the last chunk and an empty trailer section.
        assert r.chunks and all(len(d) > 0 for _, d in r.chunks)
        assert r.raw_body.endswith(b"\r\n0\r\n\r\n")
        assert r.raw_body.count(b"0\r\n\r\n") == 1
        # The connection is reusable after the last chunk: nothing stray follows it.
        assert c.request("GET", "/hello").status == 200
        assert c.buf == b""


def test_stream_default_count(server):
    with server.conn() as c:
        assert c.request("GET", "/stream").body == expected_lines(5)


@pytest.mark.parametrize("n", [1, 2, 100, 1000])
def test_stream_sizes(server, n):
    with server.conn(timeout=30) as c:
        r = c.request("GET", f"/stream?n={n}")
        assert r.status == 200 and r.body == expected_lines(n)


def test_stream_max(server):
    n = 100000
    with server.conn(timeout=60) as c:
        r = c.request("GET", f"/stream?n={n}")
        assert r.status == 200
        assert r.body == expected_lines(n)
        assert c.request("GET", "/hello").status == 200


def test_stream_with_requests(server):
    n = 20000
    with requests.get(server.url(f"/stream?n={n}"), stream=True) as r:
        assert r.status_code == 200
        assert r.headers["Transfer-Encoding"] == "chunked"
        data = b"".join(r.iter_content(chunk_size=None))
    assert data == expected_lines(n)


@pytest.mark.parametrize("q", ["n=0", "n=100001", "n=abc", "n=-1", "n=", "n=1.5", "n=99999999999999999999"])
def test_stream_bad_count_is_422(server, q):
    with server.conn() as c:
        r = c.request("GET", f"/stream?{q}")
        assert r.status == 422
        assert r.header("Transfer-Encoding") is None
        assert r.json() == {"detail": "n must be an integer from 1 to 100000"}
        assert c.request("GET", "/hello").status == 200


def test_stream_http10_is_close_delimited(server):
    with server.conn() as c:
        c.send(b"GET /stream?n=4 HTTP/1.0\r\n\r\n")
        r = c.read_response()
        assert r.status == 200
        assert r.header("Transfer-Encoding") is None
        assert r.header("Content-Length") is None
        assert r.header("Connection") == "close"
        assert r.body == expected_lines(4)  # read until the server closed: no chunk framing


def test_stream_http10_keepalive_still_closes(server):
    # A close-delimited body cannot be followed by another response.
    with server.conn() as c:
        c.send(b"GET /stream?n=2 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        r = c.read_response()
        assert r.header("Connection") == "close"
        assert r.body == expected_lines(2)


def test_head_stream_headers_only(server):
    with server.conn() as c:
        r = c.request("HEAD", "/stream?n=50")
        assert r.status == 200
        assert r.header("Transfer-Encoding") == "chunked"
        assert r.header("Content-Type") == "text/plain; charset=utf-8"
        # No body bytes were sent: the next response starts right away.
        r2 = c.request("GET", "/items/1")
        assert r2.json() == {"item_id": 1, "q": None}
        assert c.buf == b""


def test_stalled_stream_reader_does_not_block_others(make_server):
    server = make_server()
    stalled = server.conn()
    try:
        # 4 x 2.3 MB: more than the kernel buffers hold, so the server's writes really block.
        stalled.send(build("GET", "/stream?n=100000") * 4)
        # Read only the first bytes, then stop reading: the server's socket buffer fills up.
        stalled.sock.settimeout(5)
        first = stalled.sock.recv(100)
        assert first.startswith(b"HTTP/1.1 200 OK\r\n")
        for _ in range(3):
            with server.conn() as c:
                assert c.request("GET", "/hello").status == 200
                r = c.request("GET", "/stream?n=10")
                assert r.body == expected_lines(10)
                c.close_and_wait()
        before = server.stats()
        assert before["connections_active"] == 2  # the stalled stream still holds its slot
    finally:
        stalled.close()  # closing with unread data: the server sees a reset mid-stream
    with server.conn() as c:
        assert c.request("GET", "/hello").status == 200


def test_close_mid_stream_does_not_crash(server):
    n_conns = 3 if SANITIZED else 10
    for i in range(n_conns):
        c = server.conn()
        c.send(build("GET", "/stream?n=100000"))
        c.sock.settimeout(5)
        got = b""
        while len(got) < 2000 * (i + 1):
            data = c.sock.recv(65536)
            assert data
            got += data
        c.close()
    for _ in range(3):
        with server.conn() as c:
            assert c.request("GET", "/stream?n=3").body == expected_lines(3)


def test_send_timeout_closes_stalled_reader(make_server):
    srv = make_server("--send-timeout", "0.2")
    c = srv.conn(timeout=30)
    try:
        # 4 x 2.3 MB pipelined: more than the kernel buffers on both sides can hold.
        c.send(build("GET", "/stream?n=100000") * 4)
        # The client never reads: the server's writes stop making progress and it gives up.
        # Wait for the counter (the client cannot observe this without reading).
        deadline = time.monotonic() + 15
        while srv.stats()["timeouts_send"] == 0:
            assert time.monotonic() < deadline, "send timeout never fired"
            time.sleep(0.05)
        st = srv.stats()
        assert st["timeouts_send"] == 1 and st["connections_active"] == 1
        # What was already in the socket buffers arrives, then EOF: the body is cut short.
        c.sock.settimeout(30)
        data = c.read_until_close()
        assert data.startswith(b"HTTP/1.1 200 OK\r\n")
        assert data.count(b"HTTP/1.1 200 OK\r\n") < 4 or not data.endswith(b"\r\n0\r\n\r\n")
    finally:
        c.close()
    with srv.conn() as c2:
        assert c2.request("GET", "/stream?n=2").body == expected_lines(2)
