"""Python middleware: @app.middleware("http") and BaseHTTPMiddleware with options, FastAPI's
order (last added outermost), short-circuit, a changed status and header, a replaced body,
an HTTPException and a handled exception seen as responses, an unhandled one caught."""

from . import is_fastapi, responses


def base_class(fw):
    if is_fastapi(fw):
        from starlette.middleware.base import BaseHTTPMiddleware
        return BaseHTTPMiddleware
    from viperhttp.middleware import BaseHTTPMiddleware
    return BaseHTTPMiddleware


def make_app(fw):
    app = fw.FastAPI()
    R = responses(fw)
    Base = base_class(fw)

    class Gone(Exception):
        pass

    @app.exception_handler(Gone)
    def gone(request, exc):
        return R.JSONResponse({"gone": str(exc)}, status_code=410)

    @app.middleware("http")
    async def inner(request, call_next):
        response = await call_next(request)
        response.headers.append("x-trace", "inner")
        return response

    class Guard(Base):
        def __init__(self, app, key):
            super().__init__(app)
            self.key = key

        async def dispatch(self, request, call_next):
            if request.url.path == "/guarded" and request.headers.get("x-key") != self.key:
                return R.JSONResponse({"detail": "no key"}, status_code=401)
            try:
                response = await call_next(request)
            except ValueError as exc:
                return R.PlainTextResponse("caught " + str(exc), status_code=502)
            if request.url.path == "/accepted":
                response.status_code = 202
            if request.url.path == "/upper":
                body = b""
                async for chunk in response.body_iterator:
                    body += chunk
                return R.Response(body.upper(), media_type="text/plain")
            response.headers.append("x-trace", "guard")
            return response

    app.add_middleware(Guard, key="k")

    @app.middleware("http")
    async def outer(request, call_next):
        request.state.seen = "outer"
        response = await call_next(request)
        response.headers.append("x-trace", "outer")
        return response

    @app.get("/plain")
    def plain(request: fw.Request):
        return {"seen": request.state.seen}

    @app.get("/guarded")
    async def guarded():
        return {"ok": True}

    @app.get("/accepted")
    def accepted():
        return {"ok": True}

    @app.get("/upper")
    def upper():
        return R.PlainTextResponse("quiet")

    @app.get("/http-error")
    def http_error():
        raise fw.HTTPException(status_code=418, detail="teapot")

    @app.get("/handled")
    def handled():
        raise Gone("away")

    @app.get("/broken")
    def broken():
        raise ValueError("bad value")

    return app


TRACE = ["x-trace"]
REQUESTS = [
    {"id": "order", "method": "GET", "path": "/plain", "compare_headers": TRACE},
    {"id": "short-circuit", "method": "GET", "path": "/guarded", "compare_headers": TRACE},
    {"id": "let-through", "method": "GET", "path": "/guarded", "headers": {"x-key": "k"},
     "compare_headers": TRACE},
    {"id": "changed-status", "method": "GET", "path": "/accepted", "compare_headers": TRACE},
    {"id": "replaced-body", "method": "GET", "path": "/upper", "raw": True,
     "compare_headers": TRACE},
    {"id": "http-exception", "method": "GET", "path": "/http-error", "compare_headers": TRACE},
    {"id": "handled-exception", "method": "GET", "path": "/handled", "compare_headers": TRACE},
    {"id": "unhandled-caught", "method": "GET", "path": "/broken", "raw": True,
     "compare_headers": TRACE},
]
