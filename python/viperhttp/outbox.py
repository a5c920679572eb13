"""Where responses leave the interpreter: the engine's response queue.

The send step of the request pipeline ends here: ``Response.send`` calls ``respond`` (a body)
or ``respond_file`` (a ``FileResponse``: the engine opens and sends the file).  A response the
queue has no room for yet waits in the backlog and is retried at the next wake-up; one larger
than the queue can ever hold is answered 500 instead.  Each response is also one access-log
line.
"""

from . import _compat
from ._compat import const
from .datastructures import Headers
from .requests import HEADERS, METHOD
from .stats import BACKLOG_RETRIES

_TOKEN = const(0)  # requests.TOKEN, folded on MicroPython: used for every response

# Request headers a FileResponse is answered with (conditionals, ranges, encodings).
_FILE_REQUEST_HEADERS = ("range", "if-range", "if-none-match", "if-modified-since",
                         "accept-encoding")
_TOO_LARGE = b'{"detail":"Response too large"}'
_JSON = b"content-type: application/json\r\n"


class Outbox:
    def __init__(self, engine, counts, log, access_log=None):
        self.engine = engine
        self.counts = counts
        self.log = log
        self.access_log = access_log  # an AccessLog, or None
        self.backlog = []  # (token, status, headers, payload): no room in the queue yet
        self.streams = {}  # token -> streaming.Stream, while a streamed body is being sent
        self.space_waiters = []  # streams waiting for room in the response queue

    def respond(self, item, status, headers, body):
        """Queues a response with a body (bytes; on MicroPython a str too) for the request
        ``item``."""
        r = self.engine.respond(item[_TOKEN], status, headers, body)
        if r:
            size = len(headers) + len(body.encode() if type(body) is str else body)
            status = self._not_queued(r, item[_TOKEN], status, headers, body, size)
        if self.access_log is not None:
            self.access_log.line(item, status)

    def respond_file(self, item, status, headers, path):
        """Queues a FileResponse: the engine sends the file at ``path`` with the request's
        validators, ranges and encodings."""
        token = item[_TOKEN]
        payload = (path.encode(), file_request_lines(item))
        r = self.engine.respond_file(token, status, headers, payload[0], payload[1])
        if r:
            status = self._not_queued(r, token, status, headers, payload,
                                      len(headers) + len(payload[0]) + len(payload[1]))
        if self.access_log is not None:
            self.access_log.line(item, status)

    def _not_queued(self, r, token, status, headers, payload, size):
        # 1: the queue is full for now (retried at the next wake-up); 2: it never will fit.
        if r == 1:
            self.backlog.append((token, status, headers, payload))
            return status
        self.log("error", "response of {} bytes is larger than the response queue allows "
                 "({} bytes)".format(size, self.engine.max_response_bytes()))
        if self.engine.respond(token, 500, _JSON, _TOO_LARGE) == 1:
            self.backlog.append((token, 500, _JSON, _TOO_LARGE))
        return 500

    def _push(self, token, status, headers, payload):
        if type(payload) is tuple:  # a FileResponse: (path, request header lines)
            return self.engine.respond_file(token, status, headers, payload[0], payload[1])
        return self.engine.respond(token, status, headers, payload)

    def retry(self):
        """Queues what waited in the backlog, in order, while there is room."""
        pending, self.backlog = self.backlog, []
        for i, (token, status, headers, payload) in enumerate(pending):
            if self._push(token, status, headers, payload) == 1:
                self.backlog = pending[i:]
                return
            self.counts[BACKLOG_RETRIES] += 1

    # --- streamed responses (streaming.py) ----------------------------------------------------

    def writable(self, token):
        """The engine has credit again for the stream ``token`` (drain loop)."""
        stream = self.streams.get(token)
        if stream is not None:
            stream.wake()

    def stream_gone(self, token):
        """The engine gave up on ``token`` (client gone): a stream of it stops."""
        stream = self.streams.get(token)
        if stream is not None:
            stream.gone = True
            stream.wake()

    def wake_space_waiters(self):
        waiters, self.space_waiters = self.space_waiters, []
        for stream in waiters:
            stream.wake()

    def too_large(self, item, status, size):
        """A streamed response whose head the queue can never hold: a 500 instead."""
        status = self._not_queued(2, item[_TOKEN], status, b"", b"", size)
        if self.access_log is not None:
            self.access_log.line(item, status)

    def error(self, token):
        """A 500 for a request whose handling failed outside the pipeline (e.g. MemoryError)."""
        body = b'{"detail":"Internal Server Error"}'
        if self.engine.respond(token, 500, _JSON, body) == 1:
            self.backlog.append((token, 500, _JSON, body))


def file_request_lines(item):
    """What a FileResponse is answered with: the request's validators, ranges and encodings
    as header lines — for GET and HEAD only, where RFC 9110 defines them (§13.1, §14.2)."""
    names = _FILE_REQUEST_HEADERS if item[METHOD] in ("GET", "HEAD") else ("accept-encoding",)
    headers = Headers(raw=item[HEADERS])
    lines = []
    for name in names:
        value = headers.get(name)
        if value is not None:
            lines.append(name + ": " + value + "\r\n")
    return _compat.header_bytes("".join(lines))
