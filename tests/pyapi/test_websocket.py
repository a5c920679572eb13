"""WebSocket routes (SPEC §3.7, issue 12) through real sockets, against apps/websocket_app.py:
the upgrade and its refusals, messages both ways (text, binary, JSON, iterators, fragments,
messages larger than the engine's buffers), parameters and Depends, close codes, disconnects,
exceptions, the engine's pong and idle ping, the message size limit, the bounded send queue.

Clients: Debian's python3-websockets (a client nobody here wrote) and, for what a library will
not send (bad frames, unmasked frames, raw handshakes), raw sockets (ws_raw.py)."""

import asyncio
import json
import os
import socket
import sys
import time

import pytest
import websockets

from pyapi_support import call, ok

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "python"))
from ws_raw import RawWebSocket, upgrade_request  # noqa: E402  (tests/python/ws_raw.py)

TIMEOUT = 10


@pytest.fixture(scope="module")
def app(module_app_factory):
    return module_app_factory("websocket_app.py", access_log=False, ws_ping_interval_s=0.5,
                              ws_max_message_bytes=100000)


@pytest.fixture(autouse=True)
def clean_events(app):
    ok(app, "/events")
    yield


def events(srv):
    return ok(srv, "/events")


def wait_events(srv, predicate, what, timeout=10.0):
    got = []
    deadline = time.monotonic() + timeout
    while True:
        got += events(srv)
        if predicate(got):
            return got
        if time.monotonic() > deadline:
            pytest.fail("{} never happened: {}".format(what, got))
        time.sleep(0.02)


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, TIMEOUT))


def ws_url(srv, path):
    return "ws://127.0.0.1:{}{}".format(srv.port, path)


# --- the handshake -----------------------------------------------------------------------------

def test_echo_text_and_binary(app):
    async def go():
        async with websockets.connect(ws_url(app, "/ws/echo"), compression=None) as ws:
            await ws.send("hello")
            assert await ws.recv() == "hello"
            await ws.send(b"\x00\x01\xff")
            assert await ws.recv() == b"\x00\x01\xff"
            await ws.send("")
            assert await ws.recv() == ""
            await ws.send("héllo wörld ✓")
            assert await ws.recv() == "héllo wörld ✓"
    run(go())
    got = wait_events(app, lambda e: ["echo-disconnect", 1000] in e, "the disconnect")
    assert ["echo-disconnect", 1000] in got


def test_handshake_bytes(app):
    with RawWebSocket(app.port, "/ws/echo") as ws:
        head = ws.head
        assert head.startswith(b"HTTP/1.1 101 Switching Protocols\r\n")
        assert b"\r\nUpgrade: websocket\r\n" in head
        assert b"\r\nConnection: Upgrade\r\n" in head
        # RFC 6455 §1.3's example key gives this accept value.
        assert b"\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" in head
        ws.send_frame(1, b"abc")
        assert ws.recv_frame() == (1, True, b"abc")


def test_plain_get_to_websocket_route_is_404(app):
    r = call(app, "GET", "/ws/echo")
    assert r.status_code == 404
    assert r.json() == {"detail": "Not Found"}


@pytest.mark.parametrize("drop,replace,status", [
    ("sec-websocket-key", None, 400),
    ("sec-websocket-version", None, 400),
    (None, ("Sec-WebSocket-Version", "8"), 426),
    (None, ("Sec-WebSocket-Key", "short"), 400),
    ("connection", None, 400),
])
def test_bad_upgrades(app, drop, replace, status):
    req = upgrade_request("/ws/echo", drop=drop, replace=replace)
    with socket.create_connection(("127.0.0.1", app.port), timeout=TIMEOUT) as s:
        s.sendall(req)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    assert data.startswith("HTTP/1.1 {} ".format(status).encode()), data
    if status == 426:
        assert b"\r\nSec-WebSocket-Version: 13\r\n" in data


