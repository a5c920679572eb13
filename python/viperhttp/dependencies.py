"""``Depends`` and the resolution of a handler's parameters and dependencies (SPEC §3.3).

At registration every callable (handler or dependency) is inspected once and becomes a
``Dependant``: its sub-dependencies, its parameters (source, lookup key, conversion, checks)
and the special objects it asks for (``request``, ``response``, ``background_tasks``).  Plans
are cached by callable, so a dependency shared by many routes is inspected once.  Per request
the plan is only followed: sync plans with plain calls, plans with an ``async`` part inside the
request's coroutine (started inline by the server, so it becomes a task only if it waits).

Generator dependencies (``def dep(): ...; yield value; ...``) run up to their ``yield`` before
the handler; the rest runs after the response has been handed to the engine — with the
handler's exception thrown in at the ``yield`` if it raised.  On MicroPython ``async def`` and
generator functions are the same kind of object; a dependency of that kind is started, and if
its first step yields without the asyncio scheduler having been asked to wake it, it is a
generator dependency, otherwise a coroutine that is awaited.
"""

import json

from . import _compat
from ._compat import EMPTY
from .exceptions import RequestValidationError
from .params import (BODY, COOKIE, FORM, HEADER, NUMBER, PATH, QUERY, Param, check, convert, error,
                     json_invalid, portability_warning, value_kind)


class Depends:
    """``Depends(dependency=None, *, use_cache=True)``: the parameter's value is what
    ``dependency`` returns (resolved with its own parameters); with no ``dependency`` the
    parameter's annotation (a class) is used, as in FastAPI (CPython only)."""

    def __init__(self, dependency=None, *, use_cache=True):
        self.dependency = dependency
        self.use_cache = use_cache

    def __repr__(self):
        return "Depends({})".format(getattr(self.dependency, "__name__", self.dependency))


# How a callable is called.
SYNC, ASYNC, GEN, MAYBE, AGEN = 0, 1, 2, 3, 4
_SOURCE_ORDER = {PATH: 0, QUERY: 1, HEADER: 2, COOKIE: 3, BODY: 4, FORM: 4}
SPECIALS = ("request", "response", "background_tasks")


def _code_flags(fn):
    # CPython: the code flags of a function, bound method or __call__ method.
    code = getattr(fn, "__code__", None)
    if code is None:
        code = getattr(getattr(fn, "__call__", None), "__code__", None)
    return code.co_flags if code is not None else 0


def _call_kind(call):
    if isinstance(call, type):
        return SYNC
    if _compat.MICROPYTHON:
        return MAYBE if _compat.is_coroutine_function(call) else SYNC
    if _compat.is_coroutine_function(call):
        return ASYNC
    flags = _code_flags(call)
    if flags & 0x200:  # CO_ASYNC_GENERATOR (CPython only: MicroPython has none)
        return AGEN
    return GEN if flags & 0x20 else SYNC  # CO_GENERATOR


def _signature(call):
    if isinstance(call, type):
        if not _compat.MICROPYTHON:
            try:
                return _compat.signature(call)
            except (TypeError, ValueError):
                return []
        init = call.__dict__.get("__init__") if hasattr(call, "__dict__") else None
        if init is None:
            for base in getattr(call, "__bases__", ()):
                if "__init__" in getattr(base, "__dict__", {}):
                    init = base.__dict__["__init__"]
                    break
        if init is None:
            return []
        try:
            return _compat.signature(init)[1:]  # without self
        except TypeError:
            return []
    return _compat.signature(call)


