"""What the TestClient encodes and decodes: URLs and query strings, request bodies (JSON,
forms, multipart, raw), Basic credentials, and gzip/deflate response bodies."""

import binascii
import io
import os
import random
import time

from .. import _compat
from .._urlencoding import UNRESERVED, quote

try:
    import zlib  # CPython
except ImportError:
    zlib = None
try:
    import deflate  # MicroPython 1.21+
except ImportError:
    deflate = None

ACCEPT_ENCODING = "gzip, deflate" if zlib is not None or deflate is not None else "identity"

PATH_SAFE = UNRESERVED + "/!$&'()*+,;=:@%"  # '%': a path the caller encoded stays as is
QUERY_SAFE = UNRESERVED + "/!$&'()*+,;=:@%?"


def quote_part(text, safe):
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


def pairs(mapping):
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


def decode_content(headers, content):
    coding = headers.get("content-encoding", "").lower()
    if not content or coding not in ("gzip", "deflate"):
        return content
    if zlib is None:
        return _inflate_micropython(coding, content)
    wbits = 16 + 15 if coding == "gzip" else 15
    try:
        return zlib.decompress(content, wbits)
    except zlib.error:
        return zlib.decompress(content, -15)


def _inflate_micropython(coding, content):
    if deflate is None:
        return content
    fmt = deflate.GZIP if coding == "gzip" else deflate.ZLIB
    try:
        return deflate.DeflateIO(io.BytesIO(content), fmt).read()
    except OSError:  # raw deflate, as some servers send for "deflate"
        return deflate.DeflateIO(io.BytesIO(content), deflate.RAW).read()


def basic_auth(auth):
    if isinstance(auth, tuple) and len(auth) == 2:
        token = binascii.b2a_base64("{}:{}".format(*auth).encode()).strip().decode()
        return "Basic " + token
    raise TypeError("auth must be a (username, password) tuple")


def encode_body(content, data, files, json):
    """``(body bytes, content-type or None)`` as httpx encodes them."""
    if json is not None:
        return _compat.json_bytes(json), "application/json"
    if files:
        return _multipart(pairs(data) if isinstance(data, dict) else [], files)
    if data is not None and not isinstance(data, (str, bytes, bytearray)):
        return urlencode(pairs(data)).encode(), "application/x-www-form-urlencoded"
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
        return int.from_bytes(os.urandom(16), "big")
    except (AttributeError, NotImplementedError):
        return random.getrandbits(32) << 96 | int(time.time() * 1000)