def test_refused_before_accept_is_403(app):
    async def go():
        with pytest.raises(websockets.exceptions.InvalidStatusCode) as err:
            async with websockets.connect(ws_url(app, "/ws/refuse")):
                pass
        assert err.value.status_code == 403
    run(go())


def test_dependency_rejects_before_accept_403_and_accepts(app):
    async def go():
        with pytest.raises(websockets.exceptions.InvalidStatusCode) as err:
            async with websockets.connect(ws_url(app, "/ws/guarded?token=wrong")):
                pass
        assert err.value.status_code == 403
        async with websockets.connect(ws_url(app, "/ws/guarded?token=secret")) as ws:
            assert await ws.recv() == "welcome secret"
            with pytest.raises(websockets.exceptions.ConnectionClosedOK):
                await ws.recv()
            assert ws.close_code == 1000
    run(go())


def test_exception_after_accept_closes_1008(app):
    async def go():
        async with websockets.connect(ws_url(app, "/ws/later-policy")) as ws:
            await ws.send("not ok")
            with pytest.raises(websockets.exceptions.ConnectionClosedError):
                await ws.recv()
            assert ws.close_code == 1008
            assert ws.close_reason == "not ok"
    run(go())


def test_handler_error_closes_1011_or_500(app):
    async def go():
        async with websockets.connect(ws_url(app, "/ws/fail")) as ws:
            await ws.send("boom")
            with pytest.raises(websockets.exceptions.ConnectionClosedError):
                await ws.recv()
            assert ws.close_code == 1011
        with pytest.raises(websockets.exceptions.InvalidStatusCode) as err:
            async with websockets.connect(ws_url(app, "/ws/fail-before")):
                pass
        assert err.value.status_code == 500
    run(go())


def test_subprotocol_headers_and_custom_close(app):
    async def go():
        async with websockets.connect(ws_url(app, "/ws/subprotocol"),
                                      subprotocols=["chat.v1", "chat.v2"]) as ws:
            assert ws.subprotocol == "chat.v2"
            assert ws.response_headers["x-ws"] == "yes"
            assert await ws.recv() == "chat.v1,chat.v2"
            with pytest.raises(websockets.exceptions.ConnectionClosed):
                await ws.recv()
            assert ws.close_code == 4000
            assert ws.close_reason == "custom"
    run(go())


def test_params_headers_cookies(app):
    async def go():
        async with websockets.connect(ws_url(app, "/ws/params/lobby/7?q=abc"),
                                      extra_headers={"X-Token": "t1",
                                                     "Cookie": "session=s1"}) as ws:
            data = json.loads(await ws.recv())
        assert data == {"room": "lobby", "n": 7, "q": "abc", "x_token": "t1", "session": "s1",
                        "path_params": {"room": "lobby", "n": 7},
                        "url": "ws://127.0.0.1:{}/ws/params/lobby/7?q=abc".format(app.port),
                        "client_host": "127.0.0.1", "query": "abc"}
    run(go())


def test_json_and_close_reason(app):
    async def go():
        async with websockets.connect(ws_url(app, "/ws/json")) as ws:
            await ws.send(json.dumps([1, 2, {"a": None}]))
            assert json.loads(await ws.recv()) == {"got": [1, 2, {"a": None}], "type": "list"}
            with pytest.raises(websockets.exceptions.ConnectionClosedOK):
                await ws.recv()
            assert (ws.close_code, ws.close_reason) == (1000, "done")
    run(go())


def test_iterators(app):
    async def go():
        async with websockets.connect(ws_url(app, "/ws/iter")) as ws:
            for word in ("a", "b", "c"):
                await ws.send(word)
            assert [await ws.recv() for _ in range(3)] == ["1:a", "2:b", "3:c"]
        async with websockets.connect(ws_url(app, "/ws/bytes")) as ws:
            await ws.send(b"\x01\x02\x03")
            assert await ws.recv() == b"\x03\x02\x01"
    run(go())
    wait_events(app, lambda e: ["iter-done", 3] in e, "the end of iter_text")


