"""The request a handler receives.

The engine hands over one tuple per request (docs/native-api.md): method, path, raw query,
the header block, the body, the converted path parameters, the peer.  A ``Request`` is a view
of that tuple: it stores the tuple and the app, and parses what a handler reads — headers,
query, cookies, JSON, form — on first use only, so a handler that reads nothing costs nothing.
"""

import json

from ._compat import const
from ._urlencoding import parse_qsl
from .datastructures import URL, Address, Headers, QueryParams, State

# The engine's request tuple (docs/native-api.md): the index of each field.
TOKEN = const(0)
ROUTE_ID = const(1)
METHOD = const(2)
PATH = const(3)
QUERY = const(4)
HEADERS = const(5)
BODY = const(6)
PARAMS = const(7)
CLIENT = const(8)
VERSION = const(9)


class Request:
    """What a handler gets when it declares a ``request`` parameter.

    ``method``, ``url``, ``headers``, ``query_params``, ``path_params``, ``client``, ``state``,
    ``app``, ``http_version``; ``await request.body()``, ``await request.json()``,
    ``await request.form()``.  Example::

        @app.post("/echo")
        async def echo(request):
            data = await request.json()
            return {"got": data, "agent": request.headers.get("user-agent")}
    """

    # Parsed on first use (class attributes until then: an instance stores only what it made).
    _headers = None
    _query = None  # the query's (key, value) pairs
    _query_params = None
    _path_params = None
    _url = None
    _state = None
    _json = None
    _cookies = None
    _form = None
    _scope = None

    def __init__(self, item, app):
        self._item = item
        self.app = app

    @property
    def method(self):
        return self._item[METHOD]

    @property
    def http_version(self):
        """``"1.1"`` or ``"1.0"``."""
        return self._item[VERSION]

    @property
    def _path(self):
        return self._item[PATH]

    @property
    def _body(self):
        return self._item[BODY]

    @property
    def path_params(self):
        """``{"item_id": 5}``: the path parameters by name, converted by the engine."""
        if self._path_params is None:
            names = self.app.routes[self._item[ROUTE_ID]].path_names
            self._path_params = dict(zip(names, self._item[PARAMS]))
        return self._path_params

    @property
    def headers(self):
        """Case-insensitive, multi-valued (``Headers``; ``getlist`` for repeated ones)."""
        if self._headers is None:
            self._headers = Headers(raw=self._item[HEADERS])
        return self._headers

    @property
    def query_params(self):
        if self._query_params is None:
            self._query_params = QueryParams(self._item[QUERY], self._query_items())
        return self._query_params

    def _query_items(self):
        # The parsed query, shared by query_params and the parameter binding (which reads it
        # without making a QueryParams).
        if self._query is None:
            self._query = parse_qsl(self._item[QUERY])
        return self._query

    @property
    def url(self):
        if self._url is None:
            host = self.headers.get("host") or "{}:{}".format(*self.app_address())
            server = getattr(self.app, "_server", None)
            scheme = server.scheme if server is not None else "http"
            self._url = URL(scheme, host, self._item[PATH], self._item[QUERY])
        return self._url

    def app_address(self):
        server = getattr(self.app, "_server", None)
        return (server.host, server.port) if server is not None else ("127.0.0.1", 80)

    @property
    def scope(self):
        """An ASGI-like ``scope`` dict for code that reads one (made on first use): ``type``,
        ``method``, ``path``, ``root_path``, ``scheme``, ``query_string`` (bytes),
        ``headers`` (lower-case ``(name, value)`` bytes pairs), ``client``, ``server``,
        ``http_version``, ``path_params``, ``app``, ``state``.  Changing it changes nothing
        of the request."""
        scope = self._scope
        if scope is None:
            client = self.client
            from ._compat import header_bytes

            scope = {
                "type": "http", "method": self.method, "path": self._item[PATH],
                "root_path": self.app.routes[self._item[ROUTE_ID]].root_path,
                "scheme": self.url.scheme,
                "query_string": self._item[QUERY].encode() if isinstance(
                    self._item[QUERY], str) else self._item[QUERY],
                "headers": [(header_bytes(k), header_bytes(v)) for k, v in
                            self.headers.items()],
                "client": (client.host, client.port), "server": self.app_address(),
                "http_version": self.http_version, "path_params": self.path_params,
                "app": self.app, "state": self.state,
            }
            self._scope = scope
        return scope

    @property
    def client(self):
        if getattr(getattr(self.app, "_server", None), "test_client", False):
            return Address("testclient", 50000)  # as Starlette's TestClient
        host, port = self._item[CLIENT]
        return Address(host, port)

    @property
    def state(self):
        if self._state is None:
            self._state = State()
        return self._state

    async def body(self):
        """The whole request body as bytes (the engine has already received it)."""
        return self._item[BODY]

    async def json(self):
        """The body parsed as JSON; ``ValueError`` if it is not JSON."""
        if self._json is None:
            self._json = json.loads(self._item[BODY])
        return self._json

    @property
    def cookies(self):
        """``{"session": "abc"}`` from the ``Cookie`` header(s)."""
        if self._cookies is None:
            cookies = {}
            for line in self.headers.getlist("cookie"):
                for part in line.split(";"):
                    name, sep, value = part.partition("=")
                    name = name.strip()
                    if name and sep:
                        value = value.strip()
                        if len(value) > 1 and value[0] == value[-1] == '"':
                            value = value[1:-1]
                        cookies[name] = value
            self._cookies = cookies
        return self._cookies

    def _form_data(self):
        if self._form is None:
            body = self._item[BODY]
            try:
                text = body.decode() if isinstance(body, (bytes, bytearray)) else body
            except UnicodeError:
                text = ""
            self._form = QueryParams(text or "")
        return self._form

    async def form(self):
        """The ``application/x-www-form-urlencoded`` body as a multi-dict (``get``,
        ``getlist``, ``[key]``, ``keys``, ``items``)."""
        return self._form_data()

    def __repr__(self):
        return "Request({} {})".format(self.method, self._item[PATH])
