"""Memory of templates in the esp32 profile (bench/run.sh templates): the compiled size of the
demo's templates (examples/app/templates) and of the benchmark page, and the RAM one render
takes with the device's capacities — run with the extension built by the esp32 preset:

    PYTHONPATH=build/esp32/python:python /usr/bin/python3 bench/templates_memory.py

Prints one JSON object.
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(HERE, "apps"))

from templates_common import status_context  # noqa: E402
from viperhttp.templating import Jinja2Templates  # noqa: E402


class _URL:
    path = "/status"


class _Request:
    method = "GET"
    url = _URL()


def main():
    out = {}
    demo = Jinja2Templates(directory=os.path.join(ROOT, "examples", "app", "templates"))
    out["demo_compiled_bytes"] = demo.warmup()
    sensors = [{"sensor": n, "value": 21.25, "unit": "C"}
               for n in ("humidity", "light", "pressure", "temperature")]
    page = demo.render("status.html", {
        "request": _Request(), "sensors": sensors, "led": {"on": True, "brightness": 50},
        "counters": [("requests", 12345), ("connections_accepted", 67),
                     ("connections_active", 3), ("keepalive_reuses", 12000)]})
    out["demo_page_bytes"] = len(page.encode())
    s = demo.stats()
    out["demo_context_bytes"] = s["context_peak"]
    out["demo_scratch_peak"] = s["scratch_peak"]
    bench = Jinja2Templates(directory=os.path.join(HERE, "apps", "templates"))
    out["bench_compiled_bytes"] = bench.warmup(["status.html"])["status.html"]
    bench.render("status.html", status_context())
    b = bench.stats()
    out["bench_context_bytes"] = b["context_peak"]
    out["bench_scratch_peak"] = b["scratch_peak"]
    out["render_memory"] = s["render_bytes"]           # stack, variables, frames, loops, scratch
    out["slot_bytes"] = s["slot_bytes"]                 # render_slots slots, with their contexts
    out["render_slots"] = 2
    out["cache_bytes_used"] = s["cache_bytes_used"]      # the demo's compiled units
    print(json.dumps(out))


main()
