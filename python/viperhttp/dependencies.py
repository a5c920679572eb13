"""``Depends`` and the solving of a handler's parameters and dependencies (SPEC §3.3).

At registration every callable (handler or dependency) is inspected once and becomes a
``Dependant``: its sub-dependencies, its parameters (source, lookup key, conversion, checks)
and the special objects it asks for (``request``, ``response``, ``background_tasks``).
Dependants are cached by callable, so a dependency shared by many routes is inspected once.

Each route's dependant is then flattened into a ``Plan``: the dependencies in the order they
are called (sub-dependencies first), each with the list of its arguments, a slot for its
value, and a cached dependency given one step that every user reads.  Per request, ``solve``
(all parts plain functions) or ``solve_async`` walks that list: bind the arguments
(``_bind``: the one place where request values are looked up, converted and checked), call,
store the value.  Errors of every parameter are collected; a dependency whose own arguments
failed is not called, nor is anything that depends on it, and ``RequestValidationError``
carries them all at the end (FastAPI's order: sub-dependencies first, then path, query,
header, cookie, body).

Generator dependencies (``def dep(): ...; yield value; ...``) run up to their ``yield`` before
the handler; the rest runs after the response has been handed to the engine
(``Context.close``) — with the handler's exception thrown in at the ``yield`` if it raised.  On
MicroPython ``async def`` and generator functions are the same kind of object; a dependency of
that kind is started, and if its first step yields without the asyncio scheduler having been
asked to wake it, it is a generator dependency, otherwise a coroutine that is awaited.
"""

import json

from . import _compat
from ._compat import EMPTY, const
from .background import BackgroundTasks
from .exceptions import RequestValidationError
from ._urlencoding import parse_qsl
from .params import (BODY, COOKIE, FORM, HEADER, NUMBER, PATH, QUERY, Param, check, convert, error,
                     json_invalid, portability_warning, value_kind)
from .responses import Response
from . import _validation
from . import models as _models
from .params import Body

if not _compat.MICROPYTHON:
    from . import _introspect_cpython as _intro


class Depends:
    """``Depends(dependency=None, *, use_cache=True, scope=None)``: the parameter's value is
    what ``dependency`` returns (resolved with its own parameters); with no ``dependency`` the
    parameter's annotation (a class) is used, as in FastAPI (CPython only).  ``scope``, as
    current FastAPI: a generator dependency's code after ``yield`` runs after the response
    has been sent (``"request"``, the default), or as soon as the endpoint has returned,
    before the response is made (``"function"``); when the request fails it runs before the
    error response either way."""

    scopes = ()

    def __init__(self, dependency=None, *, use_cache=True, scope=None):
        if scope not in (None, "function", "request"):
            raise ValueError("Depends(scope=...) must be 'function' or 'request'")
        self.dependency = dependency
        self.use_cache = use_cache
        self.scope = scope


class Security(Depends):
    """``Security(dependency, scopes=[...])``: ``Depends`` that also declares OAuth2 scopes;
    a dependency below it that asks for ``SecurityScopes`` (a parameter annotated so, or named
    ``security_scopes``) receives every scope declared on the way down to it."""

    def __init__(self, dependency=None, *, scopes=None, use_cache=True):
        Depends.__init__(self, dependency, use_cache=use_cache)
        self.scopes = tuple(scopes or ())


class SecurityScopes:
    """The scopes required by the ``Security`` declarations above a dependency:
    ``scopes`` (a list) and ``scope_str`` (space-separated), as FastAPI's."""

    def __init__(self, scopes=None):
        self.scopes = list(scopes or [])
        self.scope_str = " ".join(self.scopes)

    def __repr__(self):
        return "Depends({})".format(getattr(self.dependency, "__name__", self.dependency))


# How a callable is called.
SYNC = const(0)
ASYNC = const(1)
GEN = const(2)
MAYBE = const(3)
AGEN = const(4)
# Where a binding's "other" argument comes from (folded into the bytecode on MicroPython: the
# binding runs for every request).
_SPECIAL = const(0)  # request, response, background_tasks
_QUERY = const(1)
_HEADER = const(2)
_COOKIE = const(3)
_FORM = const(4)
_CODES = {QUERY: _QUERY, HEADER: _HEADER, COOKIE: _COOKIE, FORM: _FORM}
_QUERY_STRING = const(4)  # requests.QUERY: the raw query in the engine's request tuple
_PARAMS = const(7)  # requests.PARAMS: the path values in the engine's request tuple
_SOURCE_ORDER = {PATH: 0, QUERY: 1, HEADER: 2, COOKIE: 3, BODY: 4, FORM: 4}
SPECIALS = ("request", "response", "background_tasks", "websocket")


