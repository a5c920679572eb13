"""Pipelining: many requests in one send, answered completely and in order (SPEC §4)."""

import threading

import pytest

import rawhttp
from conftest import SANITIZED, scaled, scheme_of
from rawhttp import build


def mixed_pipeline():
    """(request bytes, method, check) triples covering bodies, errors and HEAD."""
    return [
        (build("GET", "/items/1"), "GET", lambda r: r.json() == {"item_id": 1, "q": None}),
        (build("POST", "/echo", [("Content-Type", "text/plain")], b"first body"), "POST",
         lambda r: r.status == 200 and r.body == b"first body"),
        (build("GET", "/nope"), "GET", lambda r: r.status == 404 and r.body == b'{"detail":"Not Found"}'),
        (build("HEAD", "/hello"), "HEAD",
         lambda r: r.status == 200 and r.body == b"" and r.header("Content-Length") == "19"),
        (build("GET", "/items/2?q=two"), "GET", lambda r: r.json() == {"item_id": 2, "q": "two"}),
        (build("PUT", "/items/3", (), b"x" * 300), "PUT",
         lambda r: r.json() == {"item_id": 3, "updated": True, "bytes": 300}),
        (build("DELETE", "/hello"), "DELETE",
         lambda r: r.status == 405 and r.header("Allow") == "GET, HEAD"),
        (build("POST", "/echo", [("Transfer-Encoding", "chunked")], rawhttp.chunked([b"chu", b"nked"])),
         "POST", lambda r: r.status == 200 and r.body == b"chunked"),
        (build("GET", "/sensors"), "GET",
         lambda r: r.status == 307 and r.header("Location") == scheme_of("http://t/sensors/")),
        (build("GET", "/files/a/b%20c"), "GET", lambda r: r.json() == {"path": "a/b c"}),
    ]


def test_ten_pipelined_requests_in_order(server):
    reqs = mixed_pipeline()
    assert len(reqs) == 10
    with server.conn() as c:
        c.send(b"".join(r for r, _, _ in reqs))
        for i, (_, method, check) in enumerate(reqs):
            resp = c.read_response(head=(method == "HEAD"))
            assert check(resp), (i, resp)
        # Nothing extra was sent, and the connection is still usable.
        assert c.request("GET", "/hello").status == 200
        assert c.buf == b""


def test_pipeline_with_stream_in_the_middle(server):
    with server.conn() as c:
        c.send(build("GET", "/items/1") + build("GET", "/stream?n=3") + build("GET", "/items/2"))
        assert c.read_response().json()["item_id"] == 1
        r = c.read_response()
        assert r.header("Transfer-Encoding") == "chunked"
        assert r.body == b"chunk 1 of 3\nchunk 2 of 3\nchunk 3 of 3\n"
        assert c.read_response().json()["item_id"] == 2


def split_stream():
    return (
        build("POST", "/echo", [("Content-Type", "text/plain")], b"hello")
        + build("GET", "/items/7?q=z")
    )


def test_pipeline_split_at_every_offset(server):
    data = split_stream()
    step = 3 if SANITIZED else 1
    for cut in range(1, len(data), step):
        with server.conn() as c:
            c.send(data[:cut])
            c.send(data[cut:])
            r1 = c.read_response()
            assert r1.status == 200 and r1.body == b"hello", (cut, r1)
            r2 = c.read_response()
            assert r2.json() == {"item_id": 7, "q": "z"}, (cut, r2)


def test_chunked_pipeline_split_at_every_offset(server):
    # The chunked decoder works in place across reads: every split point of a chunked request
    # (extension, trailer) followed by another request must give the same two answers.
    data = build("POST", "/echo", [("Transfer-Encoding", "chunked"), ("Content-Type", "t/p")],
                 rawhttp.chunked([b"abc", b"de"], ext="e=1", trailers=[("T", "x")]))
    data += build("GET", "/items/8")
    step = 3 if SANITIZED else 1
    for cut in range(1, len(data), step):
        with server.conn() as c:
            c.send(data[:cut])
            c.send(data[cut:])
            r1 = c.read_response()
            assert r1.status == 200 and r1.body == b"abcde", (cut, r1)
            assert c.read_response().json() == {"item_id": 8, "q": None}, cut


