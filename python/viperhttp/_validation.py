"""Validators: a type (from an annotation on CPython, or a portable spelling such as
``Field([str])``) compiled once into an object whose ``validate(value, loc, errors)`` gives
the converted value, or ``INVALID`` after appending pydantic-2-shaped errors to ``errors``.

They serve model fields (models.py), Body parameters and the query/header/cookie/path
parameters whose type is more than int/float/bool/str (those keep params.convert's fast path).
Values are what JSON or a query string gives: the rules are pydantic 2's lax mode ("3" is an
int, 3.0 is an int, 3.5 is not, a number is not a str).

Portable type spellings (what MicroPython code writes, and what annotations are turned into):
``int``, ``float``, ``bool``, ``str``, ``bytes``, ``list``, ``dict``, a ``Model`` subclass,
``[T]`` (a list of T), ``{K: V}`` (a dict), ``(T,)`` (a tuple of T), ``Optional(T)`` (T or
None).  On CPython also every class of _types_cpython (UUID, datetime, date, time, timedelta,
Decimal) and Enum subclasses.
"""

from . import _compat
from .params import _FALSE, _TRUE, _expected, check, error

INVALID = object()

if not _compat.MICROPYTHON:
    from . import _introspect_cpython as _intro
    from . import _types_cpython
else:
    _intro = _types_cpython = None


class Validator:
    """Base: ``many`` is True for list validators (repeated query keys or headers)."""

    many = False

    def validate(self, value, loc, errors):
        return value

    def schema(self, defs):
        return {}


class Optional:
    """The portable spelling of ``X | None`` (``Field(Optional(int))``)."""

    def __init__(self, inner):
        self.inner = inner


def _loc(loc, key):
    out = list(loc)
    out.append(key)
    return out


class Str(Validator):
    def validate(self, value, loc, errors):
        if isinstance(value, str):
            return value
        errors.append(error("string_type", loc, "Input should be a valid string", value))
        return INVALID

    def schema(self, defs):
        return {"type": "string"}


class Bytes(Validator):
    def validate(self, value, loc, errors):
        if isinstance(value, bytes):
            return value
        if isinstance(value, str):
            return value.encode()
        errors.append(error("bytes_type", loc, "Input should be a valid bytes", value))
        return INVALID

    def schema(self, defs):
        return {"type": "string", "format": "binary"}


class Int(Validator):
    def validate(self, value, loc, errors):
        t = type(value)
        if t is int:
            return value
        if t is bool:
            return int(value)
        if t is float:
            if value == int(value):
                return int(value)
            errors.append(error("int_from_float", loc, "Input should be a valid integer, got a "
                                "number with a fractional part", value))
            return INVALID
        if t is str:
            try:
                return int(value.strip())
            except ValueError:
                errors.append(error("int_parsing", loc, "Input should be a valid integer, "
                                    "unable to parse string as an integer", value))
                return INVALID
        errors.append(error("int_type", loc, "Input should be a valid integer", value))
        return INVALID

    def schema(self, defs):
        return {"type": "integer"}


class Float(Validator):
    def validate(self, value, loc, errors):
        t = type(value)
        if t is float:
            return value
        if t is int or t is bool:
            return float(value)
        if t is str:
            try:
                return float(value.strip())
            except ValueError:
                errors.append(error("float_parsing", loc, "Input should be a valid number, "
                                    "unable to parse string as a number", value))
                return INVALID
        errors.append(error("float_type", loc, "Input should be a valid number", value))
        return INVALID

    def schema(self, defs):
        return {"type": "number"}


class Bool(Validator):
    def validate(self, value, loc, errors):
        t = type(value)
        if t is bool:
            return value
        if t is int and value in (0, 1):
            return value == 1
        if t is str:
            low = value.lower()
            if low in _TRUE:
                return True
            if low in _FALSE:
                return False
            errors.append(error("bool_parsing", loc, "Input should be a valid boolean, unable "
                                "to interpret input", value))
            return INVALID
        errors.append(error("bool_type", loc, "Input should be a valid boolean", value))
        return INVALID

    def schema(self, defs):
        return {"type": "boolean"}


