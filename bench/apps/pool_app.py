"""The app of `bench/run.sh pool`: one Python route on a pool of SLOTS connection slots.

    PYTHONPATH=build/release/python:python /usr/bin/python3 bench/apps/pool_app.py PORT SLOTS

Runs unchanged on the MicroPython unix port.  Prints uvicorn's "running on" line on stderr;
stops gracefully on SIGTERM.
"""

import sys

from viperhttp import ViperHTTP

app = ViperHTTP()


@app.get("/hello")
def hello():
    return {"message": "hello"}


port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
slots = int(sys.argv[2]) if len(sys.argv) > 2 else 8
app.run(host="127.0.0.1", port=port, max_connections=slots, access_log=False)
