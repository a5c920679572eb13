"""Small raw-socket HTTP/1.x client for the end-to-end tests.

Deliberately strict: it parses exactly what is on the wire and raises on malformed framing, so a
framing bug in the server fails the test instead of being papered over by a tolerant client.
"""

import socket
import ssl
import time

DEFAULT_TIMEOUT = 5.0
# When set (use_tls()), every Conn speaks TLS: the e2e suite once more over HTTPS.
TLS_CONTEXT = None


def use_tls():
    """Makes every Conn a TLS client (certificates not verified: the test credentials are
    self-signed; TLS itself is what is tested)."""
    global TLS_CONTEXT
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    TLS_CONTEXT = ctx


# A TLS connection ends with close_notify, or the peer just closing: both are "closed" here.
_CLOSED = (ConnectionResetError, ssl.SSLZeroReturnError, ssl.SSLEOFError)


class ProtocolError(AssertionError):
    """The server sent something that is not valid HTTP/1.1 framing (or nothing in time)."""


class Response:
    def __init__(self, version, status, reason, headers, body, raw_body, chunks):
        self.version = version  # "HTTP/1.1"
        self.status = status  # int
        self.reason = reason  # "OK"
        self.headers = headers  # [(name, value)] in wire order
        self.body = body  # bytes, de-chunked
        self.raw_body = raw_body  # bytes as on the wire (with chunk framing)
        self.chunks = chunks  # [(size_line, data)] for chunked bodies, else None

    def header(self, name, default=None):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return default

    def header_all(self, name):
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    def json(self):
        import json

        return json.loads(self.body)

    def __repr__(self):
        return f"<Response {self.status} {self.headers!r} {self.body[:200]!r}>"