class Any(Validator):
    pass


class Nullable(Validator):
    def __init__(self, inner):
        self.inner = inner
        self.many = inner.many

    def validate(self, value, loc, errors):
        if value is None:
            return None
        return self.inner.validate(value, loc, errors)

    def schema(self, defs):
        return {"anyOf": [self.inner.schema(defs), {"type": "null"}]}


class Seq(Validator):
    many = True
    _TYPES = (list, tuple)

    def __init__(self, item, kind=list):
        self.item = item
        self.kind = kind
        self.quick = _QUICK.get(type(item))

    def validate(self, value, loc, errors):
        if not isinstance(value, self._TYPES) and not isinstance(value, (set, frozenset)):
            name = {list: "list", set: "set", tuple: "tuple"}[self.kind]
            errors.append(error(name + "_type", loc, "Input should be a valid " + name, value))
            return INVALID
        item = self.item
        if item is None:
            return self.kind(value)
        out = []
        bad = False
        i = 0
        quick = self.quick
        for v in value:
            if quick is not None and quick(v):
                out.append(v)
                i += 1
                continue
            n = len(errors)
            w = item.validate(v, loc, errors)
            if len(errors) > n:  # again with the item's own loc (see models._validate_dict)
                del errors[n:]
                item.validate(v, _loc(loc, i), errors)
                bad = True
            out.append(w)
            i += 1
        if bad:
            return INVALID
        return out if self.kind is list else self.kind(out)

    def schema(self, defs):
        out = {"type": "array"}
        if self.item is not None:
            out["items"] = self.item.schema(defs)
        if self.kind is set:
            out["uniqueItems"] = True
        return out


class Dict(Validator):
    def __init__(self, key, value):
        self.key = key
        self.value = value

    def validate(self, value, loc, errors):
        if not isinstance(value, dict):
            errors.append(error("dict_type", loc, "Input should be a valid dictionary", value))
            return INVALID
        kv, vv = self.key, self.value
        if kv is None and vv is None:
            return dict(value)
        out = {}
        bad = False
        for k, v in value.items():
            if kv is not None:
                k2 = kv.validate(k, _loc(_loc(loc, k), "[key]"), errors)
                if k2 is INVALID:
                    bad = True
                    continue
            else:
                k2 = k
            if vv is not None:
                v = vv.validate(v, _loc(loc, k), errors)
                if v is INVALID:
                    bad = True
                    continue
            out[k2] = v
        return INVALID if bad else out

    def schema(self, defs):
        out = {"type": "object"}
        if self.value is not None:
            out["additionalProperties"] = self.value.schema(defs)
        return out


class Choice(Validator):
    """An Enum class (by value) or a Literal."""

    def __init__(self, values, make=None):
        self.values = list(values)
        self.make = make
        self.expected = _expected(self.values)

    def validate(self, value, loc, errors):
        make = self.make
        if make is not None and isinstance(value, make):
            return value
        for v in self.values:
            if v == value and type(v) is type(value):
                return make(v) if make is not None else v
        if isinstance(value, str):  # an int enum from a query string
            for v in self.values:
                if isinstance(v, int) and not isinstance(v, bool) and str(v) == value.strip():
                    return make(v) if make is not None else v
        errors.append(error("enum" if make is not None else "literal_error", loc,
                            "Input should be " + self.expected, value,
                            {"expected": self.expected}))
        return INVALID

    def schema(self, defs):
        kinds = set(type(v) for v in self.values)
        out = {"enum": list(self.values)}
        if len(kinds) == 1:
            t = kinds.pop()
            out["type"] = {str: "string", int: "integer", float: "number",
                           bool: "boolean"}.get(t, "string")
        if self.make is None:
            if len(self.values) == 1:
                return {"const": self.values[0], "type": out.get("type", "string")}
            return out
        name = self.make.__name__
        out["title"] = name
        defs[name] = out
        return {"$ref": "#/$defs/" + name}


