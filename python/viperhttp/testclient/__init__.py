"""``TestClient``: a FastAPI-style synchronous client for testing an app.

It runs the app's real server — the native engine (parser, router, C middleware) and the
Python bridge — on a background thread with its own asyncio loop, bound to ``127.0.0.1`` on a
free port, and sends real HTTP/1.1 requests to it over a keep-alive socket.  Nothing is routed
in Python::

    from viperhttp import ViperHTTP
    from viperhttp.testclient import TestClient

    app = ViperHTTP()

    @app.get("/items/{item_id:int}")
    def read_item(item_id, q=None):
        return {"item_id": item_id, "q": q}

    def test_read_item():
        with TestClient(app) as client:
            r = client.get("/items/3", params={"q": "x"})
            assert r.status_code == 200
            assert r.json() == {"item_id": 3, "q": "x"}

Without ``with``, the server starts on the first request and stops when the client is closed
(``client.close()``) or garbage collected.  See docs/testing.md for the differences from
FastAPI's (httpx-based) TestClient.

Runs on CPython and on MicroPython ports with ``_thread`` (the unix port): see docs/testing.md
for what differs there.
"""

import json as _json
import socket
import time

from . import _compat
from ._urlencoding import UNRESERVED, quote

try:
    import _thread
except ImportError:  # a MicroPython build without threads
    _thread = None

__all__ = ["TestClient", "Response", "Headers", "Cookies"]

_REDIRECTS = (301, 302, 303, 307, 308)
_MAX_REDIRECTS = 20
_START_TIMEOUT = 15.0
try:
    import zlib as _zlib  # noqa: F401 (CPython)

    _ACCEPT_ENCODING = "gzip, deflate"
except ImportError:
    try:
        import deflate as _deflate  # noqa: F401 (MicroPython 1.21+)

        _ACCEPT_ENCODING = "gzip, deflate"
    except ImportError:
        _ACCEPT_ENCODING = "identity"
_STOP_TIMEOUT = 15.0

# --- URL helpers ---------------------------------------------------------------------------

_PATH_SAFE = UNRESERVED + "/!$&'()*+,;=:@%"  # '%': a path the caller encoded stays as is
_QUERY_SAFE = UNRESERVED + "/!$&'()*+,;=:@%?"


def _quote(text, safe):
    return quote(text if isinstance(text, str) else str(text), safe)


def _param_str(value):
    # As httpx: True -> "true", None -> "".
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return ""
    return str(value)


def _items(mapping):
    """(key, value) pairs of a dict (list values repeat the key) or of a list of pairs."""
    if mapping is None:
        return []
    if isinstance(mapping, (str, bytes)):
        raise TypeError("expected a dict or a list of pairs, not a string")
    pairs = mapping.items() if hasattr(mapping, "items") else mapping
    out = []
    for k, v in pairs:
        if isinstance(v, (list, tuple)):
            for item in v:
                out.append((k, item))
        else:
            out.append((k, v))
    return out


def urlencode(pairs):
    """``[("a", 1), ("b", "x y")]`` -> ``"a=1&b=x%20y"`` (keys and values fully encoded)."""
    return "&".join(quote(_param_str(k)) + "=" + quote(_param_str(v))
                    for k, v in pairs)


def _split_url(url):
    """``(scheme, netloc, path, query)``; relative URLs give empty scheme and netloc."""
    scheme = netloc = ""
    i = url.find("://")
    if i > 0 and "/" not in url[:i] and "?" not in url[:i]:
        scheme = url[:i].lower()
        rest = url[i + 3:]
        j = len(rest)
        for sep in "/?#":
            k = rest.find(sep)
            if 0 <= k < j:
                j = k
        netloc, url = rest[:j], rest[j:]
    frag = url.find("#")
    if frag >= 0:
        url = url[:frag]
    q = url.find("?")
    if q >= 0:
        return scheme, netloc, url[:q], url[q + 1:]
    return scheme, netloc, url, ""


class URL:
    """The URL a response answered (``str(url)``, ``path``, ``query``, ``host``, ``scheme``)."""

    def __init__(self, scheme, netloc, path, query):
        self.scheme = scheme
        self.netloc = netloc
        self.path = path
        self.query = query

    @property
    def host(self):
        return self.netloc.rsplit(":", 1)[0] if self.netloc.count(":") == 1 else self.netloc

    @property
    def target(self):
        return self.path + ("?" + self.query if self.query else "")

    def __str__(self):
        return "{}://{}{}".format(self.scheme, self.netloc, self.target)

    def __repr__(self):
        return "URL({!r})".format(str(self))

    def __eq__(self, other):
        return str(self) == str(other)

    def __hash__(self):
        return hash(str(self))


