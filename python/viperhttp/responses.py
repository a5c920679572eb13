"""Responses a handler may return (FastAPI / Starlette names and behaviour).

A handler may also return a plain value: ``dict``/``list``/number/bool/``None`` become JSON,
``str`` becomes a JSON string (as in FastAPI), ``bytes`` become ``application/octet-stream``.
The engine adds ``Content-Length``, ``Date``, ``Server`` and ``Connection`` itself::

    @app.get("/page")
    def page():
        return HTMLResponse("<h1>Hello</h1>")

    @app.get("/legacy")
    def legacy():
        return RedirectResponse("/page")   # 307
"""

import time

from . import _compat, streaming
from ._urlencoding import quote
from .datastructures import MutableHeaders, check_header

# Headers the engine writes itself: a value set here would duplicate or contradict them.
_ENGINE_HEADERS = ("content-length", "transfer-encoding", "connection", "date", "server")


class Response:
    """``Response(content, status_code=200, headers=None, media_type=None)``.

    ``content`` may be ``bytes``, ``str`` (encoded as UTF-8) or ``None``.  Text media types get
    ``; charset=utf-8`` as in Starlette.
    """

    media_type = None
    charset = "utf-8"

    def __init__(self, content=None, status_code=200, headers=None, media_type=None,
                 background=None):
        self.status_code = status_code
        if media_type is not None:
            self.media_type = media_type
        self.background = background
        self.body = self.render(content)
        self.headers = MutableHeaders(headers)
        self._init_content_type()

    def render(self, content):
        if content is None:
            return b""
        if isinstance(content, (bytes, bytearray)):
            return bytes(content)
        return str(content).encode(self.charset)

    def _init_content_type(self):
        mt = self.media_type
        if mt is None or "content-type" in self.headers:
            return
        if mt.startswith("text/") and "charset=" not in mt:
            mt = mt + "; charset=" + self.charset
        self.headers._items().append(("content-type", mt))

    @property
    def body_iterator(self):
        """The body as an async iterator of one chunk, for middleware written for Starlette
        (``async for chunk in response.body_iterator``)."""
        return _BodyIterator(self.body)

    def set_cookie(self, key, value="", max_age=None, expires=None, path="/", domain=None,
                   secure=False, httponly=False, samesite="lax"):
        """Adds a ``Set-Cookie`` header formatted exactly as Starlette's (one per call)::

            response.set_cookie("session", "abc", max_age=3600, httponly=True)
            # Set-Cookie: session=abc; HttpOnly; Max-Age=3600; Path=/; SameSite=lax

        ``expires``: seconds from now (int), a string used as is, or an aware ``datetime``
        (CPython).  ``samesite`` is ``"strict"``, ``"lax"``, ``"none"`` or None (else
        ``ValueError``), as is a key that is not a legal cookie name.
        """
        self.headers.append("set-cookie", format_cookie(
            key, value, max_age, expires, path, domain, secure, httponly, samesite))

    def delete_cookie(self, key, path="/", domain=None, secure=False, httponly=False,
                      samesite="lax"):
        """Expires the cookie ``key`` now (``Max-Age=0``); path and domain must match the
        ones it was set with."""
        self.set_cookie(key, max_age=0, expires=0, path=path, domain=domain, secure=secure,
                        httponly=httponly, samesite=samesite)

    def encode_headers(self):
        """The header lines the engine sends after its own (``name: value\\r\\n`` each)."""
        lines = []
        for k, v in self.headers._items():
            if k.lower() not in _ENGINE_HEADERS:
                lines.append(k + ": " + v + "\r\n")
        return _compat.header_bytes("".join(lines)) if lines else b""

    def send(self, outbox, item):
        """Hands this response to the engine for the request ``item`` (the send step of the
        request pipeline, docs/architecture.md).  Returns None when it is handed over, or an
        awaitable the pipeline awaits when the response needs more (a streamed body)."""
        outbox.respond(item, self.status_code, self.encode_headers(), self.body)


class _BodyIterator:
    def __init__(self, body):
        self._body = body

    def __aiter__(self):
        return self

    async def __anext__(self):
        body, self._body = self._body, None
        if body is None:
            raise StopAsyncIteration
        return body


# --- Set-Cookie, as http.cookies.SimpleCookie formats it (Starlette uses that) -------------------

_COOKIE_LEGAL = ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                 "!#$%&'*+-.^_`|~:")
_COOKIE_UNESCAPED = _COOKIE_LEGAL + " ()/<=>?@[]{}"
_COOKIE_RESERVED = ("expires", "path", "comment", "domain", "max-age", "secure", "httponly",
                    "version", "samesite")
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = (None, "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
           "Dec")


def _cookie_quote(value):
    if value and all(c in _COOKIE_LEGAL for c in value):
        return value
    out = ['"']
    for c in value:
        if c == '"':
            out.append('\\"')
        elif c == "\\":
            out.append("\\\\")
        elif ord(c) < 256 and c not in _COOKIE_UNESCAPED:
            out.append("\\%03o" % ord(c))
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def _http_date(t):
    # t: (year, month, day, hour, minute, second, weekday, ...), weekday 0 = Monday
    return "%s, %02d %3s %4d %02d:%02d:%02d GMT" % (_WEEKDAYS[t[6]], t[2], _MONTHS[t[1]], t[0],
                                                    t[3], t[4], t[5])


