# The app behind test_handlers_lifespan.py: exception handlers (sync and async, class
# hierarchy, status codes, HTTPException and RequestValidationError overridden, failing
# handlers), lifespan (on_event or lifespan=, chosen by the option ``lifespan_mode``) and
# cookies.
#
# Written in the subset MicroPython shares with CPython (no f-strings, no annotations).
# Arguments are ``key=value`` options for app.run; ``lifespan_mode=events|class|fail-startup|
# fail-shutdown|none`` and ``events_file=PATH`` (where lifespan events are appended) are
# taken out first.
import asyncio
import sys

from app_options import parse_options
import viperhttp
from viperhttp import Depends, HTTPException, JSONResponse, PlainTextResponse, Query, ViperHTTP
from viperhttp.exception_handlers import (http_exception_handler,
                                          request_validation_exception_handler)
from viperhttp.exceptions import RequestValidationError


OPTIONS = parse_options(sys.argv[1:])
MODE = OPTIONS.pop("lifespan_mode", "none")
EVENTS_FILE = OPTIONS.pop("events_file", None)
events = []


def record(event):
    events.append(event)
    if EVENTS_FILE:
        with open(EVENTS_FILE, "a") as f:
            f.write(event + "\n")


class Lifespan:
    """lifespan=fn: fn(app) returns an object with __aenter__/__aexit__ (both interpreters)."""

    def __init__(self, app):
        self.app = app

    async def __aenter__(self):
        await asyncio.sleep(0)
        self.app.state.resource = "ready"
        record("lifespan-enter")

    async def __aexit__(self, exc_type, exc, tb):
        await asyncio.sleep(0)
        record("lifespan-exit")
        return False


app = ViperHTTP(title="pyapi handlers app", lifespan=Lifespan if MODE == "class" else None)

if MODE in ("events", "fail-startup", "fail-shutdown"):
    @app.on_event("startup")
    def startup_sync():
        app.state.resource = "ready"
        record("startup-sync")

    @app.on_event("startup")
    async def startup_async():
        await asyncio.sleep(0.01)
        record("startup-async")
        if MODE == "fail-startup":
            raise RuntimeError("startup failed on purpose")

    @app.on_event("shutdown")
    async def shutdown_async():
        await asyncio.sleep(0.01)
        record("shutdown-async")
        if MODE == "fail-shutdown":
            raise RuntimeError("shutdown failed on purpose")

    @app.on_event("shutdown")
    def shutdown_sync():
        record("shutdown-sync")


@app.get("/__stats")
def stats():
    return viperhttp.server_stats()


@app.get("/state")
def state():
    return {"resource": getattr(app.state, "resource", None), "events": events}


# --- exception handlers ------------------------------------------------------------------------

class MyError(Exception):
    pass


class SubError(MyError):
    pass


class AsyncError(Exception):
    pass


class BadHandlerError(Exception):
    pass


class AsyncBadHandlerError(Exception):
    pass


class WrongReturnError(Exception):
    pass


class UnhandledError(Exception):
    pass


@app.exception_handler(MyError)
def my_error(request, exc):
    return JSONResponse({"handler": "my", "type": type(exc).__name__, "msg": str(exc),
                         "path": request.url.path}, status_code=418)


@app.exception_handler(AsyncError)
async def async_error(request, exc):
    await asyncio.sleep(0.01)  # really suspends
    return PlainTextResponse("async " + str(exc), status_code=409)


@app.exception_handler(LookupError)
async def lookup_error(request, exc):
    return JSONResponse({"handler": "lookup", "type": type(exc).__name__}, status_code=404)


@app.exception_handler(BadHandlerError)
def bad_handler(request, exc):
    raise RuntimeError("the handler itself fails")


@app.exception_handler(AsyncBadHandlerError)
async def async_bad_handler(request, exc):
    await asyncio.sleep(0.01)
    raise RuntimeError("the async handler itself fails")


@app.exception_handler(WrongReturnError)
def wrong_return(request, exc):
    return {"not": "a response"}


@app.exception_handler(HTTPException)
async def http_handler(request, exc):
    if exc.status_code == 401:  # fall back to the default handler
        return await http_exception_handler(request, exc)
    return PlainTextResponse("http " + str(exc.detail), status_code=exc.status_code,
                             headers={"X-Handled": "http"})


def teapot(request, exc):
    return PlainTextResponse("teapot by status code", status_code=418)


app.add_exception_handler(418, teapot)


@app.exception_handler(RequestValidationError)
async def validation_handler(request, exc):
    if request.url.path == "/default422":
        return await request_validation_exception_handler(request, exc)
    return JSONResponse({"custom": True, "count": len(exc.errors()),
                         "first": exc.errors()[0]["loc"]}, status_code=400)


def make(kind):
    if kind == "my":
        return MyError("mine")
    if kind == "sub":
        return SubError("sub")
    if kind == "async":
        return AsyncError("boom")
    if kind == "key":
        return KeyError("k")
    if kind == "index":
        return IndexError("i")
    if kind == "bad":
        return BadHandlerError("x")
    if kind == "asyncbad":
        return AsyncBadHandlerError("x")
    if kind == "wrong":
        return WrongReturnError("x")
    if kind == "http":
        return HTTPException(403, "forbidden", headers={"X-Orig": "1"})
    if kind == "http401":
        return HTTPException(401, "who", headers={"WWW-Authenticate": "Bearer"})
    if kind == "http418":
        return HTTPException(418)
    return UnhandledError("nobody handles this")


@app.get("/sync/{kind}")
def raise_sync(kind):
    raise make(kind)


@app.get("/async/{kind}")
async def raise_async(kind):
    await asyncio.sleep(0)
    raise make(kind)


def dep(kind):
    if kind.startswith("dep-"):
        raise make(kind[4:])
    return kind


@app.get("/depsync/{kind}")
def raise_dep_sync(kind, value=Depends(dep)):
    raise make(value)


@app.get("/depasync/{kind}")
async def raise_dep_async(kind, value=Depends(dep)):
    raise make(value)


@app.get("/validate")
def validate(limit=Query(..., ge=1), page=1):
    return {"limit": limit, "page": page}


@app.get("/default422")
def default422(limit=1):
    return {"limit": limit}


# --- cookies ------------------------------------------------------------------------------------

@app.get("/cookies/set")
def cookies_set():
    r = JSONResponse({"ok": True})
    r.set_cookie("session", "abc123")
    r.set_cookie("prefs", "dark", max_age=3600, expires=3600, path="/app", domain="example.com",
                 secure=True, httponly=True, samesite="strict")
    r.set_cookie("nosame", "v", samesite=None)
    return r


@app.get("/cookies/delete")
def cookies_delete():
    r = PlainTextResponse("bye")
    r.delete_cookie("session")
    r.delete_cookie("prefs", path="/app", domain="example.com", secure=True, httponly=True,
                    samesite="none")
    return r


@app.get("/cookies/param")
def cookies_param(response):
    response.set_cookie("via", "param", httponly=True)
    response.set_cookie("second", "2")
    return {"param": True}


@app.get("/cookies/bad")
def cookies_bad(which="samesite"):
    r = JSONResponse({"ok": True})
    if which == "samesite":
        r.set_cookie("x", "1", samesite="sideways")
    else:
        r.set_cookie("x", "bad\r\nInjected: 1")
    return r


@app.get("/cookies/echo")
def cookies_echo(request):
    return request.cookies


if __name__ == "__main__":
    app.run(**OPTIONS)