# --- headers and cookies -------------------------------------------------------------------------


class Headers:
    """Case-insensitive, multi-valued headers (as httpx): ``h["content-type"]`` joins repeated
    values with ``", "``; ``get_list(name)`` gives each value; ``multi_items()`` every pair."""

    def __init__(self, items=None):
        self._list = []  # [(name as sent, value)]
        if items is not None:
            for k, v in _items(items) if hasattr(items, "items") else items:
                self._list.append((str(k), str(v)))

    def get_list(self, name):
        low = name.lower()
        return [v for k, v in self._list if k.lower() == low]

    getlist = get_list

    def get(self, name, default=None):
        values = self.get_list(name)
        return ", ".join(values) if values else default

    def __getitem__(self, name):
        values = self.get_list(name)
        if not values:
            raise KeyError(name)
        return ", ".join(values)

    def __setitem__(self, name, value):
        low = name.lower()
        self._list = [(k, v) for k, v in self._list if k.lower() != low]
        self._list.append((name, str(value)))

    def __delitem__(self, name):
        low = name.lower()
        n = len(self._list)
        self._list = [(k, v) for k, v in self._list if k.lower() != low]
        if len(self._list) == n:
            raise KeyError(name)

    def __contains__(self, name):
        low = name.lower()
        for k, _ in self._list:
            if k.lower() == low:
                return True
        return False

    def keys(self):
        out = []
        for k, _ in self._list:
            if k.lower() not in out:
                out.append(k.lower())
        return out

    def values(self):
        return [self[k] for k in self.keys()]

    def items(self):
        return [(k, self[k]) for k in self.keys()]

    def multi_items(self):
        return [(k.lower(), v) for k, v in self._list]

    def raw(self):
        return list(self._list)

    def update(self, other):
        for k, v in (other.items() if hasattr(other, "items") else other):
            self[k] = v

    def setdefault(self, name, value):
        if name not in self:
            self[name] = value
        return self[name]

    def copy(self):
        h = Headers()
        h._list = list(self._list)
        return h

    def __iter__(self):
        return iter(self.keys())

    def __len__(self):
        return len(self.keys())

    def __eq__(self, other):
        if isinstance(other, Headers):
            other = other.multi_items()
        elif hasattr(other, "items"):
            other = [(str(k).lower(), str(v)) for k, v in other.items()]
        else:
            try:
                other = [(str(k).lower(), str(v)) for k, v in other]
            except (TypeError, ValueError):
                return False
        return sorted(self.multi_items()) == sorted(other)

    def __repr__(self):
        return "Headers({!r})".format(self.multi_items())


class Cookies:
    """Cookies by name, a dict-like jar (``set``/``delete`` as httpx's ``Cookies``).
    Domain and path are not tracked: every cookie is sent with every request."""

    def __init__(self, items=None):
        self._d = {}
        if items:
            self.update(items)

    def set(self, name, value, domain="", path="/"):
        self._d[name] = value

    def delete(self, name, domain=None, path=None):
        self._d.pop(name, None)

    def get(self, name, default=None, domain=None, path=None):
        return self._d.get(name, default)

    def pop(self, name, *default):
        return self._d.pop(name, *default)

    def update(self, other):
        for k, v in (other.items() if hasattr(other, "items") else other):
            self._d[k] = v

    def clear(self):
        self._d.clear()

    def keys(self):
        return self._d.keys()

    def values(self):
        return self._d.values()

    def items(self):
        return self._d.items()

    def __getitem__(self, name):
        return self._d[name]

    def __setitem__(self, name, value):
        self._d[name] = value

    def __delitem__(self, name):
        del self._d[name]

    def __contains__(self, name):
        return name in self._d

    def __iter__(self):
        return iter(self._d)

    def __len__(self):
        return len(self._d)

    def __bool__(self):
        return bool(self._d)

    def __eq__(self, other):
        if isinstance(other, Cookies):
            other = other._d
        return self._d == other

    def __repr__(self):
        return "<Cookies {!r}>".format(self._d)


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def _days_from_civil(y, m, d):
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _http_date(text):
    """Seconds since the epoch of an HTTP date (``Wdy, DD Mon YYYY HH:MM:SS GMT`` and the
    ``DD-Mon-YYYY`` variant), or None."""
    try:
        parts = text.replace("-", " ").replace(",", " ").split()
        if parts and parts[0][:3].lower() not in _MONTHS and not parts[0].isdigit():
            parts = parts[1:]
        day, month, year, clock = int(parts[0]), parts[1][:3].lower(), int(parts[2]), parts[3]
        if year < 100:
            year += 2000 if year < 70 else 1900
        hh, mm, ss = [int(x) for x in clock.split(":")]
        days = _days_from_civil(year, _MONTHS.index(month) + 1, day)
        return days * 86400 + hh * 3600 + mm * 60 + ss
    except (ValueError, IndexError):
        return None


