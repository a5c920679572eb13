"""A small device-style API on ViperHTTP: simulated sensors, an LED, and a web page that calls
them.  The same file runs on CPython and on MicroPython (scripts/demo.sh).

The page (www/: index.html, style.css, app.js, 404.html, favicon.ico) is served by the engine
from a static mount, never by Python: from the directory, or, with ``--pack FILE``, from an
asset pack built by tools/pack_assets.py (what a device serves from flash)::

    PYTHONPATH=build/release/python:python /usr/bin/python3 examples/app/app.py [port]
    /usr/bin/python3 tools/pack_assets.py examples/app/www build/www.vpak
    PYTHONPATH=build/release/python:python /usr/bin/python3 examples/app/app.py 8000 --pack build/www.vpak

``--max-connections N`` sets the connection pool (default 32; a device has 8).
"""

import asyncio
import math
import sys
import time

import viperhttp
from viperhttp import HTTPException, ViperHTTP
from viperhttp.sse import EventSourceResponse
from viperhttp.staticfiles import StaticFiles
from viperhttp.streaming import iterate
from viperhttp.templating import Jinja2Templates

app = ViperHTTP(title="ViperHTTP demo device", version="0.1.0")

SENSORS = {
    # name: (unit, base value, swing, period in seconds)
    "temperature": ("C", 21.5, 2.0, 600.0),
    "humidity": ("%", 45.0, 8.0, 900.0),
    "pressure": ("hPa", 1013.0, 4.0, 1800.0),
    "light": ("lx", 300.0, 250.0, 120.0),
}
led = {"on": False, "brightness": 50}


def read_sensor(name):
    unit, base, swing, period = SENSORS[name]
    value = base + swing * math.sin(2 * math.pi * time.time() / period)
    return {"sensor": name, "value": round(value, 2), "unit": unit}


@app.get("/api/sensors")
def list_sensors():
    return {"sensors": sorted(SENSORS)}


@app.get("/api/sensors/{name}")
def sensor(name):
    if name not in SENSORS:
        raise HTTPException(404, detail="Unknown sensor: " + name)
    return read_sensor(name)


@app.get("/api/led")
def get_led():
    return led


@app.put("/api/led")
async def set_led(request):
    data = await request.json()
    if "on" in data:
        led["on"] = bool(data["on"])
    if "brightness" in data:
        b = data["brightness"]
        if not isinstance(b, int) or not 0 <= b <= 100:
            raise HTTPException(422, detail="brightness must be an integer from 0 to 100")
        led["brightness"] = b
    return led


@app.get("/api/history/{name}")
async def history(name, samples=5, interval_ms=100):
    """Samples a sensor several times, waiting between samples: a handler that suspends."""
    if name not in SENSORS:
        raise HTTPException(404, detail="Unknown sensor: " + name)
    if not 1 <= samples <= 50 or not 0 <= interval_ms <= 1000:
        raise HTTPException(422, detail="samples 1..50, interval_ms 0..1000")
    out = []
    for _ in range(samples):
        out.append(read_sensor(name)["value"])
        await asyncio.sleep(interval_ms / 1000)
    return {"sensor": name, "values": out}


@app.get("/api/stream/{name}")
def stream(name, request, interval_ms=1000):
    """A sensor's readings as Server-Sent Events (the page's live chart): one ``reading``
    event every ``interval_ms``; a reconnecting EventSource continues the numbering from its
    ``Last-Event-ID``.  The engine sends keep-alive comments by itself."""
    if name not in SENSORS:
        raise HTTPException(404, detail="Unknown sensor: " + name)
    if not 50 <= interval_ms <= 60000:
        raise HTTPException(422, detail="interval_ms 50..60000")
    last = request.headers.get("last-event-id")
    seq = [int(last) if last and last.isdigit() else 0]

    async def step():
        if seq[0]:
            await asyncio.sleep(interval_ms / 1000)
        seq[0] += 1
        return {"event": "reading", "id": seq[0], "data": read_sensor(name)}

    return EventSourceResponse(iterate(step), ping=15)


@app.get("/api/stats")
def stats():
    return viperhttp.server_stats()


# A server-rendered page (issue 18): templates/status.html, compiled and rendered by the engine.
templates = Jinja2Templates(directory=__file__.rsplit("/", 1)[0] + "/templates")
STATUS_COUNTERS = ("requests", "connections_accepted", "connections_active", "keepalive_reuses")


@app.get("/status")
def status_page(request):
    stats = viperhttp.server_stats()
    return templates.TemplateResponse("status.html", {
        "request": request,
        "sensors": [read_sensor(name) for name in sorted(SENSORS)],
        "led": led,
        "counters": [(name, stats.get(name, 0)) for name in STATUS_COUNTERS],
    })


@app.get("/api")
@app.get("/api/{rest:path}")
def api_not_found(rest=""):
    """/api and any other path under /api/ is an API path that does not exist: it answers the API's JSON
    404, not the page's 404.html (the mount at "/" would catch it otherwise).  The routes above
    win over this one (a static segment before a capture, and ``path`` last), and because it
    is GET (and HEAD) only, a real route keeps its 405 for a method it lacks
    (``DELETE /api/led``)."""
    raise HTTPException(404)


def mount_site(pack=None):
    """The page, from the www/ directory next to this file or from an asset pack.  Mounted at
    "/" after the API routes, which win over it."""
    if pack is not None:
        site = StaticFiles(pack=pack, html=True, cache_control="no-cache")
    else:
        site = StaticFiles(directory=__file__.rsplit("/", 1)[0] + "/www", html=True,
                           cache_control="no-cache")
    app.mount("/", site, name="site")


def take_option(args, name):
    """The value after ``name`` in ``args`` (both removed), or None."""
    if name not in args:
        return None
    i = args.index(name)
    value = args[i + 1]
    del args[i:i + 2]
    return value


if __name__ == "__main__":
    args = sys.argv[1:]
    pack = take_option(args, "--pack")
    max_connections = int(take_option(args, "--max-connections") or 32)
    # HTTPS (scripts/demo.sh --https): a certificate chain and its key, PEM or DER.
    tls = {}
    cert, key = take_option(args, "--ssl-certfile"), take_option(args, "--ssl-keyfile")
    if cert is not None:
        tls = {"ssl_certfile": cert, "ssl_keyfile": key}
    port = int(args[0]) if args else 8000
    mount_site(pack)
    app.run(host="127.0.0.1", port=port, max_connections=max_connections, **tls)
