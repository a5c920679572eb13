"""Connection pool full (SPEC §4): evict the least recently used idle keep-alive connection, else
the oldest connection still sending its head; only when every slot has a request in progress,
answer 503 and close.  Every test runs its own server with 4 slots.

/stats needs a slot too: the expected counters below include what its own connection caused.
"""

import pytest

from conftest import scaled

SLOTS = 4
HELLO = b'{"message":"hello"}'


@pytest.fixture
def srv(make_server):
    return make_server("--max-connections", SLOTS)


def hello(c):
    r = c.request("GET", "/hello")
    assert r.status == 200 and r.body == HELLO, r
    return r


def test_lru_idle_connection_is_evicted(srv):
    conns = [srv.conn() for _ in range(SLOTS)]
    try:
        for c in conns:
            hello(c)  # all four idle, least recently used first
        hello(conns[0])  # now conns[1] is the least recently used
        newcomer = srv.conn()
        conns.append(newcomer)
        hello(newcomer)  # needs a slot: conns[1] is evicted
        conns[1].expect_closed()
        for i in (0, 2, 3, 4):
            hello(conns[i])  # order of use is now 0, 2, 3, 4
        st = srv.stats()  # evicts conns[0], the least recently used
        assert st["evicted_idle"] == 2
        assert st["evicted_head"] == 0 and st["rejected_full"] == 0
        assert st["connections_active"] == SLOTS
        assert st["status"]["503"] == 0
        conns[0].expect_closed()
        for i in (2, 3, 4):
            hello(conns[i])
    finally:
        for c in conns:
            c.close()


def test_idle_preferred_over_head_stage(srv):
    # One connection is mid-head, three are idle: the idle ones go first, oldest first.
    mid_head = srv.conn()
    idle = [srv.conn() for _ in range(SLOTS - 1)]
    try:
        mid_head.send(b"GET /hello HTTP/1.1\r\nHost: t\r\n")  # head not finished
        for c in idle:
            hello(c)
        extra = srv.conn()
        hello(extra)  # evicts idle[0]
        idle[0].expect_closed()
        mid_head.send(b"\r\n")  # still has its slot: completes
        r = mid_head.read_response()
        assert r.status == 200 and r.body == HELLO
        extra.close_and_wait()
        st = srv.stats()
        assert st["evicted_idle"] == 1 and st["evicted_head"] == 0
    finally:
        for c in [mid_head, *idle]:
            c.close()


def test_lingering_connection_evicted_first(srv):
    # A connection closing after an error (write side shut, input being discarded) is the
    # cheapest victim: it goes before an idle keep-alive connection.
    lingering = srv.conn()
    idle = srv.conn()
    uploads = []
    try:
        lingering.send(b"GET /hello HTTP/9.0\r\nHost: t\r\n\r\n")
        assert lingering.read_response().status == 505
        lingering.expect_closed()  # the server's FIN; it now lingers until our FIN (or 2 s)
        hello(idle)
        uploads = [start_upload(srv) for _ in range(SLOTS - 2)]
        with srv.conn() as c:
            hello(c)  # evicts the lingering connection, not the idle one
        hello(idle)
        for c in uploads:
            c.send(b"v" * 50)
            assert c.read_response().status == 200
            c.expect_closed()
        st = srv.stats()
        assert st["evicted_linger"] == 1
        assert st["evicted_idle"] == 0 and st["rejected_full"] == 0
    finally:
        for c in [lingering, idle, *uploads]:
            c.close()


def test_flood_of_silent_connections(srv):
    n = scaled(50, 20)
    flood = [srv.conn() for _ in range(n)]
    try:
        # The server keeps accepting: each new silent connection evicts the oldest head-stage one.
        with srv.conn() as c:
            r = c.request("GET", "/hello", [("Connection", "close")])
            assert r.status == 200 and r.body == HELLO
            c.expect_closed()
        st = srv.stats()
        # Accepted: n silent + 1 normal (which evicted one more silent one, then closed) + 1
        # /stats (which took the freed slot); slots left: the newest 3 silent and /stats.
        assert st["connections_accepted"] == n + 2
        assert st["evicted_head"] == n + 1 - SLOTS
        assert st["evicted_idle"] == 0 and st["rejected_full"] == 0
        assert st["connections_active"] == SLOTS
        assert st["status"]["503"] == 0
        flood[0].expect_closed()
        flood[n - SLOTS].expect_closed()
        # The newest silent connections still hold a slot: they are served.
        for c in flood[n - SLOTS + 1 :]:
            hello(c)
    finally:
        for c in flood:
            c.close()