def _parse_set_cookie(line):
    """``(name, value, expired)`` of one Set-Cookie value, or None if it has no name."""
    parts = line.split(";")
    name, sep, value = parts[0].partition("=")
    name = name.strip()
    if not sep or not name:
        return None
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    expired = False
    for attr in parts[1:]:
        key, _, v = attr.partition("=")
        key = key.strip().lower()
        v = v.strip()
        if key == "max-age":
            try:
                expired = int(v) <= 0
            except ValueError:
                pass
            break  # Max-Age wins over Expires
        if key == "expires":
            when = _http_date(v)
            if when is not None and _now() is not None:
                expired = when <= _now()
    return name, value, expired


def _now():
    t = time.time()
    if _compat.MICROPYTHON and t < 946684800 * 0.5:  # ports whose epoch is 2000
        t += 946684800
    return t


# --- responses -----------------------------------------------------------------------------------


class HTTPStatusError(Exception):
    """Raised by ``Response.raise_for_status()`` for 4xx and 5xx responses."""

    def __init__(self, message, response):
        Exception.__init__(self, message)
        self.response = response


class Request:
    """The request a response answers (``method``, ``url``, ``headers``, ``content``)."""

    def __init__(self, method, url, headers, content):
        self.method = method
        self.url = url
        self.headers = headers
        self.content = content

    def __repr__(self):
        return "<Request({!r}, {!r})>".format(self.method, str(self.url))


class Response:
    """A response, with the attributes tests use from httpx's ``Response``."""

    def __init__(self, status_code, reason_phrase, headers, content, request, http_version):
        self.status_code = status_code
        self.reason_phrase = reason_phrase
        self.headers = headers
        self.content = content
        self.request = request
        self.url = request.url
        self.http_version = http_version
        self.history = []
        self._cookies = None

    @property
    def encoding(self):
        ctype = self.headers.get("content-type", "")
        for part in ctype.split(";")[1:]:
            k, _, v = part.strip().partition("=")
            if k.lower() == "charset" and v:
                return v.strip('"').lower()
        return "utf-8"

    @property
    def text(self):
        try:
            return self.content.decode(self.encoding)
        except (LookupError, UnicodeError):
            return self.content.decode("utf-8", "replace") if not _compat.MICROPYTHON else \
                "".join(chr(b) for b in self.content)

    def json(self, **kwargs):
        return _json.loads(self.content.decode("utf-8"), **kwargs)

    def iter_bytes(self, chunk_size=None):
        if chunk_size is None:
            if self.content:
                yield self.content
            return
        for i in range(0, len(self.content), chunk_size):
            yield self.content[i:i + chunk_size]

    def iter_text(self, chunk_size=None):
        yield self.text

    def iter_lines(self):
        for line in self.text.splitlines():
            yield line

    def read(self):
        return self.content

    def close(self):
        pass

    @property
    def cookies(self):
        """Cookies set by this response (``Set-Cookie``), name -> value."""
        if self._cookies is None:
            jar = Cookies()
            for line in self.headers.get_list("set-cookie"):
                parsed = _parse_set_cookie(line)
                if parsed is not None and not parsed[2]:
                    jar[parsed[0]] = parsed[1]
            self._cookies = jar
        return self._cookies

    @property
    def is_success(self):
        return 200 <= self.status_code < 300

    @property
    def is_redirect(self):
        return self.status_code in _REDIRECTS and "location" in self.headers

    @property
    def is_error(self):
        return self.status_code >= 400

    @property
    def is_client_error(self):
        return 400 <= self.status_code < 500

    @property
    def is_server_error(self):
        return 500 <= self.status_code < 600

    @property
    def ok(self):  # requests' name
        return self.status_code < 400

    @property
    def next_request(self):
        return None

    @property
    def num_bytes_downloaded(self):
        return len(self.content)

    def raise_for_status(self):
        if self.is_error:
            raise HTTPStatusError("{} {} for url {}".format(
                self.status_code, self.reason_phrase, self.url), self)
        return self

    def __repr__(self):
        return "<Response [{} {}]>".format(self.status_code, self.reason_phrase)


