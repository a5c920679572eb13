# The app behind test_gzip_middleware.py: GZipMiddleware executed by the engine, with Python
# middleware and routes of every kind of response.  Arguments: key=value run options;
# ``minimum_size=N`` and ``compresslevel=N`` configure the middleware (``gzip=off`` leaves it
# out).
import sys

from app_options import parse_options
import viperhttp
from viperhttp import Response, ViperHTTP
from viperhttp.middleware import GZipMiddleware
from viperhttp.responses import HTMLResponse, PlainTextResponse

OPTIONS = parse_options(sys.argv[1:])
MODE = OPTIONS.pop("gzip", "on")
GZIP = {}
for key in ("minimum_size", "compresslevel"):
    if key in OPTIONS:
        GZIP[key] = OPTIONS.pop(key)

app = ViperHTTP()
if MODE == "on":
    app.add_middleware(GZipMiddleware, **GZIP)


@app.middleware("http")
async def tag(request, call_next):
    response = await call_next(request)
    response.headers["x-python-middleware"] = "ran"
    return response


TEXT = "".join("line %d of a compressible text\n" % i for i in range(400))


@app.get("/text")
def text():
    return PlainTextResponse(TEXT)


@app.get("/json")
def json_route(n=200):
    return {"items": ["item-%d" % i for i in range(n)]}


@app.get("/html")
def html():
    return HTMLResponse("<p>" + "hello " * 500 + "</p>")


@app.get("/sized")
def sized(n=10):
    return PlainTextResponse("a" * n)


@app.get("/encoded")
def encoded():
    return Response(b"z" * 4000, media_type="text/plain", headers={"Content-Encoding": "br"})


@app.get("/events")
def events():
    return Response(b"data: tick\n\n" * 300, media_type="text/event-stream")


@app.get("/png")
def png():
    return Response(b"\x89PNG" + b"\0" * 4000, media_type="image/png")


@app.get("/svg")
def svg():
    return Response(b"<svg>" + b"<g/>" * 1000 + b"</svg>", media_type="image/svg+xml")


@app.get("/random")
def random_bytes():
    import os

    return Response(os.urandom(4000), media_type="text/plain")


@app.get("/empty", status_code=204)
def empty():
    return None


@app.get("/stats")
def stats():
    return viperhttp.server_stats()


app.run(**OPTIONS)
