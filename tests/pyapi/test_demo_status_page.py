"""The demo app's server-rendered page (examples/app/app.py GET /status, from
examples/app/templates/): the same page Jinja2 makes of the same files and values, on both
interpreters."""

import jinja2
import requests

from pyapi_support import ROOT
from test_demo_app import start_demo  # the demo's own starter (its module-level fixtures
                                      # are not used here)

TEMPLATES = ROOT / "examples" / "app" / "templates"


class _URL:
    path = "/status"


class _Request:
    method = "GET"
    url = _URL()


def test_status_page():
    proc, port = start_demo([])
    try:
        r = requests.get("http://127.0.0.1:%d/status" % port, timeout=10)
        assert r.status_code == 200
        assert r.headers["content-type"] == "text/html; charset=utf-8"
        page = r.content.decode()
        # Values change with time (simulated sensors, counters): render the reference with
        # the values the page shows for the sensors, then compare everything.
        assert "<h2>Sensors</h2>" in page and "The LED is <b>off</b>." in page
        sensors = []
        for row in page.split("<tr><td>")[1:]:
            name, rest = row.split("</td><td>", 1)
            value, unit = rest.split("</td></tr>")[0].split(" ")
            sensors.append({"sensor": name.lower(), "value": float(value), "unit": unit})
        counters = []
        for li in page.split("<li>")[1:]:
            name, value = li.split("</li>")[0].split(": ")
            counters.append((name.replace(" ", "_"), int(value)))
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                                 undefined=jinja2.StrictUndefined)
        expected = env.get_template("status.html").render(
            request=_Request(), sensors=sensors, led={"on": False, "brightness": 50},
            counters=counters)
        assert page == expected
        assert [s["sensor"] for s in sensors] == ["humidity", "light", "pressure", "temperature"]
        assert [c[0] for c in counters] == ["requests", "connections_accepted",
                                            "connections_active", "keepalive_reuses"]
    finally:
        proc.send_signal(2)
        proc.wait(10)