# --- the HTTP/1.1 connection -----------------------------------------------------------------


class _Closed(Exception):
    """The server closed a reused connection before answering (the request can be retried)."""


class _Connection:
    """One keep-alive connection to 127.0.0.1:port: writes a request, reads its response."""

    def __init__(self, port, timeout):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            self.sock.settimeout(timeout)
            addr = socket.getaddrinfo("127.0.0.1", port)[0][-1]
            self.sock.connect(addr)
            try:
                self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except (AttributeError, OSError):
                pass
        except BaseException:
            self.sock.close()
            raise
        self.buf = b""
        self.used = False  # a response was read: a failure before the next one may be a close
        self.open = True

    def close(self):
        if self.open:
            self.open = False
            try:
                self.sock.close()
            except OSError:
                pass

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            return False
        self.buf += data
        return True

    def _line(self, limit=65536):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 2:]
                return line
            if len(self.buf) > limit:
                raise ValueError("response line too long")
            if not self._fill():
                raise ConnectionError("connection closed by the server mid-response")

    def _exact(self, n):
        while len(self.buf) < n:
            if not self._fill():
                raise ConnectionError("connection closed by the server mid-body")
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def _until_close(self):
        while self._fill():
            pass
        data, self.buf = self.buf, b""
        return data

    def _sendall(self, data):
        sendall = getattr(self.sock, "sendall", None)
        if sendall is not None:
            sendall(data)
            return
        view = memoryview(data)  # MicroPython's socket has no sendall
        while view:
            n = self.sock.send(view)
            view = view[n:]

    def send(self, head, body):
        reused = self.used
        try:
            self._sendall(head + body if len(body) < 65536 else head)
            if len(body) >= 65536:
                self._sendall(body)
        except OSError:
            if reused:
                raise _Closed()
            raise

    def read_response(self, method):
        """``(version, status, reason, [(name, value)], body, keep_alive)``."""
        reused = self.used
        while True:
            try:
                if not self.buf and not self._fill():
                    if reused:
                        raise _Closed()
                    raise ConnectionError("connection closed by the server before a response")
            except OSError as exc:
                if reused and not _is_timeout(exc):
                    raise _Closed()
                raise
            status_line = self._line()
            parts = status_line.split(None, 2)
            if len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
                raise ValueError("malformed status line: {!r}".format(status_line))
            version = parts[0][5:].decode()
            status = int(parts[1])
            reason = parts[2].decode("latin-1") if len(parts) > 2 else ""
            headers = []
            while True:
                line = self._line()
                if not line:
                    break
                name, _, value = line.partition(b":")
                headers.append((_compat.header_text(name.strip()),
                                _compat.header_text(value.strip())))
            if 100 <= status < 200 and status != 101:
                continue  # interim response (100 Continue)
            break
        self.used = True
        hmap = {}
        for k, v in headers:
            hmap.setdefault(k.lower(), []).append(v)
        conn_tokens = ",".join(hmap.get("connection", [])).lower()
        keep_alive = "close" not in conn_tokens and (version != "1.0" or
                                                     "keep-alive" in conn_tokens)
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            body = b""
        elif "chunked" in ",".join(hmap.get("transfer-encoding", [])).lower():
            body = self._chunked()
        elif "content-length" in hmap:
            body = self._exact(int(hmap["content-length"][0]))
        else:
            body = self._until_close()
            keep_alive = False
        return version, status, reason, headers, body, keep_alive

    def _chunked(self):
        parts = []
        while True:
            size_line = self._line()
            size = int(size_line.split(b";")[0].strip(), 16)
            if size == 0:
                while self._line():  # trailers
                    pass
                return b"".join(parts)
            parts.append(self._exact(size))
            if self._exact(2) != b"\r\n":
                raise ValueError("malformed chunk")


def _is_timeout(exc):
    t = getattr(socket, "timeout", None)
    return (t is not None and isinstance(exc, t)) or "timed out" in str(exc).lower()


# --- the server thread ---------------------------------------------------------------------------


