"""The app's lifespan: ``on_event("startup"/"shutdown")`` handlers and ``lifespan=``.

``startup`` runs the startup handlers in registration order, then enters
``lifespan(app)`` (an async context manager); ``shutdown`` leaves it, then runs the shutdown
handlers.  The server runs them around serving (server.py), the same for ``app.run()`` and the
TestClient.
"""

from . import _compat


def has_lifespan(app):
    return bool(app.lifespan is not None or app.on_startup or app.on_shutdown)


async def startup(app):
    """Startup handlers in registration order, then ``lifespan(app).__aenter__()``."""
    for fn in app.on_startup:
        result = fn()
        if _compat.is_coroutine_function(fn):
            await result
    if app.lifespan is not None:
        cm = app.lifespan(app)
        await cm.__aenter__()
        app._lifespan_cm = cm


async def shutdown(app):
    """``lifespan``'s ``__aexit__``, then the shutdown handlers in registration order.  Every
    step runs; the first exception is raised at the end."""
    error = None
    cm, app._lifespan_cm = app._lifespan_cm, None
    if cm is not None:
        try:
            await cm.__aexit__(None, None, None)
        except Exception as exc:
            error = exc
    for fn in app.on_shutdown:
        try:
            result = fn()
            if _compat.is_coroutine_function(fn):
                await result
        except Exception as exc:
            error = error or exc
    if error is not None:
        raise error