def _code_flags(fn):
    # CPython: the code flags of a function, bound method or __call__ method.
    code = getattr(fn, "__code__", None)
    if code is None:
        code = getattr(getattr(fn, "__call__", None), "__code__", None)
    return code.co_flags if code is not None else 0


def call_kind(call):
    """How ``call`` is called: SYNC, ASYNC, GEN, AGEN (CPython) or MAYBE (MicroPython: a
    coroutine or a generator, told apart when it runs)."""
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
    """What one callable needs: sub-dependencies, parameters, special objects."""

    def __init__(self, call, path_names, extra=None, scopes=()):
        self.call = call
        self.kind = call_kind(call)
        self.deps = []  # (name or None, Dependant, use_cache, function_scope)
        # (name, source, key, index, kind, spec, default, required, loc)
        self.params = []
        self.specials = []  # (name, what)
        self.body = []  # the params entries whose source is BODY
        for d in extra or ():
            self.deps.append((None, get_dependant(_dep_call(d, EMPTY), path_names, None,
                                                  scopes + d.scopes), d.use_cache,
                              d.scope == "function"))
        params = []
        for name, default, annotation in _signature(call):
            if annotation is not EMPTY:
                default, annotation = _annotated(default, annotation)
            if isinstance(default, Depends):
                self.deps.append((name, get_dependant(_dep_call(default, annotation), path_names,
                                                      None, scopes + default.scopes),
                                  default.use_cache, default.scope == "function"))
            elif (annotation is SecurityScopes or name == "security_scopes") and \
                    not isinstance(default, Param):
                self.specials.append((name, SecurityScopes(scopes)))  # known at registration
            elif name in SPECIALS and not isinstance(default, Param):
                self.specials.append((name, name))
            elif isinstance(annotation, type) and _special_type(annotation) is not None:
                self.specials.append((name, _special_type(annotation)))  # `bt: BackgroundTasks`
            else:
                params.append(_param_entry(call, name, default, annotation, path_names))
        # FastAPI's order (path, query, header, cookie, body); a stable sort by hand, since
        # MicroPython's list.sort is not stable.
        self.params = [p for i in range(5) for p in params if _SOURCE_ORDER[p[1]] == i]
        self.body = [p for p in params if p[1] is BODY]
        self.body_whole = len(self.body) == 1 and not self.body[0][5].embed
        try:
            hash(call)
            self.cache_key = (call, scopes) if scopes else call
        except TypeError:  # unhashable callable (an instance defining __eq__)
            self.cache_key = id(call)


def _special_type(cls):
    """CPython: the special object a parameter annotated with ``cls`` receives (FastAPI
    recognises them by type, whatever the parameter's name), or None."""
    from .requests import Request

    if issubclass(cls, Request):
        return "request"
    if issubclass(cls, BackgroundTasks):
        return "background_tasks"
    if issubclass(cls, Response):
        return "response"
    return None


def _dep_call(dep, annotation):
    call = dep.dependency
    if call is None:
        call = annotation
    if call is None or call is EMPTY or not callable(call):
        raise TypeError("Depends() needs a callable (or an annotated class on CPython)")
    if _overrides:
        call = _overrides.get(call, call)
    return call


_overrides = {}  # app.dependency_overrides while a route's plan is being built


def set_overrides(overrides):
    """Plans built from now on replace the dependencies in ``overrides`` (a dict) —
    ``app.dependency_overrides``; routes rebuild their plans when it changes."""
    global _overrides
    _overrides = overrides


def _annotated(default, annotation):
    """CPython: ``Annotated[T, Depends(...)/Query(...)/...]`` -> (the declaration as a default,
    T).  The declaration is copied (an ``Annotated`` alias may serve many parameters) and
    given the parameter's own default, as FastAPI."""
    inner, meta = _intro.split_annotated(annotation)
    for m in meta:
        if isinstance(m, Depends):
            if default is EMPTY:
                default = m
            break
        if isinstance(m, Param):
            spec = _copy(m)
            if default is not EMPTY:
                spec.default = default
            default = spec
            break
    return default, inner


def _copy(obj):
    new = object.__new__(type(obj))
    new.__dict__.update(obj.__dict__)
    return new


