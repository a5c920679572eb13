"""``TestClient.websocket_connect(path)``: a WebSocket client session against the real engine,
as FastAPI's TestClient offers it (a context manager with ``send_text/bytes/json``,
``receive_text/bytes/json``, ``receive``, ``close``).  Frames are written and read here, over a
blocking socket to the test server; client frames are masked (RFC 6455 §5.3)."""

import json
import random
import socket
import struct

from .. import _compat
from ..websockets import WebSocketDisconnect

_KEY = "dGhlIHNhbXBsZSBub25jZQ=="  # any base64 of 16 bytes will do (RFC 6455 §4.1)
_ACCEPT = b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="  # its Sec-WebSocket-Accept (RFC 6455 §1.3)


class WebSocketTestSession:
    """One WebSocket connection of the TestClient (use it with ``with``).  A refused upgrade
    (the route closed or a dependency raised before ``accept``: the engine answered 403, or
    another HTTP status) raises ``WebSocketDisconnect`` from ``websocket_connect``, with code
    1000 as FastAPI's TestClient when the app closed without a code, else the HTTP status is in
    ``reason``."""

    def __init__(self, port, target, host, headers, subprotocols, timeout):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.buf = b""
        self.closed = False
        self.close_code = None
        self.close_reason = ""
        try:
            self.sock.settimeout(timeout)
            self.sock.connect(socket.getaddrinfo("127.0.0.1", port)[0][-1])
            lines = ["GET {} HTTP/1.1".format(target), "host: " + host, "upgrade: websocket",
                     "connection: Upgrade", "sec-websocket-key: " + _KEY,
                     "sec-websocket-version: 13"]
            if subprotocols:
                lines.append("sec-websocket-protocol: " + ", ".join(subprotocols))
            for k, v in headers:
                lines.append("{}: {}".format(k, v))
            self._sendall(_compat.header_bytes("\r\n".join(lines) + "\r\n\r\n"))
            head = self._head()
        except BaseException:
            self.sock.close()
            raise
        status_line, _, rest = head.partition(b"\r\n")
        parts = status_line.split(b" ", 2)
        status = int(parts[1]) if len(parts) > 1 else 0
        self.extra_headers = []
        for line in rest.split(b"\r\n"):
            name, sep, value = line.partition(b":")
            if sep:
                self.extra_headers.append((name.strip().decode().lower(), value.strip().decode()))
        if status != 101:
            self.sock.close()
            self.closed = True
            raise WebSocketDisconnect(1000, "HTTP {}".format(status))
        self.headers = dict(self.extra_headers)
        if self.headers.get("sec-websocket-accept", "").encode() != _ACCEPT:
            self.sock.close()
            raise ValueError("bad Sec-WebSocket-Accept from the server")
        self.accepted_subprotocol = self.headers.get("sec-websocket-protocol")

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        if not self.closed:
            self.close()

    # --- bytes ------------------------------------------------------------------------------

    def _sendall(self, data):
        sendall = getattr(self.sock, "sendall", None)
        if sendall is not None:
            sendall(data)
            return
        view = memoryview(data)  # MicroPython's socket has no sendall
        while view:
            n = self.sock.send(view)
            view = view[n:]

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise WebSocketDisconnect(1006, "connection closed")
        self.buf += data

    def _head(self):
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        i = self.buf.find(b"\r\n\r\n")
        head, self.buf = self.buf[:i], self.buf[i + 4:]
        return head

    def _exact(self, n):
        while len(self.buf) < n:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def _send_frame(self, opcode, payload, fin=True):
        n = len(payload)
        b0 = (0x80 if fin else 0) | opcode
        if n < 126:
            head = struct.pack("!BB", b0, 0x80 | n)
        elif n < 65536:
            head = struct.pack("!BBH", b0, 0x80 | 126, n)
        else:
            head = struct.pack("!BBQ", b0, 0x80 | 127, n)
        key = struct.pack("!I", random.getrandbits(32))
        masked = bytearray(payload)
        for i in range(n):
            masked[i] ^= key[i & 3]
        self._sendall(head + key + bytes(masked))

    def _recv_frame(self):
        b0, b1 = struct.unpack("!BB", self._exact(2))
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self._exact(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._exact(8))[0]
        return b0 & 0x0F, bool(b0 & 0x80), self._exact(n)

    # --- messages ---------------------------------------------------------------------------

    def receive(self):
        """The next message as an ASGI event (``websocket.send`` with ``text`` or ``bytes``, or
        ``websocket.close`` with ``code`` and ``reason``)."""
        if self.closed:
            raise WebSocketDisconnect(self.close_code or 1006, self.close_reason)
        parts = []
        opcode = None
        while True:
            op, fin, payload = self._recv_frame()
            if op == 9:  # ping: answer it
                self._send_frame(10, payload)
                continue
            if op == 10:
                continue
            if op == 8:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                reason = payload[2:].decode()
                if not self.closed:
                    try:
                        self._send_frame(8, payload[:2])
                    except OSError:
                        pass
                self._finish(code, reason)
                return {"type": "websocket.close", "code": code, "reason": reason}
            if op != 0:
                opcode = op
            parts.append(payload)
            if fin:
                data = b"".join(parts)
                if opcode == 1:
                    return {"type": "websocket.send", "text": data.decode()}
                return {"type": "websocket.send", "bytes": data}

    def _finish(self, code, reason):
        self.closed = True
        self.close_code = code
        self.close_reason = reason
        try:
            self.sock.close()
        except OSError:
            pass

    def _data(self):
        message = self.receive()
        if message["type"] == "websocket.close":
            raise WebSocketDisconnect(message["code"], message["reason"])
        return message

    def receive_text(self):
        return self._data()["text"]

    def receive_bytes(self):
        return self._data()["bytes"]

    def receive_json(self, mode="text"):
        message = self._data()
        return json.loads(message["text"] if mode == "text" else message["bytes"])

    def send_text(self, data):
        self._send_frame(1, data.encode())

    def send_bytes(self, data):
        self._send_frame(2, bytes(data))

    def send_json(self, data, mode="text"):
        text = json.dumps(data)
        self._send_frame(1 if mode == "text" else 2, text.encode())

    def send(self, message):
        if message.get("text") is not None:
            self.send_text(message["text"])
        else:
            self.send_bytes(message.get("bytes") or b"")

    def close(self, code=1000, reason=None):
        """Sends a close frame and waits for the server's answer."""
        if self.closed:
            return
        payload = struct.pack("!H", code) + (reason or "").encode()
        try:
            self._send_frame(8, payload)
            while True:
                op, _, data = self._recv_frame()
                if op == 8:
                    code = struct.unpack("!H", data[:2])[0] if len(data) >= 2 else 1005
                    self._finish(code, data[2:].decode())
                    return
        except (WebSocketDisconnect, OSError):
            self._finish(code, reason or "")
