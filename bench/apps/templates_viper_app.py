"""ViperHTTP serving the template benchmark page (bench/run.sh templates): a Python route
returning ``templates.TemplateResponse("status.html", ...)``.  Its twin is
templates_fastapi_app.py (FastAPI + Starlette's Jinja2Templates).  Runs on CPython and on the
MicroPython unix port.  Argument: the port (0: a free one)."""

import sys

try:
    from os.path import abspath, dirname
except ImportError:  # MicroPython: sys.path[0] is the script's directory
    HERE = sys.path[0] or "."
else:
    HERE = dirname(abspath(__file__))
    sys.path.insert(0, HERE)

from templates_common import status_context  # noqa: E402
from viperhttp import ViperHTTP, server_stats  # noqa: E402
from viperhttp.templating import Jinja2Templates  # noqa: E402

app = ViperHTTP()
templates = Jinja2Templates(directory=HERE + "/templates")
CONTEXT = status_context()


@app.get("/status")
def status(request):
    ctx = dict(CONTEXT)
    ctx["request"] = request
    return templates.TemplateResponse("status.html", ctx)


@app.get("/stats")
def stats():
    s = server_stats()
    s["templates"] = templates.stats()
    return s


port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
app.run(host="127.0.0.1", port=port, max_connections=256, access_log=False)