def _plain(desc):
    """The int/float/bool/str class of a description that is only that (or that or None)."""
    if desc is not None and desc[0] == "opt":
        desc = desc[1]
    if desc is not None and desc[0] == "type" and desc[1] in (int, float, bool, str):
        return desc[1]
    return None


def _is_structured(desc):
    """A type FastAPI reads from the body when nothing else is said: list, set, dict, a
    model."""
    if desc is not None and desc[0] == "opt":
        desc = desc[1]
    if desc is None:
        return False
    if desc[0] in ("list", "dict"):
        return True
    return desc[0] == "type" and _is_model(desc[1])


def _is_model(cls):
    return getattr(cls, "_vh_model", False) or _models.is_pydantic(cls)


def _param_entry(owner, name, default, annotation, path_names):
    spec = default if isinstance(default, Param) else None
    value_default = spec.default if spec is not None else default
    desc = _validation.describe(annotation)  # None on MicroPython
    plain = _plain(desc)
    if spec is not None and spec.source is BODY and isinstance(value_default, type) and \
            _is_model(value_default):  # the portable spelling of a model body: Body(Item)
        desc, annotation, value_default, plain = ("type", value_default), value_default, EMPTY, None
    if spec is None and name not in path_names and _is_structured(desc):
        spec = Body(value_default)  # as FastAPI: a list/dict/model annotation is a body
    if annotation is not EMPTY and not _compat.MICROPYTHON and name not in path_names:
        portability_warning(owner, name, plain or annotation, value_default, spec)
    if name in path_names and (spec is None or spec.source is PATH):
        if plain is not None:
            kind = plain if plain is not str else None
        elif desc is not None:
            kind = _validation.compile_type(annotation)
        else:
            kind = None
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
    kind = value_kind(value_default, plain or annotation, spec)
    index = None  # for a repeated value: the validator of its items (None: strings)
    if plain is None and desc is not None:
        if source is BODY:
            kind = _validation.compile_type(annotation)
        else:
            tp = desc[1] if desc[0] == "opt" else desc
            if tp is not None and tp[0] == "list":
                kind = list
                if tp[1] is not None and _plain(tp[1]) is not str:
                    index = _validation.from_description(tp[1])
            elif tp is not None:
                kind = _validation.compile_type(annotation)
    required = value_default is EMPTY or value_default is ...
    return (name, source, key, index, kind, spec, value_default, required, loc)


_dependants = {}


def get_dependant(call, path_names, extra=None, scopes=()):
    """The dependant of ``call``, computed once per (callable, path parameter names, security
    scopes)."""
    if extra or _overrides:  # with overrides a cached sub-tree may hold a replaced callable
        return Dependant(call, path_names, extra, scopes)
    try:
        key = (call, tuple(path_names), scopes)
        found = _dependants.get(key)
    except TypeError:
        return Dependant(call, path_names, None, scopes)
    if found is None:
        found = Dependant(call, path_names, None, scopes)
        _dependants[key] = found
    return found


# --- the plan of a route ------------------------------------------------------------------------

# A step: (call, kind, binding, first).  Its value goes to the slot of the same index; `first`
# is the index of the first step of its sub-tree (its sub-dependencies that were not already
# computed), so that "an argument of this sub-tree failed" is one comparison.  `binding` is
# None for a callable that takes no argument.
_CALL = const(0)
_KIND = const(1)
_BINDING = const(2)
_FIRST = const(3)
_FUNCTION_SCOPE = const(4)  # Depends(scope="function"): its cleanup runs before the response


