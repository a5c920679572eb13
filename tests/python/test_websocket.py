"""The engine's WebSocket connections through real sockets (issue 12), against viper_demo's C
echo endpoint (--ws-echo, examples/demo/ws_echo.cpp), organised like Autobahn|Testsuite's case
groups: 1 framing, 2 pings/pongs, 3 reserved bits, 4 opcodes, 5 fragmentation, 6 UTF-8, 7 close
handling, 9 limits and performance, 12/13 compression (permessage-deflate); plus the handshake, the idle ping and flow control.  Runs on
both pollers, under ASan and over TLS (WSS) with the rest of the e2e suite; a third-party
client (Debian's python3-websockets) closes the file."""

import asyncio
import os
import socket
import ssl
import struct
import time

import pytest

import rawhttp
from conftest import LWIP_TAPS, SANITIZED, TLS, scaled
from ws_raw import RawWebSocket, upgrade_request

PATH = "/ws"
LIMIT = 65536


@pytest.fixture(scope="module")
def ws_server(module_server_factory):
    return module_server_factory("--ws-echo", PATH, "--ws-max-message-bytes", str(LIMIT),
                                 "--ws-ping-interval", "0.5")


def connect(srv, path=PATH, **kw):
    kw.setdefault("host", srv.host)  # a tap address in the lwIP run
    return RawWebSocket(srv.port, path, tls=rawhttp.TLS_CONTEXT, **kw)


def close_code(payload):
    return struct.unpack("!H", payload[:2])[0]


def expect_close(ws, code):
    """The close frame with `code`, then EOF.  Data frames the streaming echo sent back before
    the failure (pieces that were valid) are skipped."""
    op, fin, payload = ws.recv_frame()
    while op < 8:
        op, fin, payload = ws.recv_frame()
    assert (op, fin) == (8, True)
    assert close_code(payload) == code
    ws.expect_eof()


# --- handshake ----------------------------------------------------------------------------------

def test_handshake_101_bytes(ws_server):
    with connect(ws_server) as ws:
        lines = ws.head.split(b"\r\n")
        assert lines[0] == b"HTTP/1.1 101 Switching Protocols"
        assert b"Upgrade: websocket" in lines
        assert b"Connection: Upgrade" in lines
        assert b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in lines
        assert not any(line.lower().startswith(b"sec-websocket-extensions") for line in lines)


@pytest.mark.parametrize("drop,replace,status", [
    ("upgrade", None, 404),  # a plain GET: the route is WebSocket-only
    ("connection", None, 400),
    ("sec-websocket-key", None, 400),
    ("sec-websocket-version", None, 400),
    (None, ("Sec-WebSocket-Version", "7"), 426),
    (None, ("Sec-WebSocket-Key", "AAAA"), 400),
])
def test_refused_upgrades(ws_server, drop, replace, status):
    with ws_server.conn() as c:
        c.send(upgrade_request(PATH, drop=drop, replace=replace))
        r = c.read_response()
        assert r.status == status
        if status == 426:
            assert r.header("Sec-WebSocket-Version") == "13"
            assert r.header("Upgrade") == "websocket"


def test_post_to_websocket_route_is_405(ws_server):
    with ws_server.conn() as c:
        r = c.request("POST", PATH, body=b"")
        assert r.status == 405


# --- 1 framing ----------------------------------------------------------------------------------

@pytest.mark.parametrize("size", [0, 125, 126, 127, 128, 65535, 65536])
def test_1_text_and_binary_lengths(ws_server, size):
    with connect(ws_server) as ws:
        for op, payload in ((1, b"*" * size), (2, bytes(i & 255 for i in range(size)))):
            ws.send_frame(op, payload)
            got_op, _, got = ws.recv_message()
            assert (got_op, got) == (op, payload)


def test_1_frames_sent_byte_by_byte(ws_server):
    with connect(ws_server) as ws:
        frame = b"\x81\x85" + b"\x00\x00\x00\x00" + b"hello"
        for b in frame:
            ws.sock.sendall(bytes([b]))
            time.sleep(0.001)
        assert ws.recv_message() == (1, True, b"hello")


def test_1_many_small_messages_in_one_write(ws_server):
    with connect(ws_server) as ws:
        n = scaled(500, 100)
        frames = b""
        for i in range(n):
            payload = b"m%d" % i
            frames += bytes([0x81, 0x80 | len(payload)]) + b"\x00" * 4 + payload
        ws.sock.sendall(frames)
        for i in range(n):
            assert ws.recv_message() == (1, True, b"m%d" % i)


