"""FastAPI's side of bench/sse.sh (uvicorn, one worker, uvloop + httptools):
StreamingResponse(text/event-stream) of sse_common's producers.  Its twin: sse_viper_app.py."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fastapi import FastAPI  # noqa: E402
from fastapi.responses import StreamingResponse  # noqa: E402
from sse_common import blob, events  # noqa: E402

app = FastAPI()


@app.get("/sse")
def sse(n: int = 1000):
    return StreamingResponse(events(n), media_type="text/event-stream")


@app.get("/blob")
def blob_route(mb: int = 100):
    return StreamingResponse(blob(mb), media_type="application/octet-stream")
