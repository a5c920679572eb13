"""The engine on lwIP (tests/lwip/run.sh; skipped elsewhere): what differs from Linux sockets.

Run inside the network namespace that run.sh makes, against viper_demo_lwip (VIPER_DEMO) and
tests/lwip's listen probe, from the namespace's Linux side.
"""

import errno
import hashlib
import os
import pathlib
import select
import signal
import socket
import subprocess
import sys
import time

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "python"))

from conftest import DEMO, LWIP_TAPS, make_server  # noqa: E402,F401

pytestmark = pytest.mark.skipif(not LWIP_TAPS, reason="needs tests/lwip/run.sh (lwIP in a netns)")

PROBE = str(pathlib.Path(DEMO).with_name("viper_lwip_listen_probe"))
ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_100kb_static_download_with_curl_and_python(make_server, tmp_path):
    """A 100 KB file through lwIP: no sendfile there (ENOSYS), so the engine reads it into its
    4 KB buffer piece by piece; lwIP's 5.7 KB send buffer takes it in partial writes."""
    body = os.urandom(100 * 1024)
    (tmp_path / "big.bin").write_bytes(body)
    srv = make_server("--static", f"/s={tmp_path}")
    out = subprocess.run(["curl", "-sS", "--max-time", "20", srv.url("/s/big.bin")],
                         capture_output=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert hashlib.sha256(out.stdout).digest() == hashlib.sha256(body).digest()
    with srv.conn(timeout=20) as c:
        for _ in range(3):  # keep-alive: the same connection three times
            r = c.request("GET", "/s/big.bin")
            assert r.status == 200 and r.body == body
    stats = srv.stats()
    assert stats["file_bytes"] >= 4 * len(body)
    assert stats["transfers_active"] == 0


def start_probe(tap, *args):
    host = f"198.18.{tap}.2"
    env = dict(os.environ, PRECONFIGURED_TAPIF=f"vtap{tap}", VIPER_LWIP_ADDR=host)
    p = subprocess.Popen([PROBE, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    line = p.stdout.readline().decode()
    assert line.startswith("port "), (line, p.stderr.read() if p.poll() is not None else b"")
    return p, host, int(line.split()[1])


def clients_reset(host, port, n):
    """Opens n connections to a listener that accepts none; returns how many were reset by the
    stack within a few seconds (the others are established or still retrying their SYN)."""
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.setblocking(False)
        try:
            s.connect((host, port))
        except BlockingIOError:
            pass
        socks.append(s)
    time.sleep(3.0)  # lwIP answers at once; a dropped SYN is retried after 1 s
    reset = 0
    for s in socks:
        err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err == 0:
            r, _, _ = select.select([s], [], [], 0)
            if r:
                try:
                    if s.recv(1) == b"":
                        err = errno.ECONNRESET  # closed without a byte: refused too
                except ConnectionResetError:
                    err = errno.ECONNRESET
                except BlockingIOError:
                    pass
        if err in (errno.ECONNRESET, errno.ECONNREFUSED, errno.ECONNABORTED):
            reset += 1
        s.close()
    return reset


def accept_queue():
    """DEFAULT_ACCEPTMBOX_SIZE of engine/port/lwip/host/lwipopts.h (the board's
    CONFIG_LWIP_TCP_ACCEPTMBOX_SIZE: 16; ESP-IDF's default is 6)."""
    text = (ROOT / "engine/port/lwip/host/lwipopts.h").read_text()
    for line in text.splitlines():
        f = line.split()
        if len(f) >= 3 and f[0] == "#define" and f[1] == "DEFAULT_ACCEPTMBOX_SIZE":
            return int(f[2])
    raise AssertionError("DEFAULT_ACCEPTMBOX_SIZE not found in lwipopts.h")


@pytest.mark.parametrize("backlog,expect_reset", [(None, False), ("255", True)])
def test_waiting_clients_are_not_reset(backlog, expect_reset):
    """SPEC §4: while every slot is taken, new clients wait in the backlog.  lwIP resets a
    connection its accept queue (DEFAULT_ACCEPTMBOX_SIZE) cannot hold, so the port listens
    with a backlog no larger than the queue: further SYNs are dropped and retried, never
    reset.  With the backlog the engine used before (listen(511), 255 in lwIP) clients are
    reset.  More clients than the queue holds, so that it overflows."""
    queue = accept_queue()
    args = () if backlog is None else ("--backlog", backlog)
    p, host, port = start_probe(LWIP_TAPS - 1, *args)
    try:
        reset = clients_reset(host, port, queue + 10)
    finally:
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=10)
    if expect_reset:
        # Beyond its queue lwIP resets the client, or (2.2.1 with LWIP_NETCONN_FULLDUPLEX, as
        # ESP-IDF builds it) fails the assertion "netconn marked closed" and aborts.
        assert reset > 0 or p.returncode == -signal.SIGABRT, (reset, p.returncode, out, err)
    else:
        assert p.returncode == 0, (out, err)
        assert reset == 0, out
        # The queue was full (the rest were retrying their SYN): all of it is accepted.
        assert out.decode().split()[-1] == str(queue), out
