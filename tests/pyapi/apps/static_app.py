# The app behind test_static_files.py: StaticFiles mounts (a directory at a prefix, a site at
# "/" with html=True, an asset pack, one exact file) served by the engine alone, and handlers
# returning FileResponse.
#
# Written in the subset MicroPython shares with CPython.  Arguments: ``key=value`` run options,
# plus the test's own: ``static=DIR`` (mounted at /static with cache_control, and at /plain
# without), ``site=DIR`` (mounted at / with html=True; optional), ``pack=FILE`` (an asset pack
# mounted at /pack with html=True), ``icon=FILE`` (mounted at /favicon.ico) and ``files=DIR``
# (where the FileResponse handlers find their files).
import sys

import viperhttp
from app_options import parse_options
from viperhttp import FileResponse, PlainTextResponse, ViperHTTP
from viperhttp.staticfiles import StaticFiles

options = parse_options(sys.argv[1:])
static_dir = options.pop("static")
site_dir = options.pop("site", None)  # absent: no mount at "/"
pack_file = options.pop("pack")
icon_file = options.pop("icon")
files_dir = options.pop("files")

app = ViperHTTP()


@app.get("/__stats")
def stats():
    return viperhttp.server_stats()


@app.get("/__pid")
def pid():
    # MicroPython's os has no getpid(): read it from /proc (Linux) on both interpreters.
    with open("/proc/self/stat") as f:
        return {"pid": int(f.read().split()[0])}


# A route wins over the mount at "/", even where the site has a file of the same name.
@app.get("/routed.txt")
def routed():
    return PlainTextResponse("from the route")


@app.get("/api/hello")
def hello():
    return {"hello": "world"}


# --- FileResponse --------------------------------------------------------------------------------

@app.get("/fr/whole")
def fr_whole():
    return FileResponse(files_dir + "/data.bin")


@app.get("/fr/text")
def fr_text():
    return FileResponse(files_dir + "/hello.txt")


@app.get("/fr/download")
def fr_download():
    return FileResponse(files_dir + "/report.csv", filename="report.csv")


@app.get("/fr/unicode")
def fr_unicode():
    return FileResponse(files_dir + "/report.csv", filename="r\u00e9sum\u00e9 \u20ac.csv")


@app.get("/fr/typed")
def fr_typed():
    return FileResponse(files_dir + "/data.bin", media_type="application/x-viper-test")


@app.get("/fr/missing")
def fr_missing():
    return FileResponse(files_dir + "/no-such-file.bin")


@app.get("/fr/status/{code:int}")
def fr_status(code):
    return FileResponse(files_dir + "/hello.txt", status_code=code)


@app.get("/fr/huge-header")
def fr_huge_header():
    return FileResponse(files_dir + "/hello.txt", headers={"x-big": "a" * 400000})


@app.post("/fr/post")
def fr_post():
    return FileResponse(files_dir + "/hello.txt")


@app.get("/fr/headers")
def fr_headers():
    return FileResponse(files_dir + "/hello.txt", headers={"x-extra": "yes"})


# --- mounts: the more specific ones first, "/" last ----------------------------------------------

app.mount("/static", StaticFiles(directory=static_dir, cache_control="public, max-age=60"))
app.mount("/plain", StaticFiles(directory=static_dir))
app.mount("/pack", StaticFiles(pack=pack_file, html=True, cache_control="max-age=3600, immutable"))
app.mount("/favicon.ico", StaticFiles(file=icon_file))
if site_dir is not None:
    app.mount("/", StaticFiles(directory=site_dir, html=True))

app.run(**options)
