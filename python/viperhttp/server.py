"""The interpreter side of the bridge: drains requests from the engine, runs handlers, sends
responses back.

One callback, ``Server._on_wake``, runs whenever the engine's wake descriptor becomes readable;
it takes every pending request in one batch.  A plain ``def`` handler runs inline.  An
``async def`` handler is first run inline too (``coro.send(None)``): if it finishes without
suspending — most do — its response goes out at once, with no task created; only a handler
that really waits becomes an asyncio task (SPEC §2.6).  Many requests can be in flight at once.
"""

import json
import sys

from . import _compat
from ._compat import asyncio
from ._urlencoding import quote_path
from .middleware import chain
from .requests import Request
from .responses import Response
from .status import phrase

_current = None  # the running Server, for server_stats()

# Request headers a FileResponse is answered with (conditionals, ranges, encodings).
_FILE_REQUEST_HEADERS = ("range", "if-range", "if-none-match", "if-modified-since",
                         "accept-encoding")
_LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")
# Options handled in Python; every other option goes to the native engine, which validates it
# (and raises ValueError naming it).
_PYTHON_OPTIONS = {
    "ws_max_message_bytes": (int, 4096),
    "ws_ping_interval_s": (float, 30.0),
    "log_level": (str, "info"),
    "access_log": (bool, True),
}
_ENGINE_DEFAULTS = {
    "keepalive_timeout_s": 30.0,
    "keepalive_max_requests": 1000,
    "header_timeout_s": 10.0,
    "handler_timeout_s": 30.0,
    "max_header_bytes": 4096,
    "max_headers": 24,
    "max_uri_bytes": 512,
    "max_body_bytes": 65536,
    "gzip_min_bytes": 1024,
}
_ENGINE_INT = ("port", "max_connections", "keepalive_max_requests", "max_header_bytes",
               "max_headers", "max_uri_bytes", "max_body_bytes", "body_buffers", "request_queue",
               "request_queue_bytes", "response_queue_bytes", "gzip_min_bytes",
               "static_cache_bytes", "evict_idle_after_ms", "evict_head_after_ms", "evict_silent_after_ms",
               "slot_turn_ms", "admission_timeout_ms")
_ENGINE_SECONDS = ("keepalive_timeout_s", "header_timeout_s", "handler_timeout_s",
                   "send_timeout_s")
_ENGINE_STR = ("host", "poller")


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _is_ipv4(host):
    parts = host.split(".")
    if len(parts) != 4:
        return False
    for p in parts:
        if not p.isdigit() or len(p) > 3 or int(p) > 255:
            return False
    return True


def validate_options(host, port, options):
    """Checks ``app.run`` options; returns (engine options, python options).

    Types and Python-side ranges are checked here; the engine checks its own ranges when it is
    created.  Either way a bad value raises ``ValueError`` whose message is the option's name.
    """
    engine = dict(_ENGINE_DEFAULTS)
    engine["host"] = host
    engine["port"] = port
    py = {}
    for name, (kind, default) in _PYTHON_OPTIONS.items():
        py[name] = options.pop(name, default)
    for name, value in options.items():
        if name not in _ENGINE_INT and name not in _ENGINE_SECONDS and name not in _ENGINE_STR:
            raise TypeError("run() got an unexpected option {!r}".format(name))
        engine[name] = value
    for name, value in engine.items():
        ok = (_is_int(value) and value >= 0 if name in _ENGINE_INT else
              isinstance(value, str) and value != "" if name in _ENGINE_STR else
              (_is_int(value) or isinstance(value, float)) and 0 < value <= 3600)
        if not ok:
            raise ValueError(name)
    if engine["host"] == "localhost":
        engine["host"] = "127.0.0.1"
    if not _is_ipv4(engine["host"]):
        raise ValueError("host")
    if not (_is_int(py["ws_max_message_bytes"]) and py["ws_max_message_bytes"] >= 125):
        raise ValueError("ws_max_message_bytes")
    v = py["ws_ping_interval_s"]
    if not ((_is_int(v) or isinstance(v, float)) and 0 < v <= 3600):
        raise ValueError("ws_ping_interval_s")
    if py["log_level"] not in _LOG_LEVELS:
        raise ValueError("log_level")
    if not isinstance(py["access_log"], bool):
        raise ValueError("access_log")
    return engine, py