class Plan:
    """A route's dependant flattened: ``steps`` in call order (sub-dependencies first), the
    endpoint's own ``binding``, and what the request will need.

    A binding says how to make one callable's keyword arguments, grouped by how they are
    found (each group None when empty): ``(deps, paths, others, body, body_whole)``.  ``deps``:
    ``(name, slot, reused)``, the value of an earlier step (``reused``: the slot was computed
    for an earlier user, a cache hit; ``name`` None for a dependency run for its side
    effects).  ``paths``: ``(name, index, kind, spec, loc)``, a path value.  ``others``:
    ``(name, source, key, index, kind, spec, default, required, loc)`` as in
    ``Dependant.params`` with ``source`` a small int, for special objects (``key``: which) and
    query, header, cookie and form values.  ``body``: the Body parameters.
    """

    def __init__(self, dependant):
        self.steps = []
        self._slots = {}  # cache key -> slot of the step computing it first
        self.specials = []
        # A Request is needed to bind: special objects, headers, cookies, form, body.  Path
        # and query values are read from the engine's request tuple directly.
        self.needs_request = False
        self.binding = self._binding(dependant)
        kinds = [step[_KIND] for step in self.steps]
        # Every dependency a plain function or generator: solve() runs without a coroutine.
        self.sync = not (ASYNC in kinds or MAYBE in kinds or AGEN in kinds)
        # A Context is made per request when something must be finished or shared later.
        self.needs_context = (GEN in kinds or MAYBE in kinds or AGEN in kinds or
                              "response" in self.specials or
                              "background_tasks" in self.specials)
        self.uses_response = "response" in self.specials
        # No argument at all: the endpoint is called as endpoint().
        self.empty = not self.steps and self.binding is None
        del self._slots

    def _binding(self, dep):
        deps, paths, others = [], [], []
        for name, sub, use_cache, function_scope in dep.deps:
            slot = self._slots.get(sub.cache_key) if use_cache else None
            reused = slot is not None  # computed for an earlier user: its errors count again
            if slot is None:
                first = len(self.steps)
                binding = self._binding(sub)
                slot = len(self.steps)
                self.steps.append((sub.call, sub.kind, binding, first, function_scope))
                if sub.cache_key not in self._slots:
                    self._slots[sub.cache_key] = slot
            deps.append((name, slot, reused))
        for name, what in dep.specials:
            others.append((name, _SPECIAL, what, None, None, None, None, True, None))
            self.specials.append(what)
            self.needs_request = True
        for p in dep.params:
            if p[1] is PATH:
                name, source, key, index, kind, spec, default, required, loc = p
                paths.append((name, index, kind, spec, loc))
            elif p[1] is not BODY:
                others.append((p[0], _CODES[p[1]]) + tuple(p[2:]))
                if p[1] is not QUERY:
                    self.needs_request = True
        if dep.body:
            self.needs_request = True
        if not (deps or paths or others or dep.body):
            return None
        return (tuple(deps) or None, tuple(paths) or None, tuple(others) or None,
                tuple(dep.body) or None, dep.body_whole)


class _Failed:
    """A slot whose dependency was not called: the errors its sub-tree gave, given again to
    every later user of the slot (as FastAPI, which solves a failed cached dependency again)."""

    def __init__(self, errors):
        self.errors = errors


# --- per request ---------------------------------------------------------------------------------


class Context:
    """What one request's solving keeps for later: generator dependencies to finish, the
    ``background_tasks`` and ``response`` objects.  Made only for plans that need it."""

    def __init__(self):
        self.exits = []
        self.function_exits = []  # generators of Depends(scope="function")
        self.async_exits = False  # an async generator dependency was entered (CPython)
        self.background = None
        self.response = None

    def special(self, what):
        if what == "background_tasks":
            if self.background is None:
                self.background = BackgroundTasks()
            return self.background
        if self.response is None:
            self.response = Response(None, status_code=None)
        return self.response

    def finish_response(self, response, returned):
        """Merges the ``response`` parameter's headers and status into a response built from
        a plain return value (as FastAPI: ignored when the handler returned a Response)."""
        sub = self.response
        if sub is not None and response is not returned:
            for k, v in sub.headers.items():
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

    def end_function_scope(self):
        """After the endpoint returned: the cleanup of ``Depends(scope="function")``
        generators (last entered first), before the response is made; an exception raised
        there fails the request."""
        exits, self.function_exits = self.function_exits, []
        for gen in reversed(exits):
            try:
                next(gen)
            except StopIteration:
                pass

    async def aend_function_scope(self):
        exits, self.function_exits = self.function_exits, []
        for gen in reversed(exits):
            try:
                if hasattr(gen, "__anext__"):
                    await gen.__anext__()
                else:
                    next(gen)
            except (StopIteration, StopAsyncIteration):
                pass

    def unwind(self, exc):
        """The request failed with ``exc``: generator dependencies are finished now, ``exc``
        thrown in at their ``yield``, before the error response is made (as current FastAPI),
        so that one can turn it into another exception (``HTTPException(400)``).  Returns the
        exception to answer (the original one unless a dependency raised another)."""
        exits, self.exits = self.exits + self.function_exits, []
        self.function_exits = []
        for gen in reversed(exits):
            try:
                gen.throw(exc)
            except StopIteration:
                pass
            except Exception as err:
                exc = err
        return exc

    async def aunwind(self, exc):
        """``unwind`` with async generator dependencies (CPython) among them."""
        exits, self.exits = self.exits + self.function_exits, []
        self.function_exits = []
        for gen in reversed(exits):
            try:
                if hasattr(gen, "__anext__"):
                    await gen.athrow(exc)
                else:
                    gen.throw(exc)
            except (StopIteration, StopAsyncIteration):
                pass
            except Exception as err:
                exc = err
        return exc

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

    def finish(self, error):
        """After the response went out: the generator dependencies' cleanup (``error`` thrown
        in), then the background tasks (only when the handler succeeded).  None when all of it
        ran here, else the coroutine that still has to (async cleanup or tasks)."""
        if self.async_exits:
            return self._finish_async(error)
        self.close(error)
        if error is None and self.background is not None and self.background.tasks:
            if self.background._async:
                return self.background.run()
            self.background.run_sync()
        return None

    async def _finish_async(self, error):
        await self.aclose(error)
        if error is None and self.background is not None and self.background.tasks:
            await self.background.run()


