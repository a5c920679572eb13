"""The static-file benchmark app (bench/run.sh static): the same files from a directory and from
an asset pack, both served by the engine alone (no handler, no bridge crossing).

    PYTHONPATH=build/release/python:python /usr/bin/python3 bench/apps/static_app.py \
        PORT DIRECTORY PACK

    /static/NAME  StaticFiles(directory=DIRECTORY): open + fstat + sendfile per request
    /pack/NAME    StaticFiles(pack=PACK): from the memory-mapped pack (tools/pack_assets.py)
    /stats        server_stats(): the engine's counters (static_requests, requests, file_bytes)
                  and the bridge's (requests_queued: only the /stats requests themselves)

PORT 0 picks a free port; the server prints
"INFO:     ViperHTTP running on http://127.0.0.1:PORT (Press CTRL+C to quit)" on stderr and
stops gracefully on SIGTERM.  Runs with max_connections=256 and no access log, as viper_app.py.
"""

import sys

from viperhttp import ViperHTTP, server_stats
from viperhttp.staticfiles import StaticFiles

app = ViperHTTP()


# Not benchmarked: the counters after the runs (a Python route: it crosses the bridge).
@app.get("/stats")
def stats():
    return server_stats()


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: static_app.py PORT DIRECTORY PACK")
    app.mount("/static", StaticFiles(directory=sys.argv[2]))
    app.mount("/pack", StaticFiles(pack=sys.argv[3]))
    app.run(host="127.0.0.1", port=int(sys.argv[1]), max_connections=256, access_log=False)
