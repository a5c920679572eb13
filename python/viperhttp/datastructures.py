"""The value types of requests and responses (Starlette's ``datastructures``): ``Headers`` and
``MutableHeaders``, ``QueryParams``, ``URL``, ``Address``, ``State``.

One ``Headers`` type serves the request (built lazily from the engine's header block), the
response (``MutableHeaders``, checked against CR/LF) and the TestClient (which adds httpx's way
of joining repeated values, ``viperhttp.testclient.Headers``)::

    h = MutableHeaders()
    h["Content-Type"] = "text/plain"
    h.append("set-cookie", "a=1")
    h.append("Set-Cookie", "b=2")
    h["content-type"]           # "text/plain": names compare case-insensitively
    h.getlist("set-cookie")     # ["a=1", "b=2"]
"""

from . import _compat
from ._urlencoding import parse_qsl


def check_header(name, value):
    """``ValueError`` for a header that would break the response framing (CR, LF or NUL)."""
    for ch in "\r\n\0":
        if ch in name or ch in value:
            raise ValueError("header {!r} contains CR, LF or NUL".format(name))


def _pairs(headers):
    """(name, value) pairs of a mapping, a ``Headers`` or a list of pairs (values as str)."""
    if headers is None:
        return []
    if isinstance(headers, Headers):
        return list(headers._items())
    if isinstance(headers, (str, bytes)):
        raise TypeError("headers must be a mapping or a list of pairs, not a string")
    items = headers.items() if hasattr(headers, "items") else headers
    return [(str(k), str(v)) for k, v in items]


class Headers:
    """Case-insensitive, multi-valued headers (Starlette's ``Headers``).

    ``Headers({"X-A": "1"})``, ``Headers([("x-a", "1"), ("x-a", "2")])``.  ``h[name]`` and
    ``h.get(name)`` give the first value, ``getlist(name)`` every value; ``keys()``,
    ``values()`` and ``items()`` list every header in order (repeats included), with names as
    they were given; ``name in h``; ``len(h)``.
    """

    def __init__(self, headers=None, raw=None):
        # raw: the engine's block "name\0value\0..." with lower-case names, parsed on first use.
        if raw is None:
            self._list = _pairs(headers)
            self._folded = False
        else:
            self._list = None
            self._raw = raw
            self._folded = True  # every name is lower-case already

    def _items(self):
        items = self._list
        if items is None:
            parts = _compat.header_text(self._raw).split("\0")
            items = [(parts[i], parts[i + 1]) for i in range(0, len(parts) - 1, 2)]
            self._list = items
        return items

    def getlist(self, name):
        low = name.lower()
        if self._folded:
            return [v for k, v in self._items() if k == low]
        return [v for k, v in self._items() if k.lower() == low]

    def get(self, name, default=None):
        low = name.lower()
        if self._folded:
            for k, v in self._items():
                if k == low:
                    return v
        else:
            for k, v in self._items():
                if k.lower() == low:
                    return v
        return default

    def __getitem__(self, name):
        v = self.get(name)
        if v is None:
            raise KeyError(name)
        return v

    def __contains__(self, name):
        return self.get(name) is not None

    def keys(self):
        return [k for k, _ in self._items()]

    def values(self):
        return [v for _, v in self._items()]

    def items(self):
        return list(self._items())

    def multi_items(self):
        """Every (lower-case name, value) pair, in order."""
        return [(k.lower(), v) for k, v in self._items()]

    def mutablecopy(self):
        return MutableHeaders(self._items())

    def __iter__(self):
        return iter(self.keys())

    def __len__(self):
        return len(self._items())

    def __eq__(self, other):
        if not isinstance(other, Headers):
            return False
        return sorted(self.multi_items()) == sorted(other.multi_items())

    def __repr__(self):
        return "{}({!r})".format(type(self).__name__, self.items())


