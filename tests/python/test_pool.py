"""More clients than slots (SPEC §4 "When the pool is full", engine/net/admission.h).

While every slot is taken the engine stops accepting: newcomers wait in the kernel's listen
backlog and are admitted oldest first as slots free.  Room is made politely: a lingering
connection at once, an idle keep-alive connection only after evict_idle_after_ms, a connection
still sending its head only once older than evict_head_after_ms; a busy connection's response
carries Connection: close once it has held its slot for slot_turn_ms; waiting clients are
answered 503 only when none could be admitted for admission_timeout_ms.

/stats needs a slot too: tests free one (or let the policy free one) before asking.

Not run over TLS (VIPER_TLS=1): the choreography here has clients wait in the backlog, and a
TLS client blocks in its handshake there.  The policy is the transport's business only in that
a handshake counts as the head stage: test_tls.py covers that.
"""

import threading
import time

import pytest

import loadclient
from conftest import LWIP_TAPS, TLS, scaled

SLOTS = 4
HELLO = b'{"message":"hello"}'
HELLO_REQ = b"GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"
pytestmark = pytest.mark.skipif(TLS, reason="clients waiting in the backlog block in the TLS "
                                "handshake; the TLS side of the policy is in test_tls.py")

POLICY = ("accept_paused", "admitted_waiting", "turns_ended", "evicted_idle", "evicted_head",
          "evicted_silent", "evicted_linger", "rejected_full")


def hello(c):
    r = c.request("GET", "/hello")
    assert r.status == 200 and r.body == HELLO, r
    return r


def expect_silence(c, seconds):
    """Nothing arrives for `seconds`: the client is still waiting in the backlog."""
    c.sock.settimeout(seconds)
    try:
        data = c.sock.recv(1)
    except TimeoutError:
        return
    finally:
        c.sock.settimeout(c.timeout)
    raise AssertionError("expected to wait, got %r" % data)


def policy(st):
    return {k: st[k] for k in POLICY}


def start_upload(srv, sent=50):
    """A POST /digest with Content-Length 100 and only `sent` body bytes.  Waits for the
    100 Continue, so the server has parsed the head: a request in progress, never evicted."""
    c = srv.conn()
    c.send(b"POST /digest HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\nExpect: 100-continue\r\n"
           b"Connection: close\r\n\r\n" + b"u" * sent)
    r = c.read_response()
    assert r.status == 100, r
    return c


def finish_upload(c):
    c.send(b"v" * 50)
    r = c.read_response()
    assert r.status == 200 and r.json()["length"] == 100, r
    c.expect_closed()


def test_newcomer_waits_for_a_freed_slot_instead_of_evicting(make_server):
    srv = make_server("--max-connections", SLOTS, "--evict-idle-after-ms", 0,
                      "--admission-timeout-ms", 0, "--slot-turn-ms", 0)
    conns = [srv.conn() for _ in range(SLOTS)]
    newcomer = srv.conn()
    try:
        for c in conns:
            hello(c)
        newcomer.send(HELLO_REQ)
        expect_silence(newcomer, 0.4)  # idle eviction is off: nobody makes room for it
        for c in conns:
            hello(c)  # the slot holders are undisturbed
        conns[0].close_and_wait()  # frees a slot: the newcomer gets it
        r = newcomer.read_response()
        assert r.status == 200 and r.body == HELLO
        hello(newcomer)
        for c in [newcomer, *conns[1:]]:
            c.close_and_wait()
        st = srv.stats()
        assert policy(st) == {"accept_paused": 1, "admitted_waiting": 1, "turns_ended": 0,
                              "evicted_idle": 0, "evicted_head": 0, "evicted_silent": 0,
                              "evicted_linger": 0, "rejected_full": 0}
        assert st["status"]["503"] == 0 and st["connections_active"] == 1
    finally:
        for c in [newcomer, *conns]:
            c.close()


def test_idle_connection_evicted_only_after_its_idle_time(make_server):
    srv = make_server("--max-connections", SLOTS, "--evict-idle-after-ms", 400)
    conns = [srv.conn() for _ in range(SLOTS)]
    try:
        for c in conns:
            hello(c)
        hello(conns[0])  # the least recently used is now conns[1]
        used = time.monotonic()
        with srv.conn() as newcomer:
            hello(newcomer)
            # conns[1] was idle at least 400 ms before it made room (a lower bound: a slow
            # machine only makes it later).
            assert time.monotonic() - used >= 0.35
            conns[1].expect_closed()
            for i in (0, 2, 3):
                hello(conns[i])
            newcomer.close_and_wait()
        st = srv.stats()  # the slot the newcomer left
        assert st["evicted_idle"] == 1 and st["admitted_waiting"] == 1
        assert st["evicted_head"] == 0 and st["rejected_full"] == 0 and st["turns_ended"] == 0
    finally:
        for c in conns:
            c.close()