def test_states_and_disconnect_code(app):
    async def go():
        async with websockets.connect(ws_url(app, "/ws/states")) as ws:
            data = json.loads(await ws.recv())
            assert data == {"before": [0, 0], "after": [1, 1]}
            await ws.close(code=4001, reason="bye")
    run(go())
    got = wait_events(app, lambda e: any(x[0] == "states-disconnect" for x in e), "disconnect")
    assert ["states-disconnect", 4001, "bye", 2, 2] in got


# --- framing through the engine ----------------------------------------------------------------

def test_fragmented_message_with_ping_between(app):
    with RawWebSocket(app.port, "/ws/echo") as ws:
        ws.send_frame(1, b"hel", fin=False)
        ws.send_frame(9, b"ping!")  # a control frame between fragments
        assert ws.recv_frame() == (10, True, b"ping!")  # the engine's pong
        ws.send_frame(0, b"lo", fin=False)
        ws.send_frame(0, b"", fin=True)
        assert ws.recv_frame() == (1, True, b"hello")


def test_unmasked_frame_is_1002(app):
    with RawWebSocket(app.port, "/ws/echo") as ws:
        ws.send_frame(1, b"x", mask=False)
        op, fin, payload = ws.recv_frame()
        assert op == 8 and payload[:2] == (1002).to_bytes(2, "big")
        ws.expect_eof()
    wait_events(app, lambda e: ["echo-disconnect", 1002] in e, "the 1002 disconnect")


def test_invalid_utf8_is_1007(app):
    with RawWebSocket(app.port, "/ws/echo") as ws:
        ws.send_frame(1, b"ok\xff")
        op, _, payload = ws.recv_frame()
        assert op == 8 and payload[:2] == (1007).to_bytes(2, "big")
        ws.expect_eof()


def test_reserved_opcode_and_bits_are_1002(app):
    for op, rsv in ((3, 0), (1, 0x40)):
        with RawWebSocket(app.port, "/ws/echo") as ws:
            ws.send_frame(op, b"x", rsv=rsv)
            got_op, _, payload = ws.recv_frame()
            assert got_op == 8 and payload[:2] == (1002).to_bytes(2, "big")


def test_message_size_limit_at_and_past(app):
    limit = 100000
    with RawWebSocket(app.port, "/ws/echo") as ws:
        ws.send_frame(2, b"a" * limit)
        op, fin, payload = ws.recv_message()
        assert op == 2 and len(payload) == limit and payload == b"a" * limit
        ws.send_frame(2, b"b" * (limit + 1))
        op, _, payload = ws.recv_frame()
        assert op == 8 and payload[:2] == (1009).to_bytes(2, "big")