class _ServerThread:
    """The app's server on a background thread with its own asyncio loop."""

    def __init__(self, app, options):
        self.app = app
        self.options = options
        self.server = None
        self.loop = None
        self.port = None
        self.error = None
        self.errors = []  # unhandled handler exceptions, for raise_server_exceptions
        self.done = None
        self.running = False
        self.ident = None

    def start(self):
        if _thread is None:
            raise RuntimeError("TestClient needs threads (_thread)")
        from .server import validate_options

        global _mp_running
        if _compat.MICROPYTHON and _mp_running:
            raise RuntimeError("MicroPython: one TestClient server at a time (asyncio's state "
                               "is shared by all threads); close the other client first")
        options = dict(self.options)
        options.setdefault("access_log", False)
        options.setdefault("log_level", "warning")
        self.config = validate_options("127.0.0.1", 0, options)
        self.done = _thread.allocate_lock()
        self.done.acquire()
        self.ready = _thread.allocate_lock()
        self.ready.acquire()
        if _compat.MICROPYTHON:
            _mp_running = True
        _thread.start_new_thread(self._main, ())
        if not self.ready.acquire(1, _START_TIMEOUT):
            raise RuntimeError("the test server did not start within {} s".format(_START_TIMEOUT))
        if self.error is not None:
            self._join()
            err, self.error = self.error, None
            raise err
        self.running = True

    def _main(self):
        global _mp_running
        done = self.done
        self.ident = _thread.get_ident()
        _recorders[self.ident] = self.errors
        try:
            _compat.asyncio.run(self._serve())
        except BaseException as exc:
            self.error = exc
        finally:
            _recorders.pop(self.ident, None)
            if _compat.MICROPYTHON:
                _mp_running = False
            self.running = False
            self.loop = None
            try:
                self.ready.release()  # if startup failed
            except RuntimeError:
                pass
            done.release()

    async def _serve(self):
        from .server import Server

        asyncio = _compat.asyncio
        self.server = server = Server(self.app, self.config)
        if _compat.MICROPYTHON:
            # serve() would make SIGINT/SIGTERM stop this server (a C handler) instead of
            # interrupting the tests; CPython skips it by itself off the main thread.
            _compat.install_stop_signals = _no_signals
        # MicroPython's asyncio has no call_soon_threadsafe: stop() calls the engine directly.
        self.loop = None if _compat.MICROPYTHON else asyncio.get_running_loop()
        task = asyncio.create_task(server.serve())
        try:
            # serve() starts the engine (and binds the port) before it first waits.
            while not task.done() and not (server.port and server.engine.running()):
                await asyncio.sleep(0.001)
            if not task.done():
                self.port = server.port
                self.ready.release()
        finally:
            if _compat.MICROPYTHON:
                _compat.install_stop_signals = _install_stop_signals
            await task

    def stop(self):
        if not self.running and self.done is None:
            return
        loop, server = self.loop, self.server
        if loop is not None and server is not None:
            try:
                loop.call_soon_threadsafe(server.request_stop)
            except RuntimeError:  # the loop already closed
                pass
        elif server is not None and self.running:
            server.request_stop()
        self._join()
        self.running = False
        if self.error is not None:
            err, self.error = self.error, None
            raise err

    def _join(self):
        done, self.done = self.done, None
        if done is not None:
            if not done.acquire(1, _STOP_TIMEOUT):
                raise RuntimeError("the test server did not stop within {} s".format(
                    _STOP_TIMEOUT))
            done.release()


_mp_running = False  # MicroPython: a TestClient server is running (one at a time)
_install_stop_signals = _compat.install_stop_signals


def _no_signals(engine, request_stop):
    pass


# Exceptions of handlers, by the thread of the server that ran them: app.server_error is
# wrapped (on the app instance, while a client uses the app) to record them.
_recorders = {}
_wrapped_apps = {}  # id(app) -> [app, original instance attribute or None, users]


def _hook_app(app):
    entry = _wrapped_apps.get(id(app))
    if entry is not None:
        entry[2] += 1
        return
    had = "server_error" in getattr(app, "__dict__", {})
    original = app.server_error

    def server_error(exc):
        errors = _recorders.get(_thread.get_ident())
        if errors is not None:
            errors.append(exc)
        return original(exc)

    app.server_error = server_error
    _wrapped_apps[id(app)] = [app, original if had else None, 1]


def _unhook_app(app):
    entry = _wrapped_apps.get(id(app))
    if entry is None:
        return
    entry[2] -= 1
    if entry[2] > 0:
        return
    del _wrapped_apps[id(app)]
    if entry[1] is not None:
        app.server_error = entry[1]
    else:
        try:
            del app.server_error
        except AttributeError:
            pass


