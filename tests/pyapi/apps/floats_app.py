# The app behind test_floats.py: floats from a path converter, a query parameter and a JSON
# body, handed back as JSON, each with what float() of the same text gives on this interpreter
# (double on CPython and the unix port, single precision on the ESP32 port and the armhf build
# of scripts/micropython.sh --armhf).
#
# Written in the subset MicroPython shares with CPython (imports: viperhttp, sys, json).
import sys

import viperhttp
from viperhttp import Query, ViperHTTP
from app_options import parse_options

app = ViperHTTP(title="pyapi floats app")


@app.get("/__stats")
def stats():
    return viperhttp.server_stats()


@app.get("/info")
def info():
    # 2**-30 vanishes next to 1.0 in single precision (24-bit mantissa), not in a double.
    return {"single_precision": 1.0 + 2.0 ** -30 == 1.0}


@app.get("/path/{v:float}")
def path_float(v, request):
    text = request.url.path.rsplit("/", 1)[1]
    return {"same_as_float": v == float(text), "type": type(v).__name__, "value": v}


@app.get("/query")
def query_float(request, x=1.5):
    return {"same_as_float": x == float(request.query_params["x"]), "value": x}


@app.get("/bounded")
def bounded(x=Query(0.0, le=0.3)):
    return {"value": x}


@app.get("/float-of/{text}")
def float_of(text):
    return {"value": float(text)}


@app.post("/echo")
async def echo(request):
    return await request.json()


if __name__ == "__main__":
    app.run(**parse_options(sys.argv[1:]))
