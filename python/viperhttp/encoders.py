"""``jsonable_encoder``: a value turned into what JSON can hold, as FastAPI's
(``fastapi.encoders.jsonable_encoder``)."""

from . import _compat

if not _compat.MICROPYTHON:
    from . import _types_cpython
else:
    _types_cpython = None

_SCALARS = (str, int, float, bool, type(None))


def jsonable_encoder(obj, include=None, exclude=None, by_alias=True, exclude_unset=False,
                     exclude_defaults=False, exclude_none=False):
    """Models (``viperhttp.Model`` and, on CPython, pydantic) become dicts, tuples and sets
    lists, Enum members their value, bytes text, dates and times ISO 8601 strings, timedelta
    seconds, UUID text, Decimal an int or a float, other objects their attributes (``vars``);
    TypeError for what has none."""
    from .models import Model

    if isinstance(obj, _SCALARS):
        return obj
    if isinstance(obj, Model):
        return jsonable_encoder(obj.model_dump(include=include, exclude=exclude,
                                               by_alias=by_alias, exclude_unset=exclude_unset,
                                               exclude_defaults=exclude_defaults,
                                               exclude_none=exclude_none),
                                exclude_none=exclude_none)
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if include is not None and k not in include:
                continue
            if exclude is not None and k in exclude:
                continue
            if exclude_none and v is None:
                continue
            out[jsonable_encoder(k)] = jsonable_encoder(v, by_alias=by_alias,
                                                        exclude_unset=exclude_unset,
                                                        exclude_none=exclude_none)
        return out
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [jsonable_encoder(v, by_alias=by_alias, exclude_unset=exclude_unset,
                                 exclude_none=exclude_none) for v in obj]
    if isinstance(obj, (bytes, bytearray)):
        return bytes(obj).decode()
    if _types_cpython is not None:
        import enum

        if isinstance(obj, enum.Enum):
            return jsonable_encoder(obj.value)
        try:
            return _types_cpython.encode(obj)
        except TypeError:
            pass
        dump = getattr(obj, "model_dump", None) or getattr(obj, "dict", None)
        if dump is not None and hasattr(obj, "__fields__"):  # pydantic
            return jsonable_encoder(dump(by_alias=by_alias, exclude_unset=exclude_unset,
                                         exclude_none=exclude_none))
        import dataclasses

        if dataclasses.is_dataclass(obj):
            return jsonable_encoder(dataclasses.asdict(obj))
    attrs = getattr(obj, "__dict__", None)  # vars(): MicroPython has none
    if not isinstance(attrs, dict) or isinstance(obj, type):
        raise TypeError("Object of type {} is not JSON serializable".format(
            type(obj).__name__))
    return jsonable_encoder({k: v for k, v in attrs.items() if not k.startswith("_")})
