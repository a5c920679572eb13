"""EventSourceResponse through real sockets (apps/stream_app.py): framing parsed as an
EventSource parses it (WHATWG HTML §9.2.6, written out below), with a raw socket and with
`curl -N`; Last-Event-ID; the engine's keep-alive comments while the producer is silent (and
Python not woken for them); never gzip; a client that leaves stops the producer."""

import shutil
import subprocess

import pytest

from pyapi_http import build

TIMEOUT = 10


@pytest.fixture
def app(start_app):
    return start_app("stream_app.py", access_log=False)


class EventStream:
    """The WHATWG event stream interpretation: lines end with CRLF, LF or CR; a blank line
    dispatches; `data` accumulates with LF between values; `id` without NUL sets the last
    event ID; `retry` with only digits sets the reconnection time; lines starting with ':'
    are comments; a field without ':' has an empty value; one leading space of a value is
    dropped."""

    def __init__(self):
        self.events = []  # (type, data, last_event_id)
        self.comments = []
        self.retry = None
        self.last_id = ""
        self._data = []
        self._type = ""
        self._pending = ""
        self._cr = False

    def feed(self, text):
        if self._cr and text.startswith("\n"):
            text = text[1:]  # the LF of a CRLF split across two feeds
        self._cr = text.endswith("\r")
        buf = self._pending + text
        lines = buf.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        self._pending = lines.pop()
        for line in lines:
            self._line(line)

    def _line(self, line):
        if line == "":
            self._dispatch()
            return
        if line.startswith(":"):
            self.comments.append(line[1:])
            return
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._type = value
        elif name == "id":
            if "\0" not in value:
                self.last_id = value
        elif name == "retry":
            if value.isdigit():
                self.retry = int(value)

    def _dispatch(self):
        data, self._data = self._data, []
        etype, self._type = self._type, ""
        if not data:
            return  # nothing to dispatch (a comment-only block)
        self.events.append((etype or "message", "\n".join(data), self.last_id))


def dechunk_available(raw):
    """The body bytes of the complete chunks at the start of `raw` (a chunked body)."""
    out = b""
    pos = 0
    while True:
        end = raw.find(b"\r\n", pos)
        if end < 0:
            return out
        size = int(raw[pos:end], 16)
        if size == 0 or end + 2 + size + 2 > len(raw):
            return out
        out += raw[end + 2:end + 2 + size]
        pos = end + 2 + size + 2


EXPECTED = [
    ("hello", '{"a":[1,2],"b":"c"}', "1"),
    ("message", "plain string", "1"),
    ("message", "line one\nline two\nline three", "1"),
    ("message", "with retry", "two"),
    ("resumed", "last=41", "two"),
    ("message", "", "two"),
]


def test_framing_as_an_event_source_reads_it(app):
    with app.conn() as c:
        r = c.request("GET", "/sse", [("Last-Event-ID", "41"), ("Accept-Encoding", "gzip")])
    assert r.status == 200
    assert r.header("content-type") == "text/event-stream; charset=utf-8"
    assert r.header("cache-control") == "no-cache"
    assert r.header("x-accel-buffering") == "no"
    assert r.header("transfer-encoding") == "chunked"
    assert r.header("content-encoding") is None  # never gzip, although the client accepts it
    es = EventStream()
    es.feed(r.body.decode())
    assert es.events == EXPECTED
    assert es.retry == 2500
    assert es.comments == [" just a comment"]
    # The exact bytes of two events (compact JSON, one data line per line of text).
    assert r.body.startswith(b'id: 1\nevent: hello\ndata: {"a":[1,2],"b":"c"}\n\n'
                             b"data: plain string\n\n")
    assert b"data: line one\ndata: line two\ndata: line three\n\n" in r.body


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_reads_the_stream(app):
    out = subprocess.run(["curl", "-sN", "--max-time", "10", "-H", "Last-Event-ID: 41",
                          app.url("/sse")], capture_output=True, timeout=20, check=True)
    es = EventStream()
    es.feed(out.stdout.decode())
    assert es.events == EXPECTED


def test_engine_pings_while_the_producer_is_silent(app):
    c = app.conn()
    c.send(build("GET", "/sse/silent?ping=0.2"))
    c.sock.settimeout(TIMEOUT)
    raw = b""
    while b"\r\n\r\n" not in raw:
        raw += c.sock.recv(4096)
    head, _, body = raw.partition(b"\r\n\r\n")
    es = EventStream()
    # The first event, then the producer waits (for an hour).
    while not es.events:
        body += c.sock.recv(4096)
        es = EventStream()
        es.feed(dechunk_available(body).decode())
    before = app.stats()
    while len(es.comments) < 4:
        body += c.sock.recv(4096)
        es = EventStream()
        es.feed(dechunk_available(body).decode())
    after = app.stats()
    assert es.events == [("first", "1", "")]
    assert es.comments == [" ping"] * len(es.comments)
    assert after["stream_pings"] - before["stream_pings"] >= 3
    # Python was not woken for the pings: only the stats request itself woke it.
    assert after["bridge"]["interpreter_wakeups"] - before["bridge"]["interpreter_wakeups"] <= 2
    assert after["python"]["sse_events"] == 1
    c.close()
    app.wait_stats(lambda s: s["streams_open"] == 0, what="stream closed")
    assert app.stats()["stream_disconnects"] == 1


def test_no_ping_when_disabled(app):
    with app.conn() as c:
        r = c.request("GET", "/sse")
    assert b": ping" not in r.body


def test_many_events(app):
    with app.conn() as c:
        r = c.request("GET", "/sse/count?n=3000")
    es = EventStream()
    es.feed(r.body.decode())
    assert len(es.events) == 3000
    assert es.events[-1] == ("message", "event 2999", "2999")
    assert app.stats()["python"]["sse_events"] == 3000
