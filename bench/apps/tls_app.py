"""The ViperHTTP app of ``bench/run.sh tls``: keep-alive HTTPS from a Python route and a static
file mount, with the certificate the nginx of the same bench uses.

    PYTHONPATH=build/release/python:python /usr/bin/python3 bench/apps/tls_app.py \\
        PORT CERT KEY STATIC_DIR

/hello answers the JSON of bench/apps/viper_app.py's /hello from a plain def handler;
/static/... is StaticFiles(directory=STATIC_DIR).  Runs with max_connections=256 and no access
log; PORT 0 picks a free port (the startup line on stderr says which); stops on SIGTERM.
"""

import sys

from viperhttp import ViperHTTP, server_stats
from viperhttp.staticfiles import StaticFiles

app = ViperHTTP()


@app.get("/hello")
def hello():
    return {"message": "hello"}


@app.get("/stats")
def stats():
    return server_stats()


if __name__ == "__main__":
    port, cert, key, static = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    app.mount("/static", StaticFiles(directory=static))
    app.run(host="127.0.0.1", port=port, max_connections=256, access_log=False,
            ssl_certfile=cert, ssl_keyfile=key)