class Dependant:
    """The plan of one callable: sub-dependencies, parameters, special objects."""

    def __init__(self, call, path_names, extra=None):
        self.call = call
        self.kind = _call_kind(call)
        self.deps = []  # (name or None, Dependant, use_cache)
        self.params = []  # (name, source, key, index, kind, spec, default, required, loc)
        self.specials = []  # (name, what)
        self.body = []  # the params entries whose source is BODY
        for d in extra or ():
            self.deps.append((None, get_dependant(_dep_call(d, EMPTY), path_names), d.use_cache))
        params = []
        for name, default, annotation in _signature(call):
            if isinstance(default, Depends):
                self.deps.append((name, get_dependant(_dep_call(default, annotation), path_names),
                                  default.use_cache))
            elif name in SPECIALS and not isinstance(default, Param):
                self.specials.append((name, name))
            else:
                params.append(_param_entry(call, name, default, annotation, path_names))
        # FastAPI's order (path, query, header, cookie, body); a stable sort by hand, since
        # MicroPython's list.sort is not stable.
        self.params = [p for i in range(5) for p in params if _SOURCE_ORDER[p[1]] == i]
        self.body = [p for p in params if p[1] is BODY]
        self.body_whole = len(self.body) == 1 and not self.body[0][5].embed
        self.needs_async = self.kind in (ASYNC, MAYBE, AGEN)
        for _, sub, _ in self.deps:
            if sub.needs_async:
                self.needs_async = True
        try:
            hash(call)
            self.cache_key = call
        except TypeError:  # unhashable callable (an instance defining __eq__)
            self.cache_key = id(call)


def _dep_call(dep, annotation):
    call = dep.dependency
    if call is None:
        call = annotation
    if call is None or call is EMPTY or not callable(call):
        raise TypeError("Depends() needs a callable (or an annotated class on CPython)")
    return call


def _param_entry(owner, name, default, annotation, path_names):
    spec = default if isinstance(default, Param) else None
    value_default = spec.default if spec is not None else default
    if annotation is not EMPTY and not _compat.MICROPYTHON and name not in path_names:
        portability_warning(owner, name, annotation, value_default, spec)
    if name in path_names and (spec is None or spec.source is PATH):
        kind = annotation if annotation in (int, float, bool) else None
        return (name, PATH, name, path_names.index(name), kind, spec, EMPTY, True,
                ["path", name])
    source = spec.source if spec is not None else QUERY
    if source is PATH:
        raise ValueError("Path() parameter {!r} is not in the route's path".format(name))
    key = spec.alias if spec is not None and spec.alias else name
    if source is HEADER and (spec.alias is None) and spec.convert_underscores:
        key = name.replace("_", "-")
    loc = ["body" if source is FORM else source, key]  # as written (FastAPI: "X-Token")
    if source is HEADER:
        key = key.lower()  # the request's header names are lower-case
    kind = value_kind(value_default, annotation, spec)
    required = value_default is EMPTY or value_default is ...
    return (name, source, key, None, kind, spec, value_default, required, loc)


_plans = {}


def get_dependant(call, path_names, extra=None):
    """The plan for ``call``, computed once per (callable, path parameter names)."""
    if extra:
        return Dependant(call, path_names, extra)
    try:
        key = (call, tuple(path_names))
        plan = _plans.get(key)
    except TypeError:
        return Dependant(call, path_names)
    if plan is None:
        plan = Dependant(call, path_names)
        _plans[key] = plan
    return plan


# --- per request ------------------------------------------------------------------------------


class Context:
    """What one request's resolution accumulates: cache, errors, generators to finish,
    background tasks and the ``response`` parameter."""

    def __init__(self, request, params):
        self.request = request
        self.params = params
        self.cache = {}
        self.errors = []
        self.exits = []
        self.async_exits = False  # an async generator dependency was entered (CPython)
        self.background = None
        self.response = None

    def special(self, what):
        if what == "request":
            return self.request
        if what == "background_tasks":
            if self.background is None:
                from .background import BackgroundTasks

                self.background = BackgroundTasks()
            return self.background
        if self.response is None:
            from .responses import Response

            self.response = Response(None, status_code=None)
        return self.response

    def finish_response(self, response, returned):
        """Merges the ``response`` parameter's headers and status into a response built from
        a plain return value (as FastAPI: ignored when the handler returned a Response)."""
        sub = self.response
        if sub is not None and response is not returned:
            for k, v in sub._header_list:
                response.headers.append(k, v)
            if sub.status_code is not None:
                response.status_code = sub.status_code
        return response

    def close(self, exc=None):
        """Finishes generator dependencies (last entered first); ``exc`` is thrown in."""
        exits, self.exits = self.exits, []
        for gen in reversed(exits):
            if hasattr(gen, "__anext__"):  # only reached on cancellation: not finished
                continue
            try:
                if exc is None:
                    next(gen)
                else:
                    gen.throw(exc)
            except StopIteration:
                pass
            except Exception as err:
                if err is not exc:
                    _compat.print_exception(err)

    async def aclose(self, exc=None):
        """``close`` when async generator dependencies (CPython) were entered too."""
        exits, self.exits = self.exits, []
        for gen in reversed(exits):
            try:
                if not hasattr(gen, "__anext__"):
                    if exc is None:
                        next(gen)
                    else:
                        gen.throw(exc)
                elif exc is None:
                    await gen.__anext__()
                else:
                    await gen.athrow(exc)
            except (StopIteration, StopAsyncIteration):
                pass
            except Exception as err:
                if err is not exc:
                    _compat.print_exception(err)

    def has_background(self):
        return self.background is not None and self.background.tasks


