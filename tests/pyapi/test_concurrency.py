"""The coroutine fast path and many handlers in flight at once (SPEC §2.3, §2.6), against
apps/concurrency_app.py.  Assertions are on counters and on what arrived in which order,
never on durations."""

import json
import select
import selectors
import socket
import time

import pytest
import requests

import pyapi_http as rawhttp
from pyapi_support import events, wait_events

TIMEOUT = 10




def settled(s):
    """No handler in flight: only the /__stats request that took the snapshot is deferred."""
    return s["deferred_in_flight"] == 1 and s["python"]["in_flight_tasks"] == 0


@pytest.fixture(scope="module")
def app(module_app_factory):
    return module_app_factory("concurrency_app.py", max_connections=128)


def test_fast_path_creates_no_task(app):
    before = app.stats()
    with app.conn() as c:
        for i in range(30):
            r = c.request("GET", "/fast?i=%d" % i)
            assert r.status == 200 and r.body == b'{"fast":%d}' % i
    after = app.stats()
    b, a = before["python"], after["python"]
    assert a["tasks_created"] == b["tasks_created"]
    # 30 coroutines finished inline; the first /__stats call is a plain def.
    assert a["fast_path"] == b["fast_path"] + 30
    assert a["sync"] == b["sync"] + 1
    assert a["in_flight_tasks"] == 0


def test_plain_def_runs_inline_without_task(app):
    before = app.stats()["python"]
    with app.conn() as c:
        for i in range(10):
            r = c.request("GET", "/fast-sync?i=%d" % i)
            assert r.body == b'{"fast_sync":%d}' % i
    after = app.stats()["python"]
    assert after["tasks_created"] == before["tasks_created"]
    assert after["fast_path"] == before["fast_path"]
    assert after["sync"] == before["sync"] + 11


def test_handler_that_awaits_becomes_a_task(app):
    before = app.stats()["python"]
    with app.conn() as c:
        for i in range(10):
            r = c.request("GET", "/awaits?i=%d" % i)
            assert r.status == 200 and r.body == b'{"awaited":%d}' % i
    after = app.stats()["python"]
    assert after["tasks_created"] == before["tasks_created"] + 10
    assert after["fast_path"] == before["fast_path"]
    assert after["sync"] == before["sync"] + 1
    assert after["in_flight_tasks"] == 0