class _State:
    """What the finalizer needs, without a reference to the client."""

    def __init__(self, app, options, raise_server_exceptions):
        self.app = app
        self.options = options
        self.raise_server_exceptions = raise_server_exceptions
        self.thread = None
        self.idle = []  # idle keep-alive connections
        self.lock = _thread.allocate_lock() if _thread is not None else None
        self.hooked = False

    def ensure_started(self):
        with self.lock:
            if self.thread is not None and self.thread.running:
                return self.thread
            self.close_connections()
            if self.thread is not None:  # it died: report why
                old, self.thread = self.thread, None
                old.stop()
            if self.raise_server_exceptions and not self.hooked:
                _hook_app(self.app)
                self.hooked = True
            thread = _ServerThread(self.app, self.options)
            try:
                thread.start()
            except BaseException:
                self.unhook()
                raise
            self.thread = thread
            return thread

    def close_connections(self):
        idle, self.idle = self.idle, []
        for c in idle:
            c.close()

    def unhook(self):
        if self.hooked:
            self.hooked = False
            _unhook_app(self.app)

    def shutdown(self):
        with self.lock:
            self.close_connections()
            thread, self.thread = self.thread, None
            try:
                if thread is not None:
                    thread.stop()
            finally:
                self.unhook()


def _finalize(state):
    try:
        state.shutdown()
    except Exception:
        pass


# --- the client --------------------------------------------------------------------------------


