"""Back-pressure and cancellation across the bridge (SPEC §2.3): 503 when the request queue is
full, 504 when a handler misses its deadline, cancellation when the client goes away.  Against
apps/concurrency_app.py; assertions on counters and on what the handlers observed."""

import time

import pytest
import requests

import pyapi_http as rawhttp
from pyapi_support import wait_events

TIMEOUT = 10
BUSY = b'{"detail":"Server busy: request queue full"}'
TIMED_OUT = b'{"detail":"Handler timed out"}'




def settled(s):
    """No handler in flight: only the /__stats request that took the snapshot is deferred."""
    return s["deferred_in_flight"] == 1 and s["python"]["in_flight_tasks"] == 0


# --- 503: request queue full -------------------------------------------------------------------


def test_503_when_request_queue_is_full(start_app):
    srv = start_app("concurrency_app.py", request_queue=2, max_connections=32)
    n = 12
    # Open every connection first, so the requests go out back to back.
    blocker = srv.conn()
    others = [srv.conn() for _ in range(n)]
    try:
        # The first request blocks the interpreter for 0.5 s (time.sleep in a plain def); the
        # engine can queue only two more, so most of the others are refused by the engine.
        blocker.send(rawhttp.build("GET", "/block?t=0.5&id=blocker"))
        for i, c in enumerate(others):
            c.send(rawhttp.build("GET", "/fast-sync?i=%d" % i))
        r = blocker.read_response()
        assert r.status == 200 and r.json() == {"blocked": 0.5, "id": "blocker"}
        statuses = []
        for i, c in enumerate(others):
            r = c.read_response()
            statuses.append(r.status)
            if r.status == 503:
                assert r.body == BUSY
                assert r.header("content-type").lower().startswith("application/json")
                assert r.header("retry-after") is not None
                assert r.header("retry-after").isdigit()
                assert r.header("content-length") == str(len(BUSY))
            else:
                assert r.status == 200, r
                assert r.json() == {"fast_sync": i}
        refused = statuses.count(503)
        assert refused >= 1, statuses
        # After the jam, the same connections are served normally.
        for i, c in enumerate(others):
            r = c.request("GET", "/fast?i=%d" % i)
            assert r.status == 200 and r.json() == {"fast": i}
    finally:
        blocker.close()
        for c in others:
            c.close()
    s = srv.stats()
    assert s["bridge"]["queue_full_503"] == refused
    assert s["status"]["503"] == refused
    assert settled(s)
    # And many more requests in a row go through.
    with srv.conn() as c:
        for i in range(20):
            r = c.request("GET", "/fast-sync?i=%d" % i)
            assert r.status == 200
    assert srv.stats()["bridge"]["queue_full_503"] == refused


# --- 504: handler deadline ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def deadline_app(module_app_factory):
    return module_app_factory("concurrency_app.py", handler_timeout_s=0.5, max_connections=32)


def test_504_on_slow_async_handler_and_handler_is_cancelled(deadline_app):
    srv = deadline_app
    before = srv.stats()
    with srv.conn() as c:
        r = c.request("GET", "/slow?id=t504&delay=3")
        assert r.status == 504
        assert r.body == TIMED_OUT
        assert r.header("content-type").lower().startswith("application/json")
    e = wait_events(srv, lambda e: ["cancelled", "t504"] in e["events"], "cancelled t504")
    assert ["started", "t504"] in e["events"]
    assert ["finished", "t504"] not in e["events"]
    s = srv.wait_stats(settled, what="no handler in flight")
    assert s["timeouts_handler"] == before["timeouts_handler"] + 1
    assert s["abandoned"] == before["abandoned"] + 1
    assert s["status"]["504"] == before["status"]["504"] + 1
    assert s["python"]["cancelled"] == before["python"]["cancelled"] + 1
    assert s["python"]["in_flight_tasks"] == 0
    assert s["deferred_in_flight"] == 1
    # The cancelled handler sends nothing late.
    assert s["late_completions"] == before["late_completions"]
    assert s["bridge"]["responses_gone"] == before["bridge"]["responses_gone"]
    # The server is fine afterwards.
    r = requests.get(srv.url("/fast?i=1"), timeout=TIMEOUT)
    assert r.status_code == 200 and r.json() == {"fast": 1}