def test_slow_handlers_do_not_block_fast_ones(app):
    n_slow, n_fast = 50, 20
    base = events(app)["counts"]
    slow = []
    try:
        for i in range(n_slow):
            c = app.conn()
            c.send(rawhttp.build("GET", "/gated/g1?id=s%d" % i))
            slow.append(c)
        wait_events(app, lambda e: e["counts"]["started"] == base["started"] + n_slow,
                    "50 started slow handlers")
        s = app.stats()
        assert s["python"]["in_flight_tasks"] == n_slow
        assert s["deferred_in_flight"] == n_slow + 1

        # 20 fast requests, on their own connections and pipelined on one, all answered
        # while every slow handler is still waiting.
        with app.conn() as c:
            c.send(b"".join(rawhttp.build("GET", "/fast?i=%d" % i) for i in range(n_fast // 2)))
            for i in range(n_fast // 2):
                r = c.read_response()
                assert r.status == 200 and r.json() == {"fast": i}
        for i in range(n_fast // 2):
            path = "/awaits?i=%d" % i if i % 2 else "/fast-sync?i=%d" % i
            with app.conn() as c:
                r = c.request("GET", path)
                assert r.status == 200, r
        # No slow response has been sent: nothing to read on any slow connection.
        readable, _, _ = select.select([c.sock for c in slow], [], [], 0)
        assert readable == []
        e = events(app)
        assert e["counts"]["finished"] == base["finished"]
        assert e["counts"]["started"] == base["started"] + n_slow

        # Release them: every slow request gets its own answer.
        r = requests.get(app.url("/open/g1"), timeout=TIMEOUT)
        assert r.json() == {"opened": "g1"}
        for i, c in enumerate(slow):
            r = c.read_response()
            assert r.status == 200
            assert r.json() == {"id": "s%d" % i, "gate": "g1"}
    finally:
        for c in slow:
            c.close()
    s = app.wait_stats(settled, what="no handler in flight")
    assert s["python"]["in_flight_tasks"] == 0


def test_sleeping_handlers_do_not_block_fast_ones(app):
    # The same with handlers in asyncio.sleep(2): the 20 fast answers come back before any
    # sleeper has finished (checked by the handlers' own record, not by a clock).
    n_slow, n_fast = 50, 20
    base = events(app)["counts"]
    slow = []
    try:
        for i in range(n_slow):
            c = app.conn()
            c.send(rawhttp.build("GET", "/slow?id=z%d&delay=2" % i))
            slow.append(c)
        wait_events(app, lambda e: e["counts"]["started"] == base["started"] + n_slow,
                    "50 started sleepers")
        with app.conn() as c:
            for i in range(n_fast):
                r = c.request("GET", "/fast?i=%d" % i if i % 2 else "/fast-sync?i=%d" % i)
                assert r.status == 200
        e = events(app)
        assert e["counts"]["finished"] == base["finished"], "a sleeper finished first"
        assert select.select([c.sock for c in slow], [], [], 0)[0] == []
        for i, c in enumerate(slow):
            r = c.read_response()
            assert r.status == 200 and r.json() == {"id": "z%d" % i, "slept": 2.0}
    finally:
        for c in slow:
            c.close()
    e = events(app)
    assert e["counts"]["finished"] == base["finished"] + n_slow
    app.wait_stats(settled, what="no handler in flight")


def run_many(port, paths, deadline):
    """Sends one request per path, each on its own non-blocking connection, all at once;
    returns {index: (status, body)}.  Fails at the deadline."""
    sel = selectors.DefaultSelector()
    conns = {}
    results = {}
    for i, path in enumerate(paths):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))
        conns[i] = {"sock": s, "out": rawhttp.build("GET", path, [("Connection", "close")]),
                    "in": b""}
        sel.register(s, selectors.EVENT_WRITE, i)
    try:
        while len(results) < len(paths):
            left = deadline - time.monotonic()
            if left <= 0:
                missing = sorted(set(range(len(paths))) - set(results))
                pytest.fail("{} of {} requests unanswered, e.g. {}".format(
                    len(missing), len(paths), [paths[i] for i in missing[:5]]))
            for key, mask in sel.select(min(left, 1.0)):
                i = key.data
                st = conns[i]
                s = st["sock"]
                if mask & selectors.EVENT_WRITE:
                    try:
                        n = s.send(st["out"])
                    except (BlockingIOError, InterruptedError):
                        continue
                    st["out"] = st["out"][n:]
                    if not st["out"]:
                        sel.modify(s, selectors.EVENT_READ, i)
                    continue
                try:
                    data = s.recv(65536)
                except (BlockingIOError, InterruptedError):
                    continue
                except ConnectionResetError:
                    data = b""
                st["in"] += data
                if data:
                    continue
                sel.unregister(s)
                s.close()
                raw = st["in"]
                head, _, body = raw.partition(b"\r\n\r\n")
                status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/1.1 ") else 0
                results[i] = (status, body)
    finally:
        for st in conns.values():
            st["sock"].close()
        sel.close()
    return results


@pytest.fixture(scope="module")
def big_app(module_app_factory):
    return module_app_factory("concurrency_app.py", max_connections=1100, request_queue=2048,
                              request_queue_bytes=1 << 20)


def test_1000_concurrent_slow_requests(big_app):
    n = 1000
    before = big_app.stats()
    paths = ["/slow?id=c%d&delay=1" % i for i in range(n)]
    results = run_many(big_app.port, paths, time.monotonic() + 60)
    bad = {i: r for i, r in results.items() if r[0] != 200}
    assert not bad, "{} failed, e.g. {}".format(len(bad), list(bad.items())[:3])
    for i, (status, body) in results.items():
        assert json.loads(body) == {"id": "c%d" % i, "slept": 1.0}
    s = big_app.wait_stats(settled, what="no handler in flight")
    b, a = before["python"], s["python"]
    assert a["tasks_created"] == b["tasks_created"] + n
    assert a["in_flight_tasks"] == 0
    assert a["backlog"] == 0
    assert a["cancelled"] == b["cancelled"]
    assert s["bridge"]["queue_full_503"] == 0
    assert s["status"]["200"] >= before["status"]["200"] + n
    e = events(big_app)
    assert e["counts"]["finished"] == n and e["counts"]["cancelled"] == 0


@pytest.mark.parametrize("poller", ["select", "epoll"])
def test_every_slot_serves_python_requests(start_app, poller):
    # The device's configuration: 8 slots on the select poller, 7 holding a request waiting in
    # Python and the 8th asking for the events.  (The select poller once had no room for the
    # last slot beside the bridge's wake-up descriptor: that client was closed unanswered.)
    srv = start_app("concurrency_app.py", poller=poller, max_connections=8, access_log=False)
    conns = [srv.conn() for _ in range(7)]
    try:
        for i, c in enumerate(conns):
            c.send(rawhttp.build("GET", "/gated/slots?id=s%d" % i))
        wait_events(srv, lambda ev: ev["counts"]["started"] == 7,
                    "7 handlers started")
        assert requests.get(srv.url("/open/slots"), timeout=TIMEOUT).status_code == 200
        for i, c in enumerate(conns):
            resp = c.read_response()
            assert resp.status == 200, (i, resp)
            assert resp.json() == {"id": "s%d" % i, "gate": "slots"}
        assert srv.stats()["io_errors"] == 0
    finally:
        for c in conns:
            c.close()
