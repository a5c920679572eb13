"""Handler introspection on CPython (``inspect``).  MicroPython reads the same facts from the
function's bytecode in C (the MicroPython binding's ``signature``); both return the same shape.
"""

import inspect


def signature(fn, empty):
    """``[(name, default_or_empty, annotation_or_empty), ...]`` of the parameters a caller
    fills by keyword (``*args`` / ``**kwargs`` are skipped)."""
    out = []
    for p in inspect.signature(fn).parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        default = empty if p.default is p.empty else p.default
        annotation = empty if p.annotation is p.empty else p.annotation
        out.append((p.name, default, annotation))
    return out


def is_coroutine_function(fn):
    """True for ``async def`` functions (and callables whose ``__call__`` is one)."""
    if inspect.iscoroutinefunction(fn):
        return True
    call = getattr(fn, "__call__", None)
    return call is not None and inspect.iscoroutinefunction(call)


# --- annotations (CPython only: MicroPython drops them) ----------------------------------------
#
# An annotation is turned, once per route or model class, into a plain description that the
# portable code compiles into a validator (params.compile_type), so no ``typing`` object is
# looked at per request:
#   None                 no conversion (no annotation, Any, an unsupported union)
#   ("type", cls)        a class: int, str, an Enum, UUID, datetime, a Model, ...
#   ("opt", desc)        ``X | None`` / ``Optional[X]``
#   ("list", desc, kind) list/set/tuple/Sequence of desc; kind: list, set or tuple
#   ("dict", kdesc, vdesc)
#   ("literal", values)

import enum
import types
import typing


def split_annotated(annotation):
    """``Annotated[T, meta...]`` -> (T, (meta, ...)); anything else -> (annotation, ())."""
    if typing.get_origin(annotation) is typing.Annotated:
        return annotation.__origin__, tuple(annotation.__metadata__)
    return annotation, ()


_SEQUENCES = {list: list, set: set, frozenset: set, tuple: tuple}


def describe(annotation, empty=None):
    """The description (above) of ``annotation``."""
    if annotation is empty or annotation is typing.Any or annotation is None:
        return None
    annotation, _ = split_annotated(annotation)
    if isinstance(annotation, str):
        return None  # an unresolved forward reference: left unconverted
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Union or origin is types.UnionType:
        rest = [a for a in args if a is not type(None)]
        inner = describe(rest[0]) if len(rest) == 1 else None
        if len(rest) == len(args):
            return None  # a union of several types: not converted
        return ("opt", inner)
    if origin is typing.Literal:
        return ("literal", tuple(args))
    if origin in _SEQUENCES or (origin is not None and isinstance(origin, type) and
                                _is_sequence_abc(origin)):
        item = args[0] if args else None
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            item = None  # a fixed-length tuple: items not converted
        return ("list", describe(item), _SEQUENCES.get(origin, list))
    if origin is dict or (origin is not None and isinstance(origin, type) and
                          _is_mapping_abc(origin)):
        return ("dict", describe(args[0]) if args else None,
                describe(args[1]) if len(args) > 1 else None)
    if annotation in _SEQUENCES:
        return ("list", None, _SEQUENCES[annotation])
    if annotation is dict:
        return ("dict", None, None)
    if isinstance(annotation, type):
        return ("type", annotation)
    return None


def _is_sequence_abc(origin):
    import collections.abc as abc

    return issubclass(origin, (abc.Sequence, abc.Set)) and not issubclass(origin, (str, bytes))


def _is_mapping_abc(origin):
    import collections.abc as abc

    return issubclass(origin, abc.Mapping)


def is_enum(cls):
    return isinstance(cls, type) and issubclass(cls, enum.Enum)


def class_hints(cls, empty):
    """``[(name, annotation), ...]`` of a class's annotated attributes, bases first (string
    annotations resolved when they can be)."""
    try:
        hints = typing.get_type_hints(cls, include_extras=True)
    except Exception:
        hints = {}
        for klass in reversed(cls.__mro__):
            hints.update(klass.__dict__.get("__annotations__", {}))
    return [(k, v) for k, v in hints.items()
            if typing.get_origin(v) is not typing.ClassVar and not k.startswith("_")]


def return_annotation(fn, empty):
    try:
        ann = inspect.signature(fn).return_annotation
    except (TypeError, ValueError):
        return empty
    return empty if ann is inspect.Signature.empty else ann
