# The app behind test_templates.py: templates from a directory (or a pack), TemplateResponse
# in every form, errors, limits, pieces, and GZipMiddleware.  Arguments: key=value run options;
# ``dir=PATH`` serves templates from PATH instead of apps/templates, ``pack=PATH`` (with
# ``prefix=``) from an asset pack, ``debug=true`` makes the app a debug app, ``warmup=true``
# compiles every template at start.
import asyncio
import sys

from app_options import parse_options
import viperhttp
from viperhttp import HTTPException, ViperHTTP
from viperhttp.middleware import GZipMiddleware
from viperhttp.responses import HTMLResponse, PlainTextResponse
from viperhttp.templating import Jinja2Templates, TemplateNotFound

OPTIONS = parse_options(sys.argv[1:])
HERE = __file__.rpartition("/")[0] or "."
DIR = OPTIONS.pop("dir", HERE + "/templates")
PACK = OPTIONS.pop("pack", None)
PREFIX = OPTIONS.pop("prefix", "")
DEBUG = OPTIONS.pop("debug", False)
WARMUP = OPTIONS.pop("warmup", False)

app = ViperHTTP(debug=DEBUG)
app.add_middleware(GZipMiddleware, minimum_size=500)

if PACK:
    templates = Jinja2Templates(pack=PACK, prefix=PREFIX)
else:
    templates = Jinja2Templates(directory=DIR)
WARMED = templates.warmup() if WARMUP else {}
limited = Jinja2Templates(directory=DIR, max_loop_iterations=100, max_output_bytes=2000,
                          max_include_depth=4, max_expression_depth=10)
processed = Jinja2Templates(directory=DIR,
                            context_processors=[lambda request: {"extra": "from-processor"}])

ITEMS = [
    {"name": "lamp <oak>", "price": 19.999},
    {"name": "desk", "price": 149.5},
    {"name": "chair & stool", "price": 49.0},
]
EVENTS = []
FAST_SEEN = asyncio.Event()


def page_context(request, name):
    return {"request": request, "name": name, "items": ITEMS, "title": "Shop"}


@app.get("/__stats")
def stats():
    return viperhttp.server_stats()


@app.get("/page")
def page(request, name="World"):
    return templates.TemplateResponse("page.html", page_context(request, name))


@app.get("/page-new-style")
def page_new_style(request, name="World"):
    ctx = page_context(request, name)
    del ctx["request"]
    return templates.TemplateResponse(request, "page.html", ctx)


@app.get("/page-options")
def page_options(request):
    return templates.TemplateResponse("page.html", page_context(request, "x"), status_code=201,
                                      headers={"X-Extra": "1"}, media_type="text/plain")


@app.get("/no-request")
def no_request():
    return templates.TemplateResponse("page.html", {"name": "x"})


@app.get("/processor")
def processor(request):
    return processed.TemplateResponse("request.html", {"request": request})


@app.get("/xss")
def xss(request, v=""):
    return templates.TemplateResponse("xss.html", {"request": request, "v": v})


@app.get("/named")
def named(request, name):
    try:
        return templates.TemplateResponse(name, {"request": request, "items": [], "name": "n",
                                                 "title": "t"})
    except TemplateNotFound:
        raise HTTPException(404, "no such template")


@app.get("/error/{which}")
def error(request, which):
    return templates.TemplateResponse(which + ".html", {"request": request})


@app.get("/limit/{which}")
def limit(request, which, n=1):
    ctx = {"request": request, "n": n, "depth": 0}
    if which == "expr":
        src = "{{ " + "(" * n + "1" + ")" * n + " }}"
        return HTMLResponse(limited.render_string(src, ctx))
    return limited.TemplateResponse(which + ".html", ctx)


def rows(n):
    return {"rows": [{"id": i, "name": "row-%d" % i, "value": i * 1.5} for i in range(n)]}


@app.get("/big")
def big(request, n=10):
    ctx = rows(n)
    ctx["request"] = request
    return templates.TemplateResponse("big.html", ctx)


@app.get("/big-async")
async def big_async(n=10, chunk=1024):
    return HTMLResponse(await templates.render_async("big.html", rows(n), chunk))


@app.get("/pieces")
def pieces(n=10, chunk=1024):
    parts = list(templates.stream("big.html", rows(n), chunk))
    return HTMLResponse(b"".join(parts), headers={"X-Pieces": str(len(parts)),
                                                  "X-Largest": str(max(len(p) for p in parts))})


@app.get("/interleave")
async def interleave(n=2000):
    # Renders a long page piece by piece; after the first piece it waits until /fast has run:
    # the interpreter is free between pieces.
    parts = []
    EVENTS.append("interleave:start")
    for i, piece in enumerate(templates.stream("big.html", rows(n), 1024)):
        parts.append(piece)
        if i == 0:
            await FAST_SEEN.wait()
            EVENTS.append("interleave:resumed")
        else:
            await asyncio.sleep(0)
    EVENTS.append("interleave:end")
    return HTMLResponse(b"".join(parts), headers={"X-Pieces": str(len(parts))})


@app.get("/fast")
def fast():
    EVENTS.append("fast")
    FAST_SEEN.set()
    return PlainTextResponse("fast")


@app.get("/events")
def events():
    return EVENTS


@app.get("/template-stats")
def template_stats():
    s = templates.stats()
    s["warmed"] = sorted(WARMED.keys())
    return s


app.run(**OPTIONS)
