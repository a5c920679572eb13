"""``ViperHTTP`` (alias ``FastAPI``): routes, error handling and ``run()``."""

from . import _compat, lifespan
from .datastructures import State
from .exceptions import HTTPException
from .middleware import BaseHTTPMiddleware, EngineMiddleware
from .options import validate_options
from .routers import included_routes
from .routing import HTTP_METHODS as _HTTP_METHODS
from .routing import Route, RouteDecorators
from .staticfiles import StaticFiles


class ViperHTTP(RouteDecorators):
    """The application::

        from viperhttp import ViperHTTP

        app = ViperHTTP(title="Smart Home")

        @app.get("/items/{item_id:int}")
        async def read_item(item_id, q=None):
            return {"item_id": item_id, "q": q}

        app.run(host="0.0.0.0", port=80)
    """

    def __init__(self, title="ViperHTTP", version="0.1.0", debug=False, redirect_slashes=True,
                 description="", dependencies=None, lifespan=None, **extra):
        self.title = title
        self.version = version
        self.debug = debug
        self.redirect_slashes = redirect_slashes
        self.description = description
        self.extra = extra
        self.dependencies = list(dependencies or [])  # run for every route (side effects)
        self.routes = []
        self.state = State()
        self._server = None  # the running server, set by run()
        # exception class (or HTTPException status code) -> (handler, is_async)
        self.exception_handlers = {}
        self._handler_cache = {}  # exception class -> (handler, is_async) or None
        # lifespan(app) -> async context manager, entered before serving, left after
        self.lifespan = lifespan
        self.on_startup = []
        self.on_shutdown = []
        self._lifespan_cm = None
        self.mounts = []  # (path, StaticFiles, name), served by the engine
        # Python middleware instances, outermost first (FastAPI's order: last added first).
        self.user_middleware = []
        self.engine_middleware = []  # executed by the engine (viperhttp.middleware)

    # --- routes -------------------------------------------------------------------------------

    def add_api_route(self, path, endpoint, methods=None, **options):
        """Registers ``endpoint`` for ``path`` and ``methods`` (default ``["GET"]``)."""
        methods = methods or ["GET"]
        for m in methods:
            if m.upper() not in _HTTP_METHODS and m != "WEBSOCKET":
                raise ValueError("unsupported HTTP method {!r}".format(m))
        if not path.startswith("/"):
            raise ValueError("route path must start with '/': {!r}".format(path))
        if self.dependencies:
            options["dependencies"] = self.dependencies + list(options.get("dependencies") or [])
        route = Route(path, endpoint, methods, **options)
        self.routes.append(route)
        return route

    def include_router(self, router, prefix="", tags=None, dependencies=None):
        """Registers ``router``'s routes under ``prefix`` with ``tags`` and ``dependencies``
        (run after the app's, before the router's and the route's)."""
        for path, endpoint, methods, options in included_routes(router, prefix, tags,
                                                                 dependencies):
            if not options.get("dependencies"):
                options.pop("dependencies", None)
            self.add_api_route(path, endpoint, methods, **options)

    def mount(self, path, app, name=None):
        """Serves ``app`` (a ``StaticFiles``) under ``path``, in the engine."""
        if not isinstance(app, StaticFiles):
            raise TypeError("only StaticFiles can be mounted: {!r}".format(app))
        if not path.startswith("/"):
            raise ValueError("mount path must start with '/': {!r}".format(path))
        if self._server is not None:
            raise RuntimeError("cannot mount after the application has started")
        self.mounts.append((path, app, name))

    # --- middleware ---------------------------------------------------------------------------

    def add_middleware(self, middleware_class, **options):
        """Adds ``middleware_class(app, **options)`` as the new outermost middleware: a
        ``BaseHTTPMiddleware`` subclass (see viperhttp.middleware)."""
        if self._server is not None:
            raise RuntimeError("cannot add middleware after the application has started")
        if isinstance(middleware_class, type) and issubclass(middleware_class, EngineMiddleware):
            self.engine_middleware.append(middleware_class(self, **options))
            return
        if not (isinstance(middleware_class, type) and
                issubclass(middleware_class, BaseHTTPMiddleware)):
            raise TypeError("add_middleware needs a BaseHTTPMiddleware subclass "
                            "(ASGI middleware is not supported): {!r}".format(middleware_class))
        self.user_middleware.insert(0, middleware_class(self, **options))

    def middleware(self, middleware_type):
        """``@app.middleware("http")`` on ``async def mw(request, call_next)``."""
        if middleware_type != "http":
            raise ValueError("only 'http' middleware is supported: {!r}".format(middleware_type))

        def decorator(fn):
            self.add_middleware(BaseHTTPMiddleware, dispatch=fn)
            return fn

        return decorator

    # --- lifespan -----------------------------------------------------------------------------

    def add_event_handler(self, event_type, fn):
        """Runs ``fn()`` (``def`` or ``async def``) at ``"startup"`` or ``"shutdown"``."""
        if event_type == "startup":
            self.on_startup.append(fn)
        elif event_type == "shutdown":
            self.on_shutdown.append(fn)
        else:
            raise ValueError("event type must be 'startup' or 'shutdown': {!r}".format(
                event_type))

    def on_event(self, event_type):
        if event_type not in ("startup", "shutdown"):
            raise ValueError("event type must be 'startup' or 'shutdown': {!r}".format(
                event_type))

        def decorator(fn):
            self.add_event_handler(event_type, fn)
            return fn

        return decorator

    def has_lifespan(self):
        return lifespan.has_lifespan(self)

    async def startup(self):
        """Startup handlers in registration order, then ``lifespan(app).__aenter__()``."""
        await lifespan.startup(self)

    async def shutdown(self):
        """``lifespan``'s ``__aexit__``, then the shutdown handlers (lifespan.py)."""
        await lifespan.shutdown(self)

    # --- exception handlers -------------------------------------------------------------------

    def add_exception_handler(self, exc_class_or_status_code, handler):
        """``handler(request, exc)`` (``def`` or ``async def``) answers exceptions of that class
        (and its subclasses), or ``HTTPException`` with that status code; it returns a
        Response."""
        key = exc_class_or_status_code
        if not isinstance(key, int) and not (isinstance(key, type) and
                                             issubclass(key, BaseException)):
            raise TypeError("exception_handler needs an exception class or a status code")
        self.exception_handlers[key] = (handler, _compat.is_coroutine_function(handler))
        self._handler_cache = {}

    def exception_handler(self, exc_class_or_status_code):
        def decorator(fn):
            self.add_exception_handler(exc_class_or_status_code, fn)
            return fn

        return decorator

    def lookup_exception_handler(self, exc):
        """(handler, is_async) registered for ``exc``, or None: by status code for an
        ``HTTPException``, then along the class hierarchy, nearest class first."""
        handlers = self.exception_handlers
        if not handlers:
            return None
        if isinstance(exc, HTTPException) and exc.status_code in handlers:
            return handlers[exc.status_code]
        cls = type(exc)
        try:
            return self._handler_cache[cls]
        except KeyError:
            pass
        found = None
        for klass in _class_hierarchy(cls):
            if klass in handlers:
                found = handlers[klass]
                break
        self._handler_cache[cls] = found
        return found

    # --- serving ------------------------------------------------------------------------------

    def run(self, host="127.0.0.1", port=8000, **options):
        """Serves the app until SIGINT/SIGTERM (blocks).  Options: SPEC §5, see docs/python-api.md.

        Every option is checked first: a bad value raises ``ValueError`` naming the option.
        """
        # Imported here, not at the top: the package imports without the native module
        # (tools, the unit tests); serving needs it.
        from .server import Server

        config = validate_options(host, port, options)
        server = Server(self, config)
        _compat.asyncio.run(server.serve())


def _class_hierarchy(cls):
    """``cls`` and its bases, nearest first: ``__mro__`` where there is one (CPython), else
    ``__bases__`` breadth-first (MicroPython)."""
    mro = getattr(cls, "__mro__", None)
    if mro is not None:
        return mro
    out = [cls]
    i = 0
    while i < len(out):
        for base in getattr(out[i], "__bases__", ()):
            if base not in out:
                out.append(base)
        i += 1
    return out


FastAPI = ViperHTTP
