"""The buffered client of bench/sse.sh: C connections each GET a streamed body and read it
with large recv()s (curl -N tops out near 390k events/s here; this counts events with
bytes.count, so the client is not what is measured).

  sse_client.py events PORT CLIENTS N   -> events/s over all clients, p50/p99 delivery latency
  sse_client.py blob PORT MB            -> MB/s of one 100 MB body

Latency: at each recv, the newest complete event's timestamp (time.time_ns() when the server
produced it) against the client's clock; one sample per recv.
"""

import json
import selectors
import socket
import sys
import time


def connect(port, path):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(("GET %s HTTP/1.1\r\nHost: bench\r\n\r\n" % path).encode())
    return s


def events(port, clients, n):
    sel = selectors.DefaultSelector()
    socks = []
    for _ in range(clients):
        s = connect(port, "/sse?n=%d" % n)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, {"count": 0, "tail": b"", "done": False})
        socks.append(s)
    latencies = []
    total = 0
    open_ = clients
    t0 = time.monotonic()
    while open_:
        for key, _ in sel.select(10):
            st = key.data
            data = key.fileobj.recv(1 << 18)
            if not data:
                raise SystemExit("server closed a stream early")
            buf = st["tail"] + data
            k = buf.count(b"\n\n")
            st["count"] += k
            total += k
            end = buf.rfind(b"\n\n")
            if end >= 0:
                start = buf.rfind(b"data: ", 0, end)
                if start >= 0:
                    fields = buf[start + 6:end].split()
                    if len(fields) == 2:
                        latencies.append(time.time_ns() - int(fields[1]))
                st["tail"] = buf[end + 2:][-64:]
            else:
                st["tail"] = buf[-64:]
            if st["count"] >= n:
                sel.unregister(key.fileobj)
                key.fileobj.close()
                open_ -= 1
    dt = time.monotonic() - t0
    latencies.sort()
    pct = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))] / 1e6
    return {"clients": clients, "events": total, "seconds": round(dt, 3),
            "events_per_s": round(total / dt), "p50_ms": round(pct(0.50), 2),
            "p99_ms": round(pct(0.99), 2)}


def blob(port, mb):
    s = connect(port, "/blob?mb=%d" % mb)
    want = mb * 1048576
    got = 0
    t0 = time.monotonic()
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(65536)
    got = len(head.split(b"\r\n\r\n", 1)[1])
    while got < want:
        data = s.recv(1 << 20)
        if not data:
            break
        got += len(data)
    dt = time.monotonic() - t0
    s.close()
    return {"mb": mb, "bytes": got, "seconds": round(dt, 3), "mb_per_s": round(got / dt / 1048576, 1)}


if __name__ == "__main__":
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "events":
        print(json.dumps(events(port, int(sys.argv[3]), int(sys.argv[4]))))
    else:
        print(json.dumps(blob(port, int(sys.argv[3]))))
