"""The request pipeline: what happens to one request between the engine's request ring and
its response ring (docs/architecture.md, "The Python runtime").

    middleware -> solve dependencies -> call the endpoint -> make the response
        -> (exception handlers) -> send -> finish (dependency cleanup, background tasks)

It is one sequence of steps, written once, run in one of two ways:

* **inline** (``run_sync``), for a ``def`` endpoint whose dependencies are plain functions or
  generators and an app without Python middleware: the steps are plain calls, no coroutine is
  made.  A step that turns out to need to wait (an ``async def`` exception handler, async
  background tasks) hands the rest of the sequence to a coroutine started inline.
* **as a coroutine** (``run_async``, and ``run_middleware`` when the app has Python
  middleware), started inline (``coro.send(None)``): it runs to the end in the caller's stack
  unless something really waits, and only then becomes an asyncio task (SPEC §2.6).

The send step is the response's own: ``response.send(outbox, item)`` hands a body or a file to
the engine, and returns an awaitable when it needs more (a streamed body), which the pipeline
awaits.  A plain JSON-able return value skips the Response object: it is encoded and handed
over directly with the route's precomputed header.
"""

from . import _compat
from ._compat import asyncio, const
from .dependencies import Context, solve, solve_async
from .exception_handlers import (http_exception_response, server_error_response,
                                 validation_error_response)
from .exceptions import HTTPException, RequestValidationError
from .middleware import chain
from .requests import METHOD, PATH, Request
from .responses import Response
from .routing import JSON_HEADERS
from . import websockets as _websockets

# Constants folded into the bytecode on MicroPython (this path runs for every request): the
# engine's request tuple (requests.TOKEN, ROUTE_ID) and the counters (stats.SYNC, ...).
_TOKEN = const(0)
_ROUTE_ID = const(1)
_SYNC = const(0)
_FAST_PATH = const(1)
_TASKS_CREATED = const(2)
_ERRORS = const(4)

_JSON_TYPES = (dict, list, str, int, float, bool, type(None))
_json_body = _compat.json_body
_run_inline = _compat.run_inline
_CancelledError = asyncio.CancelledError


class _Pending:
    """The coroutine of an ``async def`` exception handler, still to be awaited."""

    def __init__(self, coro):
        self.coro = coro


