"""The request a handler receives.

The engine hands over raw pieces (path, raw query, a header block, the body); everything here
is parsed on first use only, so a handler that reads nothing costs nothing.
"""

import json

from . import _compat
from ._urlencoding import parse_qsl


class Headers:
    """Case-insensitive, multi-valued request headers (``request.headers["content-type"]``)."""

    def __init__(self, raw=b"", items=None):
        self._raw = raw
        self._items = items  # [(lower-case name, value)], built on first use

    def _list(self):
        items = self._items
        if items is None:
            parts = _compat.header_text(self._raw).split("\0")
            items = [(parts[i], parts[i + 1]) for i in range(0, len(parts) - 1, 2)]
            self._items = items
        return items

    def get(self, name, default=None):
        name = name.lower()
        for k, v in self._list():
            if k == name:
                return v
        return default

    def getlist(self, name):
        name = name.lower()
        return [v for k, v in self._list() if k == name]

    def __getitem__(self, name):
        v = self.get(name)
        if v is None:
            raise KeyError(name)
        return v

    def __contains__(self, name):
        return self.get(name) is not None

    def keys(self):
        return [k for k, _ in self._list()]

    def values(self):
        return [v for _, v in self._list()]

    def items(self):
        return list(self._list())

    def __iter__(self):
        return iter(self.keys())

    def __len__(self):
        return len(self._list())

    def __eq__(self, other):
        return isinstance(other, Headers) and sorted(self._list()) == sorted(other._list())

    def __repr__(self):
        return "Headers({!r})".format(self.items())


class QueryParams:
    """The query string as a multi-dict: ``get`` gives the last value, ``getlist`` all."""

    def __init__(self, raw=""):
        self._raw = raw
        self._items = None

    def _list(self):
        if self._items is None:
            self._items = parse_qsl(self._raw)
        return self._items

    def get(self, key, default=None):
        found = default
        for k, v in self._list():
            if k == key:
                found = v
        return found

    def getlist(self, key):
        return [v for k, v in self._list() if k == key]

    def __getitem__(self, key):
        for k, v in reversed(self._list()):
            if k == key:
                return v
        raise KeyError(key)

    def __contains__(self, key):
        for k, _ in self._list():
            if k == key:
                return True
        return False

    def keys(self):
        seen = []
        for k, _ in self._list():
            if k not in seen:
                seen.append(k)
        return seen

    def items(self):
        return [(k, self.get(k)) for k in self.keys()]

    def multi_items(self):
        return list(self._list())

    def __iter__(self):
        return iter(self.keys())

    def __len__(self):
        return len(self.keys())

    def __str__(self):
        return self._raw

    def __repr__(self):
        return "QueryParams({!r})".format(self._raw)


class Address:
    """The peer of a connection: ``request.client.host`` and ``.port``."""

    def __init__(self, host, port):
        self.host = host
        self.port = port

    def __iter__(self):
        return iter((self.host, self.port))

    def __repr__(self):
        return "Address(host={!r}, port={})".format(self.host, self.port)


class URL:
    """``request.url``: ``path``, ``query``, ``scheme``, ``hostname``, ``port``; ``str()``."""

    def __init__(self, scheme, host, path, query):
        self.scheme = scheme
        self.netloc = host
        self.path = path
        self.query = query

    @property
    def hostname(self):
        return self.netloc.rsplit(":", 1)[0] if ":" in self.netloc else self.netloc

    @property
    def port(self):
        if ":" in self.netloc:
            tail = self.netloc.rsplit(":", 1)[1]
            if tail.isdigit():
                return int(tail)
        return None

    def __str__(self):
        s = "{}://{}{}".format(self.scheme, self.netloc, self.path)
        return s + "?" + self.query if self.query else s

    def __repr__(self):
        return "URL({!r})".format(str(self))

    def __eq__(self, other):
        return str(self) == str(other)


class State:
    """Free-form attributes (``request.state.user = ...``, ``app.state.db = ...``)."""

    def __repr__(self):
        return "State({!r})".format(self.__dict__)


class Request:
    """What a handler gets when it declares a ``request`` parameter.

    ``method``, ``url``, ``headers``, ``query_params``, ``path_params``, ``client``, ``state``,
    ``app``; ``await request.body()`` and ``await request.json()``.  Example::

        @app.post("/echo")
        async def echo(request):
            data = await request.json()
            return {"got": data, "agent": request.headers.get("user-agent")}
    """

    def __init__(self, app, method, path, query, raw_headers, body, params, client,
                 http_version, param_names=()):
        self.app = app
        self.method = method
        self._params = params  # converted path values, in pattern order
        self._param_names = param_names
        self._path_params = None
        self.http_version = http_version
        self._path = path
        self._query = query
        self._raw_headers = raw_headers
        self._body = body
        self._client = client
        self._headers = None
        self._query_params = None
        self._url = None
        self._state = None
        self._json = None
        self._cookies = None
        self._form = None

    @property
    def path_params(self):
        """``{"item_id": 5}``: the path parameters by name, converted by the engine."""
        if self._path_params is None:
            self._path_params = dict(zip(self._param_names, self._params))
        return self._path_params

    @property
    def headers(self):
        if self._headers is None:
            self._headers = Headers(self._raw_headers)
        return self._headers

    @property
    def query_params(self):
        if self._query_params is None:
            self._query_params = QueryParams(self._query)
        return self._query_params

    @property
    def url(self):
        if self._url is None:
            host = self.headers.get("host") or "{}:{}".format(*self.app_address())
            self._url = URL("http", host, self._path, self._query)
        return self._url

    def app_address(self):
        server = getattr(self.app, "_server", None)
        return (server.host, server.port) if server is not None else ("127.0.0.1", 80)

    @property
    def client(self):
        return Address(self._client[0], self._client[1])

    @property
    def state(self):
        if self._state is None:
            self._state = State()
        return self._state

    async def body(self):
        """The whole request body as bytes (the engine has already received it)."""
        return self._body

    async def json(self):
        """The body parsed as JSON; ``ValueError`` if it is not JSON."""
        if self._json is None:
            self._json = json.loads(self._body)
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
            body = self._body
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
        return "Request({} {})".format(self.method, self._path)
