"""Server-Sent Events (WHATWG HTML §9.2): ``EventSourceResponse`` and ``ServerSentEvent``.

::

    from viperhttp.sse import EventSourceResponse
    from viperhttp.streaming import iterate

    @app.get("/events")
    async def events(request: Request):
        last = request.headers.get("last-event-id")   # a reconnecting EventSource sends it
        n = int(last) + 1 if last else 0

        async def step():
            nonlocal n
            await asyncio.sleep(1)
            n += 1
            return {"event": "tick", "id": n, "data": {"n": n}}

        return EventSourceResponse(iterate(step))

Items are dicts (the keywords of ``ServerSentEvent``), ``ServerSentEvent`` objects, or strings
(the data of an unnamed event); ``bytes`` are sent as they are (already framed).  The engine
sends a keep-alive comment (``: ping``) after ``ping`` seconds without an event, by itself:
Python is not woken for it.
"""

from . import _compat
from .responses import StreamingResponse
from .stats import SSE_EVENTS

_FORBIDDEN = ("\r", "\n")


def _check_line(name, value):
    for ch in _FORBIDDEN:
        if ch in value:
            raise ValueError("SSE {} must not contain CR or LF: {!r}".format(name, value))


def _lines(text):
    # Splits on CRLF, CR and LF, as an EventSource does when it reads the stream.
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


class ServerSentEvent:
    """One event: ``data`` (str; a dict or list becomes compact JSON; other values ``str()``),
    ``event`` (its type; ``message`` when None), ``id`` (what ``Last-Event-ID`` repeats on
    reconnection), ``retry`` (the client's reconnection delay, milliseconds), ``comment``
    (lines the client ignores).  Multi-line data becomes one ``data:`` line per line."""

    def __init__(self, data=None, event=None, id=None, retry=None, comment=None):
        self.data = data
        self.event = event
        self.id = id
        self.retry = retry
        self.comment = comment

    def encode(self):
        out = []
        if self.comment is not None:
            for line in _lines(str(self.comment)):
                out.append(": " + line + "\n")
        if self.id is not None:
            ident = str(self.id)
            _check_line("id", ident)
            if "\0" in ident:
                raise ValueError("SSE id must not contain NUL")
            out.append("id: " + ident + "\n")
        if self.event is not None:
            event = str(self.event)
            _check_line("event", event)
            out.append("event: " + event + "\n")
        if self.data is not None:
            data = self.data
            if isinstance(data, (dict, list)):
                data = _compat.json_bytes(data).decode()
            elif not isinstance(data, str):
                data = str(data)
            for line in _lines(data):
                out.append("data: " + line + "\n")
        if self.retry is not None:
            if not isinstance(self.retry, int) or isinstance(self.retry, bool) or self.retry < 0:
                raise ValueError("SSE retry must be a non-negative int (milliseconds)")
            out.append("retry: " + str(self.retry) + "\n")
        if not out:
            out.append(":\n")  # an empty event would dispatch nothing: send a comment
        out.append("\n")
        return "".join(out).encode("utf-8")


class EventSourceResponse(StreamingResponse):
    """``EventSourceResponse(content, ping=15, headers=None, status_code=200,
    background=None)``: ``text/event-stream``, ``Cache-Control: no-cache``,
    ``X-Accel-Buffering: no``; never gzip-compressed.  ``content`` as for
    ``StreamingResponse``, its items events (see the module).  ``ping``: seconds of silence
    after which the engine sends a ``: ping`` comment (0 or None: none)."""

    media_type = "text/event-stream"

    def __init__(self, content, ping=15, headers=None, status_code=200, background=None):
        StreamingResponse.__init__(self, content, status_code, headers, None, background)
        self.headers.setdefault("cache-control", "no-cache")
        self.headers.setdefault("x-accel-buffering", "no")
        if ping is None or ping == 0:
            self.ping_ms = 0
        elif ping < 0:
            raise ValueError("ping must be positive seconds, 0 or None")
        else:
            self.ping_ms = max(1, int(ping * 1000))
        self._counts = None

    def encode_item(self, value):
        if isinstance(value, ServerSentEvent):
            data = value.encode()
        elif isinstance(value, dict):
            data = ServerSentEvent(**value).encode()
        elif isinstance(value, (bytes, bytearray, memoryview)):
            return value
        else:
            data = ServerSentEvent(data=value).encode()
        if self._counts is not None:
            self._counts[SSE_EVENTS] += 1
        return data

    def send(self, outbox, item):
        self._counts = outbox.counts
        return StreamingResponse.send(self, outbox, item)
