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
                 description="", dependencies=None, lifespan=None, default_response_class=None,
                 exception_handlers=None, on_startup=None, on_shutdown=None, responses=None,
                 **extra):
        for key in extra:
            if key not in _STORED_OPTIONS:
                raise TypeError("ViperHTTP() got an unexpected keyword argument {!r}".format(
                    key))
        self.title = title
        self.version = version
        self.debug = debug
        self.redirect_slashes = redirect_slashes
        self.description = description
        # FastAPI's documentation keywords (OpenAPI, docs pages): kept for the OpenAPI document
        self.extra = extra
        self.default_response_class = default_response_class
        self.responses = dict(responses or {})
        self.dependencies = list(dependencies or [])  # run for every route (side effects)
        # dependency -> replacement (tests): the routes' plans are rebuilt when it changes
        self.dependency_overrides = DependencyOverrides(self)
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
        self.sub_apps = []  # (path, ViperHTTP, name) whose routes were registered here
        # Python middleware instances, outermost first (FastAPI's order: last added first).
        self.user_middleware = []
        self.engine_middleware = []  # executed by the engine (viperhttp.middleware)
        for key, handler in (exception_handlers or {}).items():
            self.add_exception_handler(key, handler)
        for fn in on_startup or ():
            self.add_event_handler("startup", fn)
        for fn in on_shutdown or ():
            self.add_event_handler("shutdown", fn)

    # --- routes -------------------------------------------------------------------------------

    def add_api_route(self, path, endpoint, methods=None, **options):
        """Registers ``endpoint`` for ``path`` and ``methods`` (default ``["GET"]``)."""
        methods = methods or ["GET"]
        for m in methods:
            if m.upper() not in _HTTP_METHODS and m != "WEBSOCKET":
                raise ValueError("unsupported HTTP method {!r}".format(m))
        if not path.startswith("/"):
            raise ValueError("route path must start with '/': {!r}".format(path))
        if options.pop("_skip_app_dependencies", False):
            pass
        elif self.dependencies:
            options["dependencies"] = self.dependencies + list(options.get("dependencies") or [])
        if options.get("response_class") is None and self.default_response_class is not None:
            options["response_class"] = self.default_response_class
        if self.responses:
            merged = dict(self.responses)
            merged.update(options.get("responses") or {})
            options["responses"] = merged
        route = Route(path, endpoint, methods, **options)
        route.options = options  # as registered: mount() registers them again elsewhere
        if self.dependency_overrides:
            route.rebuild(self.dependency_overrides)
        self.routes.append(route)
        return route

    def include_router(self, router, prefix="", tags=None, dependencies=None, responses=None,
                       default_response_class=None, deprecated=None, include_in_schema=True):
        """Registers ``router``'s routes under ``prefix`` with ``tags`` and ``dependencies``
        (run after the app's, before the router's and the route's); ``responses``,
        ``default_response_class``, ``deprecated``, ``include_in_schema`` as FastAPI."""
        for path, endpoint, methods, options in included_routes(
                router, prefix, tags, dependencies, responses, default_response_class,
                deprecated, include_in_schema):
            if not options.get("dependencies"):
                options.pop("dependencies", None)
            self.add_api_route(path, endpoint, methods, **options)

    def mount(self, path, app, name=None):
        """Serves ``app`` under ``path``: a ``StaticFiles`` (in the engine), or another
        ``ViperHTTP`` application, whose routes (as registered so far) are registered here
        under ``path``; its exception handlers answer for them and ``request.scope``'s
        ``root_path`` is ``path``."""
        if not path.startswith("/"):
            raise ValueError("mount path must start with '/': {!r}".format(path))
        if self._server is not None:
            raise RuntimeError("cannot mount after the application has started")
        if isinstance(app, ViperHTTP):
            if app is self:
                raise ValueError("an application cannot be mounted on itself")
            prefix = path.rstrip("/")
            for route in app.routes:
                options = dict(route.options)
                options["dependencies"] = list(route.dependencies)
                # the sub-application's own dependencies are in each route already
                new = self.add_api_route(prefix + route.path, route.endpoint, route.methods,
                                         **_without_app_dependencies(options,
                                                                     self.dependencies))
                new.owner = route.owner if route.owner is not None else app
                new.root_path = prefix + route.root_path
            self.sub_apps.append((path, app, name))
            return
        if not isinstance(app, StaticFiles):
            raise TypeError("only StaticFiles or a ViperHTTP application can be mounted: "
                            "{!r}".format(app))
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


def _without_app_dependencies(options, app_dependencies):
    # add_api_route prepends the app's dependencies; a mounted app's routes must not get them
    # (FastAPI: a mounted application is independent of the one it is mounted on)
    if app_dependencies:
        options["_skip_app_dependencies"] = True
    return options


class DependencyOverrides(dict):
    """``app.dependency_overrides``: a dict whose every change rebuilds the routes' plans
    (plans are computed ahead, not per request)."""

    def __init__(self, app):
        super().__init__()
        self._app = app

    def _changed(self):
        for route in self._app.routes:
            route.rebuild(self)

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        self._changed()

    def __delitem__(self, key):
        super().__delitem__(key)
        self._changed()

    def clear(self):
        super().clear()
        self._changed()

    def pop(self, key, *default):
        value = super().pop(key, *default)
        self._changed()
        return value

    def update(self, *args, **kw):
        super().update(*args, **kw)
        self._changed()


# FastAPI's keyword arguments that only describe the app (OpenAPI document, docs pages, ASGI
# details): accepted and kept in ``app.extra``; any other keyword is a TypeError.
_STORED_OPTIONS = (
    "summary", "openapi_url", "openapi_tags", "servers", "docs_url", "redoc_url",
    "swagger_ui_oauth2_redirect_url", "swagger_ui_init_oauth", "swagger_ui_parameters",
    "terms_of_service", "contact", "license_info", "openapi_prefix", "root_path",
    "root_path_in_servers", "callbacks", "webhooks", "deprecated", "include_in_schema",
    "generate_unique_id_function", "separate_input_output_schemas", "openapi_external_docs",
)


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
