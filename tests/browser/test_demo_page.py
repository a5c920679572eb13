"""The demo page (examples/app/www/) in headless Chromium, as a person sees it."""

import re
import time

from browser import ROOT, Scenario

MARGIN = 8  # px: at 375 px the cards keep at least this much from the screen's edges


def assert_clean(watch):
    """No console error, no uncaught exception, no failed request, every response 200/304."""
    problems = {k: watch[k] for k in ("consoleErrors", "pageErrors", "failed", "badResponses")
                if watch[k]}
    assert not problems, "%s: %s" % (watch["label"], problems)


def test_demo_page_loads_clean_and_shows_live_values(demo_server):
    demo = demo_server()
    with Scenario("demo_page.js", {"url": demo.url, "widths": [1280, 375]}) as s:
        result = s.result()
    for page in result["pages"]:
        assert_clean(page["watch"])
        assert page["title"] == "ViperHTTP demo device"
        assert page["state"] == "live"
        assert page["status"].startswith("Live: updated at ")
        # the sensors table: a header and one row per sensor, each with a number and a unit
        header, *rows = page["sensors"]
        assert header == ["sensor", "value", "unit"]
        assert [r[0] for r in rows] == ["humidity", "light", "pressure", "temperature"]
        for name, value, unit in rows:
            assert re.fullmatch(r"-?\d+\.\d\d", value), (name, value)
            assert unit in ("%", "lx", "hPa", "C")
        assert page["led"] in ("off", "on (50%)")
        assert page["toggleDisabled"] is False
        assert [k for k, v in page["stats"]] == [
            "requests", "connections_active", "keepalive_reuses", "static_requests",
            "static_not_modified", "python.sync", "python.tasks_created",
            "bridge.interpreter_wakeups"]
        stats = dict(page["stats"])
        assert int(stats["requests"]) > 0
        assert int(stats["python.sync"]) > 0       # the API's plain def handlers
        assert int(stats["static_requests"]) >= 3  # the page, its stylesheet and its script
        assert "HOST" not in page["hint"]
        assert "http://127.0.0.1:%d/api/sensors" % demo.port in page["hint"]
        assert page["iconFetch"]["status"] == 200
        assert page["iconFetch"]["type"] == "image/vnd.microsoft.icon"
        assert page["iconFetch"]["bytes"] > 0
        # nothing wider than the screen, every card off the edges
        assert page["scrollWidth"] <= page["viewportWidth"], page
        assert len(page["cards"]) == 4
        for card in page["cards"]:
            assert card["left"] >= MARGIN, (page["width"], card)
            assert card["right"] <= page["viewportWidth"] - MARGIN, (page["width"], card)
    assert result["pages"][1]["viewportWidth"] == 375


def test_demo_live_chart_is_fed_by_server_sent_events(demo_server):
    demo = demo_server()
    with Scenario("demo_chart.js", {"url": demo.url, "points": 4}) as s:
        result = s.result()
    assert_clean(result["watchBeforeStop"])
    # Stopping the chart closes the EventSource, which Chromium reports as an aborted request.
    stream_url = demo.url + "api/stream/temperature?interval_ms=500"
    assert result["watch"]["failed"] in ([], [{"url": stream_url, "error": "net::ERR_ABORTED"}])
    assert result["watch"]["consoleErrors"] == [] and result["watch"]["pageErrors"] == []
    assert result["before"] == "0"  # the chart starts on demand
    assert result["points"] >= 4
    coords = [tuple(map(float, p.split(","))) for p in result["line"].split()]
    assert len(coords) == result["points"]
    assert all(0 <= x <= 300 and 0 <= y <= 100 for x, y in coords)
    assert re.fullmatch(r"temperature: -?\d+\.\d\d C \(reading \d+\)", result["status"]), result
    assert result["button"] == "Stop" and result["afterStop"] == "Start"
    assert result["box"]["width"] > 200 and result["box"]["height"] > 50
    stats = demo.stats()
    assert stats["streams_started"] >= 1 and stats["python"]["sse_events"] >= 4
    # the browser closed its EventSource: the engine saw the client leave
    deadline = time.monotonic() + 10
    while demo.stats()["streams_open"] != 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert demo.stats()["streams_open"] == 0


# What Chromium logs for a request the network refused: expected while the server is down.
NETWORK_ERROR = re.compile(r"^Failed to load resource: net::ERR_[A-Z_]+$")


def test_demo_page_survives_the_server_going_away(demo_server):
    demo = demo_server()
    with Scenario("demo_offline.js", {"url": demo.url}) as s:
        s.expect("live")
        demo.stop()
        s.send("stopped")
        s.expect("offline")
        demo.start()  # the same port
        s.send("started")
        result = s.result()

    # app.js reset twice: the page said so, loaded it again by itself and went live
    retry = result["scriptRetry"]
    assert retry["resets"] == 2
    assert retry["offline"]["status"].startswith(
        "Offline: the page's script could not be loaded. Retrying in "), retry
    assert retry["live"]["sensorRows"] == 4
    assert retry["live"]["led"] in ("off", "on (50%)")
    assert retry["watch"]["pageErrors"] == []
    assert retry["watch"]["badResponses"] == []
    assert [f["url"] for f in retry["watch"]["failed"]] == [demo.url + "app.js"] * 2
    assert all(NETWORK_ERROR.match(e["text"]) for e in retry["watch"]["consoleErrors"]), retry

    restart = result["restart"]
    w = restart["watch"]
    assert w["pageErrors"] == []  # no uncaught exception, ever
    assert w["badResponses"] == []
    assert w["failed"], "the server was stopped: some requests must have failed"
    for f in w["failed"]:
        assert f["url"].startswith(demo.url + "api/"), f
    assert all(NETWORK_ERROR.match(e["text"]) for e in w["consoleErrors"]), w["consoleErrors"]
    offline = restart["offline"]
    assert offline["status"].startswith("Offline: the device cannot be reached. Retrying in ")
    assert offline["sensorRows"] == 4          # the last values stay ...
    assert float(offline["sensorsOpacity"]) < 1  # ... greyed out
    assert offline["statusColor"] != restart["live"]["statusColor"]
    recovered = restart["recovered"]
    assert recovered["status"].startswith("Live: updated at ")
    assert recovered["sensorRows"] == 4
    assert float(recovered["sensorsOpacity"]) == 1


def test_demo_page_over_https(demo_server):
    """The demo over HTTPS (scripts/demo.sh --https), its self-signed certificate accepted with
    --ignore-certificate-errors: the page, its assets and its live polling over TLS, no console
    error, and the engine counted the handshakes."""
    creds = ROOT / "tests" / "engine" / "tls"
    demo = demo_server(tls=(creds / "ec-cert.pem", creds / "ec-key.pem"))
    assert demo.url.startswith("https://")
    with Scenario("demo_page.js", {"url": demo.url, "widths": [1280],
                                   "ignoreCertificateErrors": True}) as s:
        result = s.result()
    (page,) = result["pages"]
    assert_clean(page["watch"])
    assert page["protocol"] == "https:"
    assert page["state"] == "live"
    assert int(dict(page["stats"])["static_requests"]) >= 3
    assert "https://127.0.0.1:%d/api/sensors" % demo.port in page["hint"]
    stats = demo.stats()
    assert stats["tls_handshakes"] >= 1
