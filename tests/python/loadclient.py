"""Closed-loop keep-alive clients in one thread (selectors), for the pool tests.

Each client sends a GET, reads the whole response, and sends the next; a client whose
connection is closed politely (after a `Connection: close` response, or EOF between requests)
reconnects and goes on, as a browser does.  Anything else — a reset, an EOF in the middle of a
response, a refused connect — is an error a browser would show.

The run lasts a fixed time: fairness is about time (the server gives slots in turns measured
by its clock), so counting to a total would end a fast run before every client had a turn.
"""

import selectors
import socket
import time


class _Client:
    def __init__(self, index):
        self.index = index
        self.sock = None
        self.buf = b""
        self.sent = False
        self.done = 0


def _response_length(buf):
    """(length of the complete response at the start of buf or 0, status, close?)"""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return 0, 0, False
    head = buf[:end].decode("latin-1").lower().split("\r\n")
    status = int(head[0].split(" ")[1])
    length, close = 0, False
    for line in head[1:]:
        name, _, value = line.partition(":")
        if name == "content-length":
            length = int(value)
        elif name == "connection" and value.strip() == "close":
            close = True
    total = end + 4 + length
    return (total if len(buf) >= total else 0), status, close


def run(port, clients, seconds, path="/hello", host="127.0.0.1"):
    """Runs `clients` clients for `seconds`.  Returns a dict: per-client counts, errors (list of
    strings), statuses seen, reconnects."""
    request = ("GET %s HTTP/1.1\r\nHost: t\r\n\r\n" % path).encode()
    sel = selectors.DefaultSelector()
    cs = [_Client(i) for i in range(clients)]
    errors, statuses = [], {}
    reconnects = 0

    def connect(c):
        c.sock = socket.socket()
        c.sock.setblocking(False)
        c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        c.sock.connect_ex((host, port))
        c.buf, c.sent = b"", False
        sel.register(c.sock, selectors.EVENT_WRITE, c)

    def reconnect(c):
        nonlocal reconnects
        sel.unregister(c.sock)
        c.sock.close()
        reconnects += 1
        connect(c)

    for c in cs:
        connect(c)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for key, events in sel.select(0.1):
            c = key.data
            if events & selectors.EVENT_WRITE and not c.sent:
                err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    errors.append("client %d: connect failed (%d)" % (c.index, err))
                    reconnect(c)
                    continue
                c.sock.sendall(request)  # small: fits the socket buffer
                c.sent = True
                sel.modify(c.sock, selectors.EVENT_READ, c)
                continue
            try:
                data = c.sock.recv(65536)
            except BlockingIOError:
                continue
            except OSError as e:
                errors.append("client %d: %s" % (c.index, e))
                reconnect(c)
                continue
            if not data:
                if c.buf or c.sent:
                    errors.append("client %d: EOF in the middle of a request" % c.index)
                reconnect(c)
                continue
            c.buf += data
            n, status, close = _response_length(c.buf)
            if n == 0:
                continue
            statuses[status] = statuses.get(status, 0) + 1
            c.done += 1
            c.buf = c.buf[n:]
            if close:
                reconnect(c)
            else:
                c.sent = False
                sel.modify(c.sock, selectors.EVENT_WRITE, c)
    for c in cs:
        c.sock.close()
    sel.close()
    return {"counts": [c.done for c in cs], "errors": errors, "statuses": statuses,
            "reconnects": reconnects}