def _bind(binding, values, item, request, ctx, errors):
    """The keyword arguments of one callable (its ``binding``, see Plan): values of
    dependencies, path values, special objects and request values (looked up, converted,
    checked).  Errors go to ``errors``.  ``item`` is the engine's request tuple; ``request``
    the Request when the plan needs one (else None); ``values`` the steps' values, then the
    parsed query once it was needed."""
    deps, paths, others, body, body_whole = binding
    kwargs = {}
    if deps is not None:
        for name, slot, reused in deps:
            value = values[slot]
            if errors and type(value) is _Failed:
                if reused:  # a cached dependency that failed for an earlier user
                    errors.extend(value.errors)
                continue
            if name is not None:
                kwargs[name] = value
    if paths is not None:
        params = item[_PARAMS]
        for name, index, kind, spec, loc in paths:
            value = params[index]
            if kind is not None and isinstance(value, str):
                value, err = convert(kind, value, loc)
                if err is not None:
                    errors.append(err)
                    continue
            if spec is not None and spec.has_checks:
                err = check(spec, value, loc)
                if err is not None:
                    errors.append(err)
                    continue
            kwargs[name] = value
    if others is not None:
        _bind_others(others, values, item, request, ctx, errors, kwargs)
    if body is not None:
        _bind_body(body, body_whole, request, errors, kwargs)
    return kwargs


