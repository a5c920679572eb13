"""Parameter declarations (FastAPI's ``Query``, ``Path``, ``Header``, ``Cookie``, ``Body``,
``Form``) and the conversion/validation they drive (SPEC §3.2).

A declaration is the parameter's default value::

    @app.get("/items")
    def items(limit=Query(10, ge=1, le=100), tags=Query([]), x_token=Header(None)):
        ...

Everything is decided when the route is registered (the ``ParamSpec`` kept in the plan); per
request only the value is looked up, converted and checked.  Errors use pydantic 2's types,
messages and ``ctx`` so that 422 bodies look like FastAPI's.

``pattern`` uses the interpreter's ``re``: on MicroPython that is a small regex engine (no named
groups, no lookarounds, no ``{m,n}`` counts on some builds) — keep patterns simple.
"""

import re
import sys

from . import _compat
from ._compat import EMPTY

QUERY, PATH, HEADER, COOKIE, BODY, FORM = "query", "path", "header", "cookie", "body", "form"

# As pydantic (FastAPI): these spellings, in any case.
_TRUE = ("1", "true", "on", "yes", "t", "y")
_FALSE = ("0", "false", "off", "no", "f", "n")


def error(kind, loc, msg, value, ctx=None):
    e = {"type": kind, "loc": list(loc), "msg": msg, "input": value}  # loc: not the plan's
    if ctx is not None:
        e["ctx"] = ctx
    return e


class Param:
    """What ``Query(...)`` & co. return: where a value comes from and how it is checked."""

    source = QUERY

    def __init__(self, default=..., *, alias=None, ge=None, gt=None, le=None, lt=None,
                 min_length=None, max_length=None, pattern=None, choices=None,
                 convert_underscores=True, embed=False, media_type=None, title=None,
                 description=None, example=None, examples=None, deprecated=None,
                 include_in_schema=True, regex=None, **extra):
        self.default = default
        self.alias = alias
        self.ge, self.gt, self.le, self.lt = ge, gt, le, lt
        self.min_length, self.max_length = min_length, max_length
        self.pattern = pattern if pattern is not None else regex
        self.choices = list(choices) if choices is not None else None
        self.convert_underscores = convert_underscores
        self.embed = embed
        self.media_type = media_type
        self.title = title
        self.description = description
        self.include_in_schema = include_in_schema
        self.extra = extra
        self._re = None
        self.has_checks = (ge is not None or gt is not None or le is not None or lt is not None
                           or min_length is not None or max_length is not None
                           or self.pattern is not None or self.choices is not None)

    @property
    def required(self):
        return self.default is ... or self.default is EMPTY

    def __repr__(self):
        return "{}({!r})".format(type(self).__name__, self.default)

    def regex(self):
        if self._re is None:
            self._re = re.compile(self.pattern)
        return self._re


class _Query(Param):
    source = QUERY


class _Path(Param):
    source = PATH


class _Header(Param):
    source = HEADER


class _Cookie(Param):
    source = COOKIE


class _Body(Param):
    source = BODY


class _Form(Param):
    source = FORM


def Query(default=..., **kw):  # noqa: N802 (FastAPI's names)
    return _Query(default, **kw)


def Path(default=..., **kw):  # noqa: N802
    return _Path(default, **kw)


def Header(default=..., **kw):  # noqa: N802
    """``x_token=Header(None)`` reads the ``x-token`` header (``convert_underscores=False``
    keeps the name as written)."""
    return _Header(default, **kw)


def Cookie(default=..., **kw):  # noqa: N802
    return _Cookie(default, **kw)


def Body(default=..., **kw):  # noqa: N802
    """The JSON body; ``embed=True`` (or several Body parameters) reads the key named after
    the parameter in a JSON object."""
    return _Body(default, **kw)


def Form(default=..., **kw):  # noqa: N802
    """A field of an ``application/x-www-form-urlencoded`` body."""
    return _Form(default, **kw)


NUMBER = "number"  # no type given, but numeric constraints: int if it parses, else float


def value_kind(default, annotation, spec=None):
    """The type a value is converted to: int/float/bool/str/list/dict/NUMBER (dict: only a
    Body is checked against it; elsewhere the value stays a string)."""
    if annotation in (int, float, bool, str, list, dict):
        return annotation
    if isinstance(default, list):
        return list
    if isinstance(default, dict):
        return dict
    if default is EMPTY or default is None or default is ...:
        if spec is not None and (spec.ge is not None or spec.gt is not None or
                                 spec.le is not None or spec.lt is not None):
            return NUMBER
        return str
    if isinstance(default, bool):  # before int: bool is an int subclass
        return bool
    for kind in (int, float, str):
        if isinstance(default, kind):
            return kind
    return str