def test_pipeline_split_after_first_response(server):
    # Split points inside the second request, after the first answer was read: the server must
    # have kept the partial second request.
    data = split_stream()
    first_len = len(build("POST", "/echo", [("Content-Type", "text/plain")], b"hello"))
    for cut in range(first_len + 1, len(data)):
        with server.conn() as c:
            c.send(data[:cut])
            assert c.read_response().body == b"hello", cut
            c.send(data[cut:])
            assert c.read_response().json() == {"item_id": 7, "q": "z"}, cut


def test_many_pipelined_requests(server):
    """More responses than fit in one output buffer (8 KB): order and completeness."""
    n = scaled(200, 150)
    pad = "p" * 100
    reqs = []
    for i in range(n):
        if i % 10 == 3:
            reqs.append(build("HEAD", f"/items/{i}?q={pad}"))
        elif i % 10 == 7:
            reqs.append(build("POST", "/echo", [("Content-Type", "text/plain")], f"echo-{i}".encode()))
        else:
            reqs.append(build("GET", f"/items/{i}?q={pad}"))
    data = b"".join(reqs)
    assert len(data) > 8192 * 2
    with server.conn(timeout=20) as c:
        # Send from a thread so the test cannot deadlock on full socket buffers whatever order
        # the server reads and writes in.
        sender = threading.Thread(target=c.send, args=(data,))
        sender.start()
        total = 0
        for i in range(n):
            if i % 10 == 3:
                r = c.read_response(head=True)
                assert r.status == 200 and r.body == b"", i
                assert int(r.header("Content-Length")) == len(f'{{"item_id":{i},"q":"{pad}"}}')
            elif i % 10 == 7:
                r = c.read_response()
                assert r.body == f"echo-{i}".encode(), (i, r)
            else:
                r = c.read_response()
                assert r.status == 200 and r.json() == {"item_id": i, "q": pad}, (i, r)
                total += len(r.body)
        sender.join(10)
        assert not sender.is_alive()
        assert total > 8192
        assert c.request("GET", "/hello").status == 200


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_pipelined_large_bodies(server, framing):
    # Requests that need a body buffer, pipelined with small ones in one send.
    data = bytes(range(256)) * 120  # 30720 bytes: more than an I/O buffer
    if framing == "chunked":
        big = build("POST", "/digest", [("Transfer-Encoding", "chunked")],
                    rawhttp.chunked([data[i : i + 3000] for i in range(0, len(data), 3000)]))
    else:
        big = build("POST", "/digest", (), data)
    with server.conn(timeout=20) as c:
        c.send(big + build("GET", "/items/5") + big
               + build("POST", "/echo", [("Content-Type", "a/b")], b"tail"))
        rawhttp.check_digest(c.read_response(), data)
        assert c.read_response().json() == {"item_id": 5, "q": None}
        rawhttp.check_digest(c.read_response(), data)
        assert c.read_response().body == b"tail"


@pytest.mark.parametrize("n", [2, 50])
def test_pipelined_then_close(server, n):
    """The last pipelined request asks to close: every response before it is delivered, then
    the connection closes."""
    data = b"".join(build("GET", f"/items/{i}") for i in range(n - 1))
    data += build("GET", f"/items/{n - 1}", [("Connection", "close")])
    with server.conn() as c:
        c.send(data)
        for i in range(n):
            r = c.read_response()
            assert r.json()["item_id"] == i
        assert r.header("Connection") == "close"
        c.expect_closed()


def test_pipelined_request_after_error_is_not_answered(server):
    with server.conn() as c:
        c.send(build("GET", "/items/1") + b"GET /x HTTP/1.1\r\nBad Header: 1\r\n\r\n" + build("GET", "/items/2"))
        assert c.read_response().status == 200
        r = c.read_response()
        assert r.status == 400 and r.header("Connection") == "close"
        c.expect_closed()


@pytest.mark.parametrize("first", ["/hello", "/"])
def test_pipelined_after_static_body_response(server, first):
    with server.conn(timeout=1.5) as c:
        c.send(build("GET", first) + build("GET", "/items/1") + build("GET", "/nope"))
        assert c.read_response().status == 200
        assert c.read_response().json() == {"item_id": 1, "q": None}
        assert c.read_response().status == 404
