"""The few places where CPython and MicroPython differ, in one module.

Everything else in the package is written in the subset both interpreters share: no
annotations relied upon, no ``typing``, no ``inspect`` (CPython-only introspection lives in
``_introspect_cpython``), no async generators.
"""

import sys

MICROPYTHON = sys.implementation.name == "micropython"

try:
    # ``_NAME = const(1)`` is folded into the bytecode by MicroPython's compiler (no global
    # lookup where it is used); elsewhere const is the identity.
    from micropython import const
except ImportError:

    def const(value):
        return value

try:
    import asyncio
except ImportError:  # very old MicroPython builds
    import uasyncio as asyncio  # noqa: F401

import json

if MICROPYTHON:
    _native = None  # _viperhttp, imported on first use (the package imports without it)

    def _viperhttp():
        global _native
        if _native is None:
            import _viperhttp as native

            _native = native
        return _native

else:
    import signal
    import traceback

    from . import _introspect_cpython

_SEPARATORS = (",", ":")

if MICROPYTHON:

    def json_body(value):
        """Compact JSON of ``value`` as the engine takes it: a str on MicroPython (its buffer
        is the UTF-8 bytes, so no copy into bytes), bytes on CPython.  Models and other
        objects go through ``jsonable_encoder`` (only when the plain check fails); TypeError
        for what JSON cannot hold."""
        try:
            _check_json(value)
        except TypeError:
            from .encoders import jsonable_encoder

            value = jsonable_encoder(value)
            _check_json(value)
        return json.dumps(value, separators=_SEPARATORS)

    def json_bytes(value):
        """Compact JSON as FastAPI writes it; TypeError for what JSON cannot hold."""
        return json_body(value).encode()

else:
    def _jsonable(obj):
        # json's hook for what it cannot write itself (models, UUID, datetime, ...): called
        # only for such objects, so plain values cost nothing more
        from .encoders import jsonable_encoder

        value = jsonable_encoder(obj)
        if value is obj:
            raise TypeError("Object of type {} is not JSON serializable".format(
                type(obj).__name__))
        return value

    _encoder = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=_SEPARATORS,
                                default=_jsonable)

    def json_bytes(value):
        """Compact JSON as FastAPI writes it; TypeError for what JSON cannot hold."""
        return _encoder.encode(value).encode("utf-8")

    json_body = json_bytes


class _Empty:
    def __repr__(self):
        return "EMPTY"


EMPTY = _Empty()  # "no default" / "no annotation" in handler signatures


def signature(fn):
    """``[(name, default_or_EMPTY, annotation_or_EMPTY), ...]`` for a handler."""
    if MICROPYTHON:
        return [(n, d, EMPTY) for n, d in _viperhttp().signature(fn, EMPTY)]
    return _introspect_cpython.signature(fn, EMPTY)


if MICROPYTHON:
    # MicroPython's str is UTF-8 and its codecs are utf-8 (and ascii): header bytes that are
    # not UTF-8 (obs-text) are kept as "?" rather than failing the request.
    def header_text(raw):
        try:
            return raw.decode()
        except UnicodeError:
            return "".join([chr(b) if b < 128 else "?" for b in raw])

    def header_bytes(text):
        return text.encode()

else:

    def header_text(raw):
        """Header bytes as text (ISO-8859-1, as HTTP defines for field values)."""
        return raw.decode("latin-1")

    def header_bytes(text):
        return text.encode("latin-1")


_JSON_SCALARS = (str, int, bool, type(None))
_INF = float("inf")


def _check_json(value, scalars=_JSON_SCALARS, _type=type, _str=str, _dict=dict, _list=list,
                _tuple=tuple):
    # MicroPython's json writes "<object>" for what it cannot serialise instead of raising,
    # and inf / nan as such (not JSON).  With single-precision floats (the ESP32 port) any
    # number beyond 3.4e38 in a query, a path or a request body is already inf.  Floats are
    # not in `scalars`: each one is checked by a call.
    # Written for MicroPython's speed (run for every JSON response there): exact types are
    # compared first, scalar items are checked in the loop rather than by a call each, and the
    # builtins are locals (default arguments).
    t = _type(value)
    if t is float:
        if value != value or value == _INF or value == -_INF:
            raise ValueError("Out of range float values are not JSON compliant")
        return
    if t is _dict or (t not in scalars and isinstance(value, _dict)):
        for k in value:  # keys and values apart: no (key, value) tuple per item
            if _type(k) is not _str and not isinstance(k, _str):
                raise TypeError("JSON object keys must be str, not {}".format(
                    _type(k).__name__))
        for v in value.values():
            if _type(v) not in scalars:
                _check_json(v)
    elif t is _list or t is _tuple or (t not in scalars and isinstance(value, (_list, _tuple))):
        for v in value:
            if _type(v) not in scalars:
                _check_json(v)
    elif t not in scalars and not isinstance(value, scalars + (float,)):
        raise TypeError("Object of type {} is not JSON serializable".format(t.__name__))


