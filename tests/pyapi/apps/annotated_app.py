# CPython-only features behind test_params.py / test_depends.py: annotated handlers
# (MicroPython drops annotations) and async generator dependencies (MicroPython has none).  Arguments are ``key=value`` options for app.run.
import asyncio
import sys

from app_options import parse_options
import viperhttp
from viperhttp import Body, Depends, Header, Query, ViperHTTP

app = ViperHTTP(title="pyapi annotated app")


@app.get("/__stats")
def stats():
    return viperhttp.server_stats()


@app.get("/a/query")
def a_query(n: int = Query(...), ratio: float = Query(None), on: bool = Query(None),
            tags: list = Query(None), x_count: int = Header(0, le=3)):
    return {"n": n, "ratio": ratio, "on": on, "tags": tags, "x_count": x_count}


@app.post("/a/body-list")
def a_body_list(items: list = Body(...)):
    return {"items": items}


@app.post("/a/body-dict")
def a_body_dict(item: dict = Body(...)):
    return {"item": item}


class Settings:
    def __init__(self, mode: str = "auto", level: int = 1):
        self.mode = mode
        self.level = level


@app.get("/a/class")
def a_class(settings: Settings = Depends()):
    return {"mode": settings.mode, "level": settings.level}


events = []


@app.get("/events")
def get_events():
    out = list(events)
    del events[:]
    return out


async def agen_dep(name: str = "a"):
    events.append("enter " + name)
    await asyncio.sleep(0)
    try:
        yield name
    except Exception as exc:
        events.append("saw " + type(exc).__name__)
        raise
    finally:
        await asyncio.sleep(0)
        events.append("exit " + name)


def sync_gen_dep():
    events.append("enter sync")
    yield "s"
    events.append("exit sync")


@app.get("/a/agen")
def a_agen(a=Depends(agen_dep), s=Depends(sync_gen_dep), fail: bool = False):
    events.append("handler " + a + s)
    if fail:
        raise ValueError("handler failed")
    return {"a": a, "s": s}


if __name__ == "__main__":
    app.run(**parse_options(sys.argv[1:]))