def test_large_messages_both_ways(app):
    async def go():
        size = 70000  # larger than the engine's I/O buffers: fragments on the way out
        async with websockets.connect(ws_url(app, "/ws/big/{}".format(size)),
                                      max_size=1 << 20) as ws:
            data = await ws.recv()
            assert len(data) == size
            assert data == bytes(range(256)) * (size // 256) + bytes(size % 256)
            await ws.send("z" * 90000)
            assert await ws.recv() == "90000"
    run(go())


def test_close_handshake_from_client(app):
    with RawWebSocket(app.port, "/ws/echo") as ws:
        ws.send_frame(8, (1000).to_bytes(2, "big") + b"bye")
        op, _, payload = ws.recv_frame()
        assert op == 8 and payload == (1000).to_bytes(2, "big")
        ws.expect_eof()
    wait_events(app, lambda e: ["echo-disconnect", 1000] in e, "the disconnect")


def test_abrupt_disconnect_is_1006(app):
    ws = RawWebSocket(app.port, "/ws/echo")
    ws.sock.close()
    wait_events(app, lambda e: ["echo-disconnect", 1006] in e, "the 1006 disconnect")


def test_idle_ping_and_peer_timeout(app):
    before = app.stats()
    with RawWebSocket(app.port, "/ws/echo") as ws:
        op, _, payload = ws.recv_frame(timeout=5)  # ws_ping_interval_s=0.5 in this app
        assert op == 9
        ws.send_frame(10, payload)  # pong: still alive
        op, _, _ = ws.recv_frame(timeout=5)
        assert op == 9  # another interval, another ping; this time no answer
        ws.expect_eof(timeout=5)
    got = wait_events(app, lambda e: ["echo-disconnect", 1006] in e, "the timeout")
    assert ["echo-disconnect", 1006] in got
    after = app.stats()
    assert after["ws_pings_sent"] >= before["ws_pings_sent"] + 2
    assert after["ws_timeouts"] >= before["ws_timeouts"] + 1


def test_engine_answers_pings_without_python(app):
    with RawWebSocket(app.port, "/ws/echo") as ws:
        before = app.stats()
        for i in range(20):
            ws.send_frame(9, b"p%d" % i)
            assert ws.recv_frame() == (10, True, b"p%d" % i)
        after = app.stats()
    assert after["ws_pongs_sent"] - before["ws_pongs_sent"] == 20
    # Only the two /__stats requests crossed the bridge meanwhile: no event per ping.
    assert after["bridge"]["ws_events_queued"] == before["bridge"]["ws_events_queued"]


def test_send_queue_backpressure_with_slow_reader(app):
    count = 8000
    # ~8 MB: more than the connection's send queue (part of one I/O buffer) and the kernel's
    # socket buffers together (tcp_wmem's 4 MB at most, and the client's small window).
    with RawWebSocket(app.port, "/ws/flood/{}".format(count), rcvbuf=4096) as ws:
        time.sleep(0.5)  # the handler is blocked on a full queue, not buffering in memory
        st = app.stats()
        assert ["flood-done", count] not in events(app)
        assert st["io_buffers_in_use"] <= 4
        for i in range(count):
            op, fin, payload = ws.recv_message()
            assert op == 1 and payload.startswith(b"m%d-" % i)
        ws.send_frame(1, b"done")
    wait_events(app, lambda e: ["flood-done", count] in e, "the flood")


def test_counters(app):
    st = app.stats()
    for name in ("ws_upgrades", "ws_refused", "ws_open", "ws_messages_in", "ws_messages_out",
                 "ws_pings_sent", "ws_pongs_sent", "ws_closes_in", "ws_closes_out",
                 "ws_protocol_errors", "ws_timeouts"):
        assert name in st, name
    assert st["ws_upgrades"] > 0 and st["ws_messages_in"] > 0 and st["ws_protocol_errors"] > 0


# --- ConnectionManager ------------------------------------------------------------------------

def wait_room(srv, predicate, what):
    deadline = time.monotonic() + TIMEOUT
    while True:
        state = ok(srv, "/room")
        if predicate(state):
            return state
        if time.monotonic() > deadline:
            pytest.fail("{} never happened: {}".format(what, state))
        time.sleep(0.02)


def test_connection_manager_room(app):
    async def go():
        async with websockets.connect(ws_url(app, "/ws/room")) as a, \
                websockets.connect(ws_url(app, "/ws/room")) as b:
            wait_room(app, lambda s: s["clients"] == 2, "two clients")
            await a.send("hi all")
            assert await a.recv() == "hi all"
            assert await b.recv() == "hi all"
    run(go())
    wait_room(app, lambda s: s["clients"] == 0, "the room to empty")


def test_connection_manager_slow_client_does_not_stall_others(app):
    base = ok(app, "/room")["dropped"]
    count = 2500  # 10 MB per client: more than the kernel buffers and the queue of 256 hold
    slow = RawWebSocket(app.port, "/ws/room", rcvbuf=4096)
    fast = RawWebSocket(app.port, "/ws/room")
    try:
        wait_room(app, lambda s: s["clients"] == 2, "two clients")
        got = []

        import threading
        done = threading.Event()

        failed = []

        def read_fast():
            try:
                while len(got) < count:
                    op, _, payload = fast.recv_message(timeout=30)
                    got.append(payload)
            except Exception as exc:  # reported by the assertion below
                failed.append(exc)
            done.set()

        def keep_slow_alive():
            # The slow client does not read but stays alive for the engine's idle ping: any
            # frame it sends counts.
            while not done.is_set():
                try:
                    slow.send_frame(9, b"alive")
                except OSError:  # closed by the server (1013, then TCP): done here
                    return
                time.sleep(0.1)

        reader = threading.Thread(target=read_fast)
        reader.start()
        alive = threading.Thread(target=keep_slow_alive)
        alive.start()
        r = call(app, "POST", "/broadcast/{}".format(count))
        assert r.status_code == 200
        assert done.wait(60) and not failed, (len(got), failed, ok(app, "/room"))
        reader.join()
        alive.join()
        assert [p[:len(b"b%d-" % i)] for i, p in enumerate(got)] == \
            [b"b%d-" % i for i in range(count)]
        wait_room(app, lambda s: s["dropped"] == base + 1, "the slow client dropped")
        # The slow client's close frame (1013) follows what was already on its way; it may be
        # lost with that backlog when the close handshake times out (the client never answers
        # it) and the connection is reset.  What it does get is in order, and ends there.
        try:
            i = None
            while True:
                op, _, payload = slow.recv_frame(timeout=10)
                if op == 8:
                    assert payload[:2] == (1013).to_bytes(2, "big")
                    break
                if op == 1:
                    n = int(payload[1:payload.index(b"-")])
                    assert i is None or n == i + 1
                    i = n
        except (EOFError, ConnectionResetError):
            pass
    finally:
        slow.sock.close()
        fast.sock.close()
    wait_room(app, lambda s: s["clients"] == 0, "the room to empty")


# --- Node's ws --------------------------------------------------------------------------------

NODE_CLIENT = os.path.join(os.path.dirname(__file__), "ws_node_client.js")
NODE_WS = os.path.join(os.path.dirname(__file__), "..", "browser", "node_modules", "ws")


def test_node_ws_client(app):
    import shutil
    import subprocess
    if shutil.which("node") is None or not os.path.isdir(NODE_WS):
        pytest.skip("node or tests/browser/node_modules/ws missing (scripts/install-npm.sh)")
    out = subprocess.run(["node", NODE_CLIENT, ws_url(app, "/ws/echo")], capture_output=True,
                         timeout=30)
    assert out.returncode == 0, out
    seen = json.loads(out.stdout.decode().strip().splitlines()[-1])
    assert seen["messages"] == [{"binary": False, "length": 15, "same": True},
                                {"binary": True, "length": 4, "same": True},
                                {"binary": False, "length": 100000, "same": True}]
    assert seen["pong"] == "node-ping"
    # The engine echoes the close code without the reason (RFC 6455 §5.5.1 asks for the code).
    assert seen["close"] == {"code": 1000, "reason": ""}


def test_shutdown_closes_websockets_with_1001(start_app):
    srv = start_app("websocket_app.py", access_log=False)
    ws = RawWebSocket(srv.port, "/ws/echo")
    ws.send_frame(1, b"before")
    assert ws.recv_message() == (1, True, b"before")
    srv.send_signal()
    op, _, payload = ws.recv_frame(timeout=10)
    assert op == 8 and payload[:2] == (1001).to_bytes(2, "big")
    ws.send_frame(8, payload[:2])  # answer the close: the engine may finish at once
    ws.expect_eof()
    ws.sock.close()
    assert srv.wait() == 0


# --- permessage-deflate (RFC 7692) --------------------------------------------------------------

def test_permessage_deflate_with_python_websockets(app):
    async def go():
        async with websockets.connect(ws_url(app, "/ws/echo"), max_size=1 << 20) as ws:
            ext = ws.response_headers.get("Sec-WebSocket-Extensions", "")
            assert ext.startswith("permessage-deflate"), ext
            for msg in ("z" * 90000, "short", os.urandom(30000), "ü✓" * 3000):
                await ws.send(msg)
                assert await ws.recv() == msg
    run(go())
    st = app.stats()
    assert st["ws_protocol_errors"] >= 0


def deflate_raw(data):
    import zlib
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    out = c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)
    assert out.endswith(b"\x00\x00\xff\xff")
    return out[:-4]


