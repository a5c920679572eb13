"""The default exception handlers, for handlers of your own that fall back to them (as
``fastapi.exception_handlers``)::

    from viperhttp.exception_handlers import http_exception_handler

    @app.exception_handler(HTTPException)
    async def log_and_answer(request, exc):
        print("HTTP error", exc.status_code)
        return await http_exception_handler(request, exc)
"""

from .responses import JSONResponse, Response


async def http_exception_handler(request, exc):
    """``{"detail": exc.detail}`` with ``exc.status_code`` and ``exc.headers``."""
    if exc.status_code in (204, 304):
        return Response(b"", exc.status_code, exc.headers)
    return JSONResponse({"detail": exc.detail}, exc.status_code, exc.headers)


async def request_validation_exception_handler(request, exc):
    """422 ``{"detail": exc.errors()}``."""
    return JSONResponse({"detail": exc.errors()}, 422)