def test_lingering_connection_goes_first(make_server):
    # A connection closing after an error (write side shut, input being discarded) is the
    # cheapest victim: it goes at once, before an idle one (which is also old enough here).
    srv = make_server("--max-connections", SLOTS, "--evict-idle-after-ms", 1)
    lingering, idle = srv.conn(), srv.conn()
    uploads = []
    try:
        lingering.send(b"GET /hello HTTP/9.0\r\nHost: t\r\n\r\n")
        assert lingering.read_response().status == 505
        lingering.expect_closed()  # the server's FIN; it lingers until our FIN (or 2 s)
        hello(idle)
        uploads = [start_upload(srv) for _ in range(SLOTS - 2)]
        time.sleep(0.05)  # idle is now evictable too
        with srv.conn() as c:
            hello(c)  # gets the lingering connection's slot
            hello(idle)
            for u in uploads:
                finish_upload(u)
            c.close_and_wait()
        st = srv.stats()
        assert st["evicted_linger"] == 1 and st["evicted_idle"] == 0
        assert st["rejected_full"] == 0
    finally:
        for c in [lingering, idle, *uploads]:
            c.close()


def test_silent_flood_takes_no_slot_with_deferred_accept(make_server):
    # On Linux a connection is accepted once it has sent data (TCP_DEFER_ACCEPT): a flood of
    # silent connections holds no slot at all, and a real client is served at once.
    if LWIP_TAPS:
        pytest.skip("lwIP has no deferred accept: the next test covers the device's case")
    srv = make_server("--max-connections", SLOTS)
    flood = [srv.conn() for _ in range(scaled(40, 16))]
    try:
        with srv.conn() as c:
            r = c.request("GET", "/hello", [("Connection", "close")])
            assert r.status == 200 and r.body == HELLO
            c.expect_closed()
        st = srv.stats()
        assert st["connections_accepted"] == 2  # the client and /stats
        assert policy(st) == dict.fromkeys(POLICY, 0)
    finally:
        for f in flood:
            f.close()


def test_silent_flood_cannot_keep_a_client_out(make_server):
    # Where silent connections are accepted (lwIP, the device; here without deferred accept),
    # they hold a slot at most evict_silent_after_ms once clients wait; a real client behind
    # the whole flood in the backlog is served.
    srv = make_server("--max-connections", SLOTS, "--evict-silent-after-ms", 100,
                      "--no-defer-accept")
    n = scaled(40, 16)
    flood = [srv.conn() for _ in range(n)]
    try:
        with srv.conn(timeout=30) as c:
            r = c.request("GET", "/hello", [("Connection", "close")])
            assert r.status == 200 and r.body == HELLO
            c.expect_closed()
        st = srv.stats()
        # Every flood connection ahead of it in the backlog had its turn and went.
        assert st["evicted_silent"] >= n + 1 - SLOTS
        assert st["rejected_full"] == 0 and st["status"]["503"] == 0
        assert st["evicted_idle"] == 0 and st["evicted_head"] == 0
        for f in flood[: n + 1 - SLOTS]:
            f.expect_closed()
    finally:
        for f in flood:
            f.close()


def test_slowloris_heads_cannot_hold_slots(make_server):
    # 40 clients each stuck in the middle of a request head (the slowloris attack), with a long
    # header timeout: a real client is still served, and the half-heads are the ones closed.
    srv = make_server("--max-connections", SLOTS, "--evict-head-after-ms", 100,
                      "--header-timeout", "30")
    n = scaled(40, 16)
    loris = []
    try:
        for _ in range(n):
            c = srv.conn()
            c.send(b"GET /hello HTTP/1.1\r\nHost: t\r\nX-a: ")
            loris.append(c)
        with srv.conn(timeout=30) as c:
            r = c.request("GET", "/hello", [("Connection", "close")])
            assert r.status == 200 and r.body == HELLO
        st = srv.stats()
        assert st["evicted_head"] >= n + 1 - SLOTS and st["evicted_silent"] == 0
        assert st["timeouts_header"] == 0 and st["rejected_full"] == 0
    finally:
        for c in loris:
            c.close()


