# The app behind test_tls_api.py: HTTPS from app.run's ssl_* options.
#
# Written in the subset MicroPython shares with CPython.  Arguments are ``key=value`` options
# for app.run, plus the test's own: ``certdata=PATH`` / ``keydata=PATH`` / ``cadata=PATH``
# (the file read here and given from memory as ssl_certdata / ssl_keydata / ssl_cadata, as a
# device does), ``astext=true`` (give them as str, not bytes), ``redirect=true`` (adds
# HTTPSRedirectMiddleware) and ``static=DIR`` (mounted at /static).
import sys

import viperhttp
from app_options import parse_options
from viperhttp import ViperHTTP
from viperhttp.middleware import HTTPSRedirectMiddleware
from viperhttp.staticfiles import StaticFiles

app = ViperHTTP(title="pyapi tls app")


@app.get("/__stats")
def stats():
    return viperhttp.server_stats()


@app.get("/hello")
def hello():
    return {"message": "Hello, World!"}


@app.get("/url")
def url(request):
    u = request.url
    return {"url": str(u), "scheme": u.scheme, "secure": u.is_secure}


def read(path):
    with open(path, "rb") as f:
        return f.read()


def main(options):
    astext = options.pop("astext", False)
    for arg, name in (("certdata", "ssl_certdata"), ("keydata", "ssl_keydata"),
                      ("cadata", "ssl_cadata")):
        if arg in options:
            data = read(options.pop(arg))
            options[name] = data.decode() if astext else data
    if options.pop("redirect", False):
        app.add_middleware(HTTPSRedirectMiddleware)
    static = options.pop("static", None)
    if static:
        app.mount("/static", StaticFiles(directory=static))
    app.run(**options)


if __name__ == "__main__":
    main(parse_options(sys.argv[1:]))
