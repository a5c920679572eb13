"""StreamingResponse through real sockets (apps/stream_app.py): chunk framing, producers of
every kind, HEAD, HTTP/1.0, Content-Length, keep-alive after a stream, an exception mid-stream
(no false terminator), a client that leaves (producer stopped, cleanup and background tasks
run), a reader that does not read (the producer waits: memory stays bounded), never gzip."""

import socket
import time

import pytest

from pyapi_http import ProtocolError, build

TIMEOUT = 10


@pytest.fixture
def app(start_app):
    return start_app("stream_app.py", access_log=False)


def get(srv, path, headers=(), version="HTTP/1.1", method="GET"):
    with srv.conn() as c:
        c.send(build(method, path, headers, version=version))
        return c.read_response(head=(method == "HEAD"))


def state(srv):
    with srv.conn() as c:
        r = c.request("GET", "/state", [("Connection", "close")])
        assert r.status == 200
        return r.json()


def wait_state(srv, predicate, what, timeout=15.0):
    deadline = time.monotonic() + timeout
    while True:
        s = state(srv)
        if predicate(s):
            return s
        if time.monotonic() > deadline:
            pytest.fail("never reached {}: {}".format(what, s))
        time.sleep(0.02)


def expected_numbered(n, size):
    out = []
    for i in range(n):
        line = "chunk %d " % i
        out.append(line + "x" * max(0, size - len(line) - 1) + "\n")
    return "".join(out).encode()


def test_sync_generator_is_chunked(app):
    r = get(app, "/sync?n=5&size=16")
    assert r.status == 200
    assert r.header("transfer-encoding") == "chunked"
    assert r.header("content-length") is None
    assert r.header("content-type") == "text/plain; charset=utf-8"
    assert r.body == expected_numbered(5, 16)
    # Each item is one chunk of its exact size (hex, no padding), then the terminator.
    assert [len(data) for _, data in r.chunks] == [16] * 5
    assert all(line == b"10\r\n" for line, _ in r.chunks)
    assert r.raw_body.endswith(b"0\r\n\r\n")


def test_large_body_passes_the_credit_many_times(app):
    # 2,000 chunks of 1,000 bytes: far more than one stream may hold in the engine (7 KB).
    r = get(app, "/sync?n=2000&size=1000")
    assert r.body == expected_numbered(2000, 1000)
    s = app.stats()
    assert s["stream_bytes"] >= 2000 * 1000
    assert s["bridge"]["writable_events"] >= 1  # the producer did wait for credit


def test_list_of_str_and_bytes(app):
    r = get(app, "/list")
    assert r.body == "alpha,beta,gamma \xe9".encode()
    assert len(r.chunks) == 3  # the empty item is skipped: it would end the body


def test_async_iterator_class(app):
    r = get(app, "/async?n=3")
    assert r.body == b"n=2\nn=1\nn=0\n"
    assert r.header("x-kind") == "async"
    assert "countdown closed" in wait_state(app, lambda s: "countdown closed" in s["events"],
                                            "aclose")["events"]


def test_iterate_helper(app):
    r = get(app, "/iterate?n=4")
    assert r.body == b"step 3\nstep 2\nstep 1\nstep 0\n"
    assert r.header("content-type") is None  # no media type given
    wait_state(app, lambda s: "iterate closed" in s["events"], "iterate's close")


def test_head_sends_the_head_only(app):
    with app.conn() as c:
        c.send(build("HEAD", "/sync?n=5"))
        r = c.read_response(head=True)
        assert r.status == 200
        assert r.header("transfer-encoding") == "chunked"
        # No byte of body: the next response on this connection starts right away.
        r2 = c.request("GET", "/sync?n=1&size=8")
        assert r2.status == 200 and r2.body == expected_numbered(1, 8)


def test_http10_ends_at_close(app):
    r = get(app, "/sync?n=3&size=10", version="HTTP/1.0")
    assert r.version == "HTTP/1.0" or r.version == "HTTP/1.1"
    assert r.header("transfer-encoding") is None
    assert r.header("content-length") is None
    assert r.header("connection") == "close"
    assert r.body == expected_numbered(3, 10)


def test_keep_alive_after_a_stream(app):
    with app.conn() as c:
        for n in (1, 3, 2):
            r = c.request("GET", "/sync?n=%d&size=12" % n)
            assert r.body == expected_numbered(n, 12)
        r = c.request("GET", "/state")
        assert r.status == 200


def test_content_length_set_by_the_app(app):
    r = get(app, "/length")
    assert r.header("content-length") == "100"
    assert r.header("transfer-encoding") is None
    assert r.body == b"0123456789" * 10


def test_content_length_not_reached_closes(app):
    with app.conn() as c:
        c.send(build("GET", "/length?short=1"))
        with pytest.raises(ProtocolError):
            c.read_response()  # 50 of 100 bytes, then the connection closes
    assert app.stats()["stream_aborts"] >= 1


def test_exception_mid_stream_has_no_terminator(app):
    with app.conn() as c:
        c.send(build("GET", "/error?after=2"))
        raw = c.read_until_close()
    head, _, body = raw.partition(b"\r\n\r\n")
    assert b"transfer-encoding: chunked" in head.lower()
    assert body == b"5\r\nok 0\n\r\n5\r\nok 1\n\r\n"  # the chunks, and no "0\r\n\r\n"
    err = app.wait_output("producer failed after 2 chunks", stream="stderr")
    assert "Exception in streaming response for GET /error" in err
    s = app.stats()
    assert s["stream_aborts"] >= 1 and s["python"]["errors"] >= 1
    # The server goes on serving.
    assert get(app, "/sync?n=1&size=8").body == expected_numbered(1, 8)