class _Pending:
    """The coroutine of an ``async def`` exception handler, still to be awaited."""

    def __init__(self, coro):
        self.coro = coro


class Server:
    def __init__(self, app, config):
        import _viperhttp

        engine_options, py_options = config
        engine_options = dict(engine_options)
        # The engine logs what it answers itself (404, 405, static files...) in the same format.
        engine_options["access_log"] = 1 if py_options["access_log"] else 0
        for middleware in app.engine_middleware:
            engine_options.update(middleware.engine_options())
        self.app = app
        self.engine = _viperhttp.Engine(**engine_options)
        self.host = engine_options["host"]
        self.port = engine_options["port"]
        self.access_log = py_options["access_log"]
        self.log_level = py_options["log_level"]
        self.options = py_options
        self.tasks = {}  # token -> asyncio.Task, for handlers that suspended
        self.backlog = []  # responses the engine had no room for yet
        # sync: plain handlers; fast_path: async handlers that finished without suspending;
        # tasks_created: async handlers that suspended and became tasks.
        self.stats = {"sync": 0, "fast_path": 0, "tasks_created": 0, "cancelled": 0,
                      "errors": 0, "backlog_retries": 0}
        self.stopped = None
        self._log_lines = []  # access log lines of the current batch, written at once
        self._in_wake = False
        self._stopping = False
        # Python middleware, outermost first (viperhttp.middleware)
        self.middleware = [m.dispatch_func for m in app.user_middleware]
        for route_id, route in enumerate(app.routes):
            for method in route.methods:
                self.engine.add_route(method, route.path, route_id)
        for path, files, _ in app.mounts:
            try:
                self.engine.add_static(files.kind, path, files.source, files.html,
                                       files.cache_control)
            except ValueError as exc:
                raise ValueError("mount {!r}: {}".format(path, exc))

    # --- lifecycle ----------------------------------------------------------------------------

    async def serve(self):
        global _current
        _current = self
        self.app._server = self
        self.stopped = asyncio.Event()
        lifespan = self.app.has_lifespan()
        if lifespan:
            self._log("info", "Waiting for application startup.")
            try:
                await self.app.startup()
            except BaseException:
                self.app._server = None
                _current = None
                self._log("error", "Application startup failed. Exiting.")
                raise
            self._log("info", "Application startup complete.")
        self.port = self.engine.start()
        _compat.install_stop_signals(self.engine, self.request_stop)
        self._log("info", "ViperHTTP running on http://{}:{} (Press CTRL+C to quit)".format(
            self.host, self.port))
        try:
            await _compat.watch_engine(self.engine, self._on_wake, self.stopped)
        finally:
            for task in list(self.tasks.values()):
                task.cancel()
            self.engine.join()
            if lifespan:
                self._log("info", "Waiting for application shutdown.")
                try:
                    await self.app.shutdown()
                    self._log("info", "Application shutdown complete.")
                except Exception as exc:
                    _compat.print_exception(exc)
                    self._log("error", "Application shutdown failed.")
            self.app._server = None
            _current = None
            self._log("info", "Finished server process")

    def request_stop(self):
        """Graceful stop: the engine refuses new connections and finishes in-flight requests."""
        if not self._stopping:
            self._stopping = True
            self._log("info", "Shutting down")
        self.engine.stop()

    # --- the bridge -----------------------------------------------------------------------------

    def _on_wake(self):
        self._in_wake = True
        try:
            if self.backlog:
                self._retry_backlog()
            for item in self.engine.drain():
                if type(item) is int:
                    self._cancel(item)
                    continue
                try:
                    self._handle(item)
                except Exception as exc:  # e.g. MemoryError: answer it, keep serving the rest
                    self.stats["errors"] += 1
                    _compat.print_exception(exc)
                    self.engine.respond(item[0], 500, b"content-type: application/json\r\n",
                                        b'{"detail":"Internal Server Error"}')
        finally:
            self._in_wake = False
            if self._log_lines:
                self._flush_access_log()
        if not self.engine.running():
            if not self._stopping:  # stopped by a signal handled in C (MicroPython)
                self._stopping = True
                self._log("info", "Shutting down")
            self.stopped.set()

    def _handle(self, item):
        token, route_id, method, path, query, headers, body, params, client, version = item
        route = self.app.routes[route_id]
        request = Request(self.app, method, path, query, headers, body, params, client, version,
                          route.path_names)
        if route.is_async or self.middleware:
            if self.middleware:
                coro = self._run_middleware(token, request, route)
            else:
                coro = self._run_async(token, request, route)
            done, task = _compat.start_inline(coro)
            if done:
                self.stats["fast_path"] += 1
            else:
                self.tasks[token] = task
                self.stats["tasks_created"] += 1
            return
        if route.dependant is not None:
            self._handle_dependant(token, request, route)
            return
        try:
            result = route.endpoint(**route.arguments(request, params))
            response = self.app.make_response(route, result)
        except Exception as exc:
            response = self._error(request, exc)
        self.stats["sync"] += 1
        if type(response) is _Pending:
            self._start_pending(token, request, response)
            return
        self._send(token, request, response)
        if response.background is not None:
            self._run_later(token, response.background)

    def _handle_dependant(self, token, request, route):
        # Sync handler and dependencies with a full plan (dependencies.py).
        from .dependencies import Context, solve_sync

        ctx = Context(request, request._params)
        error = None
        try:
            result = route.endpoint(**solve_sync(route.dependant, ctx))
            response = ctx.finish_response(self.app.make_response(route, result), result)
        except Exception as exc:
            error = exc
            response = self._error(request, exc)
        self.stats["sync"] += 1
        if type(response) is _Pending:
            self._start_pending(token, request, response)
        else:
            self._send(token, request, response)
        ctx.close(error)
        if error is None and ctx.has_background():
            self._run_later(token, ctx.background)
        if type(response) is not _Pending and response.background is not None:
            self._run_later(token, response.background)

    def _run_later(self, token, background):
        """Runs ``BackgroundTasks`` after the response went out: inline when every task is
        plain, else as a task kept (and counted in flight) until they finish."""
        if not background._async:
            background.run_sync()
            return
        done, task = _compat.start_inline(self._run_background(token, background))
        if not done:
            self.tasks[token] = task
            self.stats["tasks_created"] += 1

    async def _run_background(self, token, background):
        await background.run()
        self.tasks.pop(token, None)

    async def _run_async(self, token, request, route):
        # Started inline by _handle; becomes a task only if something really waits.
        try:
            response, ctx, error = await self._produce(request, route, False)
        except asyncio.CancelledError:
            self.tasks.pop(token, None)
            raise
        self.tasks.pop(token, None)
        self._send(token, request, response)
        if ctx is not None or response.background is not None:
            await self._finish(ctx, error, response)
            self.tasks.pop(token, None)

    async def _run_middleware(self, token, request, route):
        # The route wrapped by the app's Python middleware (viperhttp.middleware).
        produced = []  # (response, ctx, error) of the route, if the chain reached it

        async def run_route(req):
            result = await self._produce(req, route, True)
            produced.append(result)
            return result[0]

        try:
            response = await chain(self.middleware, run_route)(request)
            if not isinstance(response, Response):
                raise TypeError("middleware returned {}, not a Response".format(
                    type(response).__name__))
        except asyncio.CancelledError as exc:
            self.tasks.pop(token, None)
            for _, ctx, _ in produced:
                if ctx is not None:
                    ctx.close(exc)
            raise
        except Exception as exc:
            response = self._error(request, exc)
            if type(response) is _Pending:
                try:
                    response = await self._await_error(response)
                except asyncio.CancelledError as cancel:  # client gone meanwhile
                    self.tasks.pop(token, None)
                    for _, ctx, _ in produced:
                        if ctx is not None:
                            ctx.close(cancel)
                    raise
        self.tasks.pop(token, None)
        self._send(token, request, response)
        for inner, ctx, error in produced:
            await self._finish(ctx, error, inner)
        if response.background is not None and not (produced and produced[0][0] is response):
            await response.background.run()
        self.tasks.pop(token, None)

    async def _produce(self, request, route, reraise):
        """Runs ``route`` for ``request``: (response, dependency context or None, exception or
        None).  Exceptions become responses through the exception handlers; with ``reraise``
        (inside middleware) one that no handler takes is raised instead, as in FastAPI."""
        ctx = None
        try:
            if route.dependant is None:
                kwargs = route.arguments(request, request._params)
            else:
                from .dependencies import Context, solve_async

                ctx = Context(request, request._params)
                kwargs = await solve_async(route.dependant, ctx)
            if route.endpoint_async:
                result = await route.endpoint(**kwargs)
            else:
                result = route.endpoint(**kwargs)
            response = self.app.make_response(route, result)
            if ctx is not None:
                response = ctx.finish_response(response, result)
            return response, ctx, None
        except asyncio.CancelledError as exc:
            if ctx is not None:
                ctx.close(exc)
            raise
        except Exception as exc:
            if reraise and not self._is_handled(exc):
                if ctx is not None:
                    await self._close(ctx, exc)
                raise
            response = self._error(request, exc)
            if type(response) is _Pending:
                try:
                    response = await self._await_error(response)
                except asyncio.CancelledError as cancel:  # client gone while it waited
                    if ctx is not None:
                        ctx.close(cancel)
                    raise
            return response, ctx, exc

    def _is_handled(self, exc):
        from .exceptions import HTTPException, RequestValidationError

        if isinstance(exc, (HTTPException, RequestValidationError)):
            return True
        try:
            return self.app.lookup_exception_handler(exc) is not None
        except Exception:
            return False

    async def _close(self, ctx, error):
        if ctx.async_exits:
            await ctx.aclose(error)
        else:
            ctx.close(error)

    async def _finish(self, ctx, error, response):
        # After the response went out: generator dependencies' cleanup, then background tasks.
        if ctx is not None:
            await self._close(ctx, error)
            if error is None and ctx.has_background():
                await ctx.background.run()
        if response.background is not None:
            await response.background.run()

    def _cancel(self, token):
        # The engine gave up on this request (client gone, or it answered 504 itself).
        task = self.tasks.pop(token, None)
        if task is not None:
            task.cancel()
            self.stats["cancelled"] += 1

    def _error(self, request, exc):
        """The response for ``exc``: from the app's exception handler for it (a ``_Pending``
        when that handler is ``async def``: await ``_await_error``) or the default one."""
        from .exceptions import HTTPException, RequestValidationError

        try:
            found = self.app.lookup_exception_handler(exc)
        except Exception as err:
            return self._handler_failed(err)
        if found is None:
            if not isinstance(exc, (HTTPException, RequestValidationError)):
                self.stats["errors"] += 1
                self._log("error", "Exception in handler for {} {}".format(request.method,
                                                                            request._path))
                _compat.print_exception(exc)
            try:
                return self.app.error_response(request, exc)
            except Exception as err:  # a failing error handler must not take the server down
                return self._handler_failed(err)
        handler, is_async = found
        try:
            result = handler(request, exc)
        except Exception as err:
            return self._handler_failed(err)
        if is_async:
            return _Pending(result)
        return self._handler_result(result)

    async def _await_error(self, pending):
        try:
            result = await pending.coro
        except Exception as err:
            return self._handler_failed(err)
        return self._handler_result(result)

    async def _send_pending(self, token, request, pending):
        # A sync route whose exception handler is async: answered from a coroutine.
        response = await self._await_error(pending)
        self.tasks.pop(token, None)
        self._send(token, request, response)

    def _start_pending(self, token, request, pending):
        done, task = _compat.start_inline(self._send_pending(token, request, pending))
        if not done:
            self.tasks[token] = task
            self.stats["tasks_created"] += 1

    def _handler_failed(self, err):
        self.stats["errors"] += 1
        self._log("error", "Exception in exception handler")
        _compat.print_exception(err)
        return self.app.server_error(err)

    def _handler_result(self, result):
        from .responses import Response

        if isinstance(result, Response):
            return result
        return self._handler_failed(TypeError(
            "exception handler returned {}, not a Response".format(type(result).__name__)))

    def _send(self, token, request, response):
        status = response.status_code
        try:
            headers = response.encode_headers()
        except Exception as exc:
            _compat.print_exception(exc)
            response = self.app.server_error(exc)
            status, headers = 500, response.encode_headers()
        if getattr(response, "path", None) is None:
            payload = response.body
        else:  # FileResponse: the engine opens and sends the file itself
            payload = (response.path.encode(), _file_request_lines(request))
        r = self._push(token, status, headers, payload)
        if r == 1:
            self.backlog.append((token, status, headers, payload))
        elif r == 2:
            size = len(payload) if type(payload) is not tuple else (
                len(headers) + len(payload[0]) + len(payload[1]))
            self._log("error", "response of {} bytes is larger than the response queue allows "
                      "({} bytes)".format(size, self.engine.max_response_bytes()))
            status = 500
            body = b'{"detail":"Response too large"}'
            if self.engine.respond(token, 500, b"content-type: application/json\r\n", body) == 1:
                self.backlog.append((token, 500, b"content-type: application/json\r\n", body))
        if self.access_log:
            self._access(request, status)

    def _push(self, token, status, headers, payload):
        """Hands a response to the engine: 0 queued, 1 queue full (retry), 2 too large."""
        if type(payload) is tuple:  # a FileResponse: (path, request header lines)
            return self.engine.respond_file(token, status, headers, payload[0], payload[1])
        return self.engine.respond(token, status, headers, payload)

    def _retry_backlog(self):
        pending, self.backlog = self.backlog, []
        for i, (token, status, headers, payload) in enumerate(pending):
            if self._push(token, status, headers, payload) == 1:
                self.backlog = pending[i:]
                return
            self.stats["backlog_retries"] += 1

    def stats_snapshot(self):
        """The engine's and the bridge's counters with the Python side's (server_stats)."""
        stats = json.loads(self.engine.stats())
        py = dict(self.stats)
        py["in_flight_tasks"] = len(self.tasks)
        py["backlog"] = len(self.backlog)
        stats["python"] = py
        return stats

    # --- logging ----------------------------------------------------------------------------------

    def _access(self, request, status):
        target = quote_path(request._path) + ("?" + request._query if request._query else "")
        self._log_lines.append('INFO:     {}:{} - "{} {} HTTP/{}" {} {}'.format(
            request._client[0], request._client[1], request.method, target,
            request.http_version, status, phrase(status)))
        if not self._in_wake:
            self._flush_access_log()

    def _flush_access_log(self):
        # One write per batch: on MicroPython every write to stdout is a system call.
        lines, self._log_lines = self._log_lines, []
        _compat.write_line(sys.stdout, "\n".join(lines))

    def _log(self, level, message):
        if _LOG_LEVELS.index(level) <= _LOG_LEVELS.index(self.log_level):
            _compat.write_line(sys.stderr, "{:<10}{}".format(level.upper() + ":", message))


def _file_request_lines(request):
    """What a FileResponse is answered with: the request's validators, ranges and encodings
    as header lines — for GET and HEAD only, where RFC 9110 defines them (§13.1, §14.2)."""
    names = _FILE_REQUEST_HEADERS if request.method in ("GET", "HEAD") else ("accept-encoding",)
    lines = []
    get = request.headers.get
    for name in names:
        value = get(name)
        if value is not None:
            lines.append(name + ": " + value + "\r\n")
    return _compat.header_bytes("".join(lines))


def server_stats():
    """Counters of the running server: the engine's, the bridge's and the Python side's.

    ``{}`` when no server is running.  Example::

        @app.get("/stats")
        def stats():
            return viperhttp.server_stats()
    """
    if _current is None:
        return {}
    return _current.stats_snapshot()