class Pipeline:
    """Runs requests for one server: ``run(item)`` for each request tuple the engine hands
    over (docs/native-api.md)."""

    def __init__(self, app, outbox, counts, tasks, log, on_error=None):
        self.app = app
        self.routes = app.routes
        self.outbox = outbox
        self.counts = counts
        self.tasks = tasks  # token -> asyncio task, for requests whose coroutine suspended
        self.log = log
        self.on_error = on_error  # called with every exception answered 500
        # Python middleware, outermost first (viperhttp.middleware)
        self.middleware = [m.dispatch_func for m in app.user_middleware]
        self.hub = None  # websockets.Hub, set by the server when the app has WebSocket routes
        # The TestClient sets ``track``: ``active`` then counts requests whose processing
        # (cleanup and background tasks included) has not ended, so that a call returns only
        # when its background tasks are done, as Starlette's TestClient.
        self.track = False
        self.active = 0

    def run(self, item):
        route = self.routes[item[_ROUTE_ID]]
        if route.websocket:  # the upgrade request of a WebSocket route (websockets.py)
            # Not counted in ``active``: a WebSocket stays open across the TestClient's calls.
            self.start(item[_TOKEN], _websockets.run(self, self.hub, item, route), False, False)
        elif self.track:
            self.active += 1
            try:
                self._run(item, route)
            finally:
                self.active -= 1
        else:
            self._run(item, route)

    def _run(self, item, route):
        if self.middleware:
            self.start(item[_TOKEN], self.run_middleware(item, route), True)
        elif route.plan.sync:
            self.run_inline(item, route)
        else:
            self.start(item[_TOKEN], self.run_async(item, route), True)

    def tracked(self, coro):
        """``coro``, counted in ``active`` from now until it ends (TestClient only)."""
        if not self.track:
            return coro
        self.active += 1
        return self._tracked(coro)

    async def _tracked(self, coro):
        try:
            return await coro
        finally:
            self.active -= 1

    def start(self, token, coro, count_fast_path, track=True):
        """Runs ``coro`` inline until it finishes or first waits; then it is a task, kept
        under ``token`` (so that the engine can cancel it).  ``track``: counted in ``active``
        (TestClient only)."""
        done, task = _compat.start_inline(self.tracked(coro) if track else coro)
        if done:
            if count_fast_path:
                self.counts[_FAST_PATH] += 1
        else:
            self.tasks[token] = task
            self.counts[_TASKS_CREATED] += 1

    # --- the steps -------------------------------------------------------------------------

    def send(self, item, response):
        """Hands ``response`` to the engine; None, or an awaitable (a streamed body)."""
        try:
            return response.send(self.outbox, item)
        except Exception as exc:  # e.g. a header value the latin-1 encoding cannot hold
            _compat.print_exception(exc)
            return self.server_error(exc).send(self.outbox, item)

    def finish(self, ctx, error, response):
        """After the response went out: dependency cleanup, then background tasks (the
        context's, if the handler succeeded, then the response's).  None when all of it ran
        here, else the coroutine that still has to."""
        later = ctx.finish(error) if ctx is not None else None
        background = response.background if response is not None else None
        if background is None:
            return later
        if later is None and not background._async:
            background.run_sync()
            return None
        return _then_background(later, background)

    def error_response(self, item, request, exc):
        """The response for ``exc``: from the app's exception handler for it (a ``_Pending``
        when that handler is ``async def``) or the default one."""
        try:
            found = self.owner(item).lookup_exception_handler(exc)
        except Exception as err:
            return self.handler_failed(err)
        if found is None:
            if isinstance(exc, HTTPException):
                builder = http_exception_response
            elif isinstance(exc, RequestValidationError):
                builder = validation_error_response
            else:
                self.counts[_ERRORS] += 1
                self.log("error", "Exception in handler for {} {}".format(item[METHOD], item[PATH]))
                _compat.print_exception(exc)
                return self.server_error(exc)
            try:
                return builder(exc)
            except Exception as err:  # a failing error response must not take the server down
                return self.handler_failed(err)
        handler, is_async = found
        try:
            result = handler(request if request is not None else Request(item, self.app), exc)
        except Exception as err:
            return self.handler_failed(err)
        if is_async:
            return _Pending(result)
        return self.handler_result(result)

    async def await_handler(self, pending):
        try:
            result = await pending.coro
        except Exception as err:
            return self.handler_failed(err)
        return self.handler_result(result)

    def handler_result(self, result):
        if isinstance(result, Response):
            return result
        return self.handler_failed(TypeError(
            "exception handler returned {}, not a Response".format(type(result).__name__)))

    def handler_failed(self, err):
        self.counts[_ERRORS] += 1
        self.log("error", "Exception in exception handler")
        _compat.print_exception(err)
        return self.server_error(err)

    def server_error(self, exc):
        """The 500 for an exception nothing handled (``on_error`` hears of it first)."""
        if self.on_error is not None:
            self.on_error(exc)
        return server_error_response(exc, self.app.debug)

    def owner(self, item):
        """The app whose exception handlers answer for this request's route: the app, or
        the application mounted on it that the route came from (``app.mount``)."""
        owner = self.routes[item[_ROUTE_ID]].owner
        return self.app if owner is None else owner

    def is_handled(self, exc, item=None):
        if isinstance(exc, (HTTPException, RequestValidationError)):
            return True
        try:
            app = self.app if item is None else self.owner(item)
            return app.lookup_exception_handler(exc) is not None
        except Exception:
            return False

    # --- inline ----------------------------------------------------------------------------

    def run_inline(self, item, route):
        """The steps as plain calls: the route's dependencies are plain functions or
        generators, and there is no Python middleware.  An ``async def`` endpoint is driven
        inline too (``coro.send(None)``); only if it really waits does the rest become a task
        (``run_async`` carries it on)."""
        plan = route.plan
        request = ctx = response = error = None
        # Counted up front, errors included: a def endpoint runs inline; an async one is on the
        # fast path unless it waits (then it becomes a task, counted below instead).
        self.counts[_FAST_PATH if route.endpoint_async else _SYNC] += 1
        try:
            if plan.empty:
                result = route.endpoint()
            else:
                if plan.needs_request:
                    request = Request(item, self.app)
                if plan.needs_context:
                    ctx = Context()
                result = route.endpoint(**solve(plan, item, request, ctx))
            if route.endpoint_async:
                done, result = _run_inline(result)
                if not done:  # it waits: a task takes the rest of the steps
                    self.tasks[item[_TOKEN]] = asyncio.create_task(self.tracked(
                        self.run_async(item, route, result, request, ctx)))
                    self.counts[_FAST_PATH] -= 1
                    self.counts[_TASKS_CREATED] += 1
                    return
            if ctx is not None and ctx.function_exits:
                ctx.end_function_scope()
            if route.plain_json and type(result) in _JSON_TYPES:
                body = _json_body(result)  # the Response object is skipped
            else:
                response = route.make_response(result)
                if ctx is not None:
                    response = ctx.finish_response(response, result)
        except Exception as exc:
            if ctx is not None and ctx.exits:
                exc = ctx.unwind(exc)  # a yield dependency may answer it differently
            error = exc
            response = self.error_response(item, request, exc)
            if type(response) is _Pending:  # an async exception handler: the rest waits for it
                self.start(item[_TOKEN], self.after_handler(item, response, ctx, exc), False)
                return
        if response is None:
            self.outbox.respond(item, route.status, JSON_HEADERS, body)
            if ctx is None:
                return
        else:
            pending = self.send(item, response)
            if pending is not None:
                self.start(item[_TOKEN], self.after_send(item, pending, ctx, error, response),
                           False)
                return
        later = self.finish(ctx, error, response)
        if later is not None:
            self.start(item[_TOKEN], self.later(item[_TOKEN], later), False)

    async def after_handler(self, item, pending, ctx, error):
        # An inline request whose exception handler is async: the rest of its steps.
        response = await self.await_handler(pending)
        await self.after_send(item, self.send(item, response), ctx, error, response)

    async def after_send(self, item, pending, ctx, error, response):
        if pending is not None:
            await pending
        self.tasks.pop(item[_TOKEN], None)
        later = self.finish(ctx, error, response)
        if later is not None:
            await later
        self.tasks.pop(item[_TOKEN], None)

    async def later(self, token, coro):
        await coro
        self.tasks.pop(token, None)

    # --- as a coroutine --------------------------------------------------------------------

    async def run_async(self, item, route, started=None, request=None, ctx=None):
        """The steps for a route with async dependencies, or the rest of them for an
        endpoint that ``run_inline`` started and that waited (``started``: what to await for
        its result)."""
        token = item[_TOKEN]
        plan = route.plan
        if started is None and not plan.empty:
            if plan.needs_request:
                request = Request(item, self.app)
            ctx = Context() if plan.needs_context else None
        response = error = None
        try:
            try:
                if started is not None:
                    result = await started
                else:
                    if plan.empty:
                        kwargs = {}
                    elif plan.sync:
                        kwargs = solve(plan, item, request, ctx)
                    else:
                        kwargs = await solve_async(plan, item, request, ctx)
                    if route.endpoint_async:
                        result = await route.endpoint(**kwargs)
                    else:
                        result = route.endpoint(**kwargs)
                if ctx is not None and ctx.function_exits:
                    if ctx.async_exits:
                        await ctx.aend_function_scope()
                    else:
                        ctx.end_function_scope()
                if route.plain_json and type(result) in _JSON_TYPES:
                    body = _json_body(result)
                else:
                    response = route.make_response(result)
                    if ctx is not None:
                        response = ctx.finish_response(response, result)
            except Exception as exc:
                if ctx is not None and ctx.exits:
                    exc = await ctx.aunwind(exc) if ctx.async_exits else ctx.unwind(exc)
                error = exc
                response = self.error_response(item, request, exc)
                if type(response) is _Pending:
                    response = await self.await_handler(response)
        except _CancelledError as exc:  # the engine gave up on this request
            self.tasks.pop(token, None)
            if started is not None and hasattr(started, "cancel"):
                started.cancel()  # MicroPython: the endpoint runs in a task of its own
            if ctx is not None:
                ctx.close(exc)
            raise
        if response is None:
            self.tasks.pop(token, None)
            self.outbox.respond(item, route.status, JSON_HEADERS, body)
        else:
            pending = self.send(item, response)
            if pending is not None:  # a streamed body: cancellable while it is sent
                await pending
            self.tasks.pop(token, None)
        later = self.finish(ctx, error, response)
        if later is not None:
            await later
            self.tasks.pop(token, None)

    async def produce(self, request, route, reraise):
        """The route's steps up to the response, for ``call_next``: (response, context,
        exception).  Exceptions become responses through the exception handlers; with
        ``reraise`` one that no handler takes is raised instead, as in FastAPI."""
        item = request._item
        plan = route.plan
        ctx = Context() if plan.needs_context else None
        try:
            if plan.sync:
                kwargs = solve(plan, item, request, ctx) if not plan.empty else {}
            else:
                kwargs = await solve_async(plan, item, request, ctx)
            if route.endpoint_async:
                result = await route.endpoint(**kwargs)
            else:
                result = route.endpoint(**kwargs)
            if ctx is not None and ctx.function_exits:
                if ctx.async_exits:
                    await ctx.aend_function_scope()
                else:
                    ctx.end_function_scope()
            response = route.make_response(result)
            if ctx is not None:
                response = ctx.finish_response(response, result)
            return response, ctx, None
        except _CancelledError as exc:
            if ctx is not None:
                ctx.close(exc)
            raise
        except Exception as exc:
            if ctx is not None and ctx.exits:
                exc = await ctx.aunwind(exc) if ctx.async_exits else ctx.unwind(exc)
            if reraise and not self.is_handled(exc, item):
                if ctx is not None:
                    if ctx.async_exits:
                        await ctx.aclose(exc)
                    else:
                        ctx.close(exc)
                raise
            response = self.error_response(item, request, exc)
            if type(response) is _Pending:
                try:
                    response = await self.await_handler(response)
                except _CancelledError as cancel:  # client gone while it waited
                    if ctx is not None:
                        ctx.close(cancel)
                    raise
            return response, ctx, exc

    async def run_middleware(self, item, route):
        """The steps behind the app's Python middleware (viperhttp.middleware)."""
        token = item[_TOKEN]
        request = Request(item, self.app)
        produced = []  # (response, ctx, error) of the route, if the chain reached it

        async def run_route(req):
            result = await self.produce(req, route, True)
            produced.append(result)
            return result[0]

        try:
            response = await chain(self.middleware, run_route)(request)
            if not isinstance(response, Response):
                raise TypeError("middleware returned {}, not a Response".format(
                    type(response).__name__))
        except _CancelledError as exc:
            self.tasks.pop(token, None)
            for _, ctx, _ in produced:
                if ctx is not None:
                    ctx.close(exc)
            raise
        except Exception as exc:
            response = self.error_response(item, request, exc)
            if type(response) is _Pending:
                try:
                    response = await self.await_handler(response)
                except _CancelledError as cancel:  # client gone meanwhile
                    self.tasks.pop(token, None)
                    for _, ctx, _ in produced:
                        if ctx is not None:
                            ctx.close(cancel)
                    raise
        pending = self.send(item, response)
        if pending is not None:  # a streamed body: cancellable while it is sent
            await pending
        self.tasks.pop(token, None)
        for inner, ctx, error in produced:
            later = self.finish(ctx, error, inner)
            if later is not None:
                await later
        if response.background is not None and not (produced and produced[0][0] is response):
            await response.background.run()
        self.tasks.pop(token, None)


async def _then_background(later, background):
    if later is not None:
        await later
    await background.run()
