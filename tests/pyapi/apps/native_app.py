# The native module `_viperhttp` driven directly (docs/native-api.md), without the package's
# server: this app is the interpreter side of the bridge, so a test decides which token is
# answered when — a late response with a stale token, a token from before the generation's
# wrap (test_request_tokens.py).
#
# Routes (route ids are this app's own):
#   GET /r/{n:int}        answered at once: {"n": n, "token": token}
#   GET /hold/{n:int}     not answered; the token is kept under n
#   GET /release/{n:int}  answers the token kept under n first ({"stale": n}; the engine drops
#                         it when that request was answered by a 504 or its client left), then
#                         this request: {"released": n, "token": token}
#   GET /checks           what respond() raises for values that are no token
#   GET /__stats          the engine's counters
#
# Runs on CPython and MicroPython: imports _viperhttp, select, sys, json (and signal on
# CPython, where SIGTERM is routed to engine.stop(); MicroPython's Engine does it in C).
import json
import select
import sys

import _viperhttp
from app_options import parse_options

JSON = b"content-type: application/json\r\n"
options = parse_options(sys.argv[1:])
options.setdefault("host", "127.0.0.1")
engine = _viperhttp.Engine(**options)
ROUTES = ("/r/{n:int}", "/hold/{n:int}", "/release/{n:int}", "/checks", "/__stats")
for route_id, pattern in enumerate(ROUTES):
    engine.add_route("GET", pattern, route_id)
held = {}
cancelled = []


def answer(token, value):
    body = value if isinstance(value, bytes) else json.dumps(value).encode()
    assert engine.respond(token, 200, JSON, body) == 0


def bad_token_checks(token):
    out = []
    for bad in (1 << 30, -1, 1 << 64, -(1 << 64), True, "1", 1.0, None):
        try:
            engine.respond(bad, 200, JSON, b"{}")
            out.append([repr(bad), "accepted"])
        except (TypeError, ValueError) as e:
            out.append([repr(bad), type(e).__name__])
    return out


def handle(item):
    token, route_id, method, path, query, headers, body, params, client, version = item
    if route_id == 0:
        answer(token, {"n": params[0], "token": token})
    elif route_id == 1:
        held[params[0]] = token
    elif route_id == 2:
        answer(held.pop(params[0]), {"stale": params[0]})
        answer(token, {"released": params[0], "token": token})
    elif route_id == 3:
        answer(token, {"checks": bad_token_checks(token), "cancelled": cancelled})
    else:
        answer(token, engine.stats().encode())


def main():
    port = engine.start()
    if sys.implementation.name == "micropython":
        engine.stop_on_signals()
    else:
        import signal

        signal.signal(signal.SIGTERM, lambda *args: engine.stop())
        signal.signal(signal.SIGINT, lambda *args: engine.stop())
    sys.stderr.write("INFO:     ViperHTTP running on http://127.0.0.1:%d "
                     "(Press CTRL+C to quit)\n" % port)
    poller = select.poll()
    poller.register(engine, select.POLLIN)
    while engine.running():
        poller.poll(1000)
        for item in engine.drain():
            if type(item) is int:
                cancelled.append(item)
            else:
                handle(item)
    engine.join()
    sys.stderr.write("INFO:     Finished server process\n")


main()