def inflate_raw(data):
    import zlib
    d = zlib.decompressobj(-15)
    return d.decompress(data + b"\x00\x00\xff\xff")


def test_permessage_deflate_raw_frames(app):
    ext = [("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits")]
    with RawWebSocket(app.port, "/ws/echo", extra=ext) as ws:
        assert b"\r\nSec-WebSocket-Extensions: permessage-deflate" in ws.head
        text = "compress me " * 500
        ws.send_frame(1, deflate_raw(text.encode()), rsv=0x40)
        ws.sock.settimeout(10)
        ws._need(2)
        assert ws.buf[0] & 0x40, "the echo comes back compressed (RSV1)"
        b0 = ws.buf[0]
        ws.buf = bytes([b0 & ~0x40]) + ws.buf[1:]  # ws_raw refuses RSV bits it did not expect
        op, fin, payload = ws.recv_frame()
        while not fin:
            _, fin, more = ws.recv_frame()
            payload += more
        assert op == 1 and inflate_raw(payload).decode() == text
        # Not deflate data: 1007; and a bomb beyond ws_max_message_bytes (100000): 1009.
    with RawWebSocket(app.port, "/ws/echo", extra=ext) as ws:
        ws.send_frame(2, b"\xff\xff\xff\xff", rsv=0x40)
        op, _, payload = ws.recv_frame()
        assert op == 8 and payload[:2] == (1007).to_bytes(2, "big")
    with RawWebSocket(app.port, "/ws/echo", extra=ext) as ws:
        ws.send_frame(2, deflate_raw(b"\x00" * 100001), rsv=0x40)
        op, _, payload = ws.recv_frame()
        while op != 8:
            op, _, payload = ws.recv_frame()
        assert payload[:2] == (1009).to_bytes(2, "big")