class Converted(Validator):
    """A class of _types_cpython (UUID, datetime, ...)."""

    def __init__(self, cls, convert, kind, msg):
        self.cls = cls
        self.convert = convert
        self.kind = kind
        self.msg = msg

    def validate(self, value, loc, errors):
        try:
            return self.convert(value)
        except ValueError as exc:
            reason = str(exc)
            if reason:  # pydantic 2 gives the reason in ctx["error"] and the message
                errors.append(error(self.kind, loc, self.msg + reason, value,
                                    {"error": reason}))
            else:
                errors.append(error(self.kind, loc, self.msg.rstrip(", "), value))
        except TypeError:
            errors.append(error(self.kind.replace("_parsing", "_type"), loc,
                                self.msg.split(",")[0].rstrip(), value))
        return INVALID

    _FORMATS = {"uuid_parsing": "uuid", "datetime_parsing": "date-time",
                "date_parsing": "date", "time_parsing": "time",
                "time_delta_parsing": "duration"}

    def schema(self, defs):
        if self.kind == "decimal_parsing":
            return {"anyOf": [{"type": "number"}, {"type": "string"}]}
        return {"type": "string", "format": self._FORMATS[self.kind]}


class ModelOf(Validator):
    """A ``viperhttp.Model`` subclass (or, on CPython, a pydantic model)."""

    def __init__(self, cls):
        self.cls = cls

    def validate(self, value, loc, errors):
        return self.cls._vh_validate(value, loc, errors)

    def schema(self, defs):
        name = self.cls.__name__
        if name not in defs:
            defs[name] = {}  # a placeholder: recursive models
            defs[name] = self.cls._vh_schema(defs)
        return {"$ref": "#/$defs/" + name}


class Checked(Validator):
    """Constraints (ge, max_length, pattern, ...) after the type's validator."""

    def __init__(self, inner, spec):
        self.inner = inner
        self.spec = spec
        self.many = inner.many

    def validate(self, value, loc, errors):
        value = self.inner.validate(value, loc, errors)
        if value is INVALID or value is None:
            return value
        err = check(self.spec, value, loc)
        if err is not None:
            errors.append(err)
            return INVALID
        return value

    _KEYS = (("ge", "minimum"), ("gt", "exclusiveMinimum"), ("le", "maximum"),
             ("lt", "exclusiveMaximum"), ("min_length", "minLength"),
             ("max_length", "maxLength"), ("pattern", "pattern"))

    def schema(self, defs):
        out = dict(self.inner.schema(defs))
        for attr, key in self._KEYS:
            v = getattr(self.spec, attr, None)
            if v is not None:
                if isinstance(self.inner, Seq) and attr in ("min_length", "max_length"):
                    key = key.replace("Length", "Items")
                out[key] = v
        return out


_SCALARS = {int: Int, float: Float, bool: Bool, str: Str, bytes: Bytes}


_QUICK = {Str: lambda v: type(v) is str, Int: lambda v: type(v) is int,
          Float: lambda v: type(v) is float, Bool: lambda v: type(v) is bool}


