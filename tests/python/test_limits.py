"""Request limits and malformed requests: the right status, a JSON body naming the problem,
Connection: close, the connection closed, counters, and the server keeps serving (SPEC §4, §5)."""

import subprocess

import pytest

from conftest import DEMO, POLLER
from rawhttp import chunked

MAX_URI = 100
MAX_HEAD = 1024
MAX_HEADERS = 10

BAD_REQUEST = "malformed request"
BAD_CHUNKED = "Malformed chunked body"


@pytest.fixture(scope="module")
def srv(module_server_factory):
    return module_server_factory(
        "--max-uri-bytes", MAX_URI, "--max-header-bytes", MAX_HEAD, "--max-headers", MAX_HEADERS
    )


def assert_refused(srv, data, status, detail, counter, send_slowly=False):
    """Sends `data`, expects one error response then the close, checks the counters and that a
    new connection is served."""
    before = srv.stats()
    with srv.conn() as c:
        if send_slowly:
            c.send_slowly(data, piece=1)
        else:
            c.send(data)
        r = c.read_response()
        assert r.status == status, r
        assert r.header("Connection") == "close", r
        assert r.header("Content-Type") == "application/json"
        assert r.json() == {"detail": detail}
        c.expect_closed()
    after = srv.stats()
    assert after["status"][str(status)] - before["status"][str(status)] == 1
    if counter is not None:
        assert after["parse_errors"][counter] - before["parse_errors"][counter] == 1
        others = {k: v for k, v in after["parse_errors"].items() if k != counter}
        assert others == {k: v for k, v in before["parse_errors"].items() if k != counter}
    else:
        assert after["parse_errors"] == before["parse_errors"]
    with srv.conn() as c:
        assert c.request("GET", "/hello").status == 200


def head_with_padding(total, extra_headers=""):
    """A GET head of exactly `total` bytes (request line through the final CRLF CRLF)."""
    base = f"GET /hello HTTP/1.1\r\nHost: t\r\n{extra_headers}X-Pad: \r\n\r\n"
    pad = total - len(base)
    assert pad >= 0
    data = base.replace("X-Pad: ", "X-Pad: " + "p" * pad).encode()
    assert len(data) == total
    return data


# --- URI ------------------------------------------------------------------------------------------


def test_uri_at_limit(srv):
    target = "/files/" + "a" * (MAX_URI - 7)
    assert len(target) == MAX_URI
    with srv.conn() as c:
        r = c.request("GET", target)
    assert r.status == 200 and r.json() == {"path": "a" * (MAX_URI - 7)}


def test_uri_with_query_at_limit(srv):
    target = "/items/1?q=" + "z" * (MAX_URI - 11)
    assert len(target) == MAX_URI
    with srv.conn() as c:
        r = c.request("GET", target)
    assert r.status == 200 and r.json()["q"] == "z" * (MAX_URI - 11)


def test_uri_one_past_limit(srv):
    target = "/files/" + "a" * (MAX_URI - 6)
    assert len(target) == MAX_URI + 1
    assert_refused(srv, f"GET {target} HTTP/1.1\r\nHost: t\r\n\r\n".encode(), 414,
                   "request-target too long", "uri_too_long")


def test_long_uri_refused_before_the_line_ends(srv):
    # No CRLF yet: the server must answer as soon as the target is too long.
    with srv.conn() as c:
        c.send(b"GET /" + b"a" * (MAX_URI + 50))
        r = c.read_response()
        assert r.status == 414 and r.header("Connection") == "close"
        c.expect_closed()


# --- head size and header count ---------------------------------------------------------------


def test_head_bytes_at_limit(srv):
    with srv.conn() as c:
        c.send(head_with_padding(MAX_HEAD))
        r = c.read_response()
        assert r.status == 200 and r.body == b'{"message":"hello"}'


def test_head_bytes_one_past_limit(srv):
    assert_refused(srv, head_with_padding(MAX_HEAD + 1), 431, "request header fields too large",
                   "headers_too_large")


def test_endless_head_refused_early(srv):
    with srv.conn() as c:
        c.send(b"GET /hello HTTP/1.1\r\nHost: t\r\nX-Long: " + b"v" * (MAX_HEAD + 100))
        r = c.read_response()
        assert r.status == 431 and r.header("Connection") == "close"
        c.expect_closed()


def headers_block(n):
    """`n` header lines including Host."""
    return "Host: t\r\n" + "".join(f"X-H{i}: {i}\r\n" for i in range(n - 1))


def test_header_count_at_limit(srv):
    with srv.conn() as c:
        c.send(f"GET /hello HTTP/1.1\r\n{headers_block(MAX_HEADERS)}\r\n".encode())
        assert c.read_response().status == 200