def start_upload(srv, sent=50):
    """A POST /digest with Content-Length 100 and only `sent` body bytes.  Waits for the
    100 Continue, so the server has parsed the head: the request is in progress."""
    c = srv.conn()
    c.send(b"POST /digest HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\nExpect: 100-continue\r\n"
           b"Connection: close\r\n\r\n" + b"u" * sent)
    r = c.read_response()
    assert r.status == 100, r
    return c


def test_all_slots_busy_gets_503(srv):
    uploads = [start_upload(srv) for _ in range(SLOTS)]
    try:
        with srv.conn() as c:
            # Refused at accept: the 503 comes without sending anything, then the close.
            raw = c.read_until_close()
        head, _, body = raw.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        assert lines[0] == b"HTTP/1.1 503 Service Unavailable"
        assert b"Connection: close" in lines
        assert b"Content-Type: application/json" in lines
        assert body.startswith(b'{"detail":"Server has no free connection')
        # The requests in progress were not disturbed.
        for c in uploads:
            c.send(b"v" * 50)
            r = c.read_response()
            assert r.status == 200
            assert r.json()["length"] == 100
            assert r.header("Connection") == "close"
            c.expect_closed()
        st = srv.stats()
        assert st["rejected_full"] == 1 and st["status"]["503"] == 1
        assert st["evicted_idle"] == 0 and st["evicted_head"] == 0
        assert st["connections_active"] == 1
    finally:
        for c in uploads:
            c.close()


def test_503_response_framing(srv):
    uploads = [start_upload(srv) for _ in range(SLOTS)]
    try:
        with srv.conn() as c:
            r = c.read_response()
            assert r.status == 503 and r.header("Connection") == "close"
            assert r.header("Retry-After") == "1"
            assert r.json() == {"detail": "Server has no free connection"}
            c.expect_closed()  # nothing after the declared body
    finally:
        for c in uploads:
            c.close_and_wait()


def test_busy_slots_then_idle_slot_frees_room(srv):
    # Three uploads in progress and one idle connection: a newcomer evicts the idle one
    # instead of getting 503.  (The uploads' bodies are not completed here: see
    # test_bodies.py::test_body_completes_after_other_connection_request.)
    uploads = [start_upload(srv) for _ in range(SLOTS - 1)]
    idle = srv.conn()
    try:
        hello(idle)
        with srv.conn() as c:
            hello(c)
            idle.expect_closed()
            st = srv.stats()  # evicts the newcomer, now the only idle connection
        assert st["evicted_idle"] == 2 and st["evicted_head"] == 0
        assert st["rejected_full"] == 0 and st["status"]["503"] == 0
        assert st["connections_active"] == SLOTS
        for c in uploads:
            c.close_and_wait()
        assert srv.stats()["connections_active"] == 1
    finally:
        for c in [*uploads, idle]:
            c.close()


def test_connection_counts_return_after_close(srv):
    conns = [srv.conn() for _ in range(SLOTS - 1)]
    try:
        for c in conns:
            hello(c)
        first = srv.stats()
        assert first["connections_active"] == SLOTS
        assert first["evicted_idle"] == 0
        for c in conns:
            c.close_and_wait()  # after the server's FIN, it has released the slot
        st = srv.stats()
        assert st["connections_active"] == 1
        assert st["connections_closed"] == (SLOTS - 1) + 1  # the clients and the first /stats
        # Idle connections held no buffers, and none leaked.
        assert st["io_buffers_in_use"] == first["io_buffers_in_use"]
        assert st["body_buffers_in_use"] == 0
        # Every slot is usable again.
        again = [srv.conn() for _ in range(SLOTS)]
        for c in again:
            hello(c)
        for c in again:
            c.close_and_wait()
        st = srv.stats()
        assert st["evicted_idle"] == 0 and st["connections_active"] == 1
    finally:
        for c in conns:
            c.close()
