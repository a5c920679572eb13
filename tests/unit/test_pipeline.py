"""The request pipeline (viperhttp.pipeline) without an engine: requests made by hand, the
responses caught by a fake outbox, in the order things happen."""

from unit_support import make_item, run_coroutine
from viperhttp import (BackgroundTasks, Depends, FileResponse, HTTPException, JSONResponse,
                       PlainTextResponse, Query, ViperHTTP)
from viperhttp._compat import asyncio
from viperhttp.pipeline import Pipeline
from viperhttp.stats import FAST_PATH, SYNC, TASKS_CREATED, new_counts


class Outbox:
    """Records what the pipeline hands to the engine, and when."""

    def __init__(self, events):
        self.events = events

    def respond(self, item, status, headers, body):
        if isinstance(body, str):  # MicroPython hands JSON over as a str (its UTF-8 buffer)
            body = body.encode()
        self.events.append(("respond", item[0], status, headers, bytes(body)))

    def respond_file(self, item, status, headers, path):
        self.events.append(("file", item[0], status, headers, path))


class Harness:
    def __init__(self, app):
        self.events = []
        self.errors = []
        self.logs = []
        self.counts = new_counts()
        self.tasks = {}
        self.pipeline = Pipeline(app, Outbox(self.events), self.counts, self.tasks,
                                 lambda level, msg: self.logs.append((level, msg)),
                                 on_error=self.errors.append)

    def run(self, route_id, query="", params=(), token=1, headers=None):
        self.pipeline.run(make_item(route_id, query=query, params=params, token=token,
                                    headers=headers))

    def responses(self):
        return [e[1:] for e in self.events if e[0] in ("respond", "file")]


JSON = b"content-type: application/json\r\n"


def test_plain_json_skips_the_response_object():
    app = ViperHTTP()

    @app.get("/hello")
    def hello():
        return {"message": "hello"}

    h = Harness(app)
    h.run(0)
    assert h.responses() == [(1, 200, JSON, b'{"message":"hello"}')]
    assert h.counts[SYNC] == 1 and h.counts[FAST_PATH] == 0


def test_status_code_and_response_classes():
    app = ViperHTTP()

    @app.post("/made", status_code=201)
    def made():
        return [1]

    @app.get("/text")
    def text():
        return PlainTextResponse("hi", headers={"X-A": "1"})

    @app.get("/file")
    def file():
        return FileResponse("/srv/a.txt")

    h = Harness(app)
    h.run(0)
    h.run(1, token=2)
    h.run(2, token=3)
    assert h.responses() == [
        (1, 201, JSON, b"[1]"),
        (2, 200, b"X-A: 1\r\ncontent-type: text/plain; charset=utf-8\r\n", b"hi"),
        (3, 200, b"", "/srv/a.txt")]


def test_errors_become_responses():
    app = ViperHTTP()

    @app.get("/missing")
    def missing():
        raise HTTPException(404, "Item not found", headers={"X-E": "1"})

    @app.get("/invalid")
    def invalid(n=Query(..., ge=1)):
        return n

    @app.get("/crash")
    def crash():
        raise RuntimeError("secret")

    h = Harness(app)
    h.run(0)
    h.run(1, query="n=0", token=2)
    h.run(2, token=3)
    r = h.responses()
    assert r[0] == (1, 404, b"X-E: 1\r\ncontent-type: application/json\r\n",
                    b'{"detail":"Item not found"}')
    assert r[1][1] == 422 and b'"greater_than_equal"' in r[1][3]
    assert r[2] == (3, 500, b"content-type: text/plain; charset=utf-8\r\n", b"Internal Server Error")
    assert [type(e).__name__ for e in h.errors] == ["RuntimeError"]  # the on_error hook
    assert h.logs == [("error", "Exception in handler for GET /")]


