"""The TestClient's HTTP/1.1 connection: writes a request, reads its response (Content-Length,
chunked or until close; interim 1xx responses skipped)."""

import socket

from .. import _compat


class Closed(Exception):
    """The server closed a reused connection before answering (the request can be retried)."""


class Connection:
    """One keep-alive connection to 127.0.0.1:port: writes a request, reads its response."""

    def __init__(self, port, timeout):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            self.sock.settimeout(timeout)
            addr = socket.getaddrinfo("127.0.0.1", port)[0][-1]
            self.sock.connect(addr)
            try:
                self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except (AttributeError, OSError):
                pass
        except BaseException:
            self.sock.close()
            raise
        self.buf = b""
        self.used = False  # a response was read: a failure before the next one may be a close
        self.open = True

    def close(self):
        if self.open:
            self.open = False
            try:
                self.sock.close()
            except OSError:
                pass

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            return False
        self.buf += data
        return True

    def _line(self, limit=65536):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 2:]
                return line
            if len(self.buf) > limit:
                raise ValueError("response line too long")
            if not self._fill():
                raise ConnectionError("connection closed by the server mid-response")

    def _exact(self, n):
        while len(self.buf) < n:
            if not self._fill():
                raise ConnectionError("connection closed by the server mid-body")
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def _until_close(self):
        while self._fill():
            pass
        data, self.buf = self.buf, b""
        return data

    def _sendall(self, data):
        sendall = getattr(self.sock, "sendall", None)
        if sendall is not None:
            sendall(data)
            return
        view = memoryview(data)  # MicroPython's socket has no sendall
        while view:
            n = self.sock.send(view)
            view = view[n:]

    def send(self, head, body):
        reused = self.used
        try:
            self._sendall(head + body if len(body) < 65536 else head)
            if len(body) >= 65536:
                self._sendall(body)
        except OSError:
            if reused:
                raise Closed()
            raise

    def read_response(self, method):
        """``(version, status, reason, [(name, value)], body, keep_alive)``."""
        version, status, reason, headers, hmap, keep_alive = self.read_head(method)
        if not has_body(method, status):
            body = b""
        elif "chunked" in ",".join(hmap.get("transfer-encoding", [])).lower():
            body = self._chunked()
        elif "content-length" in hmap:
            body = self._exact(int(hmap["content-length"][0]))
        else:
            body = self._until_close()
            keep_alive = False
        return version, status, reason, headers, body, keep_alive

    def read_head(self, method):
        """The status line and headers: ``(version, status, reason, [(name, value)],
        {lower name: [values]}, keep_alive)``; the body is left in the connection."""
        reused = self.used
        while True:
            try:
                if not self.buf and not self._fill():
                    if reused:
                        raise Closed()
                    raise ConnectionError("connection closed by the server before a response")
            except OSError as exc:
                if reused and not is_timeout(exc):
                    raise Closed()
                raise
            status_line = self._line()
            parts = status_line.split(None, 2)
            if len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
                raise ValueError("malformed status line: {!r}".format(status_line))
            version = parts[0][5:].decode()
            status = int(parts[1])
            reason = parts[2].decode("latin-1") if len(parts) > 2 else ""
            headers = []
            while True:
                line = self._line()
                if not line:
                    break
                name, _, value = line.partition(b":")
                headers.append((_compat.header_text(name.strip()),
                                _compat.header_text(value.strip())))
            if 100 <= status < 200 and status != 101:
                continue  # interim response (100 Continue)
            break
        self.used = True
        hmap = {}
        for k, v in headers:
            hmap.setdefault(k.lower(), []).append(v)
        conn_tokens = ",".join(hmap.get("connection", [])).lower()
        keep_alive = "close" not in conn_tokens and (version != "1.0" or
                                                     "keep-alive" in conn_tokens)
        if has_body(method, status) and "transfer-encoding" not in hmap and \
                "content-length" not in hmap:
            keep_alive = False  # the body ends when the connection closes
        return version, status, reason, headers, hmap, keep_alive

    def iter_body(self, method, status, hmap):
        """The body as it arrives, piece by piece (a streamed response: ``client.stream``)."""
        if not has_body(method, status):
            return
        if "chunked" in ",".join(hmap.get("transfer-encoding", [])).lower():
            while True:
                size = int(self._line().split(b";")[0].strip(), 16)
                if size == 0:
                    while self._line():  # trailers
                        pass
                    return
                while size > 0:
                    if not self.buf and not self._fill():
                        raise ConnectionError("connection closed by the server mid-body")
                    piece, self.buf = self.buf[:size], self.buf[size:]
                    size -= len(piece)
                    yield piece
                if self._exact(2) != b"\r\n":
                    raise ValueError("malformed chunk")
        elif "content-length" in hmap:
            left = int(hmap["content-length"][0])
            while left > 0:
                if not self.buf and not self._fill():
                    raise ConnectionError("connection closed by the server mid-body")
                piece, self.buf = self.buf[:left], self.buf[left:]
                left -= len(piece)
                yield piece
        else:
            while True:
                if self.buf:
                    piece, self.buf = self.buf, b""
                    yield piece
                if not self._fill():
                    return

    def _chunked(self):
        parts = []
        while True:
            size_line = self._line()
            size = int(size_line.split(b";")[0].strip(), 16)
            if size == 0:
                while self._line():  # trailers
                    pass
                return b"".join(parts)
            parts.append(self._exact(size))
            if self._exact(2) != b"\r\n":
                raise ValueError("malformed chunk")


def has_body(method, status):
    return not (method == "HEAD" or status in (204, 304) or 100 <= status < 200)


def is_timeout(exc):
    t = getattr(socket, "timeout", None)
    return (t is not None and isinstance(exc, t)) or "timed out" in str(exc).lower()
