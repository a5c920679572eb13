# The app behind test_concurrency.py, test_backpressure.py and test_run_options.py: fast and
# slow handlers, a blocking handler, gates the test opens, and a record of what the handlers
# saw (started / finished / cancelled).
#
# Written in the subset MicroPython shares with CPython: imports limited to viperhttp, asyncio,
# time, sys and json; no f-strings, no annotations relied upon.  Arguments are ``key=value``
# options for app.run (values parsed as JSON when they can be).
import asyncio
import json
import sys
import time

import viperhttp
from viperhttp import ViperHTTP
from app_options import parse_options

app = ViperHTTP(title="pyapi concurrency app")

# What handlers observed, in order: [event, id] pairs ("started", "finished", "cancelled").
events = []
counts = {"started": 0, "finished": 0, "cancelled": 0}
gates = {}


def note(what, ident):
    events.append([what, ident])
    counts[what] += 1


def gate(name):
    g = gates.get(name)
    if g is None:
        g = asyncio.Event()
        gates[name] = g
    return g


@app.get("/__stats")
def stats():
    return viperhttp.server_stats()


@app.get("/events")
def get_events():
    return {"events": events, "counts": counts}


@app.get("/fast")
async def fast(i=0):
    # Never awaits: served by the coroutine fast path, no task.
    return {"fast": i}


@app.get("/fast-sync")
def fast_sync(i=0):
    return {"fast_sync": i}


@app.get("/awaits")
async def awaits(i=0):
    await asyncio.sleep(0)
    return {"awaited": i}


@app.get("/slow")
async def slow(id="", delay=1.0):
    note("started", id)
    try:
        await asyncio.sleep(delay)
    except asyncio.CancelledError:
        note("cancelled", id)
        raise
    note("finished", id)
    return {"id": id, "slept": delay}


@app.get("/gated/{name}")
async def gated(name, id=""):
    # Waits until the test opens the gate (GET /open/{name}): "slow" without any timing.
    note("started", id)
    try:
        await gate(name).wait()
    except asyncio.CancelledError:
        note("cancelled", id)
        raise
    note("finished", id)
    return {"id": id, "gate": name}


@app.get("/open/{name}")
def open_gate(name):
    gate(name).set()
    return {"opened": name}


@app.get("/block")
def block(t=0.5, id=""):
    # A plain def handler that blocks the interpreter thread (and so the whole bridge).
    note("started", id)
    time.sleep(t)
    note("finished", id)
    return {"blocked": t, "id": id}


if __name__ == "__main__":
    app.run(**parse_options(sys.argv[1:]))
