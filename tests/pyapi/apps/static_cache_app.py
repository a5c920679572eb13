# The app behind test_static_cache.py: one directory mount (``root=DIR``) and the stats.
import sys

from app_options import parse_options
import viperhttp
from viperhttp import ViperHTTP
from viperhttp.staticfiles import StaticFiles

OPTIONS = parse_options(sys.argv[1:])
app = ViperHTTP()
app.mount("/s", StaticFiles(directory=OPTIONS.pop("root")))


@app.get("/stats")
def stats():
    return viperhttp.server_stats()


app.run(**OPTIONS)