def test_504_on_blocking_handler_late_response_dropped(deadline_app):
    srv = deadline_app
    before = srv.stats()
    with srv.conn() as c:
        # A plain def that blocks past the deadline cannot be cancelled: the engine answers 504
        # and drops the response that arrives later.
        r = c.request("GET", "/block?t=0.7&id=b504")
        assert r.status == 504
        assert r.body == TIMED_OUT
    # The interpreter is still blocked for about 0.2 s: a request sent now would wait for it
    # and could miss its own 0.5 s deadline.  Let the blocker end first.
    time.sleep(0.5)
    wait_events(srv, lambda e: ["finished", "b504"] in e["events"], "finished b504")
    s = srv.wait_stats(lambda s: settled(s) and s["late_completions"] > before[
        "late_completions"], what="the late response dropped")
    assert s["late_completions"] == before["late_completions"] + 1
    assert s["bridge"]["responses_gone"] == before["bridge"]["responses_gone"] + 1
    assert s["timeouts_handler"] == before["timeouts_handler"] + 1
    r = requests.get(srv.url("/fast-sync?i=2"), timeout=TIMEOUT)
    assert r.status_code == 200 and r.json() == {"fast_sync": 2}


def test_fast_handlers_unaffected_by_deadline(deadline_app):
    srv = deadline_app
    with srv.conn() as c:
        for i in range(10):
            r = c.request("GET", "/awaits?i=%d" % i)
            assert r.status == 200 and r.json() == {"awaited": i}


# --- cancellation on client disconnect -------------------------------------------------------------


@pytest.mark.parametrize("path", ["/gated/never?id={}", "/slow?id={}&delay=30"])
def test_client_disconnect_cancels_handler(start_app, path):
    srv = start_app("concurrency_app.py", max_connections=32)
    before = srv.stats()
    ident = "gone1"
    c = srv.conn()
    c.send(rawhttp.build("GET", path.format(ident)))
    wait_events(srv, lambda e: ["started", ident] in e["events"], "started " + ident)
    s = srv.stats()
    assert s["python"]["in_flight_tasks"] == 1
    assert s["deferred_in_flight"] == 2
    c.close()
    e = wait_events(srv, lambda e: ["cancelled", ident] in e["events"], "cancelled " + ident)
    assert ["finished", ident] not in e["events"]
    s = srv.wait_stats(settled, what="no handler in flight")
    assert s["abandoned"] == before["abandoned"] + 1
    assert s["python"]["cancelled"] == before["python"]["cancelled"] + 1
    assert s["timeouts_handler"] == before["timeouts_handler"]
    assert s["late_completions"] == before["late_completions"]
    # Still serving.
    r = requests.get(srv.url("/fast?i=3"), timeout=TIMEOUT)
    assert r.status_code == 200 and r.json() == {"fast": 3}


def test_disconnects_while_interpreter_busy_all_cancel(start_app):
    # A small request queue: the cancel ring must still hold every abandonment.
    srv = start_app("concurrency_app.py", max_connections=32, request_queue=2)
    n = 8
    conns = []
    for i in range(n):
        c = srv.conn()
        c.send(rawhttp.build("GET", "/gated/never?id=k%d" % i))
        conns.append(c)
        wait_events(srv, lambda e, i=i: ["started", "k%d" % i] in e["events"], "started")
    # Block the interpreter for 1 s and let every client go meanwhile: it drains at most
    # once (with the blocker) before the burst is over, so at most 2 + 2 cancels can pass.
    blocker = srv.conn()
    blocker.send(rawhttp.build("GET", "/block?t=1&id=busy"))
    for c in conns:
        c.close()
    try:
        r = blocker.read_response()
        assert r.status == 200
    finally:
        blocker.close()
    s = srv.wait_stats(lambda s: s["abandoned"] == n, what="all abandoned")
    e = wait_events(srv, lambda e: e["counts"]["cancelled"] == n, "all cancelled", timeout=3)
    # Only the blocker itself finished; none of the abandoned handlers did.
    assert [ev for ev in e["events"] if ev[0] == "finished"] == [["finished", "busy"]]
    s = srv.wait_stats(settled, timeout=3, what="no handler in flight")
    assert s["python"]["cancelled"] == n


def test_disconnect_of_many_clients(start_app):
    srv = start_app("concurrency_app.py", max_connections=64)
    n = 40
    conns = []
    for i in range(n):
        c = srv.conn()
        c.send(rawhttp.build("GET", "/gated/never?id=m%d" % i))
        conns.append(c)
    wait_events(srv, lambda e: e["counts"]["started"] == n, "40 started")
    for c in conns:
        c.close()
    e = wait_events(srv, lambda e: e["counts"]["cancelled"] == n, "40 cancelled")
    assert e["counts"]["finished"] == 0
    s = srv.wait_stats(settled, what="no handler in flight")
    assert s["abandoned"] == n
    assert s["python"]["cancelled"] == n
    assert s["connections_active"] == 1