def _fill(dep, ctx, kwargs):
    """Values of ``dep``'s own parameters and special objects into ``kwargs``."""
    request = ctx.request
    errors = ctx.errors
    for name, what in dep.specials:
        kwargs[name] = ctx.special(what)
    for entry in dep.params:
        name, source, key, index, kind, spec, default, required, loc = entry
        if source is PATH:
            value = ctx.params[index]
            if kind is not None and isinstance(value, str):
                value, err = convert(kind, value, loc)
                if err is not None:
                    errors.append(err)
                    continue
        elif source is BODY:
            continue
        else:
            raw = None
            if source is QUERY:
                store = request.query_params
            elif source is HEADER:
                store = request.headers
            elif source is COOKIE:
                store = request.cookies
            else:
                store = request._form_data()
            if kind is list:
                raw = store.getlist(key) if source is not COOKIE else (
                    [store[key]] if key in store else [])
                if not raw:
                    raw = None
            else:
                raw = store.get(key)
            if raw is None:
                if required:
                    errors.append(error("missing", loc, "Field required", None))
                else:
                    kwargs[name] = list(default) if isinstance(default, list) else default
                continue
            if kind is list:
                value = raw
                if spec is not None and spec.has_checks:
                    bad = False
                    for i, item in enumerate(raw):
                        err = check(spec, item, loc + [i])
                        if err is not None:
                            errors.append(err)
                            bad = True
                    if bad:
                        continue
                kwargs[name] = value
                continue
            value, err = convert(kind, raw, loc)
            if err is not None:
                errors.append(err)
                continue
        if spec is not None and spec.has_checks:
            err = check(spec, value, loc, raw if source is not PATH else None)
            if err is not None:
                errors.append(err)
                continue
        kwargs[name] = value
    if dep.body:
        _fill_body(dep, ctx, kwargs)


_NO_BODY = object()

# A Body whose type is list or dict (from its default or, on CPython, its annotation) and a
# JSON value of another type: pydantic 2's errors, as newer FastAPI.
_TYPE_ERRORS = {
    list: lambda loc, value: error("list_type", loc, "Input should be a valid list", value),
    dict: lambda loc, value: error("dict_type", loc, "Input should be a valid dictionary", value),
}


def _fresh(default):
    # a list or dict default is copied: a handler may change what it is given
    if isinstance(default, list):
        return list(default)
    if isinstance(default, dict):
        return dict(default)
    return default


def _fill_body(dep, ctx, kwargs):
    request = ctx.request
    errors = ctx.errors
    data = request._json
    if data is None:
        if not request._body:
            data = _NO_BODY
        else:
            try:
                data = json.loads(request._body)
            except ValueError as exc:  # as FastAPI: this error alone
                raise RequestValidationError([json_invalid(exc)])
            request._json = data
    for entry in dep.body:
        name, source, key, index, kind, spec, default, required, loc = entry
        if dep.body_whole:
            value, loc = (None if data is _NO_BODY else data), ["body"]
        else:
            value = data.get(key) if isinstance(data, dict) else None
        if value is None:  # as FastAPI: a JSON null is a missing value
            if required:
                errors.append(error("missing", loc, "Field required", None))
            else:
                kwargs[name] = _fresh(default)
            continue
        if kind is list or kind is dict:
            if not isinstance(value, kind):
                errors.append(_TYPE_ERRORS[kind](loc, value))
                continue
        if kind in (int, float, NUMBER) and (isinstance(value, bool) or not isinstance(value, (int, float))):
            value, err = convert(kind, value if isinstance(value, str) else str(value), loc)
            if err is not None:
                errors.append(err)
                continue
        if spec.has_checks:
            err = check(spec, value, loc)
            if err is not None:
                errors.append(err)
                continue
        kwargs[name] = value


