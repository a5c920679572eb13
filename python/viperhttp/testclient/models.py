"""What the TestClient's requests and responses look like to a test: ``Headers`` (httpx's
flavour of the package's one ``Headers`` type), ``Request``, ``Response`` and
``HTTPStatusError``."""

import json as _json

from .. import _compat
from ..datastructures import Headers as _Headers
from ..datastructures import MutableHeaders, _pairs
from .cookies import Cookies, parse_set_cookie

REDIRECTS = (301, 302, 303, 307, 308)


class Headers(MutableHeaders):
    """The package's headers with httpx's reading of repeated values: ``h["x"]`` and
    ``h.get("x")`` join them with ``", "``; ``get_list(name)`` (also ``getlist``) gives each;
    ``keys()`` are the distinct lower-case names; ``multi_items()`` every pair."""

    def __init__(self, items=None):
        # Values as received or given (no CR/LF check here: those come off the wire).
        _Headers.__init__(self, _expand(items))

    def get_list(self, name):
        return self.getlist(name)

    def get(self, name, default=None):
        values = self.getlist(name)
        return ", ".join(values) if values else default

    def __getitem__(self, name):
        values = self.getlist(name)
        if not values:
            raise KeyError(name)
        return ", ".join(values)

    def __delitem__(self, name):
        if name not in self:
            raise KeyError(name)
        MutableHeaders.__delitem__(self, name)

    def __contains__(self, name):
        return bool(self.getlist(name))

    def keys(self):
        out = []
        for k, _ in self._items():
            low = k.lower()
            if low not in out:
                out.append(low)
        return out

    def values(self):
        return [self[k] for k in self.keys()]

    def items(self):
        return [(k, self[k]) for k in self.keys()]

    def raw(self):
        """Every (name as sent, value) pair."""
        return list(self._items())

    def update(self, other):
        for k, v in _pairs(other):
            self[k] = v

    def copy(self):
        return Headers(self.raw())

    def __len__(self):
        return len(self.keys())

    def __eq__(self, other):
        if isinstance(other, _Headers):
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


def _expand(items):
    """(name, value) pairs of a dict (list values repeat the name) or of a list of pairs."""
    if items is None:
        return []
    if hasattr(items, "items") and not isinstance(items, _Headers):
        out = []
        for k, v in items.items():
            if isinstance(v, (list, tuple)):
                for x in v:
                    out.append((str(k), str(x)))
            else:
                out.append((str(k), str(v)))
        return out
    return _pairs(items)


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
                parsed = parse_set_cookie(line)
                if parsed is not None and not parsed[2]:
                    jar[parsed[0]] = parsed[1]
            self._cookies = jar
        return self._cookies

    @property
    def is_success(self):
        return 200 <= self.status_code < 300

    @property
    def is_redirect(self):
        return self.status_code in REDIRECTS and "location" in self.headers

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


class StreamResponse(Response):
    """The response of ``client.stream(...)``: the head has arrived, the body is read as it is
    iterated (``iter_bytes``, ``iter_text``, ``iter_lines``, ``iter_raw``) or all at once
    (``read()``), as in httpx."""

    def __init__(self, status_code, reason_phrase, headers, request, http_version, pieces,
                 on_close):
        Response.__init__(self, status_code, reason_phrase, headers, b"", request,
                          http_version)
        self._pieces = pieces
        self._on_close = on_close
        self.is_stream_consumed = False
        self.is_closed = False
        self._downloaded = 0

    def iter_raw(self, chunk_size=None):
        if self.is_stream_consumed:
            raise RuntimeError("the stream has been consumed already")
        self.is_stream_consumed = True
        for piece in self._pieces:
            self._downloaded += len(piece)
            if chunk_size is None:
                yield piece
            else:
                for i in range(0, len(piece), chunk_size):
                    yield piece[i:i + chunk_size]
        self.close(complete=True)

    def iter_bytes(self, chunk_size=None):
        coding = self.headers.get("content-encoding", "").lower()
        if coding in ("gzip", "deflate"):  # decoded whole: read() then slices
            self.read()
            for piece in Response.iter_bytes(self, chunk_size):
                yield piece
            return
        for piece in self.iter_raw(chunk_size):
            yield piece

    def iter_text(self, chunk_size=None):
        pending = b""
        for piece in self.iter_bytes(chunk_size):
            pending += piece
            # Only whole UTF-8 sequences: keep an incomplete tail for the next piece.
            cut = len(pending)
            back = 0
            while back < 3 and cut - back - 1 >= 0 and (pending[cut - back - 1] & 0xC0) == 0x80:
                back += 1
            lead = cut - back - 1
            if lead >= 0 and pending[lead] >= 0xC0:
                need = 2 if pending[lead] < 0xE0 else 3 if pending[lead] < 0xF0 else 4
                if back + 1 < need:
                    cut = lead
            if cut:
                yield pending[:cut].decode(self.encoding)
                pending = pending[cut:]
        if pending:
            yield pending.decode(self.encoding)

    def iter_lines(self):
        """Lines as they complete (``\\n``, ``\\r\\n`` or ``\\r`` end one), without their ends."""
        pending = ""
        for text in self.iter_text():
            pending += text
            while True:
                i = -1
                for j, ch in enumerate(pending):
                    if ch == "\n" or ch == "\r":
                        i = j
                        break
                if i < 0 or (pending[i] == "\r" and i + 1 == len(pending)):
                    break  # no end yet, or a CR whose LF may follow in the next piece
                step = 2 if pending[i] == "\r" and pending[i + 1] == "\n" else 1
                yield pending[:i]
                pending = pending[i + step:]
        if pending:
            yield pending.rstrip("\r")

    def read(self):
        if not self.is_stream_consumed:
            self.content = b"".join(self.iter_raw())
            self.content = self._decode(self.content)
        return self.content

    def _decode(self, content):
        from .encoding import decode_content
        return decode_content(self.headers, content)

    @property
    def num_bytes_downloaded(self):
        return self._downloaded

    def close(self, complete=False):
        if not self.is_closed:
            self.is_closed = True
            self._on_close(complete)
