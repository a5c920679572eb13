"""The few places where CPython and MicroPython differ, in one module.

Everything else in the package is written in the subset both interpreters share: no
annotations relied upon, no ``typing``, no ``inspect`` (CPython-only introspection lives in
``_introspect_cpython``), no async generators.
"""

import sys

MICROPYTHON = sys.implementation.name == "micropython"

try:
    import asyncio
except ImportError:  # very old MicroPython builds
    import uasyncio as asyncio  # noqa: F401

import json

if MICROPYTHON:

    def json_bytes(value):
        _check_json(value)
        try:
            return json.dumps(value, separators=(",", ":")).encode()
        except TypeError:  # builds without the separators argument
            return json.dumps(value).encode()

else:
    _encoder = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))

    def json_bytes(value):
        """Compact JSON as FastAPI writes it; TypeError for what JSON cannot hold."""
        return _encoder.encode(value).encode("utf-8")


class _Empty:
    def __repr__(self):
        return "EMPTY"


EMPTY = _Empty()  # "no default" / "no annotation" in handler signatures


def signature(fn):
    """``[(name, default_or_EMPTY, annotation_or_EMPTY), ...]`` for a handler."""
    if MICROPYTHON:
        import _viperhttp

        return [(n, d, EMPTY) for n, d in _viperhttp.signature(fn, EMPTY)]
    from . import _introspect_cpython

    return _introspect_cpython.signature(fn, EMPTY)


_JSON_SCALARS = (str, int, float, bool, type(None))


def _check_json(value):
    # MicroPython's json writes "<object>" for what it cannot serialise instead of raising.
    if isinstance(value, _JSON_SCALARS):
        return
    if isinstance(value, (list, tuple)):
        for v in value:
            _check_json(v)
    elif isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError("JSON object keys must be str, not {}".format(type(k).__name__))
            _check_json(v)
    else:
        raise TypeError("Object of type {} is not JSON serializable".format(type(value).__name__))


def is_coroutine_function(fn):
    """True for ``async def`` functions (and callables whose ``__call__`` is one)."""
    if MICROPYTHON:
        # MicroPython compiles ``async def`` to a generator function, whose type is named
        # "generator"; the MicroPython binding's introspection refines this (bound methods,
        # closures, callable instances).
        return type(fn).__name__ == "generator" or type(
            getattr(fn, "__call__", None)).__name__ == "generator"
    import inspect  # CPython only

    if inspect.iscoroutinefunction(fn):
        return True
    call = getattr(fn, "__call__", None)
    return call is not None and inspect.iscoroutinefunction(call)


def print_exception(exc, file=None):
    if MICROPYTHON:
        sys.print_exception(exc, file or sys.stderr)
    else:
        import traceback

        traceback.print_exception(type(exc), exc, exc.__traceback__, file=file or sys.stderr)


def write_line(stream, text):
    stream.write(text + "\n")
    try:
        stream.flush()
    except AttributeError:
        pass
