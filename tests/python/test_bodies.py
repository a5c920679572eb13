"""Request bodies: Content-Length and chunked, Expect: 100-continue, max_body_bytes, bodies split
across many sends (SPEC §4)."""

import os
import random
import threading

import pytest
import requests

import rawhttp
from conftest import SANITIZED, scaled
from rawhttp import build, check_digest, chunked


def post(srv, path, body, headers=()):
    with srv.conn(timeout=20) as c:
        return c.request("POST", path, headers, body)


# --- Content-Length --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body,ctype",
    [
        (b"hello world", "text/plain"),
        (bytes(range(256)), "application/octet-stream"),
        (b'{"a":[1,2,3]}', "application/json"),
        (b"\r\n\r\nGET / HTTP/1.1\r\n\r\n", "text/plain"),  # looks like a request, is a body
    ],
)
def test_echo_small(server, body, ctype):
    r = post(server, "/echo", body, [("Content-Type", ctype)])
    assert r.status == 200
    assert r.header("Content-Type") == ctype
    assert r.body == body


def test_echo_without_content_type(server):
    r = post(server, "/echo", b"raw", [])
    assert r.header("Content-Type") == "application/octet-stream" and r.body == b"raw"


def test_empty_body(server):
    r = post(server, "/echo", b"", [("Content-Length", "0"), ("Content-Type", "text/plain")])
    assert r.status == 200 and r.body == b""
    with server.conn() as c:
        c.send(b"POST /digest HTTP/1.1\r\nHost: t\r\n\r\n")  # no framing at all: empty body
        check_digest(c.read_response(), b"")


@pytest.mark.parametrize("size", [1, 8000, 8192, 20000, 65536])
def test_digest_content_length(server, size):
    body = random.Random(size).randbytes(size)
    check_digest(post(server, "/digest", body), body)


def test_digest_with_requests(server):
    body = os.urandom(50000)
    r = requests.post(server.url("/digest"), data=body)
    assert r.status_code == 200
    assert r.json()["length"] == len(body)
    assert r.json()["fnv1a64"] in (rawhttp.fnv1a64(body),)


def test_digest_is_standard_fnv1a64(server):
    r = post(server, "/digest", b"abc")
    assert r.json() == {"length": 3, "fnv1a64": "e71fa2190541574b"}
    assert rawhttp.fnv1a64(b"abc") == "e71fa2190541574b"  # the published test vector


def test_body_keeps_connection_usable(server):
    with server.conn() as c:
        for i in range(5):
            body = os.urandom(3000 * (i + 1))
            c.send(build("POST", "/digest", (), body))
            check_digest(c.read_response(), body)
        assert c.request("GET", "/hello").status == 200


def test_echo_too_large_for_output_buffer_is_handler_413(server):
    r = post(server, "/echo", b"x" * 6000, [("Content-Type", "text/plain")])
    assert r.status == 413
    assert r.json() == {"detail": "echo is limited to the output buffer; use /digest"}


# --- chunked -----------------------------------------------------------------------------------


def test_chunked_echo_raw(server):
    body = chunked([b"hello", b" ", b"world"])
    r = post(server, "/echo", body, [("Transfer-Encoding", "chunked"), ("Content-Type", "text/plain")])
    assert r.status == 200 and r.body == b"hello world"


def test_chunked_with_extensions_and_trailers(server):
    body = (
        b"5;name=value\r\nhello\r\n"
        b"1 ; ext\r\n \r\n"
        b"A;a=1;b=\"quoted\"\r\n0123456789\r\n"
        b"0;last\r\n"
        b"X-Trailer: one\r\nX-Other: two\r\n\r\n"
    )
    with server.conn() as c:
        r = c.request("POST", "/echo", [("Transfer-Encoding", "chunked"), ("Content-Type", "text/plain")], body)
        assert r.status == 200 and r.body == b"hello 0123456789"
        # The trailers were consumed: the next request on the connection parses cleanly.
        assert c.request("GET", "/hello").status == 200