def test_exception_handlers_sync_and_async():
    app = ViperHTTP()

    @app.exception_handler(KeyError)
    def on_key(request, exc):
        return JSONResponse({"key": str(exc.args[0])}, 409)

    @app.exception_handler(ValueError)
    async def on_value(request, exc):
        return JSONResponse({"value": request.method}, 400)

    @app.get("/k")
    def k():
        raise KeyError("a")

    @app.get("/v")
    def v():
        raise ValueError("b")

    async def scenario():
        h = Harness(app)
        h.run(0)
        h.run(1, token=2)
        await asyncio.sleep(0)
        return h

    h = run_coroutine(scenario())
    assert h.responses() == [(1, 409, JSON, b'{"key":"a"}'), (2, 400, JSON, b'{"value":"GET"}')]
    assert h.errors == []


def test_async_endpoint_inline_creates_no_task():
    app = ViperHTTP()

    @app.get("/a")
    async def a(n=0):
        return {"n": n}

    h = Harness(app)
    h.run(0, query="n=3")
    assert h.responses() == [(1, 200, JSON, b'{"n":3}')]
    assert h.counts[FAST_PATH] == 1 and h.counts[TASKS_CREATED] == 0 and h.tasks == {}


def test_an_endpoint_that_waits_becomes_a_task():
    app = ViperHTTP()

    @app.get("/w")
    async def w():
        await asyncio.sleep(0.001)
        return "done"

    async def scenario():
        h = Harness(app)
        h.run(0, token=7)
        assert h.responses() == [] and 7 in h.tasks
        for _ in range(100):
            if h.responses():
                break
            await asyncio.sleep(0.005)
        return h

    h = run_coroutine(scenario())
    assert h.responses() == [(7, 200, JSON, b'"done"')]
    assert h.counts[TASKS_CREATED] == 1 and h.counts[FAST_PATH] == 0 and h.tasks == {}


def test_cleanup_and_background_run_after_the_response():
    app = ViperHTTP()
    events = []

    def dep():
        events.append("dep enter")
        yield "d"
        events.append("dep exit")

    @app.get("/g")
    def g(background_tasks, d=Depends(dep)):
        background_tasks.add_task(events.append, "background")
        events.append("handler")
        return d

    async def scenario():
        h = Harness(app)
        h.events = events
        h.pipeline.outbox.events = events
        h.run(0)
        await asyncio.sleep(0.01)
        return h

    run_coroutine(scenario())
    assert [e if isinstance(e, str) else e[0] for e in events] == [
        "dep enter", "handler", "respond", "dep exit", "background"]


def test_background_not_run_when_the_handler_failed():
    app = ViperHTTP()
    ran = []

    @app.get("/f")
    def f(background_tasks):
        background_tasks.add_task(ran.append, 1)
        raise HTTPException(400)

    h = Harness(app)
    h.run(0)
    assert h.responses()[0][1] == 400 and ran == []


def test_response_background_task():
    app = ViperHTTP()
    ran = []

    @app.get("/b")
    def b():
        tasks = BackgroundTasks()
        tasks.add_task(ran.append, "x")
        return PlainTextResponse("ok", background=tasks)

    h = Harness(app)
    h.run(0)
    assert ran == ["x"] and h.responses()[0][3] == b"ok"


def test_middleware_order_and_changes():
    app = ViperHTTP()
    seen = []

    @app.middleware("http")
    async def inner(request, call_next):
        seen.append("inner in")
        response = await call_next(request)
        seen.append("inner out")
        response.headers["x-inner"] = "1"
        return response

    @app.middleware("http")
    async def outer(request, call_next):
        seen.append("outer in")
        response = await call_next(request)
        seen.append("outer out")
        return response

    @app.get("/m")
    def m():
        seen.append("handler")
        return {"ok": True}

    h = Harness(app)
    h.run(0)
    assert seen == ["outer in", "inner in", "handler", "inner out", "outer out"]
    assert h.responses() == [(1, 200, b"content-type: application/json\r\nx-inner: 1\r\n",
                              b'{"ok":true}')]
    assert h.counts[FAST_PATH] == 1