class TestClient:
    """``TestClient(app, base_url="http://testserver", raise_server_exceptions=True,
    root_path="", cookies=None, headers=None, follow_redirects=True, timeout=60.0,
    server_options=None)``.

    ``server_options`` are ``app.run`` options for the test server (``max_body_bytes=...``);
    ``access_log`` defaults to False and ``log_level`` to ``"warning"``.
    """

    __test__ = False  # not a pytest test class

    def __init__(self, app, base_url="http://testserver", raise_server_exceptions=True,
                 root_path="", cookies=None, headers=None, follow_redirects=True, timeout=60.0,
                 server_options=None, backend="asyncio", backend_options=None):
        self.app = app
        scheme, netloc, path, _ = _split_url(base_url)
        if scheme not in ("http", "https") or not netloc:
            raise ValueError("base_url must be an absolute http URL: {!r}".format(base_url))
        self.base_url = URL(scheme, netloc, path.rstrip("/"), "")
        self.root_path = root_path
        self.follow_redirects = follow_redirects
        self.timeout = timeout
        self.raise_server_exceptions = raise_server_exceptions
        # httpx's default headers, with Starlette's user agent.
        self.headers = Headers([("accept", "*/*"), ("accept-encoding", _ACCEPT_ENCODING),
                                ("connection", "keep-alive"), ("user-agent", "testclient")])
        if headers:
            self.headers.update(headers)
        self.cookies = Cookies()
        if cookies:
            self.cookies.update(cookies)
        self._state = _State(app, dict(server_options or {}), raise_server_exceptions)
        self._finalizer = None
        try:
            import weakref

            self._finalizer = weakref.finalize(self, _finalize, self._state)
        except (ImportError, AttributeError):
            pass

    # --- lifecycle ------------------------------------------------------------------------------

    def __enter__(self):
        self._state.ensure_started()
        return self

    def __exit__(self, *exc_info):
        self.close()
        return False

    def close(self):
        """Stops the server (gracefully: in-flight requests finish) and joins its thread."""
        self._state.shutdown()

    def __del__(self):
        if self._finalizer is None:
            _finalize(self._state)

    @property
    def port(self):
        """The test server's port on 127.0.0.1 (starts the server)."""
        return self._state.ensure_started().port

    @property
    def server(self):
        """The running ``viperhttp.server.Server`` (starts it)."""
        return self._state.ensure_started().server

    def server_stats(self):
        """``viperhttp.server_stats()`` of this client's server (engine + bridge counters)."""
        return self.server.stats_snapshot()

    # --- requests ---------------------------------------------------------------------------

    def get(self, url, params=None, headers=None, cookies=None, **kwargs):
        return self.request("GET", url, params=params, headers=headers, cookies=cookies,
                            **kwargs)

    def head(self, url, params=None, headers=None, cookies=None, **kwargs):
        return self.request("HEAD", url, params=params, headers=headers, cookies=cookies,
                            **kwargs)

    def options(self, url, params=None, headers=None, cookies=None, **kwargs):
        return self.request("OPTIONS", url, params=params, headers=headers, cookies=cookies,
                            **kwargs)

    def delete(self, url, params=None, headers=None, cookies=None, **kwargs):
        return self.request("DELETE", url, params=params, headers=headers, cookies=cookies,
                            **kwargs)

    def post(self, url, content=None, data=None, files=None, json=None, params=None,
             headers=None, cookies=None, **kwargs):
        return self.request("POST", url, content=content, data=data, files=files, json=json,
                            params=params, headers=headers, cookies=cookies, **kwargs)

    def put(self, url, content=None, data=None, files=None, json=None, params=None,
            headers=None, cookies=None, **kwargs):
        return self.request("PUT", url, content=content, data=data, files=files, json=json,
                            params=params, headers=headers, cookies=cookies, **kwargs)

    def patch(self, url, content=None, data=None, files=None, json=None, params=None,
              headers=None, cookies=None, **kwargs):
        return self.request("PATCH", url, content=content, data=data, files=files, json=json,
                            params=params, headers=headers, cookies=cookies, **kwargs)

    def request(self, method, url, content=None, data=None, files=None, json=None, params=None,
                headers=None, cookies=None, auth=None, follow_redirects=None, timeout=None,
                allow_redirects=None, extensions=None):
        """Sends one request (following redirects unless ``follow_redirects=False``)."""
        method = method.upper()
        if follow_redirects is None:
            follow_redirects = allow_redirects
        if follow_redirects is None:
            follow_redirects = self.follow_redirects
        if timeout is None:
            timeout = self.timeout
        body, ctype = _encode_body(content, data, files, json)
        req_headers = self.headers.copy()
        if ctype is not None:
            req_headers["content-type"] = ctype
        if headers:
            req_headers.update(headers)
        if auth is not None:
            req_headers["authorization"] = _basic_auth(auth)
        target = self._merge_url(url, params)
        history = []
        while True:
            response = self._send(method, target, req_headers, body, cookies, timeout)
            response.history = list(history)
            if not (follow_redirects and response.is_redirect):
                return response
            if len(history) >= _MAX_REDIRECTS:
                raise RuntimeError("exceeded {} redirects".format(_MAX_REDIRECTS))
            history.append(response)
            target = self._redirect_target(target, response.headers["location"])
            if response.status_code in (301, 302, 303) and method != "HEAD":
                if response.status_code == 303 or method == "POST":
                    method = "GET"
                    body = b""
                    for name in ("content-type", "content-length", "transfer-encoding"):
                        if name in req_headers:
                            del req_headers[name]

    # --- helpers ------------------------------------------------------------------------------

    def _merge_url(self, url, params):
        url = str(url)
        scheme, netloc, path, query = _split_url(url)
        if not scheme:
            scheme, netloc = self.base_url.scheme, self.base_url.netloc
            if not path.startswith("/"):
                path = "/" + path if path else "/"
            path = self.base_url.path + path
        elif not path:
            path = "/"
        extra = _items(params)
        if extra:
            query = (query + "&" if query else "") + urlencode(extra)
        return URL(scheme, netloc, _quote(path, _PATH_SAFE), _quote(query, _QUERY_SAFE))

    def _redirect_target(self, current, location):
        scheme, netloc, path, query = _split_url(location)
        if scheme:
            return URL(scheme, netloc, _quote(path or "/", _PATH_SAFE),
                       _quote(query, _QUERY_SAFE))
        if location.startswith("//"):
            return self._redirect_target(current, current.scheme + ":" + location)
        if not path:
            path = current.path
        elif not path.startswith("/"):
            path = current.path.rsplit("/", 1)[0] + "/" + path
        return URL(current.scheme, current.netloc, _quote(path, _PATH_SAFE),
                   _quote(query, _QUERY_SAFE))

    def _send(self, method, url, headers, body, cookies, timeout):
        state = self._state
        thread = state.ensure_started()
        lines = ["{} {} HTTP/1.1".format(method, url.target), "host: " + url.netloc]
        for k, v in headers.raw():
            if k.lower() in ("host", "content-length", "transfer-encoding", "cookie"):
                continue
            lines.append("{}: {}".format(k, v))
        jar = {}
        for k, v in self.cookies.items():
            jar[k] = v
        if cookies:
            for k, v in (cookies.items() if hasattr(cookies, "items") else cookies):
                jar[k] = v
        if "cookie" in headers:
            lines.append("cookie: " + headers["cookie"])
        elif jar:
            lines.append("cookie: " + "; ".join("{}={}".format(k, v) for k, v in jar.items()))
        if body or method in ("POST", "PUT", "PATCH"):
            lines.append("content-length: {}".format(len(body)))
        head = _compat.header_bytes("\r\n".join(lines) + "\r\n\r\n")
        for attempt in (0, 1):
            conn = None
            if not attempt:
                with state.lock:
                    if state.idle:
                        conn = state.idle.pop()
            if conn is None:
                conn = _Connection(thread.port, timeout)
            try:
                conn.sock.settimeout(timeout)
                del thread.errors[:]
                conn.send(head, body)
                version, status, reason, raw, content, keep = conn.read_response(method)
                break
            except _Closed:
                conn.close()
                if attempt:
                    raise ConnectionError("the test server closed the connection")
            except BaseException:
                conn.close()
                raise
        if keep:
            with state.lock:
                state.idle.append(conn)
        else:
            conn.close()
        rheaders = Headers(raw)
        content = _decode_content(rheaders, content)
        request = Request(method, url, headers, body)
        response = Response(status, reason, rheaders, content, request, "HTTP/" + version)
        for line in rheaders.get_list("set-cookie"):
            parsed = _parse_set_cookie(line)
            if parsed is None:
                continue
            if parsed[2]:
                self.cookies.pop(parsed[0], None)
            else:
                self.cookies[parsed[0]] = parsed[1]
        if self.raise_server_exceptions and thread.errors:
            exc = thread.errors[0]
            del thread.errors[:]
            raise exc
        return response