def test_busy_connection_ends_its_turn_while_clients_wait(make_server):
    srv = make_server("--max-connections", SLOTS, "--slot-turn-ms", 50,
                      "--evict-idle-after-ms", 0, "--evict-head-after-ms", 0,
                      "--evict-silent-after-ms", 0)
    busy = [srv.conn() for _ in range(SLOTS)]
    newcomer = srv.conn()
    try:
        for c in busy:
            hello(c)
        newcomer.send(HELLO_REQ)
        time.sleep(0.06)  # every slot holder's turn is over
        # The next response of a slot holder says Connection: close, complete, then the close;
        # its slot goes to the newcomer.
        r = busy[0].request("GET", "/hello")
        assert r.status == 200 and r.body == HELLO and r.header("Connection") == "close"
        busy[0].expect_closed()
        r = newcomer.read_response()
        assert r.status == 200 and r.body == HELLO
        # Nobody waits any more: the others keep their connections.
        for c in busy[1:]:
            r = hello(c)
            assert r.header("Connection") is None
        newcomer.close_and_wait()
        st = srv.stats()
        assert st["turns_ended"] == 1 and st["admitted_waiting"] == 1
        assert st["evicted_idle"] == st["evicted_head"] == st["rejected_full"] == 0
    finally:
        for c in [newcomer, *busy]:
            c.close()


def test_503_only_after_the_admission_bound(make_server):
    srv = make_server("--max-connections", SLOTS, "--admission-timeout-ms", 300)
    uploads = [start_upload(srv) for _ in range(SLOTS)]  # in progress: never evicted
    try:
        t0 = time.monotonic()
        with srv.conn() as c:
            c.send(HELLO_REQ)
            raw = c.read_until_close()
        assert time.monotonic() - t0 >= 0.25  # it waited for the bound first
        head, _, body = raw.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        assert lines[0] == b"HTTP/1.1 503 Service Unavailable"
        assert b"Connection: close" in lines and b"Retry-After: 1" in lines
        assert b"Content-Type: application/json" in lines
        assert body == b'{"detail":"Server has no free connection"}'
        for u in uploads:  # the requests in progress were not disturbed
            finish_upload(u)
        st = srv.stats()
        assert st["rejected_full"] == 1 and st["status"]["503"] == 1
        assert st["accept_paused"] == 1 and st["admitted_waiting"] == 0
        assert st["evicted_idle"] == st["evicted_head"] == 0
        assert st["connections_active"] == 1
    finally:
        for u in uploads:
            u.close()


def test_a_pool_exactly_full_makes_nobody_wait(make_server):
    # As many clients as slots, connecting at once: the last one takes the last slot, and
    # nobody waits behind it — no turn may end (a regression: taking the last slot was once
    # mistaken for a waiting client, which ended every turn after 20 ms).
    srv = make_server("--max-connections", SLOTS)
    conns = [srv.conn() for _ in range(SLOTS)]
    try:
        for _ in range(20):
            for c in conns:
                r = hello(c)
                assert r.header("Connection") is None
        for c in conns:
            c.close_and_wait()
        st = srv.stats()
        assert policy(st) == dict.fromkeys(POLICY, 0)
    finally:
        for c in conns:
            c.close()


# On lwIP (the device's stack, tests/lwip/run.sh) clients beyond the slots and the accept queue
# (16 places, as the board configures it) have their SYNs dropped and retried by TCP's backoff
# (1 s, 3 s, ...): never an error, but no fair share within seconds either.  There the fair
# share is checked for 16 clients (two browsers' six connections and then some), which leaves
# the queue room for clients reconnecting at the same moment.
FAIR_CLIENTS = 64 if not LWIP_TAPS else 16


def test_many_clients_on_few_slots_no_errors(make_server):
    srv = make_server("--max-connections", 8, "--slot-turn-ms", 20)
    res = loadclient.run(srv.port, 64, 2.0, host=srv.host)
    assert res["errors"] == []
    assert res["statuses"] == {200: sum(res["counts"])}
    st = srv.stats()
    assert st["rejected_full"] == 0 and st["status"]["503"] == 0