def is_coroutine_function(fn):
    """True for ``async def`` functions (and callables whose ``__call__`` is one)."""
    if MICROPYTHON:
        try:
            return _viperhttp().is_async(fn)
        except TypeError:  # a built-in function or method (list.append, print): not async
            return False
    return _introspect_cpython.is_coroutine_function(fn)


class _Continue:
    """Resumes a coroutine that was started inline and suspended: yields what it yielded,
    then keeps driving it, so that an asyncio Task can take it over (CPython)."""

    def __init__(self, coro, first):
        self.coro = coro
        self.first = first

    def __await__(self):
        coro = self.coro
        value = self.first
        while True:
            try:
                sent = yield value
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as exc:  # thrown in by the task, e.g. CancelledError
                try:
                    value = coro.throw(exc)
                except StopIteration as stop:
                    return stop.value
            else:
                try:
                    value = coro.send(sent)
                except StopIteration as stop:
                    return stop.value


async def _finish(cont):
    return await cont


def run_inline(coro):
    """Runs ``coro`` until it first suspends, in the caller's stack (SPEC §2.6).

    Returns ``(True, value)`` if it finished without suspending (``value``: what it returned;
    nothing was scheduled), else ``(False, awaitable)``: awaiting it carries the coroutine on
    from where it stopped and gives its result (an exception it raises propagates from here or
    from that await).  On MicroPython the awaitable is a Task that the scheduler already
    resumes: cancel it if its awaiter is cancelled.
    """
    if MICROPYTHON:
        # MicroPython's awaitables schedule ``core.cur_task`` (sleep pushes it on the timer
        # queue, I/O waits register it).  Make that a fresh, unscheduled Task wrapping this
        # coroutine: if the first step suspends, that task is already scheduled exactly where
        # the coroutine waits, and the scheduler resumes it; if not, it is simply dropped.
        core = asyncio.core
        task = core.Task(coro)
        prev = core.cur_task
        core.cur_task = task
        try:
            coro.send(None)
        except StopIteration as stop:
            return True, stop.value
        finally:
            core.cur_task = prev
        return False, task
    try:
        first = coro.send(None)
    except StopIteration as stop:
        return True, stop.value
    return False, _Continue(coro, first)


def start_inline(coro):
    """Runs ``coro`` inline (``run_inline``); returns ``(True, None)`` if it finished, else
    ``(False, task)`` with a task that carries on from where it stopped."""
    done, rest = run_inline(coro)
    if done:
        return True, None
    if MICROPYTHON:
        return False, rest  # already a scheduled task
    return False, asyncio.create_task(_finish(rest))


class _Readable:
    """Awaitable (MicroPython) that returns once ``obj`` is readable: ``obj`` implements the
    stream ioctl (``MP_STREAM_POLL`` and ``MP_STREAM_GET_FILENO``), so the loop blocks in one
    ``poll()`` on its descriptor, with no polling interval.  (A generator per wait: measured
    cheaper than an iterator object, whose end is a raised StopIteration.)"""

    def __init__(self, obj):
        self.obj = obj

    def __iter__(self):
        yield asyncio.core._io_queue.queue_read(self.obj)

    __await__ = __iter__


async def watch_engine(engine, on_wake, stopped):
    """Calls ``on_wake()`` whenever the engine's wake descriptor is readable, until
    ``stopped`` is set.  CPython: a reader callback on the loop; MicroPython: this task."""
    if not MICROPYTHON:
        loop = asyncio.get_running_loop()
        loop.add_reader(engine.fileno(), on_wake)
        try:
            await stopped.wait()
        finally:
            loop.remove_reader(engine.fileno())
        return
    waiter = _Readable(engine)
    while not stopped.is_set():
        await waiter
        on_wake()


def install_stop_signals(engine, request_stop):
    """SIGINT and SIGTERM stop the server gracefully."""
    if MICROPYTHON:
        engine.stop_on_signals()  # in C: a signal handler that asks the engine to stop
        return
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, request_stop)
        except (NotImplementedError, RuntimeError):  # not the main thread
            pass


def print_exception(exc, file=None):
    if MICROPYTHON:
        sys.print_exception(exc, file or sys.stderr)
    else:
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=file or sys.stderr)


def write_line(stream, text):
    stream.write(text + "\n")
    try:
        stream.flush()
    except AttributeError:
        pass