def format_cookie(key, value="", max_age=None, expires=None, path="/", domain=None,
                  secure=False, httponly=False, samesite="lax"):
    """The value of a ``Set-Cookie`` header (Starlette's ``Response.set_cookie``)."""
    key = str(key)
    if not key or not all(c in _COOKIE_LEGAL for c in key) or key.lower() in _COOKIE_RESERVED:
        raise ValueError("illegal cookie name {!r}".format(key))
    value = str(value)
    attrs = []  # (sort key, text), sorted by attribute name as SimpleCookie does
    if max_age is not None and max_age != "":
        attrs.append(("max-age", "Max-Age=%d" % max_age if isinstance(max_age, int)
                      else "Max-Age=" + str(max_age)))
    if expires is not None and expires != "":
        if isinstance(expires, int):
            text = _http_date(time.gmtime(int(time.time()) + expires))
        elif hasattr(expires, "utctimetuple"):  # datetime (Starlette: format_datetime)
            if getattr(expires, "tzinfo", None) is None:
                raise ValueError("expires must be an aware datetime (UTC)")
            text = _http_date(tuple(expires.utctimetuple())[:6] + (expires.weekday(),))
        else:
            text = str(expires)
        attrs.append(("expires", "expires=" + text))
    if path is not None and path != "":
        attrs.append(("path", "Path=" + str(path)))
    if domain is not None and domain != "":
        attrs.append(("domain", "Domain=" + str(domain)))
    if secure:
        attrs.append(("secure", "Secure"))
    if httponly:
        attrs.append(("httponly", "HttpOnly"))
    if samesite is not None:
        if str(samesite).lower() not in ("strict", "lax", "none"):
            raise ValueError("samesite must be either 'strict', 'lax' or 'none'")
        attrs.append(("samesite", "SameSite=" + str(samesite)))
    attrs.sort()
    out = key + "=" + _cookie_quote(value)
    for _, text in attrs:
        out += "; " + text
    check_header("set-cookie", out)
    return out


class JSONResponse(Response):
    """Serialises ``content`` as compact JSON (``{"a":1}``), like FastAPI's default response."""

    media_type = "application/json"

    def render(self, content):
        return _compat.json_bytes(content)


class HTMLResponse(Response):
    media_type = "text/html"


class PlainTextResponse(Response):
    media_type = "text/plain"


class RedirectResponse(Response):
    """Redirects to ``url`` (307 by default, so the method and body are kept)."""

    def __init__(self, url, status_code=307, headers=None, background=None):
        Response.__init__(self, b"", status_code, headers, None, background)
        self.headers["location"] = str(url)


class FileResponse(Response):
    """Sends the file at ``path``; the engine opens and streams it (sendfile), with ``ETag``,
    ``Last-Modified``, 304 and ``Range`` as for static files::

        @app.get("/report")
        def report():
            return FileResponse("data/report.csv", filename="report.csv")

    ``media_type``: default from the engine's MIME table by the path's extension.
    ``filename``: adds ``Content-Disposition: attachment; filename="..."`` (RFC 5987 encoded
    when not ASCII).  A missing file is answered 404 by the engine.
    """

    def __init__(self, path, status_code=200, headers=None, media_type=None, background=None,
                 filename=None, content_disposition_type="attachment"):
        Response.__init__(self, None, status_code, headers, media_type, background)
        self.path = str(path)
        if "\0" in self.path:
            raise ValueError("path contains NUL")
        self.filename = filename
        if filename is not None:
            self.headers.setdefault("content-disposition",
                                    _content_disposition(content_disposition_type, filename))

    def send(self, outbox, item):
        # The engine opens and sends the file itself (validators, ranges, gzip variants).
        outbox.respond_file(item, self.status_code, self.encode_headers(), self.path)


class StreamingResponse(Response):
    """``StreamingResponse(content, status_code=200, headers=None, media_type=None,
    background=None)``: a body sent as ``content`` produces it, chunked (HTTP/1.0: until the
    connection closes; a ``content-length`` header set here: exactly that many bytes)::

        @app.get("/numbers")
        def numbers():
            return StreamingResponse((str(i) + "\\n" for i in range(1000)),
                                     media_type="text/plain")

    ``content``: a sync iterable, an async iterable (an object with ``__aiter__``; on CPython an
    async generator too; ``viperhttp.streaming.iterate`` makes one portably) of ``bytes`` or
    ``str``.  The producer waits while the client is slow to read (the engine holds at most
    ``stream_buffer_bytes`` per stream) and is stopped when the client leaves
    (``CancelledError``, then ``aclose()``/``close()``).  HEAD gets the head only.  A streamed
    body is never gzip-compressed.  See docs/guide/streaming.md.
    """

    body_iterator = None  # the content (shadows Response.body_iterator)
    ping_ms = 0  # the engine's keep-alive comment interval (EventSourceResponse)

    def __init__(self, content, status_code=200, headers=None, media_type=None,
                 background=None):
        self.status_code = status_code
        if media_type is not None:
            self.media_type = media_type
        self.background = background
        self.body = b""
        if isinstance(content, (str, bytes, bytearray, int, float)) or content is None:
            raise TypeError("StreamingResponse content must be an iterable or an async "
                            "iterable of chunks, not " + type(content).__name__)
        self.body_iterator = content
        self.headers = MutableHeaders(headers)
        self._init_content_type()

    def encode_item(self, value):
        """What one item of ``content`` becomes on the wire (bytes as is, str as UTF-8)."""
        return streaming._chunk(value)

    def send(self, outbox, item):
        return streaming.start(self, outbox, item)


def _content_disposition(kind, filename):
    """As Starlette: ``attachment; filename="x.txt"``, or RFC 5987 for non-ASCII names."""
    # (MicroPython's str.encode ignores the codec, so no encode("ascii") test here)
    if all(ord(ch) < 128 for ch in filename):
        return '{}; filename="{}"'.format(kind, filename.replace('"', '\\"'))
    return "{}; filename*=utf-8''{}".format(kind, quote(filename))