def quick_check(tp, spec=None):
    """For a field of type int, float, bool or str: a function that says True when a value
    is already of exactly that type and within ``spec``'s bounds — then it is kept as it is,
    without the validator's call (the common case of a valid body).  None for other types or
    for checks it does not cover (pattern, choices)."""
    if tp not in (int, float, bool, str):
        return None
    ge = gt = le = lt = lo = hi = None
    if spec is not None and getattr(spec, "has_checks", False):
        if spec.pattern is not None or spec.choices is not None:
            return None
        ge, gt, le, lt = spec.ge, spec.gt, spec.le, spec.lt
        lo, hi = spec.min_length, spec.max_length
    if tp is str:
        if lo is None and hi is None:
            return lambda v: type(v) is str
        lo = lo or 0
        hi = hi if hi is not None else 1 << 62
        return lambda v: type(v) is str and lo <= len(v) <= hi
    if tp is bool:
        return lambda v: type(v) is bool
    if ge is None and gt is None and le is None and lt is None:
        return lambda v: type(v) is tp
    low = ge if ge is not None else gt
    high = le if le is not None else lt
    if low is None:
        low_ok = _always
    elif ge is not None:
        low_ok = lambda v: v >= low  # noqa: E731
    else:
        low_ok = lambda v: v > low  # noqa: E731
    if high is None:
        high_ok = _always
    elif le is not None:
        high_ok = lambda v: v <= high  # noqa: E731
    else:
        high_ok = lambda v: v < high  # noqa: E731
    if high is None:
        return lambda v: type(v) is tp and low_ok(v)
    if low is None:
        return lambda v: type(v) is tp and high_ok(v)
    return lambda v: type(v) is tp and low_ok(v) and high_ok(v)


def _always(v):
    return True


def compile_type(tp, spec=None):
    """The validator of a portable type spelling (see the module docstring), or of a
    CPython annotation; ``spec`` (a Field/Query/...) adds its constraints."""
    v = _compile(tp)
    if spec is not None and getattr(spec, "has_checks", False):
        v = Checked(v, spec)
    return v


def _compile(tp):
    if tp is None or tp is _compat.EMPTY:
        return Any()
    if isinstance(tp, Validator):
        return tp
    if isinstance(tp, Optional):
        return Nullable(_compile(tp.inner))
    if isinstance(tp, list):
        return Seq(_compile(tp[0]) if tp else None, list)
    if isinstance(tp, tuple):
        return Seq(_compile(tp[0]) if tp else None, tuple)
    if isinstance(tp, dict):
        if not tp:
            return Dict(None, None)
        (k, v), = tp.items()
        return Dict(_compile(k), _compile(v))
    if isinstance(tp, type):
        found = _SCALARS.get(tp)
        if found is not None:
            return found()
        if tp is list or tp is tuple or tp is set:
            return Seq(None, tp)
        if tp is dict:
            return Dict(None, None)
        if getattr(tp, "_vh_model", False):
            return ModelOf(tp)
        if _intro is not None:
            return _compile_cpython(tp)
        return Any()
    if _intro is not None:
        return from_description(_intro.describe(tp))
    return Any()


def _compile_cpython(cls):
    conv = _types_cpython.CONVERTERS.get(cls)
    if conv is None:
        for klass, c in _types_cpython.CONVERTERS.items():
            if issubclass(cls, klass):
                conv = c
                break
    if conv is not None:
        return Converted(cls, conv[0], conv[1], conv[2])
    if _intro.is_enum(cls):
        return Choice([m.value for m in cls], cls)
    from . import models

    pyd = models.pydantic_validator(cls)
    if pyd is not None:
        return pyd
    return Any()


def from_description(desc):
    if desc is None:
        return Any()
    tag = desc[0]
    if tag == "type":
        return _compile(desc[1])
    if tag == "opt":
        return Nullable(from_description(desc[1]))
    if tag == "list":
        return Seq(None if desc[1] is None else from_description(desc[1]), desc[2])
    if tag == "dict":
        return Dict(None if desc[1] is None else from_description(desc[1]),
                    None if desc[2] is None else from_description(desc[2]))
    if tag == "literal":
        return Choice(desc[1])
    return Any()


def describe(annotation):
    """CPython: the description of an annotation (None on MicroPython)."""
    if _intro is None or annotation is _compat.EMPTY:
        return None
    return _intro.describe(annotation, _compat.EMPTY)


def validate(v, value, loc):
    """(value, errors) — for callers that want a list."""
    errors = []
    value = v.validate(value, loc, errors)
    return value, errors
