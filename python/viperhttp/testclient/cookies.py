"""The TestClient's cookie jar and ``Set-Cookie`` parsing (expiry by ``Max-Age`` and
``Expires``)."""

import time

from .. import _compat


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


def http_date(text):
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


def parse_set_cookie(line):
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
            when = http_date(v)
            if when is not None and _now() is not None:
                expired = when <= _now()
    return name, value, expired


def _now():
    t = time.time()
    if _compat.MICROPYTHON and t < 946684800 * 0.5:  # ports whose epoch is 2000
        t += 946684800
    return t
