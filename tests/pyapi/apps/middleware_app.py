# The app behind test_middleware.py: Python middleware as functions (@app.middleware("http"))
# and classes (BaseHTTPMiddleware), in FastAPI's order, short-circuiting, changing responses,
# seeing exceptions; routes sync and async, with dependencies and background tasks.
#
# Written in the subset MicroPython shares with CPython.  Arguments: ``key=value`` run options.
import asyncio
import sys

from app_options import parse_options
from viperhttp import (BackgroundTasks, Depends, HTTPException, JSONResponse, PlainTextResponse,
                       Response, ViperHTTP)
from viperhttp.middleware import BaseHTTPMiddleware

app = ViperHTTP()
events = []  # what happened, in order, read back through /events
errors = {}  # registration errors, read back through /registration-errors


class LookupFailed(Exception):
    pass


@app.exception_handler(LookupFailed)
def lookup_failed(request, exc):
    return JSONResponse({"handled": str(exc)}, status_code=404)


# --- registration: first added is innermost ------------------------------------------------------

@app.middleware("http")
async def inner(request, call_next):
    request.state.trace.append("inner")
    response = await call_next(request)
    response.headers.append("x-trace", "inner")
    return response


class Tagging(BaseHTTPMiddleware):
    def __init__(self, app, tag):
        super().__init__(app)
        self.tag = tag

    async def dispatch(self, request, call_next):
        request.state.trace.append(self.tag)
        path = request.url.path
        if path == "/short" and request.headers.get("x-key") != "s3cret":
            events.append("short-circuit")
            return JSONResponse({"detail": "no key"}, status_code=401)
        if path == "/middleware-raises":
            raise RuntimeError("from middleware")
        if path == "/middleware-returns-none":
            return None
        if path == "/middleware-http-exception":
            raise HTTPException(status_code=403, detail="forbidden by middleware")
        try:
            response = await call_next(request)
        except ValueError as exc:  # unhandled in the route: raised out of call_next
            events.append("caught " + str(exc))
            return PlainTextResponse("middleware caught: " + str(exc), status_code=502)
        if path == "/rewrite":
            body = b""
            async for chunk in response.body_iterator:
                body += chunk
            return Response(body.upper(), status_code=201, media_type="text/plain",
                            headers={"x-rewritten": "1"})
        if path == "/status":
            response.status_code = 202
        response.headers.append("x-trace", self.tag)
        return response


app.add_middleware(Tagging, tag="middle")


@app.middleware("http")
async def outer(request, call_next):
    request.state.trace = ["outer"]
    if request.url.path == "/slow-middleware":
        await asyncio.sleep(0.01)
    response = await call_next(request)
    response.headers.append("x-trace", "outer")
    return response


for bad in (object, dict, 42):
    try:
        app.add_middleware(bad)
    except TypeError as exc:
        errors[repr(bad)] = "TypeError"
try:
    app.middleware("websocket")
except ValueError:
    errors["websocket"] = "ValueError"


# --- routes -------------------------------------------------------------------------------------

@app.get("/trace")
def trace(request):
    return {"trace": request.state.trace}


@app.get("/async-trace")
async def async_trace(request):
    await asyncio.sleep(0.01)
    return {"trace": request.state.trace}


@app.get("/slow-middleware")
def slow_middleware(request):
    return {"trace": request.state.trace}


@app.get("/short")
def short():
    events.append("short route ran")
    return {"ok": True}


@app.get("/rewrite")
def rewrite():
    return PlainTextResponse("hello")


@app.get("/status")
def status_route():
    return {"ok": True}


@app.get("/route-raises")
def route_raises():
    raise ValueError("route failed")


@app.get("/route-raises-other")
async def route_raises_other():
    raise KeyError("nobody catches this")


@app.get("/route-http-exception")
def route_http_exception():
    raise HTTPException(status_code=418, detail="teapot")


@app.get("/route-handled")
def route_handled():
    raise LookupFailed("no such thing")


@app.get("/middleware-raises")
def middleware_raises():
    return {"unreachable": True}


@app.get("/middleware-returns-none")
def middleware_returns_none():
    return {"unreachable": True}


@app.get("/middleware-http-exception")
def middleware_http_exception():
    return {"unreachable": True}


def resource():
    events.append("resource open")
    yield "res"
    events.append("resource closed")


@app.get("/dependency")
def with_dependency(res=Depends(resource)):
    events.append("handler " + res)
    return {"res": res}


def note(text):
    events.append(text)


@app.get("/background")
async def background(background_tasks):
    background_tasks.add_task(note, "background ran")
    return {"queued": True}


@app.get("/response-background")
def response_background():
    from viperhttp import BackgroundTask

    return JSONResponse({"queued": True}, background=BackgroundTask(note, "response task ran"))


@app.get("/events")
def get_events():
    return {"events": events}


@app.post("/events/clear")
def clear_events():
    del events[:]
    return {"cleared": True}


@app.get("/registration-errors")
def registration_errors():
    return errors


app.run(**parse_options(sys.argv[1:]))