def portability_warning(owner, name, annotation, default, spec=None):
    """CPython: warns at registration when an annotation sets a type that the default would
    not give — MicroPython drops annotations, so the app would behave
    differently there.  Says what to write instead."""
    if annotation not in (int, float, bool, list, dict):
        return
    if value_kind(default, EMPTY, spec) is annotation:
        return
    declaration = type(spec).__name__.lstrip("_") if spec is not None else "Query"
    if annotation is list:
        hint = "a list default such as {}([])".format(declaration)
    elif annotation is dict:
        if spec is None or spec.source is not BODY:
            return  # a dict is only checked for a Body
        hint = "a dict default such as Body({})"
    else:
        hint = "a default of that type, e.g. {}={}".format(
            name, {int: "0", float: "0.0", bool: "False"}[annotation])
    _compat.write_line(sys.stderr, "WARNING:  parameter {!r} of {}: its {} annotation sets the "
                       "type, which MicroPython cannot see; for portable code use {}".format(
                           name, getattr(owner, "__name__", owner), annotation.__name__, hint))


def convert(kind, raw, loc):
    """Converts a query/header/cookie/form string to ``kind``: (value, error_or_None)."""
    if kind is str:
        return raw, None
    if kind is int:
        try:
            return int(raw), None
        except ValueError:
            return None, error("int_parsing", loc, "Input should be a valid integer, unable to "
                               "parse string as an integer", raw)
    if kind is float:
        try:
            return float(raw), None
        except ValueError:
            return None, error("float_parsing", loc, "Input should be a valid number, unable to "
                               "parse string as a number", raw)
    if kind is NUMBER:
        try:
            return int(raw), None
        except ValueError:
            pass
        try:
            return float(raw), None
        except ValueError:
            return None, error("float_parsing", loc, "Input should be a valid number, unable to "
                               "parse string as a number", raw)
    if kind is bool:
        low = raw.lower()
        if low in _TRUE:
            return True, None
        if low in _FALSE:
            return False, None
        return None, error("bool_parsing", loc, "Input should be a valid boolean, unable to "
                           "interpret input", raw)
    validate = getattr(kind, "validate", None)  # a _validation.Validator (UUID, Enum, ...)
    if validate is not None:
        errors = []
        value = validate(raw, loc, errors)
        return (None, errors[0]) if errors else (value, None)
    return raw, None


def _plural(n):
    return "" if n == 1 else "s"


def _expected(choices):
    items = ["'" + c + "'" if isinstance(c, str) else str(c) for c in choices]
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " or " + items[-1]


def check(spec, value, loc, raw=None):
    """The constraint error for ``value`` (already converted from ``raw``), or None; the
    error's ``input`` is what the client sent, as in pydantic."""
    if raw is None:
        raw = value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if spec.gt is not None and not value > spec.gt:
            return error("greater_than", loc, "Input should be greater than {}".format(spec.gt),
                         raw, {"gt": spec.gt})
        if spec.ge is not None and not value >= spec.ge:
            return error("greater_than_equal", loc,
                         "Input should be greater than or equal to {}".format(spec.ge), raw,
                         {"ge": spec.ge})
        if spec.lt is not None and not value < spec.lt:
            return error("less_than", loc, "Input should be less than {}".format(spec.lt), raw,
                         {"lt": spec.lt})
        if spec.le is not None and not value <= spec.le:
            return error("less_than_equal", loc,
                         "Input should be less than or equal to {}".format(spec.le), raw,
                         {"le": spec.le})
    if isinstance(value, str):
        n = len(value)
        if spec.min_length is not None and n < spec.min_length:
            return error("string_too_short", loc, "String should have at least {} character{}"
                         .format(spec.min_length, _plural(spec.min_length)), raw,
                         {"min_length": spec.min_length})
        if spec.max_length is not None and n > spec.max_length:
            return error("string_too_long", loc, "String should have at most {} character{}"
                         .format(spec.max_length, _plural(spec.max_length)), raw,
                         {"max_length": spec.max_length})
        if spec.pattern is not None and spec.regex().search(value) is None:
            return error("string_pattern_mismatch", loc,
                         "String should match pattern '{}'".format(spec.pattern), raw,
                         {"pattern": spec.pattern})
    if spec.choices is not None and value not in spec.choices:
        expected = _expected(spec.choices)
        return error("enum", loc, "Input should be " + expected, raw, {"expected": expected})
    return None


def json_invalid(exc):
    """The 422 error for a body that is not JSON (position from CPython's JSONDecodeError)."""
    pos = getattr(exc, "pos", 0)
    msg = getattr(exc, "msg", None) or (exc.args[0] if exc.args else "Invalid JSON")
    return error("json_invalid", ["body", pos if isinstance(pos, int) else 0],
                 "JSON decode error", {}, {"error": str(msg)})