def test_disconnect_stops_a_sync_producer(app):
    c = app.conn()
    c.send(build("GET", "/endless?size=1024"))
    got = b""
    while len(got) < 20000:
        got += c.sock.recv(65536)
    c.close()
    s = wait_state(app, lambda s: s["background"] == 1, "background task after disconnect")
    assert s["closed"] == 1 and s["cleanup"] == 1
    ev = s["events"]
    assert ev.index("generator closed") < ev.index("dependency cleanup") < \
        ev.index("background endless")
    st = app.wait_stats(lambda st: st["streams_open"] == 0, what="stream closed")
    assert st["stream_disconnects"] >= 1


def test_disconnect_cancels_an_awaiting_producer(app):
    c = app.conn()
    c.send(build("GET", "/stalled"))
    c.sock.settimeout(TIMEOUT)
    got = b""
    while b"first" not in got:
        got += c.sock.recv(4096)
    c.close()
    s = wait_state(app, lambda s: s["background"] == 1, "background task after disconnect")
    assert s["cancelled"] == 1  # CancelledError reached the producer's own await
    assert s["closed"] == 1 and s["cleanup"] == 1
    ev = s["events"]
    assert ev.index("producer cancelled") < ev.index("stalled closed") < \
        ev.index("dependency cleanup") < ev.index("background stalled")


def produced_when_stalled(srv):
    """Waits until the endless producer stops making progress; returns its byte count."""
    last = -1
    stable = 0
    deadline = time.monotonic() + 20
    while stable < 5:
        if time.monotonic() > deadline:
            pytest.fail("the producer never stopped: it is not held back")
        time.sleep(0.1)
        now = state(srv)["produced"]
        stable = stable + 1 if now == last and now > 0 else 0
        last = now
    return last


def test_slow_reader_holds_the_producer_back(start_app):
    srv = start_app("stream_app.py", access_log=False, stream_buffer_bytes=2048)
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", srv.port))
    try:
        s.sendall(build("GET", "/endless?size=4096"))
        # The client reads nothing: the producer must stop once the socket buffers and the
        # stream's 2 KB in the engine are full, instead of producing without bound.
        produced = produced_when_stalled(srv)
        st = srv.stats()
        assert produced < 8 << 20, produced
        # Everything produced was accepted by the engine but the rest of the last item, which
        # waits for credit: nothing piles up in Python.
        assert 0 <= produced - st["stream_bytes"] < 4096
        assert st["streams_open"] == 1
        assert st["io_buffers_in_use"] <= 4
        # Now read it all: the producer resumes, and the bytes arrive intact.
        s.settimeout(TIMEOUT)
        got = 0
        while got < produced + 100000:
            data = s.recv(1 << 16)
            assert data
            assert data == b"e" * len(data) or b"\r\n" in data
            got += len(data)
        assert state(srv)["produced"] > produced
    finally:
        s.close()
    srv.wait_stats(lambda st: st["streams_open"] == 0, what="stream closed")


def test_stream_is_never_gzipped(app):
    r = get(app, "/sync?n=50&size=100", headers=[("Accept-Encoding", "gzip")])
    assert r.header("content-encoding") is None
    assert r.body == expected_numbered(50, 100)
    assert app.stats()["gzip_responses"] == 0


def test_other_requests_are_served_while_streams_wait(app):
    conns = []
    for _ in range(3):
        c = app.conn()
        c.send(build("GET", "/stalled"))
        conns.append(c)
    for c in conns:
        c.sock.settimeout(TIMEOUT)
        got = b""
        while b"first" not in got:
            got += c.sock.recv(4096)
    st = app.stats()
    assert st["streams_open"] == 3
    # Each waiting stream holds its output buffer only (the stats request holds two more).
    assert st["io_buffers_in_use"] <= 3 + 2
    assert get(app, "/sync?n=2&size=8").body == expected_numbered(2, 8)
    for c in conns:
        c.close()
    app.wait_stats(lambda st: st["streams_open"] == 0, what="streams closed")
    wait_state(app, lambda s: s["background"] == 3, "three cleanups")


def test_counters(app):
    get(app, "/sync?n=4&size=10")
    s = app.stats()
    assert s["streams_started"] >= 1
    assert s["stream_bytes"] >= 40
    assert s["python"]["streams"] >= 1


def test_large_window_in_a_body_buffer(start_app):
    # stream_buffer_bytes beyond an I/O buffer: the stream borrows a body buffer (64 KB window)
    # and gives it back at its end.
    srv = start_app("stream_app.py", access_log=False, stream_buffer_bytes=65536)
    r = get(srv, "/sync?n=200&size=20000")
    assert r.body == expected_numbered(200, 20000)
    st = srv.wait_stats(lambda st: st["streams_open"] == 0, what="stream closed")
    assert st["body_buffers_in_use"] == 0
    assert st["stream_bytes"] == 200 * 20000


def test_errors_before_the_head_are_500s(app):
    for path in ("/badlength", "/notiterable"):
        r = get(app, path)
        assert r.status == 500, (path, r)
        assert r.body == b"Internal Server Error", (path, r)  # plain text, as Starlette
    assert app.stats()["streams_started"] == 0