def test_chunked_uppercase_hex_and_leading_zeros(server):
    body = b"000A\r\n0123456789\r\n00\r\n\r\n"
    r = post(server, "/echo", body, [("Transfer-Encoding", "Chunked"), ("Content-Type", "a/b")])
    assert r.status == 200 and r.body == b"0123456789"


def test_chunked_large(server):
    data = random.Random(7).randbytes(60000)
    pieces = [data[i : i + 4000] for i in range(0, len(data), 4000)]
    r = post(server, "/digest", chunked(pieces), [("Transfer-Encoding", "chunked")])
    check_digest(r, data)


def test_chunked_with_requests_generator(server):
    data = random.Random(3).randbytes(30000)

    def gen():
        for i in range(0, len(data), 1000):
            yield data[i : i + 1000]

    r = requests.post(server.url("/digest"), data=gen())
    assert r.status_code == 200
    assert r.json()["length"] == len(data)
    assert r.json()["fnv1a64"] in (rawhttp.fnv1a64(data),)


def test_chunked_then_pipelined_request(server):
    with server.conn() as c:
        c.send(build("POST", "/echo", [("Transfer-Encoding", "chunked"), ("Content-Type", "t/p")],
                     chunked([b"ab", b"cd"])) + build("GET", "/items/9"))
        assert c.read_response().body == b"abcd"
        assert c.read_response().json()["item_id"] == 9


# --- bodies completed while other connections are served -------------------------------------



def start_body(srv, head_extra, first_part):
    """Sends a head (with Expect: 100-continue) and part of the body; returns once the server
    has parsed the head (the 100 Continue arrived)."""
    c = srv.conn()
    c.send(b"POST /digest HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n" + head_extra
           + b"\r\n" + first_part)
    assert c.read_response().status == 100
    return c


@pytest.mark.parametrize("other", ["get", "post-other-length"])
def test_body_completes_after_other_connection_request(server, other):
    body = bytes(range(100))
    with start_body(server, b"Content-Length: 100\r\n", body[:40]) as a:
        with server.conn() as b:
            if other == "get":
                assert b.request("GET", "/hello").status == 200
            else:
                check_digest(b.request("POST", "/digest", (), b"x" * 7), b"x" * 7)
        a.send(body[40:])
        check_digest(a.read_response(), body)


def test_chunked_body_completes_after_other_connection_request(server):
    with start_body(server, b"Transfer-Encoding: chunked\r\n", b"5\r\nhello\r\n") as a:
        with server.conn() as b:
            assert b.request("GET", "/hello").status == 200
        a.send(b"6\r\n world\r\n0\r\n\r\n")
        check_digest(a.read_response(), b"hello world")


def test_body_completes_after_other_connection_same_shape(server):
    # Control for the two tests above: when the other request has the same framing, the body
    # is right (so those failures are about the shared request state, not about interleaving).
    body = bytes(range(100))
    with start_body(server, b"Content-Length: 100\r\n", body[:40]) as a:
        with server.conn() as b:
            other = b"y" * 100
            check_digest(b.request("POST", "/digest", (), other), other)
        a.send(body[40:])
        check_digest(a.read_response(), body)


# --- Expect: 100-continue ------------------------------------------------------------------------


def test_expect_100_continue(server):
    with server.conn() as c:
        c.send(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\n"
               b"Content-Length: 11\r\nExpect: 100-continue\r\n\r\n")
        # The interim response arrives before any body byte was sent.
        r = c.read_response()
        assert r.status == 100 and r.reason == "Continue" and r.headers == []
        c.send(b"hello world")
        r = c.read_response()
        assert r.status == 200 and r.body == b"hello world"
        assert c.request("GET", "/hello").status == 200


def test_expect_100_continue_case_insensitive_chunked(server):
    with server.conn() as c:
        c.send(b"POST /digest HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
               b"Expect: 100-Continue\r\n\r\n")
        assert c.read_response().status == 100
        c.send(chunked([b"abc", b"def"]))
        check_digest(c.read_response(), b"abcdef")


def test_expect_100_continue_body_already_sent(server):
    # The whole body came with the head: no 100 is needed, only the final response.
    with server.conn() as c:
        c.send(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: t/p\r\nContent-Length: 3\r\n"
               b"Expect: 100-continue\r\n\r\nabc")
        r = c.read_response()
        assert r.status == 200 and r.body == b"abc"


