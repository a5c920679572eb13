"""ViperHTTP's side of bench/sse.sh: StreamingResponse(text/event-stream) of sse_common's
producers (CPython: async generators are allowed in an app).  Its twin: sse_fastapi_app.py."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from sse_common import blob, events  # noqa: E402
from viperhttp import StreamingResponse, ViperHTTP  # noqa: E402

app = ViperHTTP()


@app.get("/sse")
def sse(n=1000):
    return StreamingResponse(events(n), media_type="text/event-stream")


@app.get("/blob")
def blob_route(mb=100):
    return StreamingResponse(blob(mb), media_type="application/octet-stream")


if __name__ == "__main__":
    # argv: PORT [STREAM_BUFFER_BYTES] (0: the engine's default, an I/O buffer's window)
    window = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    app.run(port=int(sys.argv[1]), access_log=False, max_connections=128,
            stream_buffer_bytes=window)