def _decode_content(headers, content):
    coding = headers.get("content-encoding", "").lower()
    if not content or coding not in ("gzip", "deflate"):
        return content
    try:
        import zlib
    except ImportError:
        return _inflate_micropython(coding, content)
    wbits = 16 + 15 if coding == "gzip" else 15
    try:
        return zlib.decompress(content, wbits)
    except zlib.error:
        return zlib.decompress(content, -15)


def _inflate_micropython(coding, content):
    try:
        import deflate
        import io
    except ImportError:
        return content
    fmt = deflate.GZIP if coding == "gzip" else deflate.ZLIB
    try:
        return deflate.DeflateIO(io.BytesIO(content), fmt).read()
    except OSError:  # raw deflate, as some servers send for "deflate"
        return deflate.DeflateIO(io.BytesIO(content), deflate.RAW).read()


def _basic_auth(auth):
    if isinstance(auth, tuple) and len(auth) == 2:
        import binascii

        token = binascii.b2a_base64("{}:{}".format(*auth).encode()).strip().decode()
        return "Basic " + token
    raise TypeError("auth must be a (username, password) tuple")


def _encode_body(content, data, files, json):
    """``(body bytes, content-type or None)`` as httpx encodes them."""
    if json is not None:
        return _compat.json_bytes(json), "application/json"
    if files:
        return _multipart(_items(data) if isinstance(data, dict) else [], files)
    if data is not None and not isinstance(data, (str, bytes, bytearray)):
        return urlencode(_items(data)).encode(), "application/x-www-form-urlencoded"
    if data is not None:  # httpx: deprecated, same as content=
        content = data
    if content is None:
        return b"", None
    if isinstance(content, str):
        return content.encode("utf-8"), None
    if isinstance(content, (bytes, bytearray, memoryview)):
        return bytes(content), None
    return b"".join(bytes(c) if not isinstance(c, str) else c.encode() for c in content), None


def _multipart(fields, files):
    boundary = "{:032x}".format(_random_bits())
    out = []
    for name, value in fields:
        out.append("--{}\r\ncontent-disposition: form-data; name=\"{}\"\r\n\r\n".format(
            boundary, name).encode())
        out.append(_param_str(value).encode("utf-8") + b"\r\n")
    for name, spec in (files.items() if hasattr(files, "items") else files):
        filename, ctype = name, "application/octet-stream"
        if isinstance(spec, tuple):
            filename, payload = spec[0], spec[1]
            if len(spec) > 2 and spec[2]:
                ctype = spec[2]
        else:
            payload = spec
            filename = getattr(spec, "name", name)
        if hasattr(payload, "read"):
            payload = payload.read()
        if isinstance(payload, str):
            payload = payload.encode("utf-8")
        filename = str(filename).replace("\\", "/").rsplit("/", 1)[-1]
        out.append(("--{}\r\ncontent-disposition: form-data; name=\"{}\"; filename=\"{}\"\r\n"
                    "content-type: {}\r\n\r\n").format(boundary, name, filename, ctype).encode())
        out.append(bytes(payload) + b"\r\n")
    out.append("--{}--\r\n".format(boundary).encode())
    return b"".join(out), "multipart/form-data; boundary=" + boundary


def _random_bits():
    try:
        import os

        return int.from_bytes(os.urandom(16), "big")
    except (ImportError, AttributeError, NotImplementedError):
        import random

        return random.getrandbits(32) << 96 | int(time.time() * 1000)