# --- 2 pings and pongs --------------------------------------------------------------------------

def test_2_ping_answered_with_same_payload(ws_server):
    with connect(ws_server) as ws:
        for payload in (b"", b"x", bytes(range(125))):
            ws.send_frame(9, payload)
            assert ws.recv_frame() == (10, True, payload)


def test_2_ping_too_long_is_1002(ws_server):
    with connect(ws_server) as ws:
        ws.send_frame(9, b"p" * 126)
        expect_close(ws, 1002)


def test_2_unsolicited_pong_is_ignored(ws_server):
    with connect(ws_server) as ws:
        ws.send_frame(10, b"unsolicited")
        ws.send_frame(1, b"after")
        assert ws.recv_message() == (1, True, b"after")


def test_2_pings_answered_by_the_engine_counted(ws_server):
    before = ws_server.stats()["ws_pongs_sent"]
    with connect(ws_server) as ws:
        for i in range(10):
            ws.send_frame(9, b"%d" % i)
        for i in range(10):
            assert ws.recv_frame() == (10, True, b"%d" % i)
    assert ws_server.stats()["ws_pongs_sent"] - before == 10


# --- 3 reserved bits, 4 opcodes -----------------------------------------------------------------

@pytest.mark.parametrize("rsv", [0x40, 0x20, 0x10])
def test_3_reserved_bits_are_1002(ws_server, rsv):
    with connect(ws_server) as ws:
        ws.send_frame(1, b"x", rsv=rsv)
        expect_close(ws, 1002)


@pytest.mark.parametrize("opcode", [3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF])
def test_4_reserved_opcodes_are_1002(ws_server, opcode):
    with connect(ws_server) as ws:
        ws.send_frame(opcode, b"")
        expect_close(ws, 1002)


def test_1_unmasked_client_frame_is_1002(ws_server):
    with connect(ws_server) as ws:
        ws.send_frame(1, b"hi", mask=False)
        expect_close(ws, 1002)


# --- 5 fragmentation ----------------------------------------------------------------------------

def test_5_fragments_with_pings_between(ws_server):
    with connect(ws_server) as ws:
        ws.send_frame(1, b"frag", fin=False)
        ws.send_frame(9, b"a")
        ws.send_frame(0, b"men", fin=False)
        ws.send_frame(9, b"b")
        ws.send_frame(0, b"ted", fin=True)
        # The echo streams the pieces back as fragments; the pongs may come between them.
        pongs, data, op = [], b"", None
        while True:
            fop, fin, payload = ws.recv_frame()
            if fop == 10:
                pongs.append(payload)
                continue
            op = fop if op is None else op
            data += payload
            if fin:
                break
        assert (op, data) == (1, b"fragmented")
        while len(pongs) < 2:
            fop, _, payload = ws.recv_frame()
            assert fop == 10
            pongs.append(payload)
        assert pongs == [b"a", b"b"]


def test_5_continuation_without_start_is_1002(ws_server):
    with connect(ws_server) as ws:
        ws.send_frame(0, b"x")
        expect_close(ws, 1002)


def test_5_new_message_inside_fragmented_one_is_1002(ws_server):
    with connect(ws_server) as ws:
        ws.send_frame(1, b"a", fin=False)
        ws.send_frame(1, b"b")
        expect_close(ws, 1002)


def test_5_fragmented_control_frame_is_1002(ws_server):
    with connect(ws_server) as ws:
        ws.send_frame(9, b"a", fin=False)
        expect_close(ws, 1002)


# --- 6 UTF-8 ------------------------------------------------------------------------------------

def test_6_valid_utf8_across_fragments(ws_server):
    text = "κόσμε ✓ 𝄞".encode()
    with connect(ws_server) as ws:
        for i in range(len(text)):
            ws.send_frame(1, text[:i], fin=False)
            ws.send_frame(0, text[i:], fin=True)
            assert ws.recv_message() == (1, True, text)


@pytest.mark.parametrize("bad", [b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
                                 b"ok\xce"])
def test_6_invalid_utf8_is_1007(ws_server, bad):
    with connect(ws_server) as ws:
        ws.send_frame(1, bad)
        expect_close(ws, 1007)


def test_6_invalid_utf8_fails_fast_mid_fragment(ws_server):
    with connect(ws_server) as ws:
        ws.send_frame(1, b"valid \xff", fin=False)  # no need to wait for the end
        expect_close(ws, 1007)


