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

from . import _compat

# Headers the engine writes itself: a value set here would duplicate or contradict them.
_ENGINE_HEADERS = ("content-length", "transfer-encoding", "connection", "date", "server")


def _check_header(name, value):
    for ch in "\r\n\0":
        if ch in name or ch in value:
            raise ValueError("header {!r} contains CR, LF or NUL".format(name))


class MutableHeaders:
    """Case-insensitive view over a response's header list; values with CR/LF are refused."""

    def __init__(self, items):
        self._items = items  # [(name, value)], shared with the response

    def __setitem__(self, name, value):
        value = str(value)
        _check_header(name, value)
        low = name.lower()
        self._items[:] = [(k, v) for k, v in self._items if k.lower() != low]
        self._items.append((name, value))

    def append(self, name, value):
        value = str(value)
        _check_header(name, value)
        self._items.append((name, value))

    def setdefault(self, name, value):
        if name not in self:
            self[name] = value
        return self[name]

    def get(self, name, default=None):
        low = name.lower()
        for k, v in self._items:
            if k.lower() == low:
                return v
        return default

    def getlist(self, name):
        low = name.lower()
        return [v for k, v in self._items if k.lower() == low]

    def __getitem__(self, name):
        v = self.get(name)
        if v is None:
            raise KeyError(name)
        return v

    def __delitem__(self, name):
        low = name.lower()
        self._items[:] = [(k, v) for k, v in self._items if k.lower() != low]

    def __contains__(self, name):
        return self.get(name) is not None

    def items(self):
        return list(self._items)

    def keys(self):
        return [k for k, _ in self._items]

    def __iter__(self):
        return iter(self.keys())

    def __len__(self):
        return len(self._items)

    def update(self, other):
        for k, v in other.items():
            self[k] = v


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
        self._header_list = []
        self.headers = MutableHeaders(self._header_list)
        if headers:
            for k, v in headers.items():
                self.headers.append(k, v)
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
        self._header_list.append(("content-type", mt))

    def encode_headers(self):
        """The header lines the engine sends after its own (``name: value\\r\\n`` each)."""
        lines = []
        for k, v in self._header_list:
            if k.lower() not in _ENGINE_HEADERS:
                lines.append(k + ": " + v + "\r\n")
        return _compat.header_bytes("".join(lines)) if lines else b""


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
