# Annotated handlers (CPython only: MicroPython drops annotations), behind the annotation tests
# of test_params.py / test_depends.py.  Arguments are ``key=value`` options for app.run.
import json
import sys

import viperhttp
from viperhttp import Depends, Header, Query, ViperHTTP

app = ViperHTTP(title="pyapi annotated app")


@app.get("/__stats")
def stats():
    return viperhttp.server_stats()


@app.get("/a/query")
def a_query(n: int = Query(...), ratio: float = Query(None), on: bool = Query(None),
            tags: list = Query(None), x_count: int = Header(0, le=3)):
    return {"n": n, "ratio": ratio, "on": on, "tags": tags, "x_count": x_count}


class Settings:
    def __init__(self, mode: str = "auto", level: int = 1):
        self.mode = mode
        self.level = level


@app.get("/a/class")
def a_class(settings: Settings = Depends()):
    return {"mode": settings.mode, "level": settings.level}


def parse_options(argv):
    options = {}
    for arg in argv:
        key, _, raw = arg.partition("=")
        try:
            options[key] = json.loads(raw)
        except ValueError:
            options[key] = raw
    return options


if __name__ == "__main__":
    app.run(**parse_options(sys.argv[1:]))