# --- 7 close handling ---------------------------------------------------------------------------

@pytest.mark.parametrize("code", [1000, 1001, 1003, 1011, 3000, 4999])
def test_7_close_echoed_then_tcp_closed(ws_server, code):
    with connect(ws_server) as ws:
        ws.send_frame(8, struct.pack("!H", code) + b"reason")
        op, _, payload = ws.recv_frame()
        assert op == 8 and close_code(payload) == code
        ws.expect_eof()


def test_7_empty_close_answered_empty(ws_server):
    with connect(ws_server) as ws:
        ws.send_frame(8, b"")
        assert ws.recv_frame() == (8, True, b"")
        ws.expect_eof()


@pytest.mark.parametrize("payload", [b"\x03", struct.pack("!H", 999), struct.pack("!H", 1005),
                                     struct.pack("!H", 1006), struct.pack("!H", 2000),
                                     struct.pack("!H", 5000)])
def test_7_invalid_close_is_1002(ws_server, payload):
    with connect(ws_server) as ws:
        ws.send_frame(8, payload)
        expect_close(ws, 1002)


def test_7_close_reason_not_utf8_is_1007(ws_server):
    with connect(ws_server) as ws:
        ws.send_frame(8, struct.pack("!H", 1000) + b"\xff")
        expect_close(ws, 1007)


def test_7_data_after_close_is_discarded(ws_server):
    with connect(ws_server) as ws:
        ws.send_frame(8, struct.pack("!H", 1000))
        ws.send_frame(1, b"ignored")
        op, _, payload = ws.recv_frame()
        assert op == 8
        ws.expect_eof()
        assert ws.buf == b""


# --- 9 limits -----------------------------------------------------------------------------------