def _bind_others(others, values, item, request, ctx, errors, kwargs):
    for entry in others:
        name, source, key, index, kind, spec, default, required, loc = entry
        if source == _SPECIAL:
            if type(key) is not str:
                kwargs[name] = key  # a value known at registration (SecurityScopes)
            elif key == "request" or key == "websocket":
                # A WebSocket route's request object is its WebSocket (viperhttp.websockets).
                kwargs[name] = request
            else:
                kwargs[name] = ctx.special(key)
            continue
        if source == _QUERY:  # the parsed pairs, kept in the last slot: no QueryParams
            pairs = values[-1]
            if pairs is None:
                pairs = values[-1] = parse_qsl(item[_QUERY_STRING])
            raw = None
            if kind is list:
                raw = [v for k, v in pairs if k == key] or None
            else:
                for k, v in pairs:
                    if k == key:
                        raw = v  # the last one, as Starlette
        else:
            if source == _HEADER:
                store = request.headers
            elif source == _COOKIE:
                store = request.cookies
            else:
                store = request._form_data()
            if kind is list:
                raw = store.getlist(key) if source != _COOKIE else (
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
            if index is not None:  # typed items (CPython: list[int], list[UUID], ...)
                n = len(errors)
                raw = [index.validate(v, loc + [i], errors) for i, v in enumerate(raw)]
                if len(errors) > n:
                    continue
            if spec is not None and spec.has_checks:
                bad = False
                for i, item in enumerate(raw):
                    err = check(spec, item, loc + [i])
                    if err is not None:
                        errors.append(err)
                        bad = True
                if bad:
                    continue
            kwargs[name] = raw
            continue
        if kind is str:
            value = raw
        else:
            value, err = convert(kind, raw, loc)
            if err is not None:
                errors.append(err)
                continue
        if spec is not None and spec.has_checks:
            err = check(spec, value, loc, raw)
            if err is not None:
                errors.append(err)
                continue
        kwargs[name] = value


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


def _bind_body(body, body_whole, request, errors, kwargs):
    data = request._json
    if data is None:
        raw = request._body
        if not raw:
            data = _NO_BODY
        else:
            try:
                data = json.loads(raw)
            except ValueError as exc:  # as FastAPI: this error alone
                raise RequestValidationError([json_invalid(exc)])
            request._json = data
    for entry in body:
        name, source, key, index, kind, spec, default, required, loc = entry
        if body_whole:
            value, loc = (None if data is _NO_BODY else data), ["body"]
        else:
            value = data.get(key) if isinstance(data, dict) else None
        if value is None:  # as FastAPI: a JSON null is a missing value
            if required:
                errors.append(error("missing", loc, "Field required", None))
            else:
                kwargs[name] = _fresh(default)
            continue
        if isinstance(kind, _validation.Validator):  # a model, dict[int, float], ...
            value = kind.validate(value, loc, errors)
            if value is _validation.INVALID:
                continue
            if spec.has_checks and not isinstance(kind, _validation.Checked):
                err = check(spec, value, loc)
                if err is not None:
                    errors.append(err)
                    continue
            kwargs[name] = value
            continue
        if kind is list or kind is dict:
            if not isinstance(value, kind):
                errors.append(_TYPE_ERRORS[kind](loc, value))
                continue
        if kind in (int, float, NUMBER) and (isinstance(value, bool) or
                                             not isinstance(value, (int, float))):
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


def solve(plan, item, request, ctx):
    """The endpoint's keyword arguments for a plan whose dependencies are all plain functions
    or generators (``plan.sync``); ``RequestValidationError`` with every error.  ``item``: the
    engine's request tuple; ``request``: a Request when ``plan.needs_request``."""
    errors = []
    steps = plan.steps
    values = [None] * (len(steps) + 1)  # the steps' values, then the parsed query
    marks = None  # error count at the start of each step, once there are errors
    i = 0
    for step in steps:
        if marks is not None:
            marks[i] = len(errors)
        binding = step[_BINDING]
        if binding is None:
            kwargs = None
        else:
            kwargs = _bind(binding, values, item, request, ctx, errors)
            if errors:
                if marks is None:
                    marks = [0] * len(steps)
                start = marks[step[_FIRST]]
                if len(errors) > start:
                    values[i] = _Failed(errors[start:])
                    i += 1
                    continue
        call = step[_CALL]
        if step[_KIND] == GEN:
            gen = call(**kwargs) if kwargs else call()
            values[i] = next(gen)
            (ctx.function_exits if step[_FUNCTION_SCOPE] else ctx.exits).append(gen)
        else:
            values[i] = call(**kwargs) if kwargs else call()
        i += 1
    binding = plan.binding
    kwargs = _bind(binding, values, item, request, ctx, errors) if binding is not None else {}
    if errors:
        raise RequestValidationError(errors)
    return kwargs


async def solve_async(plan, item, request, ctx):
    """``solve`` for plans with ``async`` dependencies (awaited in turn) — or MicroPython's
    generator-or-coroutine ones."""
    errors = []
    steps = plan.steps
    values = [None] * (len(steps) + 1)
    marks = None
    i = 0
    for step in steps:
        if marks is not None:
            marks[i] = len(errors)
        binding = step[_BINDING]
        kwargs = {}
        if binding is not None:
            kwargs = _bind(binding, values, item, request, ctx, errors)
            if errors:
                if marks is None:
                    marks = [0] * len(steps)
                start = marks[step[_FIRST]]
                if len(errors) > start:
                    values[i] = _Failed(errors[start:])
                    i += 1
                    continue
        kind = step[_KIND]
        call = step[_CALL]
        if kind == SYNC:
            value = call(**kwargs)
        elif kind == ASYNC:
            value = await call(**kwargs)
        elif kind == MAYBE:
            value = await _start_maybe(call(**kwargs), ctx, step[_FUNCTION_SCOPE])
        elif kind == GEN:
            gen = call(**kwargs)
            value = next(gen)
            (ctx.function_exits if step[_FUNCTION_SCOPE] else ctx.exits).append(gen)
        else:  # AGEN
            gen = call(**kwargs)
            value = await gen.__anext__()
            (ctx.function_exits if step[_FUNCTION_SCOPE] else ctx.exits).append(gen)
            ctx.async_exits = True
        values[i] = value
        i += 1
    binding = plan.binding
    kwargs = _bind(binding, values, item, request, ctx, errors) if binding is not None else {}
    if errors:
        raise RequestValidationError(errors)
    return kwargs


async def _start_maybe(gen, ctx, function_scope=False):
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
    (ctx.function_exits if function_scope else ctx.exits).append(gen)
    return first
