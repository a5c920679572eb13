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

The client is small modules: ``transport`` (the HTTP/1.1 connection), ``models`` (``Headers``,
``Request``, ``Response``), ``cookies`` (the jar), ``encoding`` (URLs, bodies, content
codings), ``server_thread`` (the app's server on its thread) and this front.
"""

from .. import _compat
from ..datastructures import URL, split_url
from .cookies import Cookies, parse_set_cookie
from .encoding import (ACCEPT_ENCODING, PATH_SAFE, QUERY_SAFE, basic_auth, decode_content,
                       encode_body, pairs, quote_part, urlencode)
from .models import Headers, HTTPStatusError, Request, Response, StreamResponse
from .server_thread import ServerThread, _thread
from .transport import Closed, Connection, has_body

try:
    import weakref
except ImportError:  # MicroPython: clients are closed explicitly (or by "with")
    weakref = None

__all__ = ["TestClient", "Response", "Request", "Headers", "Cookies", "URL", "HTTPStatusError"]

_MAX_REDIRECTS = 20


class _ServerState:
    """What the finalizer needs, without a reference to the client."""

    def __init__(self, app, options, raise_server_exceptions):
        self.app = app
        self.options = options
        self.raise_server_exceptions = raise_server_exceptions
        self.thread = None
        self.idle = []  # idle keep-alive connections
        self.lock = _thread.allocate_lock() if _thread is not None else None

    def ensure_started(self):
        with self.lock:
            if self.thread is not None and self.thread.running:
                return self.thread
            self.close_connections()
            if self.thread is not None:  # it died: report why
                old, self.thread = self.thread, None
                old.stop()
            thread = ServerThread(self.app, self.options)
            thread.start()
            self.thread = thread
            return thread

    def close_connections(self):
        idle, self.idle = self.idle, []
        for c in idle:
            c.close()

    def shutdown(self):
        with self.lock:
            self.close_connections()
            thread, self.thread = self.thread, None
            if thread is not None:
                thread.stop()


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
        parsed = split_url(base_url)
        scheme, netloc, path = parsed.scheme, parsed.netloc, parsed.path
        if scheme not in ("http", "https") or not netloc:
            raise ValueError("base_url must be an absolute http URL: {!r}".format(base_url))
        self.base_url = URL(scheme, netloc, path.rstrip("/"), "")
        self.root_path = root_path
        self.follow_redirects = follow_redirects
        self.timeout = timeout
        self.raise_server_exceptions = raise_server_exceptions
        # httpx's default headers, with Starlette's user agent.
        self.headers = Headers([("accept", "*/*"), ("accept-encoding", ACCEPT_ENCODING),
                                ("connection", "keep-alive"), ("user-agent", "testclient")])
        if headers:
            self.headers.update(headers)
        self.cookies = Cookies()
        if cookies:
            self.cookies.update(cookies)
        self._state = _ServerState(app, dict(server_options or {}), raise_server_exceptions)
        self._finalizer = None
        if weakref is not None and hasattr(weakref, "finalize"):
            self._finalizer = weakref.finalize(self, _finalize, self._state)

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
        body, ctype = encode_body(content, data, files, json)
        req_headers = self.headers.copy()
        if ctype is not None:
            req_headers["content-type"] = ctype
        if headers:
            req_headers.update(headers)
        if auth is not None:
            req_headers["authorization"] = basic_auth(auth)
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

    def stream(self, method, url, content=None, data=None, files=None, json=None, params=None,
               headers=None, cookies=None, timeout=None):
        """A context manager that sends one request and gives its response as soon as the head
        has arrived; the body is read as it is iterated (httpx's ``client.stream``)::

            with client.stream("GET", "/events") as r:
                for line in r.iter_lines():
                    ...

        Leaving the block before the end closes the connection: the server sees the client
        go away (a streamed response's producer is cancelled).  No redirects are followed."""
        return _StreamContext(self, method.upper(), url, content, data, files, json, params,
                              headers, cookies, timeout)

    def websocket_connect(self, url, subprotocols=None, headers=None, cookies=None,
                          params=None, timeout=None):
        """Opens a WebSocket to ``url`` on the test server (a context manager:
        ``with client.websocket_connect("/ws") as websocket:``); see
        ``viperhttp.testclient.websocket.WebSocketTestSession``."""
        from .websocket import WebSocketTestSession
        thread = self._state.ensure_started()
        target = self._merge_url(url, params)
        sent = []
        for k, v in (headers.items() if hasattr(headers, "items") else (headers or [])):
            sent.append((k, v))
        jar = {}
        for k, v in self.cookies.items():
            jar[k] = v
        if cookies:
            for k, v in (cookies.items() if hasattr(cookies, "items") else cookies):
                jar[k] = v
        if jar:
            sent.append(("cookie", "; ".join("{}={}".format(k, v) for k, v in jar.items())))
        return WebSocketTestSession(thread.port, target.target, target.netloc, sent,
                                    subprotocols, timeout if timeout is not None else self.timeout)

    # --- helpers ------------------------------------------------------------------------------

    def _merge_url(self, url, params):
        url = str(url)
        parsed = split_url(url)
        scheme, netloc, path, query = parsed.scheme, parsed.netloc, parsed.path, parsed.query
        if not scheme:
            scheme, netloc = self.base_url.scheme, self.base_url.netloc
            if not path.startswith("/"):
                path = "/" + path if path else "/"
            path = self.base_url.path + path
        elif not path:
            path = "/"
        extra = pairs(params)
        if extra:
            query = (query + "&" if query else "") + urlencode(extra)
        return URL(scheme, netloc, quote_part(path, PATH_SAFE), quote_part(query, QUERY_SAFE))

    def _redirect_target(self, current, location):
        parsed = split_url(location)
        scheme, netloc, path, query = parsed.scheme, parsed.netloc, parsed.path, parsed.query
        if scheme:
            return URL(scheme, netloc, quote_part(path or "/", PATH_SAFE),
                       quote_part(query, QUERY_SAFE))
        if location.startswith("//"):
            return self._redirect_target(current, current.scheme + ":" + location)
        if not path:
            path = current.path
        elif not path.startswith("/"):
            path = current.path.rsplit("/", 1)[0] + "/" + path
        return URL(current.scheme, current.netloc, quote_part(path, PATH_SAFE),
                   quote_part(query, QUERY_SAFE))

    def _request_head(self, method, url, headers, body, cookies):
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
        return _compat.header_bytes("\r\n".join(lines) + "\r\n\r\n")

    def _exchange(self, thread, method, head, body, timeout, read):
        """Sends on an idle connection (or a new one, and once more on a new one if the idle
        one turns out closed) and returns ``(conn, read(conn))``."""
        state = self._state
        for attempt in (0, 1):
            conn = None
            if not attempt:
                with state.lock:
                    if state.idle:
                        conn = state.idle.pop()
            if conn is None:
                conn = Connection(thread.port, timeout)
            try:
                conn.sock.settimeout(timeout)
                del thread.errors[:]
                conn.send(head, body)
                return conn, read(conn)
            except Closed:
                conn.close()
                if attempt:
                    raise ConnectionError("the test server closed the connection")
            except BaseException:
                conn.close()
                raise

    def _keep_cookies(self, rheaders):
        for line in rheaders.get_list("set-cookie"):
            parsed = parse_set_cookie(line)
            if parsed is None:
                continue
            if parsed[2]:
                self.cookies.pop(parsed[0], None)
            else:
                self.cookies[parsed[0]] = parsed[1]

    def _send(self, method, url, headers, body, cookies, timeout):
        state = self._state
        thread = state.ensure_started()
        head = self._request_head(method, url, headers, body, cookies)
        conn, got = self._exchange(thread, method, head, body, timeout,
                                   lambda c: c.read_response(method))
        version, status, reason, raw, content, keep = got
        if keep:
            with state.lock:
                state.idle.append(conn)
        else:
            conn.close()
        thread.wait_idle(timeout if timeout else 30.0)
        rheaders = Headers(raw)
        content = decode_content(rheaders, content)
        request = Request(method, url, headers, body)
        response = Response(status, reason, rheaders, content, request, "HTTP/" + version)
        self._keep_cookies(rheaders)
        if self.raise_server_exceptions and thread.errors:
            exc = thread.errors[0]
            del thread.errors[:]
            raise exc
        return response


class _StreamContext:
    def __init__(self, client, method, url, content, data, files, json, params, headers,
                 cookies, timeout):
        self.client = client
        self.args = (method, url, content, data, files, json, params, headers, cookies,
                     timeout)
        self.response = None

    def __enter__(self):
        client = self.client
        method, url, content, data, files, json, params, headers, cookies, timeout = self.args
        if timeout is None:
            timeout = client.timeout
        body, ctype = encode_body(content, data, files, json)
        req_headers = client.headers.copy()
        if ctype is not None:
            req_headers["content-type"] = ctype
        if headers:
            req_headers.update(headers)
        target = client._merge_url(url, params)
        state = client._state
        thread = state.ensure_started()
        head = client._request_head(method, target, req_headers, body, cookies)
        conn, got = client._exchange(thread, method, head, body, timeout,
                                     lambda c: c.read_head(method))
        version, status, reason, raw, hmap, keep = got

        def on_close(complete):
            # Read to the end: the connection may serve the next request; else it is closed,
            # which the server sees as the client leaving.
            if complete and keep:
                with state.lock:
                    state.idle.append(conn)
            else:
                conn.close()

        rheaders = Headers(raw)
        client._keep_cookies(rheaders)
        self.response = StreamResponse(status, reason, rheaders,
                                       Request(method, target, req_headers, body),
                                       "HTTP/" + version, conn.iter_body(method, status, hmap),
                                       on_close)
        if not has_body(method, status):
            self.response.is_stream_consumed = True
            self.response.close(complete=True)
        return self.response

    def __exit__(self, *exc_info):
        if self.response is not None:
            self.response.close()
        return False