# --- sync resolution --------------------------------------------------------------------------


def _kwargs_sync(dep, ctx):
    kwargs = {}
    for name, sub, use_cache in dep.deps:
        ok, value = _call_sync(sub, use_cache, ctx)
        if ok and name is not None:
            kwargs[name] = value
    _fill(dep, ctx, kwargs)
    return kwargs


def _call_sync(sub, use_cache, ctx):
    key = sub.cache_key
    if use_cache and key in ctx.cache:
        return True, ctx.cache[key]
    n = len(ctx.errors)
    kwargs = _kwargs_sync(sub, ctx)
    if len(ctx.errors) > n:
        return False, None
    if sub.kind is GEN:
        gen = sub.call(**kwargs)
        value = next(gen)
        ctx.exits.append(gen)
    else:
        value = sub.call(**kwargs)
    if key not in ctx.cache:
        ctx.cache[key] = value
    return True, value


def solve_sync(dependant, ctx):
    """The endpoint's keyword arguments (all parts sync), or RequestValidationError."""
    kwargs = _kwargs_sync(dependant, ctx)
    if ctx.errors:
        raise RequestValidationError(ctx.errors)
    return kwargs


# --- async resolution -------------------------------------------------------------------------


async def _kwargs_async(dep, ctx):
    kwargs = {}
    for name, sub, use_cache in dep.deps:
        if sub.needs_async:
            ok, value = await _call_async(sub, use_cache, ctx)
        else:
            ok, value = _call_sync(sub, use_cache, ctx)
        if ok and name is not None:
            kwargs[name] = value
    _fill(dep, ctx, kwargs)
    return kwargs


async def _call_async(sub, use_cache, ctx):
    key = sub.cache_key
    if use_cache and key in ctx.cache:
        return True, ctx.cache[key]
    n = len(ctx.errors)
    kwargs = await _kwargs_async(sub, ctx)
    if len(ctx.errors) > n:
        return False, None
    kind = sub.kind
    if kind is ASYNC:
        value = await sub.call(**kwargs)
    elif kind is MAYBE:
        value = await _start_maybe(sub.call(**kwargs), ctx)
    elif kind is AGEN:
        gen = sub.call(**kwargs)
        value = await gen.__anext__()
        ctx.exits.append(gen)
        ctx.async_exits = True
    elif kind is GEN:
        gen = sub.call(**kwargs)
        value = next(gen)
        ctx.exits.append(gen)
    else:
        value = sub.call(**kwargs)
    if key not in ctx.cache:
        ctx.cache[key] = value
    return True, value


async def _start_maybe(gen, ctx):
    # MicroPython: ``gen`` comes from an ``async def`` or a generator function.  Its first
    # step runs with a fresh, unscheduled Task as the current task: an awaitable that
    # suspends schedules that task (timer queue: ph_key; I/O, events, tasks: data), which is
    # then awaited; a generator's ``yield`` schedules nothing.
    core = _compat.asyncio.core
    task = core.Task(gen)
    prev = core.cur_task
    core.cur_task = task
    try:
        first = gen.send(None)
    except StopIteration as stop:
        return stop.value
    finally:
        core.cur_task = prev
    if task.data is not None or task.ph_key != 0:
        return await task
    ctx.exits.append(gen)
    return first


async def solve_async(dependant, ctx):
    kwargs = await _kwargs_async(dependant, ctx)
    if ctx.errors:
        raise RequestValidationError(ctx.errors)
    return kwargs
