"""Middleware: Python code around every route, and switches for the engine's own.

Python middleware sees each request before its route and the response after it, as in
FastAPI.  Write it as a function::

    @app.middleware("http")
    async def add_version(request, call_next):
        response = await call_next(request)
        response.headers["x-app-version"] = "1.2"
        return response

or as a class, registered with ``app.add_middleware``::

    class RequireKey(BaseHTTPMiddleware):
        def __init__(self, app, key):
            super().__init__(app)
            self.key = key

        async def dispatch(self, request, call_next):
            if request.headers.get("x-key") != self.key:
                return JSONResponse({"detail": "no key"}, status_code=401)  # short-circuit
            return await call_next(request)

    app.add_middleware(RequireKey, key="s3cret")

Order is FastAPI's: the middleware added last is the outermost, so it sees the request first
and the response last.  ``call_next(request)`` runs the rest of the chain and the route and
returns its ``Response`` (exception handlers have already turned ``HTTPException`` and handled
exceptions into responses; an unhandled exception is raised out of ``call_next``, so a
middleware can catch it).  The middleware may change the response's status, headers and body,
or return another response.

Built-in middleware runs in the engine, not in Python: ``app.add_middleware(GZipMiddleware,
minimum_size=1000, compresslevel=6)`` configures the engine, which compresses responses itself.

Only routes pass through Python middleware: what the engine answers alone (404 for an unknown
path, 405, 503, 504, static files) does not — see docs/fastapi-differences.md.
"""


class BaseHTTPMiddleware:
    """Base class of Python middleware: override ``async def dispatch(request, call_next)``,
    or pass ``dispatch=`` a function of that shape."""

    def __init__(self, app, dispatch=None):
        self.app = app
        if dispatch is not None:
            self.dispatch_func = dispatch
        else:
            self.dispatch_func = self.dispatch

    async def dispatch(self, request, call_next):
        raise NotImplementedError("BaseHTTPMiddleware subclasses must define dispatch()")


class EngineMiddleware:
    """Base of the middleware executed by the engine: ``add_middleware`` turns its options into
    engine options (``engine_options()``) instead of adding a Python layer."""

    def engine_options(self):
        return {}


class GZipMiddleware(EngineMiddleware):
    """gzip for responses from handlers, done by the engine (zlib)::

        app.add_middleware(GZipMiddleware, minimum_size=1000, compresslevel=6)

    A response is compressed when the request's ``Accept-Encoding`` allows gzip (q-values
    honoured, ``gzip;q=0`` refuses), its body has at least ``minimum_size`` bytes (default: the
    ``gzip_min_bytes`` option of ``app.run``, 1024), it has no ``Content-Encoding`` yet, it is
    not ``text/event-stream`` nor an already-compressed type (images but SVG, audio, video,
    fonts, archives, ``application/octet-stream``) and the result is smaller.  It then gets
    ``Content-Encoding: gzip`` and ``Vary: Accept-Encoding``.  Static files use their
    precompressed ``.gz`` variants instead.  ``compresslevel`` 1..9 (default 9, as Starlette;
    lower costs less CPU on a device).
    """

    def __init__(self, app, minimum_size=None, compresslevel=9):
        if not (isinstance(compresslevel, int) and 1 <= compresslevel <= 9):
            raise ValueError("compresslevel must be 1..9")
        if minimum_size is not None and not (isinstance(minimum_size, int) and
                                             minimum_size >= 0):
            raise ValueError("minimum_size must be an int >= 0")
        self.app = app
        self.minimum_size = minimum_size
        self.compresslevel = compresslevel

    def engine_options(self):
        options = {"gzip_level": self.compresslevel}
        if self.minimum_size is not None:
            options["gzip_min_bytes"] = self.minimum_size
        return options


class CallNext:
    """The ``call_next`` a middleware receives: runs the next layer (or the route) once."""

    def __init__(self, dispatch, inner):
        self._dispatch = dispatch  # the middleware of this layer
        self._inner = inner  # the next layer: a CallNext or the route runner

    async def __call__(self, request):
        return await self._dispatch(request, self._inner)


def chain(dispatchers, endpoint):
    """``endpoint`` wrapped by ``dispatchers`` (outermost first): the callable to await."""
    handler = endpoint
    for dispatch in reversed(dispatchers):
        handler = CallNext(dispatch, handler)
    return handler


class HTTPSRedirectMiddleware(BaseHTTPMiddleware):
    """Starlette's: a request that arrived over plain HTTP is answered ``307`` to the same URL
    with ``https://`` (the port kept unless it is 80 or 443)::

        app.add_middleware(HTTPSRedirectMiddleware)

    On a server started with ``ssl_certfile`` (HTTPS) every request is already secure and
    passes through.  Like all Python middleware it sees routes only: what the engine answers
    alone (static files, 404) is not redirected.
    """

    async def dispatch(self, request, call_next):
        url = request.url
        if url.scheme == "http":
            from .responses import RedirectResponse

            netloc = url.hostname if url.port in (80, 443) else url.netloc
            return RedirectResponse("https://{}{}".format(netloc, url.target), status_code=307)
        return await call_next(request)
