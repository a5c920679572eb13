"""``ViperHTTP`` (alias ``FastAPI``): routes, error handling and ``run()``."""

from . import _compat
from .exceptions import HTTPException, RequestValidationError
from .requests import State
from .responses import JSONResponse, Response
from .routing import Route

_HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE")


class ViperHTTP:
    """The application::

        from viperhttp import ViperHTTP

        app = ViperHTTP(title="Smart Home")

        @app.get("/items/{item_id:int}")
        async def read_item(item_id, q=None):
            return {"item_id": item_id, "q": q}

        app.run(host="0.0.0.0", port=80)
    """

    def __init__(self, title="ViperHTTP", version="0.1.0", debug=False, redirect_slashes=True,
                 description="", dependencies=None, **extra):
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

    # --- routes -------------------------------------------------------------------------------

    def add_api_route(self, path, endpoint, methods=None, **options):
        """Registers ``endpoint`` for ``path`` and ``methods`` (default ``["GET"]``)."""
        methods = methods or ["GET"]
        for m in methods:
            if m.upper() not in _HTTP_METHODS:
                raise ValueError("unsupported HTTP method {!r}".format(m))
        if not path.startswith("/"):
            raise ValueError("route path must start with '/': {!r}".format(path))
        if self.dependencies:
            options["dependencies"] = self.dependencies + list(options.get("dependencies") or [])
        route = Route(path, endpoint, methods, **options)
        self.routes.append(route)
        return route

    def api_route(self, path, methods=None, **options):
        def decorator(fn):
            self.add_api_route(path, fn, methods, **options)
            return fn

        return decorator

    def get(self, path, **options):
        return self.api_route(path, ["GET"], **options)

    def post(self, path, **options):
        return self.api_route(path, ["POST"], **options)

    def put(self, path, **options):
        return self.api_route(path, ["PUT"], **options)

    def patch(self, path, **options):
        return self.api_route(path, ["PATCH"], **options)

    def delete(self, path, **options):
        return self.api_route(path, ["DELETE"], **options)

    def head(self, path, **options):
        return self.api_route(path, ["HEAD"], **options)

    def options(self, path, **options):
        return self.api_route(path, ["OPTIONS"], **options)

    def include_router(self, router, prefix="", tags=None, dependencies=None):
        """Registers ``router``'s routes under ``prefix`` with ``tags`` and ``dependencies``
        (run after the app's, before the router's and the route's)."""
        from .routers import included_routes

        for path, endpoint, methods, options in included_routes(router, prefix, tags,
                                                                 dependencies):
            if not options.get("dependencies"):
                options.pop("dependencies", None)
            self.add_api_route(path, endpoint, methods, **options)

    # --- turning results and errors into responses -------------------------------------------

    def make_response(self, route, value):
        """A handler's return value as a Response (SPEC §3.5)."""
        if isinstance(value, Response):
            return value
        status = route.status_code or 200
        if route.response_class is not None:
            return route.response_class(value, status_code=status)
        if status in (204, 304) or status < 200:
            return Response(b"", status_code=status)
        if isinstance(value, (bytes, bytearray)):
            return Response(value, status_code=status, media_type="application/octet-stream")
        return JSONResponse(value, status_code=status)

    def error_response(self, request, exc):
        """The response for an exception raised by a handler (SPEC §3.4)."""
        if isinstance(exc, HTTPException):
            if exc.status_code in (204, 304):
                return Response(b"", exc.status_code, exc.headers)
            return JSONResponse({"detail": exc.detail}, exc.status_code, exc.headers)
        if isinstance(exc, RequestValidationError):
            return JSONResponse({"detail": exc.errors()}, 422)
        return self.server_error(exc)

    def server_error(self, exc):
        if self.debug:
            detail = {"detail": "Internal Server Error", "type": type(exc).__name__,
                      "message": str(exc)}
        else:
            detail = {"detail": "Internal Server Error"}
        return JSONResponse(detail, 500)

    # --- serving ------------------------------------------------------------------------------

    def run(self, host="127.0.0.1", port=8000, **options):
        """Serves the app until SIGINT/SIGTERM (blocks).  Options: SPEC §5, see docs/server.md.

        Every option is checked first: a bad value raises ``ValueError`` naming the option.
        """
        from .server import Server, validate_options

        config = validate_options(host, port, options)
        server = Server(self, config)
        _compat.asyncio.run(server.serve())


FastAPI = ViperHTTP