def test_many_clients_on_few_slots_fair(make_server):
    # Keep-alive clients on 8 slots: every request is answered 200, and no client gets fewer
    # than a quarter of the mean.
    srv = make_server("--max-connections", 8, "--slot-turn-ms", 20)
    clients = FAIR_CLIENTS
    res = loadclient.run(srv.port, clients, 2.0, host=srv.host)  # ~12 rotations of 8 turns
    assert res["errors"] == []
    assert res["statuses"] == {200: sum(res["counts"])}
    mean = sum(res["counts"]) / clients
    assert min(res["counts"]) >= mean / 4, sorted(res["counts"])
    st = srv.stats()
    assert st["rejected_full"] == 0 and st["status"]["503"] == 0
    assert st["turns_ended"] > 0 and st["admitted_waiting"] > 0


def test_connection_counts_return_after_close(make_server):
    srv = make_server("--max-connections", SLOTS)
    conns = [srv.conn() for _ in range(SLOTS - 1)]
    try:
        for c in conns:
            hello(c)
        first = srv.stats()
        assert first["connections_active"] == SLOTS
        for c in conns:
            c.close_and_wait()  # after the server's FIN, it has released the slot
        st = srv.stats()
        assert st["connections_active"] == 1
        assert st["connections_closed"] == (SLOTS - 1) + 1  # the clients and the first /stats
        # Idle connections held no buffers, and none leaked.
        assert st["io_buffers_in_use"] == first["io_buffers_in_use"]
        assert st["body_buffers_in_use"] == 0
        again = [srv.conn() for _ in range(SLOTS)]
        for c in again:
            hello(c)
        for c in again:
            c.close_and_wait()
        assert policy(srv.stats()) == dict.fromkeys(POLICY, 0)
    finally:
        for c in conns:
            c.close()


def test_waiting_clients_are_admitted_in_arrival_order(make_server):
    srv = make_server("--max-connections", SLOTS, "--evict-idle-after-ms", 0,
                      "--admission-timeout-ms", 0, "--slot-turn-ms", 0)
    holders = [srv.conn() for _ in range(SLOTS)]
    waiting = []
    try:
        for c in holders:
            hello(c)
        for _ in range(3):
            w = srv.conn()
            w.send(HELLO_REQ)
            waiting.append(w)
            time.sleep(0.02)  # distinct arrival order in the backlog
        answered = []
        lock = threading.Lock()

        def read(i):
            r = waiting[i].read_response(timeout=10)
            with lock:
                answered.append((i, r.status))

        threads = [threading.Thread(target=read, args=(i,)) for i in range(3)]
        for t in threads:
            t.start()
        for i in range(3):
            holders[i].close_and_wait()
            deadline = time.monotonic() + 5
            while len(answered) < i + 1 and time.monotonic() < deadline:
                time.sleep(0.005)
        for t in threads:
            t.join(10)
        assert answered == [(0, 200), (1, 200), (2, 200)]
    finally:
        for c in [*holders, *waiting]:
            c.close()


@pytest.mark.skipif(LWIP_TAPS > 0, reason="SIGSTOP freezes lwIP's user-space TCP stack with the "
                    "server, so the newcomer cannot connect while it is stopped")
def test_an_idle_connection_whose_request_just_arrived_is_served_not_closed(make_server):
    # The server is frozen while an idle keep-alive connection (idle long enough to be evicted)
    # sends a request and a newcomer arrives; when it resumes, both are pending at once.  The
    # request must be answered — closing that connection would reset its client mid-request —
    # and room is made from another idle connection instead.
    import signal

    srv = make_server("--max-connections", SLOTS, "--evict-idle-after-ms", 200,
                      "--slot-turn-ms", 0)
    conns = [srv.conn() for _ in range(SLOTS)]
    newcomer = None
    try:
        for c in conns:
            hello(c)  # least recently used first: conns[0]
        srv.signal(signal.SIGSTOP)
        try:
            # The newcomer first, so its readiness is reported before the request's.
            newcomer = srv.conn()
            newcomer.send(HELLO_REQ)
            time.sleep(0.05)
            conns[0].send(HELLO_REQ)
            time.sleep(0.3)  # every idle connection is past evict_idle_after_ms
        finally:
            srv.signal(signal.SIGCONT)
        r = conns[0].read_response()
        assert r.status == 200 and r.body == HELLO
        r = newcomer.read_response()
        assert r.status == 200 and r.body == HELLO
        conns[1].expect_closed()  # the next least recently used made room
        hello(conns[0])
        newcomer.close_and_wait()
        st = srv.stats()
        assert st["evicted_idle"] == 1 and st["peer_resets"] == 0
    finally:
        for c in [*conns, *([newcomer] if newcomer else [])]:
            c.close()
