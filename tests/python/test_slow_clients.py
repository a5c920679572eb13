"""Slow clients: the header timeout covers the whole head, the body timeout covers inactivity, and
slow clients do not delay others (SPEC §4: slow clients cannot hold slots)."""

import select
import threading
import time

import rawhttp

SLOW_REQUEST = b"GET /hello HTTP/1.0\r\nX-Slow: 1\r\n\r\n"  # 34 bytes: 3.4 s at 1 byte / 100 ms


def trickle(conn, data, delay=0.1):
    for i in range(len(data)):
        conn.send(data[i : i + 1])
        time.sleep(delay)  # pacing the client, not synchronisation


def test_trickling_client_within_header_timeout(make_server):
    srv = make_server("--header-timeout", "10")
    with srv.conn(timeout=10) as c:
        trickle(c, SLOW_REQUEST)
        r = c.read_response()
        assert r.status == 200 and r.body == b'{"message":"hello"}'
    st = srv.stats()
    assert st["timeouts_header"] == 0 and st["status"]["408"] == 0


def test_stall_mid_head_gets_408(make_server):
    srv = make_server("--header-timeout", "0.3")
    with srv.conn() as c:
        c.send(b"GET /hello HTTP/1.1\r\nHo")
        r = c.read_response(timeout=5)
        assert r.status == 408 and r.reason == "Request Timeout"
        assert r.header("Connection") == "close"
        assert r.json() == {"detail": "Request Timeout"}
        c.expect_closed()
    st = srv.stats()
    assert st["timeouts_header"] == 1 and st["status"]["408"] == 1
    assert st["connections_active"] == 1  # only /stats


def test_trickle_past_header_timeout_gets_408(make_server):
    # Bytes keep arriving, but the whole head must arrive within the header timeout.
    srv = make_server("--header-timeout", "0.3")
    with srv.conn() as c:
        sent = 0
        for i in range(len(SLOW_REQUEST) - 1):  # never completes the head
            c.send(SLOW_REQUEST[i : i + 1])
            sent += 1
            # Pace at one byte per 100 ms, and stop as soon as the server answers.
            if select.select([c.sock], [], [], 0.1)[0]:
                break
        r = c.read_response(timeout=5)
        assert r.status == 408 and r.header("Connection") == "close"
        c.expect_closed()
        assert 1 < sent < len(SLOW_REQUEST) - 1  # it was trickling, and was cut off early
    assert srv.stats()["timeouts_header"] == 1


def test_stall_in_second_request_gets_408(make_server):
    # After a keep-alive response, a new head that stalls is under the header timeout too (the
    # idle timeout, much longer here, does not apply once bytes arrived).
    srv = make_server("--header-timeout", "0.3", "--keepalive-timeout", "30")
    with srv.conn() as c:
        assert c.request("GET", "/hello").status == 200
        c.send(b"GET /hello HTTP/1.1\r\n")
        r = c.read_response(timeout=5)
        assert r.status == 408 and r.header("Connection") == "close"
        c.expect_closed()
    st = srv.stats()
    assert st["timeouts_header"] == 1 and st["timeouts_idle"] == 0


def test_silent_connection_closed_after_header_timeout(make_server):
    srv = make_server("--header-timeout", "0.3")
    with srv.conn() as c:
        c.expect_closed(timeout=5)  # nothing was received: closed without a response
    st = srv.stats()
    assert st["timeouts_header"] == 1 and st["status"]["408"] == 0


def test_stall_mid_body_gets_408(make_server):
    srv = make_server("--header-timeout", "0.3")
    with srv.conn() as c:
        c.send(b"POST /digest HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc")
        r = c.read_response(timeout=5)
        assert r.status == 408 and r.header("Connection") == "close"
        assert r.json() == {"detail": "Request Timeout"}
        c.expect_closed()
    st = srv.stats()
    assert st["timeouts_body"] == 1 and st["timeouts_header"] == 0
    assert st["status"]["408"] == 1 and st["body_buffers_in_use"] == 0


def test_stall_mid_chunked_body_gets_408(make_server):
    srv = make_server("--header-timeout", "0.3")
    with srv.conn() as c:
        c.send(b"POST /digest HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab")
        r = c.read_response(timeout=5)
        assert r.status == 408
        c.expect_closed()
    assert srv.stats()["timeouts_body"] == 1


def test_slow_body_progress_is_not_a_timeout(make_server):
    # The body timeout is an inactivity timeout: a body that keeps arriving (each piece well
    # within the timeout) completes even though the whole takes longer than the timeout.
    srv = make_server("--header-timeout", "2")
    body = b"0123456789" * 3
    with srv.conn(timeout=10) as c:
        c.send(f"POST /digest HTTP/1.1\r\nHost: t\r\nContent-Length: {len(body)}\r\n\r\n".encode())
        for i in range(0, len(body), 2):
            c.send(body[i : i + 2])
            time.sleep(0.1)
        rawhttp.check_digest(c.read_response(), body)
    assert srv.stats()["timeouts_body"] == 0


def test_slow_clients_do_not_block_others(make_server):
    srv = make_server("--header-timeout", "10")
    n_slow = 5
    slow = [srv.conn(timeout=15) for _ in range(n_slow)]
    done = [threading.Event() for _ in range(n_slow)]
    results = [None] * n_slow

    def run(i):
        try:
            trickle(slow[i], SLOW_REQUEST)
            results[i] = slow[i].read_response()
        except Exception as e:  # reported by the assertions below
            results[i] = e
        finally:
            done[i].set()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n_slow)]
    for t in threads:
        t.start()
    try:
        # Meanwhile a normal client is served, several times, on one connection and on new ones.
        with srv.conn() as c:
            for i in range(10):
                r = c.request("GET", f"/items/{i}")
                assert r.status == 200 and r.json()["item_id"] == i
            c.close_and_wait()
        for _ in range(5):
            with srv.conn() as c:
                assert c.request("GET", "/hello").status == 200
                c.close_and_wait()
        st = srv.stats()
        # All of this happened while every slow client was still sending its head.
        assert not any(d.is_set() for d in done)
        assert st["connections_active"] == n_slow + 1
    finally:
        for t in threads:
            t.join(20)
        for c in slow:
            c.close()
    for r in results:
        assert isinstance(r, rawhttp.Response), r
        assert r.status == 200 and r.body == b'{"message":"hello"}'
    st = srv.stats()
    assert st["timeouts_header"] == 0 and st["status"]["408"] == 0
