"""The interpreter side of the bridge: the server's lifecycle and the drain loop.

``Server(app, config)`` creates the native engine and registers the app's routes and mounts;
``serve()`` runs the lifespan, starts the engine, and calls ``_on_wake`` whenever the engine's
wake descriptor becomes readable: it takes every pending request in one batch and hands each
to the request pipeline (pipeline.py), and cancels the tasks of requests the engine gave up
on.  Responses leave through the outbox (outbox.py).

Two hooks make the server usable from a test harness without patching anything:
``install_signals=False`` leaves SIGINT/SIGTERM alone, and ``on_error(exc)`` hears of every
exception that was answered 500.
"""

import _viperhttp

from . import _compat, lifespan, stats
from ._compat import asyncio
from .logs import AccessLog, Log
from .options import ssl_error
from .outbox import Outbox
from .pipeline import Pipeline
from .websockets import Hub
from .stats import CANCELLED, ERRORS, new_counts


class Server:
    def __init__(self, app, config, install_signals=True, on_error=None):
        engine_options, py_options = config
        engine_options = dict(engine_options)
        # The engine logs what it answers itself (404, 405, static files...) in the same format.
        engine_options["access_log"] = 1 if py_options["access_log"] else 0
        for middleware in app.engine_middleware:
            engine_options.update(middleware.engine_options())
        self.app = app
        try:
            self.engine = _viperhttp.Engine(**engine_options)
        except ValueError as exc:
            raise ValueError(ssl_error(str(exc), py_options.get("ssl_names", {})))
        # One engine serves HTTPS or HTTP: request.url and the startup line say which.
        self.scheme = "https" if "ssl_certdata" in engine_options else "http"
        self.host = engine_options["host"]
        self.port = engine_options["port"]
        self.options = py_options
        self.install_signals = install_signals
        self.log = Log(py_options["log_level"])
        self.access_log = AccessLog() if py_options["access_log"] else None
        self.counts = new_counts()
        self.tasks = {}  # token -> asyncio.Task, for requests whose coroutine suspended
        self.outbox = Outbox(self.engine, self.counts, self.log, self.access_log)
        self.pipeline = Pipeline(app, self.outbox, self.counts, self.tasks, self.log, on_error)
        self.hub = None
        self.stopped = None
        self._stopping = False
        for route_id, route in enumerate(app.routes):
            for method in route.methods:
                try:
                    self.engine.add_route(method, route.path, route_id)
                except ValueError as exc:
                    # The same method and path shape registered twice: as FastAPI, the
                    # first registered route answers and the later one is never reached.
                    if "conflicts" not in str(exc):
                        raise
                    self.log("warning", "route {} {} ({}) is shadowed by an earlier route "
                             "for the same path".format(method, route.path, route.name))
            if route.websocket and self.hub is None:
                self.hub = self.pipeline.hub = Hub(self.engine, self.outbox)
        for path, files, _ in app.mounts:
            try:
                self.engine.add_static(files.kind, path, files.source, files.html,
                                       files.cache_control)
            except ValueError as exc:
                raise ValueError("mount {!r}: {}".format(path, exc))

    # --- lifecycle ----------------------------------------------------------------------------

    async def serve(self):
        stats.set_current(self)
        self.app._server = self
        self.stopped = asyncio.Event()
        has_lifespan = lifespan.has_lifespan(self.app)
        if has_lifespan:
            self.log("info", "Waiting for application startup.")
            try:
                await lifespan.startup(self.app)
            except BaseException:
                self._detach()
                self.log("error", "Application startup failed. Exiting.")
                raise
            self.log("info", "Application startup complete.")
        self.port = self.engine.start()
        if self.install_signals:
            _compat.install_stop_signals(self.engine, self.request_stop)
        self.log("info", "ViperHTTP running on {}://{}:{} (Press CTRL+C to quit)".format(
            self.scheme, self.host, self.port))
        try:
            await _compat.watch_engine(self.engine, self._on_wake, self.stopped)
        finally:
            for task in list(self.tasks.values()):
                task.cancel()
            self.engine.join()
            if has_lifespan:
                self.log("info", "Waiting for application shutdown.")
                try:
                    await lifespan.shutdown(self.app)
                    self.log("info", "Application shutdown complete.")
                except Exception as exc:
                    _compat.print_exception(exc)
                    self.log("error", "Application shutdown failed.")
            self._detach()
            self.log("info", "Finished server process")

    def _detach(self):
        self.app._server = None
        if stats.current() is self:
            stats.set_current(None)

    def request_stop(self):
        """Graceful stop: the engine refuses new connections and finishes in-flight requests."""
        if not self._stopping:
            self._stopping = True
            self.log("info", "Shutting down")
        self.engine.stop()

    # --- the bridge -----------------------------------------------------------------------------

    def _on_wake(self):
        access_log = self.access_log
        if access_log is not None:
            access_log.begin()
        try:
            outbox = self.outbox
            if outbox.backlog:
                outbox.retry()
            if outbox.space_waiters:
                outbox.wake_space_waiters()
            run = self.pipeline.run
            hub = self.hub
            for item in self.engine.drain():
                if type(item) is int:
                    if item < 0:  # ~token: a streamed response has credit again
                        outbox.writable(~item)
                    elif hub is None or not hub.cancelled(item):
                        self._cancel(item)
                    continue
                if len(item) == 4:  # a WebSocket event (websockets.Hub)
                    hub.event(item)
                    continue
                try:
                    run(item)
                except Exception as exc:  # e.g. MemoryError: answer it, keep serving the rest
                    self.counts[ERRORS] += 1
                    _compat.print_exception(exc)
                    self.outbox.error(item[0])
        finally:
            if access_log is not None:
                access_log.end()
            if self.hub is not None:
                self.hub.after_drain()
        if not self.engine.running():
            if not self._stopping:  # stopped by a signal handled in C (MicroPython)
                self._stopping = True
                self.log("info", "Shutting down")
            self.stopped.set()

    def _cancel(self, token):
        # The engine gave up on this request (client gone, or it answered 504 itself).
        if self.outbox.streams:
            self.outbox.stream_gone(token)
        task = self.tasks.pop(token, None)
        if task is not None:
            task.cancel()
            self.counts[CANCELLED] += 1

    def stats_snapshot(self):
        """The engine's and the bridge's counters with the Python side's (server_stats)."""
        return stats.snapshot(self.engine.stats(), self.counts, len(self.tasks),
                              len(self.outbox.backlog))
