"""The ViperHTTP benchmark app (bench/run.sh python).  Its twin is fastapi_app.py: the same
handlers, only the imports, the path converter and the annotations differ.

    PYTHONPATH=build/release/python:python /usr/bin/python3 bench/apps/viper_app.py [PORT]
    MICROPYPATH=python:.frozen build/micropython/micropython bench/apps/viper_app.py [PORT]

It runs unchanged on CPython and on the MicroPython unix port (scripts/micropython.sh): it
imports sys, viperhttp and common.py, and os.path only where it exists (CPython).

PORT 0 (the default) picks a free port; the server prints
"INFO:     ViperHTTP running on http://127.0.0.1:PORT (Press CTRL+C to quit)" on stderr and
stops gracefully on SIGTERM.  Runs with max_connections=256 and no access log.
"""

import sys

try:
    from os.path import abspath, dirname
except ImportError:  # MicroPython: no os.path; sys.path[0] is the script's directory already
    pass
else:
    sys.path.insert(0, dirname(abspath(__file__)))

from common import get_db, get_item  # noqa: E402
from viperhttp import Depends, ViperHTTP, server_stats  # noqa: E402

app = ViperHTTP()


# (a) a Python route answering the same JSON as the engine-only demo route /hello.
@app.get("/hello")
def hello():
    return {"message": "hello"}


# (a, async) the same as a coroutine: runs on the fast path (coro.send(None), no task).
@app.get("/hello-async")
async def hello_async():
    return {"message": "hello"}


# (b) a path parameter, an optional query parameter and two chained dependencies.
def item_dependency(item_id, db=Depends(get_db)):
    return get_item(db, item_id)


@app.get("/items/{item_id:int}")
def read_item(item_id, q=None, item=Depends(item_dependency)):
    return {"item_id": item_id, "q": q, "name": item["name"], "price": item["price"]}


# Not benchmarked: the engine, bridge and Python counters (bench/run.sh prints the batching).
@app.get("/stats")
def stats():
    return server_stats()


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    app.run(host="127.0.0.1", port=port, max_connections=256, access_log=False)
