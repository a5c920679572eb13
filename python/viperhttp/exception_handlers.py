"""The default exception handlers, for handlers of your own that fall back to them (as
``fastapi.exception_handlers``)::

    from viperhttp.exception_handlers import http_exception_handler

    @app.exception_handler(HTTPException)
    async def log_and_answer(request, exc):
        print("HTTP error", exc.status_code)
        return await http_exception_handler(request, exc)

The responses they give are built here once; the server answers with the same ones when the
app has no handler of its own.
"""

from .responses import JSONResponse, PlainTextResponse, Response


def http_exception_response(exc):
    """``{"detail": exc.detail}`` with ``exc.status_code`` and ``exc.headers`` (no body for
    204 and 304)."""
    if exc.status_code in (204, 304):
        return Response(b"", exc.status_code, exc.headers)
    return JSONResponse({"detail": exc.detail}, exc.status_code, exc.headers)


def validation_error_response(exc):
    """422 ``{"detail": exc.errors()}``."""
    return JSONResponse({"detail": exc.errors()}, 422)


def server_error_response(exc, debug=False):
    """500 ``Internal Server Error`` as plain text (as Starlette's ServerErrorMiddleware);
    with ``debug``, JSON ``{"detail": "Internal Server Error", "type": ..., "message": ...}``
    with the exception's type and message."""
    if debug:
        return JSONResponse({"detail": "Internal Server Error", "type": type(exc).__name__,
                             "message": str(exc)}, 500)
    return PlainTextResponse("Internal Server Error", 500)


async def http_exception_handler(request, exc):
    """``{"detail": exc.detail}`` with ``exc.status_code`` and ``exc.headers``."""
    return http_exception_response(exc)


async def request_validation_exception_handler(request, exc):
    """422 ``{"detail": exc.errors()}``."""
    return validation_error_response(exc)