def test_permessage_deflate_off(start_app):
    srv = start_app("websocket_app.py", access_log=False, ws_compression=0)
    ext = [("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits")]
    with RawWebSocket(srv.port, "/ws/echo", extra=ext) as ws:
        assert b"sec-websocket-extensions" not in ws.head.lower()
        ws.send_frame(1, b"plain")
        assert ws.recv_message() == (1, True, b"plain")


def test_receive_window_handler_not_reading(app):
    """A handler that reads nothing: the engine hands on about one maximum message (100 KB in
    this app) and then stops reading the client, whose writes block; nothing is lost."""
    count, size = 3000, 1000  # 3 MB, far beyond the window
    with RawWebSocket(app.port, "/ws/lazy") as ws:
        before = app.stats()
        import select
        sent = 0
        payload = b"w" * size
        while sent < count:
            # Only whole frames: stop when the socket stays unwritable (pushed back).
            if not select.select([], [ws.sock], [], 0.3)[1]:
                break
            ws.send_frame(1, payload)
            sent += 1
        assert sent < count, "the engine never pushed back"
        st = app.stats()
        # Handed to Python: at most the window plus one buffer's worth of pieces.
        handed = st["ws_messages_in"] - before["ws_messages_in"]
        assert handed * size <= 100000 + 2 * 8192, handed
        assert st["ws_read_paused"] > before["ws_read_paused"]
        ws.sock.settimeout(10)
        ok(app, "/lazy/go")
        # the rest flows once the handler reads (pings answered while we wait)
        for _ in range(count - sent):
            ws.send_frame(1, payload)
        ws.send_frame(1, b"end")
        _, _, data = ws.recv_message(timeout=20)
        assert json.loads(data) == {"messages": count, "bytes": count * size}