def test_9_message_at_the_limit_and_one_past(ws_server):
    with connect(ws_server) as ws:
        ws.send_frame(2, b"L" * LIMIT)
        assert ws.recv_message() == (2, True, b"L" * LIMIT)
        # over several fragments too: the limit counts the whole message
        ws.send_frame(2, b"a" * (LIMIT // 2), fin=False)
        ws.send_frame(0, b"b" * (LIMIT // 2 + 1), fin=True)
        expect_close(ws, 1009)


def test_9_slow_reader_does_not_grow_memory(ws_server):
    """Flow control both ways: the echo's queue fills, the engine stops reading the client,
    the client's writes block; then everything arrives, in order."""
    n = 300  # at most: sending stops at the first push back (the kernel's buffers take MBs)
    msg = b"x" * 60000
    with connect(ws_server, rcvbuf=4096) as ws:
        ws.sock.settimeout(0.2)
        sent = 0
        frame_head = bytes([0x82, 0xFE]) + struct.pack("!H", len(msg)) + b"\x00" * 4
        try:
            while sent < n:
                ws.sock.sendall(frame_head + msg)
                sent += 1
        except (socket.timeout, ssl.SSLWantWriteError):
            pass  # the engine stopped reading: TCP pushes back on us
        assert sent < n, "nothing pushed back"
        st = ws_server.stats()
        assert st["io_buffers_in_use"] <= 6
        ws.sock.settimeout(20)
        got = 0
        while got < sent:
            op, fin, payload = ws.recv_message(timeout=20)
            assert payload == msg
            got += 1
        assert ws_server.stats()["ws_read_paused"] > 0 or TLS


# --- the idle ping ------------------------------------------------------------------------------

def test_idle_ping_then_close_when_silent(ws_server):
    before = ws_server.stats()
    with connect(ws_server) as ws:
        op, _, payload = ws.recv_frame(timeout=5)
        assert op == 9
        ws.send_frame(10, payload)
        op, _, _ = ws.recv_frame(timeout=5)
        assert op == 9
        ws.expect_eof(timeout=5)  # no pong this time: gone after another interval
    after = ws_server.stats()
    assert after["ws_pings_sent"] - before["ws_pings_sent"] >= 2
    assert after["ws_timeouts"] - before["ws_timeouts"] >= 1


def test_websocket_never_evicted_as_idle(module_server_factory):
    srv = module_server_factory("--ws-echo", PATH, "--max-connections", "2",
                                "--evict-idle-after-ms", "1", "--admission-timeout-ms", "300",
                                "--ws-ping-interval", "30")
    with connect(srv) as a, connect(srv) as b:
        # Both slots hold WebSockets; a third client waits and is answered 503 at the
        # admission timeout rather than evicting an open WebSocket.
        try:
            with srv.conn(timeout=10) as c:
                r = c.request("GET", "/hello")
                assert r.status == 503
        except ssl.SSLError:
            # Over TLS the engine's 503 to a waiting client is written before any handshake
            # (net/server.cpp reject_waiting), so the client sees it as a TLS error.
            assert TLS
        for ws in (a, b):
            ws.send_frame(1, b"still here")
            assert ws.recv_message() == (1, True, b"still here")


# --- a client nobody here wrote -----------------------------------------------------------------

def test_python_websockets_client(ws_server):
    websockets = pytest.importorskip("websockets")
    scheme = "wss" if TLS else "ws"

    async def go():
        kw = {"ssl": rawhttp.TLS_CONTEXT} if TLS else {}
        async with websockets.connect("{}://{}:{}{}".format(scheme, ws_server.host, ws_server.port, PATH),
                                      compression=None, max_size=LIMIT, **kw) as ws:
            for msg in ("hello", b"\x00\xff", "ü" * 1000, os.urandom(40000)):
                await ws.send(msg)
                assert await ws.recv() == msg
            await ws.ping(b"are you there")  # answered by the engine
            await ws.close(code=1000)
        assert ws.close_code == 1000

    asyncio.run(asyncio.wait_for(go(), 20 if SANITIZED else 10))


# --- 12/13 compression (permessage-deflate) -----------------------------------------------------

DEFLATE_OFFER = [("Sec-WebSocket-Extensions",
                  "permessage-deflate; client_max_window_bits; server_max_window_bits=12")]


def deflate_raw(data):
    import zlib
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return (c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH))[:-4]


def inflate_raw(data, window=12):
    import zlib
    return zlib.decompressobj(-window).decompress(data + b"\x00\x00\xff\xff")


def recv_raw_frame(ws):
    """(b0, payload) with the RSV bits kept (ws_raw.recv_frame refuses them)."""
    ws._need(2)
    b0 = ws.buf[0]
    ws.buf = bytes([b0 & 0x8F]) + ws.buf[1:]
    _, _, payload = ws.recv_frame()
    return b0, payload


@pytest.mark.skipif(LWIP_TAPS > 0, reason="the lwIP build has the device profile, where "
                    "permessage-deflate is off by default (ws_compression)")
def test_12_compressed_echo(ws_server):
    with connect(ws_server, extra=DEFLATE_OFFER) as ws:
        line = [x for x in ws.head.split(b"\r\n") if x.lower().startswith(b"sec-websocket-ext")]
        assert len(line) == 1 and line[0].startswith(
            b"Sec-WebSocket-Extensions: permessage-deflate"), line
        assert b"server_max_window_bits=12" in line[0]
        for text in (b"hello hello hello hello", b"", "ü✓".encode() * 50):
            ws.send_frame(1, deflate_raw(text), rsv=0x40)
            b0, payload = recv_raw_frame(ws)
            assert b0 & 0x0F == 1 and b0 & 0x80
            assert (inflate_raw(payload) if b0 & 0x40 else payload) == text
        # a large message arrives in several inflated pieces: echoed as uncompressed fragments
        big = b"abcdefgh" * 8000
        ws.send_frame(2, deflate_raw(big), rsv=0x40)
        got, first = b"", True
        while True:
            b0, payload = recv_raw_frame(ws)
            assert b0 & 0x0F == (2 if first else 0)
            first = False
            got += payload
            if b0 & 0x80:
                break
        assert got == big


@pytest.mark.skipif(LWIP_TAPS > 0, reason="the lwIP build has the device profile, where "
                    "permessage-deflate is off by default (ws_compression)")
def test_12_corrupt_and_bomb(ws_server):
    with connect(ws_server, extra=DEFLATE_OFFER) as ws:
        ws.send_frame(1, b"\xff\xfe\xfd", rsv=0x40)
        expect_close(ws, 1007)
    with connect(ws_server, extra=DEFLATE_OFFER) as ws:
        ws.send_frame(1, deflate_raw(b"\xff\xfe"), rsv=0x40)  # deflate fine, not UTF-8
        expect_close(ws, 1007)
    with connect(ws_server, extra=DEFLATE_OFFER) as ws:
        ws.send_frame(2, deflate_raw(b"\x00" * (LIMIT + 1)), rsv=0x40)
        expect_close(ws, 1009)
