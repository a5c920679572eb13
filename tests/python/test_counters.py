"""Engine counters and memory: idle keep-alive connections hold no buffers, counters match the
traffic, and the steady state allocates nothing (SPEC §2.1, §4)."""

import random

import rawhttp
from conftest import scaled
from rawhttp import build


def test_counters_match_traffic(make_server):
    srv = make_server()
    base = srv.stats()  # what one /stats request holds, on an otherwise empty server
    assert base["connections_active"] == 1
    assert base["body_buffers_in_use"] == 0
    k = 3
    conns = [srv.conn() for _ in range(k)]
    try:
        sent = {"200": 0, "404": 0, "405": 0, "307": 0, "422": 0, "501": 0}
        n = 0
        for i, c in enumerate(conns):
            for j in range(4):
                assert c.request("GET", f"/items/{i * 10 + j}").status == 200
                sent["200"] += 1
            n += 4
        assert conns[0].request("GET", "/nope").status == 404
        assert conns[1].request("GET", "/nope/2").status == 404
        assert conns[2].request("GET", "/sensors/x/y").status == 404
        sent["404"] += 3
        assert conns[0].request("DELETE", "/hello").status == 405
        sent["405"] += 1
        assert conns[1].request("GET", "/sensors").status == 307
        sent["307"] += 1
        assert conns[2].request("GET", "/stream?n=0").status == 422
        sent["422"] += 1
        assert conns[0].request("BREW", "/hello").status == 501
        sent["501"] += 1
        body = random.Random(1).randbytes(30000)  # needs a body buffer
        rawhttp.check_digest(conns[1].request("POST", "/digest", (), body), body)
        sent["200"] += 1
        n += 8
        # All k connections are idle now.
        st = srv.stats()
        assert st["connections_active"] == k + 1
        assert st["io_buffers_in_use"] == base["io_buffers_in_use"]  # idle: no buffers held
        assert st["body_buffers_in_use"] == 0
        assert st["requests"] - base["requests"] == n + 1  # + this /stats request
        assert st["connections_accepted"] - base["connections_accepted"] == k + 1
        assert st["keepalive_reuses"] - base["keepalive_reuses"] == n - k
        for code, count in sent.items():
            # base's own 200 is counted after it was formatted, so it shows up here.
            extra = 1 if code == "200" else 0
            assert st["status"][code] - base["status"][code] == count + extra, code
        assert st["status"]["other"] == 0
        assert all(v == 0 for v in st["parse_errors"].values())
        assert st["bad_method"] == 1 and st["bad_path"] == 0
        assert st["timeouts_header"] == st["timeouts_idle"] == st["timeouts_body"] == 0
        assert st["evicted_idle"] == st["evicted_head"] == st["rejected_full"] == 0
    finally:
        for c in conns:
            c.close()


def test_error_counters(make_server):
    srv = make_server()
    base = srv.stats()
    with srv.conn() as c:
        c.send(b"GET /files/%zz HTTP/1.1\r\nHost: t\r\n\r\n")
        assert c.read_response().status == 400
        c.expect_closed()
    with srv.conn() as c:
        c.send(b"GET / HTTP/2.0\r\nHost: t\r\n\r\n")
        assert c.read_response().status == 505
        c.expect_closed()
    with srv.conn() as c:
        c.send(b"GET / HTTP/1.1\r\n\r\n")
        assert c.read_response().status == 400
        c.expect_closed()
    st = srv.stats()
    assert st["bad_path"] - base["bad_path"] == 1
    assert st["parse_errors"]["version_not_supported"] == 1
    assert st["parse_errors"]["bad_request"] == 1  # the missing Host; %zz is bad_path, not parse
    assert st["status"]["400"] == 2 and st["status"]["505"] == 1
    assert st["connections_active"] == 1


def workload(c, i):
    """One request of a mix that touches every engine path (keep-alive)."""
    kind = i % 8
    if kind == 0:
        r = c.request("GET", "/hello")
        assert r.status == 200
    elif kind == 1:
        r = c.request("GET", f"/items/{i}?q=x%20y")
        assert r.json() == {"item_id": i, "q": "x y"}
    elif kind == 2:
        assert c.request("GET", f"/nope/{i}").status == 404
    elif kind == 3:
        r = c.request("POST", "/echo", [("Content-Type", "text/plain")], b"e" * (i % 500 + 1))
        assert r.body == b"e" * (i % 500 + 1)
    elif kind == 4:
        c.send(build("POST", "/echo", [("Transfer-Encoding", "chunked"), ("Content-Type", "t/p")],
                     rawhttp.chunked([b"ab", b"cd"])))
        assert c.read_response().body == b"abcd"
    elif kind == 5:
        r = c.request("GET", "/stream?n=3")
        assert r.body.count(b"\n") == 3
    elif kind == 6:
        r = c.request("HEAD", "/sensors")
        assert r.status == 307
    else:
        body = bytes([i % 256]) * 12000  # body buffer
        r = c.request("POST", "/digest", (), body)
        assert r.json()["length"] == 12000


def test_no_engine_allocation_per_request(make_server):
    srv = make_server()
    # Warm up once on every path, then measure.
    with srv.conn() as c:
        for i in range(16):
            workload(c, i)
    before = srv.stats()
    n = scaled(1000, 200)
    conns = [srv.conn() for _ in range(4)]
    try:
        for i in range(n):
            workload(conns[i % 4], i)
        # Pipelined too.
        conns[0].send(b"".join(build("GET", f"/items/{i}") for i in range(50)))
        for i in range(50):
            assert conns[0].read_response().json()["item_id"] == i
        for c in conns:
            c.close_and_wait()
        after = srv.stats()
    finally:
        for c in conns:
            c.close()
    assert after["requests"] - before["requests"] == n + 50 + 1
    assert after["engine_allocations"] == before["engine_allocations"]
    assert after["engine_bytes"] == before["engine_bytes"]
    assert after["io_buffers_in_use"] == before["io_buffers_in_use"]
    assert after["body_buffers_in_use"] == 0
    assert after["connections_active"] == 1


def test_bytes_per_idle_connection(server):
    st = server.stats()
    assert 0 < st["bytes_per_idle_connection"] <= 2048
