# The app behind test_streaming.py and test_sse.py: StreamingResponse and EventSourceResponse
# of every kind of producer (sync generators, lists, async iterator classes, iterate()),
# Content-Length, exceptions mid-stream, endless producers for the disconnect and slow-reader
# tests, and GZipMiddleware (streams must never be compressed).  Runs unchanged on MicroPython:
# no async generators, no f-strings, no annotations.
import sys

import asyncio

from app_options import parse_options
import viperhttp
from viperhttp import Depends, StreamingResponse, ViperHTTP
from viperhttp.middleware import GZipMiddleware
from viperhttp.sse import EventSourceResponse, ServerSentEvent
from viperhttp.streaming import iterate

app = ViperHTTP()
app.add_middleware(GZipMiddleware, minimum_size=1)

# What the producers and their cleanups did, for the tests to read (GET /state).
state = {"produced": 0, "events": [], "cancelled": 0, "closed": 0, "cleanup": 0,
         "background": 0}


def note(what):
    state["events"].append(what)


@app.get("/__stats")
def stats():
    return viperhttp.server_stats()


@app.get("/state")
def get_state():
    return state


@app.post("/reset")
def reset():
    state["produced"] = 0
    state["events"] = []
    for key in ("cancelled", "closed", "cleanup", "background"):
        state[key] = 0
    return {}


def numbered(n, size):
    for i in range(n):
        line = "chunk %d " % i
        yield (line + "x" * max(0, size - len(line) - 1) + "\n").encode()


@app.get("/sync")
def sync_stream(n=5, size=16):
    return StreamingResponse(numbered(n, size), media_type="text/plain")


@app.get("/list")
def list_stream():
    return StreamingResponse(["alpha,", b"beta,", "", "gamma \xe9"], media_type="text/plain")


class Countdown:
    """An async iterator class: the portable way to write an awaiting producer."""

    def __init__(self, n):
        self.n = n

    def __aiter__(self):
        return self

    async def __anext__(self):
        if self.n == 0:
            raise StopAsyncIteration
        await asyncio.sleep(0)
        self.n -= 1
        return "n=%d\n" % self.n

    async def aclose(self):
        note("countdown closed")


@app.get("/async")
async def async_stream(n=3):
    return StreamingResponse(Countdown(n), media_type="text/plain",
                             headers={"X-Kind": "async"})


@app.get("/iterate")
def iterate_stream(n=4):
    left = [n]

    async def step():
        if left[0] == 0:
            return None
        left[0] -= 1
        await asyncio.sleep(0)
        return "step %d\n" % left[0]

    return StreamingResponse(iterate(step, close=lambda: note("iterate closed")))


@app.get("/length")
def length_stream(short=0):
    body = ["0123456789"] * 10
    if short:
        body = body[:5]  # 50 bytes of the 100 announced: the connection must close
    return StreamingResponse(body, headers={"Content-Length": "100"},
                             media_type="text/plain")


@app.get("/badlength")
def bad_length():
    return StreamingResponse(["x"], headers={"Content-Length": "abc"})


@app.get("/notiterable")
def not_iterable():
    return StreamingResponse(42)


def failing(after):
    for i in range(after):
        yield "ok %d\n" % i
    raise RuntimeError("producer failed after %d chunks" % after)


@app.get("/error")
def error_stream(after=2):
    return StreamingResponse(failing(after), media_type="text/plain")


def resource():
    note("dependency opened")
    try:
        yield "resource"
    finally:
        state["cleanup"] += 1
        note("dependency cleanup")


def endless(size):
    chunk = b"e" * size
    try:
        while True:
            state["produced"] += size
            yield chunk
    finally:  # close() of the generator when the client leaves
        state["closed"] += 1
        note("generator closed")


def background_done(tag):
    state["background"] += 1
    note("background " + tag)


@app.get("/endless")
def endless_stream(background_tasks, size=1024, res=Depends(resource)):
    background_tasks.add_task(background_done, "endless")
    return StreamingResponse(endless(size), media_type="application/octet-stream")


class Stalled:
    """One item, then it waits forever (until its task is cancelled)."""

    def __init__(self):
        self.sent = False

    def __aiter__(self):
        return self

    async def __anext__(self):
        if not self.sent:
            self.sent = True
            return "first\n"
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            state["cancelled"] += 1
            note("producer cancelled")
            raise
        return "never\n"

    async def aclose(self):
        state["closed"] += 1
        note("stalled closed")


@app.get("/stalled")
async def stalled_stream(background_tasks, res=Depends(resource)):
    background_tasks.add_task(background_done, "stalled")
    return StreamingResponse(Stalled(), media_type="text/plain")


# --- Server-Sent Events ------------------------------------------------------------------------

@app.get("/sse")
def sse(request):
    last = request.headers.get("last-event-id")
    items = [
        {"event": "hello", "id": 1, "data": {"a": [1, 2], "b": "c"}},
        "plain string",
        {"data": "line one\nline two\r\nline three"},
        ServerSentEvent(data="with retry", retry=2500, id="two"),
        {"comment": "just a comment"},
        {"event": "resumed", "data": "last=%s" % last},
        {"data": ""},
    ]
    return EventSourceResponse(items, ping=0)


@app.get("/sse/silent")
def sse_silent(ping=0.2, n=1):
    sent = [0]

    async def step():
        if sent[0] < n:
            sent[0] += 1
            return {"event": "first", "data": str(sent[0])}
        note("silent producer waiting")
        await asyncio.sleep(3600)  # silent: the engine keeps the connection alive
        return None

    return EventSourceResponse(iterate(step), ping=ping)


@app.get("/sse/count")
def sse_count(n=1000):
    def gen():
        i = 0
        while i < n:
            yield {"id": i, "data": "event %d" % i}
            i += 1

    return EventSourceResponse(gen(), ping=0)


if __name__ == "__main__":
    app.run(**parse_options(sys.argv[1:]))
