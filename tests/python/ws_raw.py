"""A raw WebSocket client for the tests (tests/python and tests/pyapi): the handshake and
frames written by hand, so that a test can send what a library refuses to (unmasked frames,
reserved bits and opcodes, invalid UTF-8, oversize messages) and read exactly the bytes the
engine sends.  With a TLS context it speaks WSS (the e2e suite's TLS run)."""

import base64
import os
import socket
import ssl
import struct
import time

KEY = "dGhlIHNhbXBsZSBub25jZQ=="  # RFC 6455 §1.3's example key


def upgrade_request(path, drop=None, replace=None, extra=()):
    headers = [("Host", "127.0.0.1"), ("Upgrade", "websocket"), ("Connection", "Upgrade"),
               ("Sec-WebSocket-Key", KEY), ("Sec-WebSocket-Version", "13")]
    headers = [(n, v) for n, v in headers if n.lower() != drop]
    if replace is not None:
        headers = [(n, replace[1] if n == replace[0] else v) for n, v in headers]
    headers += list(extra)
    lines = ["GET {} HTTP/1.1".format(path)] + ["{}: {}".format(n, v) for n, v in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class RawWebSocket:
    def __init__(self, port, path, timeout=10.0, rcvbuf=None, extra=(), tls=None,
                 host="127.0.0.1"):
        self.sock = socket.socket()
        if rcvbuf is not None:  # a slow reader: a small window fills at once
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect((host, port))
        if tls is not None:
            self.sock = tls.wrap_socket(self.sock, server_hostname="localhost")
        self.sock.sendall(upgrade_request(path, extra=extra))
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise AssertionError("closed during the handshake: {!r}".format(self.buf))
            self.buf += chunk
        end = self.buf.index(b"\r\n\r\n") + 4
        self.head, self.buf = self.buf[:end], self.buf[end:]
        if not self.head.startswith(b"HTTP/1.1 101 "):
            raise AssertionError("not upgraded: {!r}".format(self.head))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.sock.close()

    def send_frame(self, opcode, payload, fin=True, mask=True, rsv=0):
        b0 = (0x80 if fin else 0) | rsv | opcode
        n = len(payload)
        if n < 126:
            head = struct.pack("!BB", b0, (0x80 if mask else 0) | n)
        elif n < 65536:
            head = struct.pack("!BBH", b0, (0x80 if mask else 0) | 126, n)
        else:
            head = struct.pack("!BBQ", b0, (0x80 if mask else 0) | 127, n)
        if mask:
            key = os.urandom(4)
            payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
            head += key
        self.sock.sendall(head + payload)

    def _need(self, n, timeout=None):
        if timeout is not None:
            self.sock.settimeout(timeout)
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed with {} of {} bytes".format(len(self.buf), n))
            self.buf += chunk

    def recv_frame(self, timeout=None):
        """(opcode, fin, payload) of the next frame (server frames are never masked)."""
        self._need(2, timeout)
        b0, b1 = self.buf[0], self.buf[1]
        assert b1 & 0x80 == 0, "a server frame must not be masked"
        assert b0 & 0x70 == 0, "no extension was negotiated: RSV bits must be clear"
        n = b1 & 0x7F
        at = 2
        if n == 126:
            self._need(4)
            n = struct.unpack("!H", self.buf[2:4])[0]
            at = 4
        elif n == 127:
            self._need(10)
            n = struct.unpack("!Q", self.buf[2:10])[0]
            at = 10
        self._need(at + n)
        payload = self.buf[at:at + n]
        self.buf = self.buf[at + n:]
        return b0 & 0x0F, bool(b0 & 0x80), payload

    def recv_message(self, timeout=None):
        """A whole data message (continuation frames joined); pings are answered (a client
        that reads slowly is still alive for the engine's idle ping), other control frames
        skipped."""
        op, fin, payload = self.recv_frame(timeout)
        while op >= 8:
            if op == 9:
                self.send_frame(10, payload)
            op, fin, payload = self.recv_frame(timeout)
        parts = [payload]
        while not fin:
            cop, fin, more = self.recv_frame(timeout)
            if cop == 9:
                self.send_frame(10, more)
            if cop >= 8:
                continue
            assert cop == 0, "expected a continuation frame"
            parts.append(more)
        return op, True, b"".join(parts)

    def expect_eof(self, timeout=5.0):
        deadline = time.monotonic() + timeout
        self.sock.settimeout(timeout)
        while time.monotonic() < deadline:
            try:
                chunk = self.sock.recv(65536)
            except (ConnectionResetError, ssl.SSLError):
                return
            if not chunk:
                return
        raise AssertionError("the server did not close the connection")


def b64(data):
    return base64.b64encode(data).decode()
