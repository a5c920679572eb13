# ViperHTTP(debug=True): a 500 body carries the exception's type and message (test_errors.py).
#
# Written in the subset MicroPython shares with CPython (imports: viperhttp, asyncio, sys,
# json).  Arguments are ``key=value`` options for app.run.
import asyncio
import json
import sys

import viperhttp
from viperhttp import HTTPException, ViperHTTP
from app_options import parse_options

app = ViperHTTP(title="pyapi debug app", debug=True)


@app.get("/__stats")
def stats():
    return viperhttp.server_stats()


@app.get("/crash")
def crash():
    raise ValueError("kaboom-debug")


@app.get("/crash-async")
async def crash_async():
    await asyncio.sleep(0)
    raise LookupError("async-kaboom")


@app.get("/http")
def http_error():
    raise HTTPException(403, detail="nope")


@app.get("/ok")
def ok():
    return {"ok": True}


if __name__ == "__main__":
    app.run(**parse_options(sys.argv[1:]))