def test_expect_100_continue_ignored_in_http10(server):
    # RFC 9110 §10.1.1: a 100-continue expectation in an HTTP/1.0 request is ignored: the first
    # response the client reads is the final one.
    head = b"POST /echo HTTP/1.0\r\nContent-Type: a/b\r\nContent-Length: 3\r\n"
    with server.conn() as c:
        c.send(head + b"Expect: 100-continue\r\n\r\n")
        # A round trip through the server loop on another connection, so the head above has
        # been read before the body is sent (a 100 would be on the wire by then).  Same framing
        # on purpose: see test_body_completes_after_other_connection_request.
        with server.conn() as other:
            other.send(head + b"\r\nxyz")
            assert other.read_response().body == b"xyz"
        c.send(b"abc")
        r = c.read_response()
        assert r.status == 200 and r.body == b"abc"
        c.expect_closed()


def test_expect_100_continue_over_limit_is_413_without_100(make_server):
    srv = make_server("--max-body-bytes", "1000")
    with srv.conn() as c:
        c.send(b"POST /digest HTTP/1.1\r\nHost: t\r\nContent-Length: 1001\r\n"
               b"Expect: 100-continue\r\n\r\n")
        r = c.read_response()
        assert r.status == 413
        assert r.header("Connection") == "close"
        assert r.json() == {"detail": "request body too large"}
        c.expect_closed()
    st = srv.stats()
    assert st["status"]["100"] == 0 and st["status"]["413"] == 1


# --- max_body_bytes ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_body_server(module_server_factory):
    return module_server_factory("--max-body-bytes", "200")


def test_content_length_at_limit(small_body_server):
    body = b"b" * 200
    check_digest(post(small_body_server, "/digest", body), body)


def test_content_length_over_limit(small_body_server):
    before = small_body_server.stats()
    with small_body_server.conn() as c:
        c.send(build("POST", "/digest", (), b"b" * 201))
        r = c.read_response()
        assert r.status == 413 and r.header("Connection") == "close"
        assert r.json() == {"detail": "request body too large"}
        c.expect_closed()
    after = small_body_server.stats()
    assert after["parse_errors"]["payload_too_large"] - before["parse_errors"]["payload_too_large"] == 1
    assert post(small_body_server, "/digest", b"ok").status == 200


def test_huge_content_length_is_413(small_body_server):
    for value in ("99999999999", "9999999999999999999"):
        with small_body_server.conn() as c:
            c.send(f"POST /digest HTTP/1.1\r\nHost: t\r\nContent-Length: {value}\r\n\r\n".encode())
            r = c.read_response()
            assert r.status == 413, value
            c.expect_closed()


@pytest.mark.parametrize("pieces", [[200], [100, 100], [1] * 200, [199, 1]])
def test_chunked_at_limit(small_body_server, pieces):
    data = random.Random(len(pieces)).randbytes(sum(pieces))
    parts, pos = [], 0
    for n in pieces:
        parts.append(data[pos : pos + n])
        pos += n
    r = post(small_body_server, "/digest", chunked(parts), [("Transfer-Encoding", "chunked")])
    check_digest(r, data)


@pytest.mark.parametrize("pieces", [[201], [100, 101], [200, 1], [1] * 201, [0x7FFFFFFF]])
def test_chunked_over_limit(small_body_server, pieces):
    if pieces == [0x7FFFFFFF]:
        body = b"7fffffff\r\n" + b"x" * 300  # the size line alone is over the limit
    else:
        body = chunked([b"c" * n for n in pieces])
    with small_body_server.conn() as c:
        c.send(build("POST", "/digest", [("Transfer-Encoding", "chunked")], body))
        r = c.read_response()
        assert r.status == 413 and r.header("Connection") == "close"
        assert r.json() == {"detail": "Request body too large"}
        c.expect_closed()
    assert post(small_body_server, "/digest", b"ok").status == 200


# --- bodies split across many sends -----------------------------------------------------------


