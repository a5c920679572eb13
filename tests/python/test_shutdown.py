"""Graceful shutdown on SIGTERM/SIGINT: finish in-flight requests, close idle connections at once,
refuse new connections, exit 0 (SPEC §4)."""

import signal
import socket

import pytest

import rawhttp
from conftest import LWIP_TAPS, TLS


def connect_refused(srv):
    s = socket.socket()
    s.settimeout(5)
    try:
        s.connect((srv.host, srv.port))
    except ConnectionRefusedError:
        return True
    finally:
        s.close()
    return False


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_graceful_shutdown(make_server, sig):
    # Without TCP_DEFER_ACCEPT the silent connection holds a slot, as on the device (lwIP).
    srv = make_server("--no-defer-accept")
    idle = srv.conn()
    assert idle.request("GET", "/hello").status == 200  # keep-alive, now idle
    silent = srv.conn()  # accepted, nothing sent
    # An upload in flight: the head is parsed (100 Continue seen), the body is pending.
    busy = srv.conn()
    busy.send(b"POST /digest HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n01234")
    assert busy.read_response().status == 100
    try:
        srv.signal(sig)
        # Idle and silent connections are closed at once (this also shows the drain began).
        idle.expect_closed()
        silent.expect_closed()
        # New connections are refused.
        assert connect_refused(srv)
        # The in-flight request completes, and its response closes the connection.
        busy.send(b"56789")
        r = busy.read_response()
        rawhttp.check_digest(r, b"0123456789")
        assert r.header("Connection") == "close"
        busy.expect_closed()
        assert srv.wait() == 0
        srv.check_exit()
    finally:
        for c in (idle, silent, busy):
            c.close()


@pytest.mark.skipif(TLS, reason="a TLS client is not silent: its handshake is its first send")
def test_silent_connection_is_never_accepted_and_learns_at_its_first_send(make_server):
    # With TCP_DEFER_ACCEPT (Linux) a connection that has sent nothing is not accepted: it holds
    # no slot, and a graceful stop does not wait for it.  Its first bytes after the stop meet a
    # closed listener: reset (or EOF), never a hang.
    srv = make_server()
    silent = srv.conn()
    try:
        st = srv.stats()
        assert st["connections_accepted"] == (1 if LWIP_TAPS else 0) + 1  # + /stats itself
        srv.signal(signal.SIGTERM)
        assert srv.wait() == 0
        srv.check_exit()
        try:
            silent.send(b"GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            return
        silent.expect_closed()
    finally:
        silent.close()


def test_shutdown_idle_server_exits_zero(make_server):
    srv = make_server()
    with srv.conn() as c:
        assert c.request("GET", "/hello", [("Connection", "close")]).status == 200
        c.expect_closed()
    srv.signal(signal.SIGTERM)
    assert srv.wait() == 0
    srv.check_exit()
    assert "shutting down gracefully" in srv.stderr_text()


def test_shutdown_with_many_idle_connections(make_server):
    srv = make_server()
    conns = [srv.conn() for _ in range(20)]
    try:
        for c in conns:
            assert c.request("GET", "/hello").status == 200
        srv.signal(signal.SIGTERM)
        for c in conns:
            c.expect_closed()
        assert srv.wait() == 0
    finally:
        for c in conns:
            c.close()


def test_shutdown_while_streaming(make_server):
    # A response being streamed is in flight: it is finished, then the connection closes.
    srv = make_server()
    n = 100000  # 2.3 MB: more than the socket buffers hold while the client is not reading
    c = srv.conn(timeout=60)
    try:
        c.send(rawhttp.build("GET", f"/stream?n={n}"))
        c.sock.settimeout(5)
        c.buf = c.sock.recv(100)  # the stream has started
        assert c.buf.startswith(b"HTTP/1.1 200 OK\r\n")
        srv.signal(signal.SIGTERM)
        r = c.read_response()
        assert r.status == 200
        assert r.body == "".join(f"chunk {i} of {n}\n" for i in range(1, n + 1)).encode()
        c.expect_closed()
        assert srv.wait() == 0
    finally:
        c.close()
