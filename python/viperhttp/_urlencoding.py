"""Percent-encoding and -decoding, written out because MicroPython has no urllib.parse."""


def unquote_plus(s):
    """Decodes ``+`` and ``%XX`` escapes (UTF-8; malformed escapes are kept as they are)."""
    if "%" not in s:
        return s.replace("+", " ") if "+" in s else s
    s = s.replace("+", " ")
    out = bytearray()
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c == "%" and i + 3 <= n and _is_hex(s[i + 1:i + 3]):
            out.append(int(s[i + 1:i + 3], 16))
            i += 3
        else:
            out.extend(c.encode("utf-8"))
            i += 1
    try:
        return bytes(out).decode("utf-8")
    except UnicodeError:  # not UTF-8: keep the bytes as code points rather than fail
        return "".join([chr(b) for b in out])


def _is_hex(pair):
    if len(pair) != 2:
        return False
    for ch in pair:
        if ch not in "0123456789abcdefABCDEF":
            return False
    return True


UNRESERVED = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~"
_PATH_SAFE = UNRESERVED + "/!$&'()*+,;=:@"


def quote(text, safe=UNRESERVED):
    """Percent-encodes (UTF-8) every character of ``text`` not in ``safe``."""
    for ch in text:
        if ch not in safe:
            break
    else:
        return text
    out = []
    for ch in text:
        if ch in safe:
            out.append(ch)
        else:
            for b in ch.encode("utf-8"):
                out.append("%{:02X}".format(b))
    return "".join(out)


def quote_path(path):
    """Percent-encodes what may not appear raw in a path (for logs and URLs)."""
    return quote(path, _PATH_SAFE)


def parse_qsl(query):
    """``"a=1&b=&a=2"`` -> ``[("a", "1"), ("b", ""), ("a", "2")]``; empty pairs skipped."""
    items = []
    if not query:
        return items
    # Most query strings have nothing to decode: then no call per key and value.
    plain = "%" not in query and "+" not in query
    for pair in query.split("&"):
        if not pair:
            continue
        key, _, value = pair.partition("=")
        if plain:
            items.append((key, value))
        else:
            items.append((unquote_plus(key), unquote_plus(value)))
    return items