def test_content_length_body_in_small_pieces(server):
    body = random.Random(11).randbytes(scaled(3000, 1000))
    with server.conn(timeout=30) as c:
        c.send(f"POST /digest HTTP/1.1\r\nHost: t\r\nContent-Length: {len(body)}\r\n\r\n".encode())
        c.send_slowly(body, piece=7)
        check_digest(c.read_response(), body)


def test_large_body_in_pieces_grows_to_body_buffer(server):
    # Head + body exceed one 8 KB I/O buffer: the request moves to a body buffer mid-stream.
    body = random.Random(12).randbytes(40000)
    with server.conn(timeout=30) as c:
        c.send_slowly(build("POST", "/digest", (), body), piece=997)
        check_digest(c.read_response(), body)
        assert c.request("GET", "/items/1").status == 200


def test_whole_request_one_byte_at_a_time(server):
    data = build("POST", "/echo", [("Content-Type", "text/plain")], b"byte by byte")
    with server.conn(timeout=30) as c:
        c.send_slowly(data, piece=1)
        r = c.read_response()
        assert r.status == 200 and r.body == b"byte by byte"


def test_chunked_framing_one_byte_at_a_time(server):
    body = chunked([b"abc", b"defgh", b"i" * 20], ext="x=y", trailers=[("T", "v")])
    with server.conn(timeout=30) as c:
        c.send(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: t/p\r\nTransfer-Encoding: chunked\r\n\r\n")
        c.send_slowly(body, piece=1)
        r = c.read_response()
        assert r.status == 200 and r.body == b"abcdefgh" + b"i" * 20


def test_chunked_large_in_pieces(server):
    data = random.Random(13).randbytes(scaled(30000, 20000))
    pieces = [data[i : i + 1500] for i in range(0, len(data), 1500)]
    with server.conn(timeout=30) as c:
        c.send(b"POST /digest HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
        c.send_slowly(chunked(pieces), piece=333 if not SANITIZED else 1000)
        check_digest(c.read_response(), data)


# --- body buffers and lingering close ---------------------------------------------------------


def test_body_buffers_exhausted_gets_503(make_server):
    srv = make_server("--body-buffers", "1")
    body = random.Random(5).randbytes(30000)
    head = f"POST /digest HTTP/1.1\r\nHost: t\r\nContent-Length: {len(body)}\r\n".encode()
    a = srv.conn()
    try:
        # A needs the only body buffer (head + body exceed an I/O buffer) and holds it.
        a.send(head + b"Expect: 100-continue\r\n\r\n" + body[:1000])
        assert a.read_response().status == 100
        with srv.conn() as b:
            b.send(head + b"\r\n" + body[:1000])
            r = b.read_response()
            assert r.status == 503 and r.header("Connection") == "close"
            assert r.json() == {"detail": "Server has no free body buffer"}
            b.expect_closed()
        a.send(body[1000:])
        check_digest(a.read_response(), body)
        # The buffer went back to the pool: the next large body is served.
        with srv.conn() as b:
            check_digest(b.request("POST", "/digest", (), body), body)
            b.close_and_wait()
    finally:
        a.close()
    st = srv.stats()
    assert st["body_buffers_exhausted"] == 1 and st["status"]["503"] == 1
    assert st["body_buffers_in_use"] == 0


def test_error_response_readable_while_client_keeps_sending(small_body_server):
    """413 on the head while the client is still sending a large body: the server lingers
    (discards input) instead of resetting the connection, so the client reads the response."""
    body = b"z" * 300000
    with small_body_server.conn(timeout=10) as c:
        c.send(f"POST /digest HTTP/1.1\r\nHost: t\r\nContent-Length: {len(body)}\r\n\r\n".encode())

        def pump():
            try:
                c.sock.sendall(body)
            except OSError:
                pass  # the server may close once it has discarded enough

        t = threading.Thread(target=pump)
        t.start()
        r = c.read_response()
        assert r.status == 413 and r.header("Connection") == "close"
        assert r.json() == {"detail": "request body too large"}
        t.join(15)
        assert not t.is_alive()
