"""More clients than slots with Python routes (docs/http.md "A full connection pool"): the
responses come from the interpreter through the bridge, so a turn ends when Python's response
is completed.  And the PC default pool: hundreds of clients without waiting.
"""

import importlib.util
import pathlib
import socket

import pytest

from pyapi_support import MICROPYTHON

_spec = importlib.util.spec_from_file_location(
    "loadclient", pathlib.Path(__file__).resolve().parents[1] / "python" / "loadclient.py")
loadclient = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(loadclient)


def test_python_routes_on_8_slots_no_errors_and_fair(start_app):
    srv = start_app("concurrency_app.py", max_connections=8, access_log=False)
    clients = 64
    res = loadclient.run(srv.port, clients, 2.0, path="/fast-sync")
    assert res["errors"] == []
    assert res["statuses"] == {200: sum(res["counts"])}
    mean = sum(res["counts"]) / clients
    assert min(res["counts"]) >= mean / 4, sorted(res["counts"])
    st = srv.stats()
    assert st["turns_ended"] > 0 and st["admitted_waiting"] > 0
    assert st["rejected_full"] == 0 and st["status"]["503"] == 0


def test_the_pc_default_pool_serves_hundreds_without_waiting(start_app):
    # No max_connections: the PC default (512, within the descriptor limit) — 300 clients at
    # once are all admitted straight away.
    # request_queue above the 300 requests sent at once: the bridge's request ring (256 by
    # default) answers 503 when Python drains later than they arrive, which is not this test.
    srv = start_app("concurrency_app.py", access_log=False, request_queue=512)
    n = 300
    socks = [socket.create_connection(("127.0.0.1", srv.port), timeout=20) for _ in range(n)]
    try:
        for s in socks:
            s.sendall(b"GET /fast-sync HTTP/1.1\r\nHost: t\r\n\r\n")
        for s in socks:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = s.recv(4096)
                assert chunk, data
                data += chunk
            assert data.startswith(b"HTTP/1.1 200 OK\r\n"), data
        st = srv.stats()
        assert st["connections_active"] == n + 1
        assert st["accept_paused"] == 0 and st["turns_ended"] == 0
    finally:
        for s in socks:
            s.close()


@pytest.mark.skipif(MICROPYTHON, reason="run() options are the same code on both; once is enough")
def test_zero_connections_is_refused_with_its_name(start_app):
    # 0 means "the platform default" inside the engine; a user asking for 0 slots is wrong.
    import subprocess

    from pyapi_support import app_argv, app_env

    p = subprocess.run(app_argv("concurrency_app.py", {"port": 0, "max_connections": 0}),
                       capture_output=True, timeout=30, env=app_env())
    assert p.returncode != 0
    assert b"ValueError: max_connections" in p.stderr, p.stderr