class MutableHeaders(Headers):
    """``Headers`` that can be changed: a response's headers.  A value is converted with
    ``str()``; a name or value containing CR, LF or NUL is refused with ``ValueError``.

    ``h[name] = value`` replaces every header of that name (the new one goes last);
    ``del h[name]`` removes them all; ``append(name, value)`` adds one more;
    ``setdefault``, ``update`` and ``clear`` as for a dict.
    """

    def __init__(self, headers=None, raw=None):
        Headers.__init__(self, None, raw)
        if raw is None:
            for k, v in _pairs(headers):
                check_header(k, v)
                self._list.append((k, v))

    def __setitem__(self, name, value):
        value = str(value)
        check_header(name, value)
        low = name.lower()
        items = self._items()
        items[:] = [(k, v) for k, v in items if k.lower() != low]
        items.append((name, value))
        self._folded = self._folded and name == low

    def __delitem__(self, name):
        low = name.lower()
        items = self._items()
        items[:] = [(k, v) for k, v in items if k.lower() != low]

    def append(self, name, value):
        value = str(value)
        check_header(name, value)
        self._items().append((name, value))
        self._folded = self._folded and name == name.lower()

    def setdefault(self, name, value):
        found = self.get(name)
        if found is not None:
            return found
        self[name] = value
        return self.get(name)

    def update(self, other):
        for k, v in _pairs(other):
            self[k] = v

    def clear(self):
        del self._items()[:]

    def pop(self, name, *default):
        found = self.getlist(name)
        if not found:
            if default:
                return default[0]
            raise KeyError(name)
        del self[name]
        return found[0]


class QueryParams:
    """The query string as a multi-dict: ``get`` gives the last value, ``getlist`` all,
    ``items()`` one (key, last value) pair per key, ``multi_items()`` every pair."""

    def __init__(self, raw="", items=None):
        self._raw = raw
        self._list = items  # parsed on first use when not given

    def _items(self):
        if self._list is None:
            self._list = parse_qsl(self._raw)
        return self._list

    def get(self, key, default=None):
        found = default
        for k, v in self._items():
            if k == key:
                found = v
        return found

    def getlist(self, key):
        return [v for k, v in self._items() if k == key]

    def __getitem__(self, key):
        for k, v in reversed(self._items()):
            if k == key:
                return v
        raise KeyError(key)

    def __contains__(self, key):
        for k, _ in self._items():
            if k == key:
                return True
        return False

    def keys(self):
        seen = []
        for k, _ in self._items():
            if k not in seen:
                seen.append(k)
        return seen

    def values(self):
        return [self.get(k) for k in self.keys()]

    def items(self):
        return [(k, self.get(k)) for k in self.keys()]

    def multi_items(self):
        return list(self._items())

    def __iter__(self):
        return iter(self.keys())

    def __len__(self):
        return len(self.keys())

    def __str__(self):
        return self._raw

    def __repr__(self):
        return "QueryParams({!r})".format(self._raw)


def split_url(url):
    """``URL`` of ``url`` (absolute, or relative: empty scheme and netloc; the fragment is
    dropped)."""
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
    path, _, query = url.partition("?")
    return URL(scheme, netloc, path, query)


class URL:
    """A URL: ``scheme``, ``netloc``, ``path``, ``query``; ``hostname`` (also ``host``),
    ``port``, ``str(url)``.  ``request.url`` and the TestClient's ``response.url``."""

    def __init__(self, scheme="", netloc="", path="", query=""):
        self.scheme = scheme
        self.netloc = netloc
        self.path = path
        self.query = query

    @property
    def hostname(self):
        netloc = self.netloc
        if netloc.startswith("["):  # IPv6 literal
            return netloc[1:netloc.find("]")] if "]" in netloc else netloc
        return netloc.rsplit(":", 1)[0] if ":" in netloc else netloc

    host = hostname

    @property
    def port(self):
        tail = self.netloc.rsplit("]", 1)[-1]
        if ":" in tail:
            tail = tail.rsplit(":", 1)[1]
            if tail.isdigit():
                return int(tail)
        return None

    @property
    def target(self):
        """The request target: path and query."""
        return self.path + ("?" + self.query if self.query else "")

    @property
    def is_secure(self):
        return self.scheme in ("https", "wss")

    def __str__(self):
        return "{}://{}{}".format(self.scheme, self.netloc, self.target)

    def __repr__(self):
        return "URL({!r})".format(str(self))

    def __eq__(self, other):
        return str(self) == str(other)

    def __hash__(self):
        return hash(str(self))


class Address:
    """The peer of a connection: ``request.client.host`` and ``.port``."""

    def __init__(self, host, port):
        self.host = host
        self.port = port

    def __iter__(self):
        return iter((self.host, self.port))

    def __repr__(self):
        return "Address(host={!r}, port={})".format(self.host, self.port)


class State:
    """Free-form attributes (``request.state.user = ...``, ``app.state.db = ...``)."""

    def __repr__(self):
        return "State({!r})".format(self.__dict__)
