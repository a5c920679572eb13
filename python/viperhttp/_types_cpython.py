"""Converters for the standard classes FastAPI users annotate parameters and model fields
with (CPython only: MicroPython has no ``uuid``, ``decimal`` or ``enum``, and its ``datetime``
is optional).  Each returns (convert, error type, message prefix): ``convert(value)`` gives the
value or raises ValueError with the reason, as pydantic 2 words it."""

import datetime
import decimal
import re
import uuid


def _uuid(value):
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if not isinstance(value, str):
        raise TypeError
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ValueError("invalid group count or character")


def _number(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _datetime(value):
    if isinstance(value, datetime.datetime):
        return value
    if isinstance(value, datetime.date):
        return datetime.datetime(value.year, value.month, value.day)
    n = _number(value)
    if n is not None:  # seconds since the epoch (milliseconds above 2e10), as pydantic
        if abs(n) > 2e10:
            n = n / 1000
        return datetime.datetime.fromtimestamp(n, tz=datetime.timezone.utc)
    if not isinstance(value, str):
        raise TypeError
    text = value.strip()
    if len(text) < 10:
        raise ValueError("input is too short")
    try:
        return datetime.datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise ValueError("invalid character in date or time")


def _date(value):
    if isinstance(value, datetime.datetime):
        if value.time() != datetime.time(0):
            raise ValueError("partial time")
        return value.date()
    if isinstance(value, datetime.date):
        return value
    n = _number(value)
    if n is not None and not isinstance(value, str):
        return datetime.datetime.fromtimestamp(n, tz=datetime.timezone.utc).date()
    if not isinstance(value, str):
        raise TypeError
    text = value.strip()
    if len(text) < 10:
        raise ValueError("input is too short")
    if len(text) > 10:
        raise ValueError("unexpected extra characters at the end of the input")
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise ValueError("invalid character in year, month or day")


def _time(value):
    if isinstance(value, datetime.time):
        return value
    if not isinstance(value, str):
        n = _number(value)
        if n is None or not 0 <= n < 86400:
            raise TypeError
        s = int(n)
        return datetime.time(s // 3600, s // 60 % 60, s % 60, int(round((n - s) * 1e6)))
    try:
        return datetime.time.fromisoformat(value.strip().replace("z", "Z"))
    except ValueError:
        raise ValueError("invalid character in hour, minute or second")


_DURATION = re.compile(r"^([-+]?)P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?"
                       r"(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$",
                       re.I)
_CLOCK = re.compile(r"^([-+]?)(?:(\d+) days?,? ?)?(?:(\d+):)?(\d+):(\d+(?:\.\d+)?)$")


def _timedelta(value):
    if isinstance(value, datetime.timedelta):
        return value
    n = _number(value)
    if n is not None:
        return datetime.timedelta(seconds=n)
    if not isinstance(value, str):
        raise TypeError
    text = value.strip()
    m = _DURATION.match(text)
    if m and text.upper() not in ("P", "-P", "+P", "PT"):
        sign, w, d, h, mi, s = m.groups()
        td = datetime.timedelta(weeks=float(w or 0), days=float(d or 0), hours=float(h or 0),
                                minutes=float(mi or 0), seconds=float(s or 0))
        return -td if sign == "-" else td
    m = _CLOCK.match(text)
    if m:
        sign, d, h, mi, s = m.groups()
        td = datetime.timedelta(days=int(d or 0), hours=int(h or 0), minutes=int(mi),
                                seconds=float(s))
        return -td if sign == "-" else td
    raise ValueError("invalid character in duration")


def _decimal(value):
    if isinstance(value, decimal.Decimal):
        return value
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise TypeError
    try:
        d = decimal.Decimal(value.strip() if isinstance(value, str) else str(value))
    except decimal.InvalidOperation:
        raise ValueError("")
    if not d.is_finite():
        raise ValueError("")
    return d


CONVERTERS = {
    uuid.UUID: (_uuid, "uuid_parsing", "Input should be a valid UUID, "),
    datetime.datetime: (_datetime, "datetime_parsing", "Input should be a valid datetime, "),
    datetime.date: (_date, "date_parsing",
                    "Input should be a valid date in the format YYYY-MM-DD, "),
    datetime.time: (_time, "time_parsing", "Input should be in a valid time format, "),
    datetime.timedelta: (_timedelta, "time_delta_parsing",
                         "Input should be a valid timedelta, "),
    decimal.Decimal: (_decimal, "decimal_parsing", "Input should be a valid decimal"),
}


def encode(value):
    """JSON form of these classes, as FastAPI's ``jsonable_encoder``; TypeError otherwise."""
    if isinstance(value, (datetime.date, datetime.time)):  # datetime is a date
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, decimal.Decimal):
        return int(value) if value.as_tuple().exponent >= 0 else float(value)
    raise TypeError(type(value).__name__)