def test_header_count_one_past_limit(srv):
    data = f"GET /hello HTTP/1.1\r\n{headers_block(MAX_HEADERS + 1)}\r\n".encode()
    assert_refused(srv, data, 431, "request header fields too large", "headers_too_large")


# --- malformed requests -----------------------------------------------------------------------

H = b"Host: t\r\n"

MALFORMED = [
    # request line
    ("no-space-after-method", b"GET/hello HTTP/1.1\r\n" + H + b"\r\n", 400, BAD_REQUEST, "bad_request"),
    ("http09-line", b"GET /hello\r\n" + H + b"\r\n", 400, BAD_REQUEST, "bad_request"),
    ("double-space", b"GET  /hello HTTP/1.1\r\n" + H + b"\r\n", 400, BAD_REQUEST, "bad_request"),
    ("trailing-space", b"GET /hello HTTP/1.1 \r\n" + H + b"\r\n", 400, BAD_REQUEST, "bad_request"),
    ("leading-space", b" GET /hello HTTP/1.1\r\n" + H + b"\r\n", 400, BAD_REQUEST, "bad_request"),
    ("lowercase-http", b"GET /hello http/1.1\r\n" + H + b"\r\n", 400, BAD_REQUEST, "bad_request"),
    ("relative-target", b"GET hello HTTP/1.1\r\n" + H + b"\r\n", 400, BAD_REQUEST, "bad_request"),
    ("space-in-target", b"GET /he llo HTTP/1.1\r\n" + H + b"\r\n", 400, BAD_REQUEST, "bad_request"),
    ("ctl-in-target", b"GET /he\x01llo HTTP/1.1\r\n" + H + b"\r\n", 400, BAD_REQUEST, "bad_request"),
    ("8bit-in-target", b"GET /caf\xc3\xa9 HTTP/1.1\r\n" + H + b"\r\n", 400, BAD_REQUEST, "bad_request"),
    ("fragment-in-target", b"GET /hello#x HTTP/1.1\r\n" + H + b"\r\n", 400, BAD_REQUEST, "bad_request"),
    ("star-with-get", b"GET * HTTP/1.1\r\n" + H + b"\r\n", 400, BAD_REQUEST, "bad_request"),
    ("bad-minor", b"GET /hello HTTP/1.x\r\n" + H + b"\r\n", 400, BAD_REQUEST, "bad_request"),
    ("long-version", b"GET /hello HTTP/1.10\r\n" + H + b"\r\n", 400, BAD_REQUEST, "bad_request"),
    ("three-blank-lines", b"\r\n\r\n\r\nGET /hello HTTP/1.1\r\n" + H + b"\r\n", 400, BAD_REQUEST, "bad_request"),
    # version
    ("http2", b"GET /hello HTTP/2.0\r\n" + H + b"\r\n", 505, "HTTP version not supported", "version_not_supported"),
    ("http3", b"GET /hello HTTP/3.0\r\n" + H + b"\r\n", 505, "HTTP version not supported", "version_not_supported"),
    ("http0", b"GET /hello HTTP/0.9\r\n" + H + b"\r\n", 505, "HTTP version not supported", "version_not_supported"),
    # Host
    ("no-host", b"GET /hello HTTP/1.1\r\n\r\n", 400, BAD_REQUEST, "bad_request"),
    ("two-hosts", b"GET /hello HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, BAD_REQUEST, "bad_request"),
    # framing (request smuggling defences)
    ("cl-and-te", b"POST /echo HTTP/1.1\r\n" + H + b"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"0\r\n\r\n", 400, BAD_REQUEST, "bad_request"),
    ("te-and-cl", b"POST /echo HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"
     b"0\r\n\r\n", 400, BAD_REQUEST, "bad_request"),
    ("duplicate-cl-equal", b"POST /echo HTTP/1.1\r\n" + H + b"Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
     400, BAD_REQUEST, "bad_request"),
    ("duplicate-cl-differ", b"POST /echo HTTP/1.1\r\n" + H + b"Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
     400, BAD_REQUEST, "bad_request"),
    ("cl-list", b"POST /echo HTTP/1.1\r\n" + H + b"Content-Length: 3, 3\r\n\r\nabc", 400, BAD_REQUEST, "bad_request"),
    ("cl-alpha", b"POST /echo HTTP/1.1\r\n" + H + b"Content-Length: abc\r\n\r\n", 400, BAD_REQUEST, "bad_request"),
    ("cl-negative", b"POST /echo HTTP/1.1\r\n" + H + b"Content-Length: -1\r\n\r\n", 400, BAD_REQUEST, "bad_request"),
    ("cl-plus", b"POST /echo HTTP/1.1\r\n" + H + b"Content-Length: +3\r\n\r\nabc", 400, BAD_REQUEST, "bad_request"),
    ("cl-hex", b"POST /echo HTTP/1.1\r\n" + H + b"Content-Length: 0x3\r\n\r\nabc", 400, BAD_REQUEST, "bad_request"),
    ("cl-empty", b"POST /echo HTTP/1.1\r\n" + H + b"Content-Length:\r\n\r\n", 400, BAD_REQUEST, "bad_request"),
    ("cl-20-digits", b"POST /echo HTTP/1.1\r\n" + H + b"Content-Length: 00000000000000000003\r\n\r\nabc",
     400, BAD_REQUEST, "bad_request"),
    ("te-gzip", b"POST /echo HTTP/1.1\r\n" + H + b"Transfer-Encoding: gzip\r\n\r\n", 501,
     "transfer-encoding not implemented", "not_implemented"),
    ("te-gzip-chunked", b"POST /echo HTTP/1.1\r\n" + H + b"Transfer-Encoding: gzip, chunked\r\n\r\n", 501,
     "transfer-encoding not implemented", "not_implemented"),
    ("te-twice", b"POST /echo HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"0\r\n\r\n", 400, BAD_REQUEST, "bad_request"),
    ("te-in-http10", b"POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, BAD_REQUEST,
     "bad_request"),
    # header syntax
    ("obs-fold", b"GET /hello HTTP/1.1\r\n" + H + b"X-A: a\r\n b\r\n\r\n", 400, BAD_REQUEST, "bad_request"),
    ("obs-fold-tab", b"GET /hello HTTP/1.1\r\n" + H + b"X-A: a\r\n\tb\r\n\r\n", 400, BAD_REQUEST, "bad_request"),
    ("space-before-colon", b"GET /hello HTTP/1.1\r\nHost : t\r\n\r\n", 400, BAD_REQUEST, "bad_request"),
    ("space-in-name", b"GET /hello HTTP/1.1\r\n" + H + b"Bad Header: 1\r\n\r\n", 400, BAD_REQUEST, "bad_request"),
    ("empty-name", b"GET /hello HTTP/1.1\r\n" + H + b": x\r\n\r\n", 400, BAD_REQUEST, "bad_request"),
    ("no-colon", b"GET /hello HTTP/1.1\r\n" + H + b"NoColon\r\n\r\n", 400, BAD_REQUEST, "bad_request"),
    ("ctl-in-value", b"GET /hello HTTP/1.1\r\n" + H + b"X-A: a\x01b\r\n\r\n", 400, BAD_REQUEST, "bad_request"),
    ("nul-in-value", b"GET /hello HTTP/1.1\r\n" + H + b"X-A: a\x00b\r\n\r\n", 400, BAD_REQUEST, "bad_request"),
    ("cr-in-value", b"GET /hello HTTP/1.1\r\n" + H + b"X-A: a\rb\r\n\r\n", 400, BAD_REQUEST, "bad_request"),
    # line ends
    ("bare-lf", b"GET /hello HTTP/1.1\nHost: t\n\n", 400, BAD_REQUEST, "bad_request"),
    ("bare-lf-in-headers", b"GET /hello HTTP/1.1\r\nHost: t\nX-A: b\r\n\r\n", 400, BAD_REQUEST, "bad_request"),
    ("bare-lf-at-end", b"GET /hello HTTP/1.1\r\nHost: t\r\n\n", 400, BAD_REQUEST, "bad_request"),
    # expectations
    ("expect-other", b"GET /hello HTTP/1.1\r\n" + H + b"Expect: something\r\n\r\n", 417,
     "expectation not supported", "expectation_failed"),
    ("expect-100-with-junk", b"POST /echo HTTP/1.1\r\n" + H + b"Content-Length: 1\r\nExpect: 100-continue2\r\n\r\nx",
     417, "expectation not supported", "expectation_failed"),
    # chunked body framing (found after the head: 400, not a parse_errors counter)
    ("chunk-size-not-hex", b"POST /echo HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n",
     400, BAD_CHUNKED, None),
    ("chunk-size-negative", b"POST /echo HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n-1\r\n\r\n",
     400, BAD_CHUNKED, None),
    ("chunk-size-empty", b"POST /echo HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n\r\nab\r\n0\r\n\r\n",
     400, BAD_CHUNKED, None),
    ("chunk-size-0x", b"POST /echo HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n0x2\r\nab\r\n0\r\n\r\n",
     400, BAD_CHUNKED, None),
    ("chunk-data-too-long", b"POST /echo HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n",
     400, BAD_CHUNKED, None),
    ("chunk-bare-lf", b"POST /echo HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n2\nab\r\n0\r\n\r\n",
     400, BAD_CHUNKED, None),
]


@pytest.mark.parametrize("name,data,status,detail,counter", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed(srv, name, data, status, detail, counter):
    assert_refused(srv, data, status, detail, counter)


@pytest.mark.parametrize("name", ["bare-lf", "te-gzip", "chunk-size-not-hex", "obs-fold", "http2"])
def test_malformed_sent_byte_by_byte(srv, name):
    """The verdict does not depend on how the bytes were split."""
    _, data, status, detail, counter = next(m for m in MALFORMED if m[0] == name)
    assert_refused(srv, data, status, detail, counter, send_slowly=True)


def test_chunk_extension_too_long(srv):
    body = b"3;" + b"e" * 300 + b"\r\nabc\r\n0\r\n\r\n"
    data = b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" + body
    assert_refused(srv, data, 400, BAD_CHUNKED, None)


def test_trailers_too_long(srv):
    body = chunked([b"abc"], trailers=[(f"X-T{i}", "v" * 200) for i in range(30)])
    data = b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" + body
    assert_refused(srv, data, 400, BAD_CHUNKED, None)


# --- accepted edge cases (the parser must not be stricter than HTTP) ------------------------------

ACCEPTED = [
    ("blank-lines-before", b"\r\n\r\nGET /hello HTTP/1.1\r\nHost: t\r\n\r\n"),
    ("absolute-form", b"GET http://example.com/hello HTTP/1.1\r\nHost: example.com\r\n\r\n"),
    ("http10-no-host", b"GET /hello HTTP/1.0\r\n\r\n"),
    ("http11-minor-9", b"GET /hello HTTP/1.9\r\nHost: t\r\n\r\n"),
    ("header-case", b"GET /hello HTTP/1.1\r\nhOsT: t\r\n\r\n"),
    ("no-ows", b"GET /hello HTTP/1.1\r\nHost:t\r\nX-A:b\r\n\r\n"),
    ("tab-ows", b"GET /hello HTTP/1.1\r\nHost:\tt\t\r\n\r\n"),
    ("empty-value", b"GET /hello HTTP/1.1\r\nHost: t\r\nX-Empty:\r\n\r\n"),
    ("obs-text-value", b"GET /hello HTTP/1.1\r\nHost: t\r\nX-A: caf\xc3\xa9\r\n\r\n"),
    ("te-chunked-uppercase", b"GET /hello HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: CHUNKED\r\n\r\n0\r\n\r\n"),
    ("cl-zero", b"GET /hello HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n"),
    ("cl-leading-zeros", b"GET /hello HTTP/1.1\r\nHost: t\r\nContent-Length: 0000\r\n\r\n"),
]


@pytest.mark.parametrize("name,data", ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_accepted(srv, name, data):
    with srv.conn() as c:
        c.send(data)
        r = c.read_response()
        assert r.status == 200, r
        assert r.body == b'{"message":"hello"}'


# --- option validation (SPEC §5: an invalid value is refused with the option's name) ----------


@pytest.mark.parametrize(
    "args,name",
    [
        (["--max-connections", "0"], "max_connections"),
        (["--max-connections", "5000"], "max_connections"),
        (["--keepalive-timeout", "0"], "keepalive_timeout_s"),
        (["--keepalive-max-requests", "0"], "keepalive_max_requests"),
        (["--header-timeout", "0"], "header_timeout_s"),
        (["--max-header-bytes", "10"], "max_header_bytes"),
        (["--max-header-bytes", "100000"], "max_header_bytes"),
        (["--max-headers", "0"], "max_headers"),
        (["--max-headers", "1000"], "max_headers"),
        (["--max-uri-bytes", "0"], "max_uri_bytes"),
        (["--max-uri-bytes", "4096", "--max-header-bytes", "4096"], "max_uri_bytes"),
        (["--max-body-bytes", "1000000000"], "max_body_bytes"),
        (["--max-connections", "4", "--body-buffers", "5"], "body_buffers"),
    ],
)
def test_invalid_option_is_refused_with_its_name(args, name):
    p = subprocess.run([DEMO, "--port", "0", "--poller", POLLER, *args], capture_output=True,
                       timeout=20, stdin=subprocess.DEVNULL)
    assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
    err = p.stderr.decode()
    # Refused by the engine, or (0, which the engine reads as "the platform default") by the
    # demo's own argument check; either way the option is named.
    assert (f"invalid option or resource: {name}" in err
            or f"invalid option or value: {args[0]}" in err), err
    assert b"listening" not in p.stdout