class Conn:
    """A client connection with a read buffer, so pipelined responses are not lost."""

    def __init__(self, port, timeout=DEFAULT_TIMEOUT, host="127.0.0.1"):
        self.timeout = timeout
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if TLS_CONTEXT is not None:
            self.sock = TLS_CONTEXT.wrap_socket(self.sock, server_hostname=host)
        self.buf = b""

    # --- sending -----------------------------------------------------------------------------
    def send(self, data):
        if isinstance(data, str):
            data = data.encode("latin-1")
        self.sock.sendall(data)

    def send_slowly(self, data, piece=1):
        """Sends `data` in pieces of `piece` bytes (separate send calls, TCP_NODELAY set)."""
        if isinstance(data, str):
            data = data.encode("latin-1")
        for i in range(0, len(data), piece):
            self.sock.sendall(data[i : i + piece])

    # --- reading -----------------------------------------------------------------------------
    def _fill(self, deadline):
        """Reads more bytes into the buffer; returns False at EOF."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ProtocolError(f"timed out waiting for data (buffered: {self.buf[:200]!r})")
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            raise ProtocolError(f"timed out waiting for data (buffered: {self.buf[:200]!r})")
        except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
            return False  # close_notify, or the peer closed without it: EOF either way
        if not data:
            return False
        self.buf += data
        return True

    def _read_until(self, sep, deadline, limit=1 << 20):
        while True:
            i = self.buf.find(sep)
            if i >= 0:
                out, self.buf = self.buf[: i + len(sep)], self.buf[i + len(sep) :]
                return out
            if len(self.buf) > limit:
                raise ProtocolError("line too long")
            if not self._fill(deadline):
                raise ProtocolError(f"connection closed before {sep!r} (buffered: {self.buf!r})")

    def _read_exact(self, n, deadline):
        while len(self.buf) < n:
            if not self._fill(deadline):
                raise ProtocolError(f"connection closed with {len(self.buf)} of {n} bytes")
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_response(self, head=False, timeout=None):
        """Reads one response (a 1xx interim response counts as one).  `head`: it answers a
        HEAD request, so it has no body whatever its headers say."""
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        raw_head = self._read_until(b"\r\n\r\n", deadline)
        lines = raw_head[:-4].split(b"\r\n")
        status_line = lines[0].decode("latin-1")
        parts = status_line.split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
            raise ProtocolError(f"bad status line {status_line!r}")
        version, status = parts[0], int(parts[1])
        reason = parts[2] if len(parts) > 2 else ""
        headers = []
        for line in lines[1:]:
            text = line.decode("latin-1")
            if ":" not in text or text[0] in " \t" or "\n" in text or "\r" in text:
                raise ProtocolError(f"bad header line {text!r}")
            k, v = text.split(":", 1)
            if k != k.strip():
                raise ProtocolError(f"bad header name {k!r}")
            headers.append((k, v.strip(" \t")))
        resp = Response(version, status, reason, headers, b"", b"", None)
        if head or status < 200 or status in (204, 304):
            return resp
        te = resp.header("transfer-encoding")
        cl = resp.header_all("content-length")
        if te is not None and cl:
            raise ProtocolError("response has both Transfer-Encoding and Content-Length")
        if te is not None:
            if te.lower() != "chunked":
                raise ProtocolError(f"unexpected Transfer-Encoding {te!r}")
            self._read_chunked(resp, deadline)
        elif cl:
            if len(cl) != 1 or not cl[0].isdigit():
                raise ProtocolError(f"bad Content-Length {cl!r}")
            resp.body = resp.raw_body = self._read_exact(int(cl[0]), deadline)
        else:
            resp.body = resp.raw_body = self.read_until_close(deadline - time.monotonic())
        return resp

    def _read_chunked(self, resp, deadline):
        raw, body, chunks = [], [], []
        while True:
            size_line = self._read_until(b"\r\n", deadline)
            raw.append(size_line)
            size_text = size_line[:-2].split(b";", 1)[0]
            try:
                size = int(size_text, 16)
            except ValueError:
                raise ProtocolError(f"bad chunk size line {size_line!r}")
            if size_text != size_text.strip() or size_text.startswith((b"-", b"+", b"0x")):
                raise ProtocolError(f"bad chunk size line {size_line!r}")
            if size == 0:
                break
            data = self._read_exact(size + 2, deadline)
            if data[-2:] != b"\r\n":
                raise ProtocolError(f"chunk data not followed by CRLF: {data[-10:]!r}")
            raw.append(data)
            body.append(data[:-2])
            chunks.append((size_line, data[:-2]))
        while True:  # trailer section, ends with an empty line
            line = self._read_until(b"\r\n", deadline)
            raw.append(line)
            if line == b"\r\n":
                break
        resp.raw_body = b"".join(raw)
        resp.body = b"".join(body)
        resp.chunks = chunks

    def read_until_close(self, timeout=None):
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        # Pieces joined once at the end: `bytes += bytes` copies the whole buffer on every recv,
        # which made each 20 MB download of test_static_files take most of a minute.
        parts = [self.buf]
        self.buf = b""
        try:
            while self._fill(deadline):
                parts.append(self.buf)
                self.buf = b""
        except ConnectionResetError:
            raise ProtocolError(f"connection reset (buffered: {parts[0][:200]!r})")
        return b"".join(parts)

    def expect_closed(self, timeout=None):
        """Asserts the server closes the connection (EOF or reset) without sending more."""
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        try:
            while self._fill(deadline):
                pass
        except ConnectionResetError:
            pass
        if self.buf:
            raise ProtocolError(f"unexpected bytes before close: {self.buf[:200]!r}")

    def close_and_wait(self, timeout=None):
        """Half-closes and waits for the server's FIN: afterwards the server has freed the slot.
        Over TLS: close_notify, then the server's close_notify and FIN."""
        if isinstance(self.sock, ssl.SSLSocket):
            self.sock.settimeout(timeout if timeout is not None else self.timeout)
            try:
                raw = self.sock.unwrap()  # sends close_notify, reads the server's
                raw.shutdown(socket.SHUT_WR)
                self.sock = raw
            except (OSError, ValueError):
                pass
        else:
            try:
                self.sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        self.expect_closed(timeout)
        self.close()

    def request(self, method, path, headers=(), body=b"", version="HTTP/1.1", host="t"):
        """Sends one request (adding Host and, for a body, Content-Length) and reads the reply."""
        self.send(build(method, path, headers, body, version, host))
        return self.read_response(head=(method == "HEAD"))

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def build(method, path, headers=(), body=b"", version="HTTP/1.1", host="t"):
    """Builds request bytes.  Host is added for HTTP/1.1 unless `host` is None; Content-Length
    is added for a non-empty body unless a framing header is given."""
    if isinstance(body, str):
        body = body.encode()
    lines = [f"{method} {path} {version}"]
    names = {k.lower() for k, _ in headers}
    if host is not None and version == "HTTP/1.1" and "host" not in names:
        lines.append(f"Host: {host}")
    lines += [f"{k}: {v}" for k, v in headers]
    if body and "content-length" not in names and "transfer-encoding" not in names:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def chunked(pieces, ext=None, trailers=()):
    """Chunked framing of `pieces` (bytes), with an optional extension on every chunk line."""
    out = []
    for p in pieces:
        if isinstance(p, str):
            p = p.encode()
        out.append(b"%x%s\r\n%s\r\n" % (len(p), (b";" + ext.encode()) if ext else b"", p))
    out.append(b"0\r\n")
    for k, v in trailers:
        out.append(f"{k}: {v}\r\n".encode())
    out.append(b"\r\n")
    return b"".join(out)


def exchange(port, data, head=False, timeout=DEFAULT_TIMEOUT):
    """One request on a fresh connection: send `data`, read one response, close."""
    with Conn(port, timeout) as c:
        c.send(data)
        return c.read_response(head=head)


FNV64_OFFSET_BASIS = 0xCBF29CE484222325  # 14695981039346656037


def fnv1a64(data, basis=FNV64_OFFSET_BASIS):
    h = basis
    for b in data:
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def check_digest(resp, body):
    """Asserts that a POST /digest response describes exactly `body`."""
    assert resp.status == 200, resp
    d = resp.json()
    assert d["length"] == len(body), (d, len(body))
    assert d["fnv1a64"] == fnv1a64(body), d
