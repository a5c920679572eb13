"""Static mounts in the engine alone (SPEC §3.8), through sockets: viper_demo with --static,
--static-html, --pack and --file.  Runs on both pollers and under ASan+UBSan (scripts/test.sh),
so the file path — sendfile transfers, the hot-file cache, pack mappings, multipart ranges,
pipelining behind a file body, aborted downloads — is checked by the sanitizers too.  The
Python API's behaviour is covered in tests/pyapi/test_static_files.py."""

import concurrent.futures
import gzip
import hashlib
import os
import socket
import subprocess
import sys

import pytest

from conftest import MAX_CONNECTIONS, ROOT, scaled, scheme_of
from rawhttp import build

SMALL = b"small file body\n" * 8               # 128 bytes: cached
MEDIUM = bytes(range(256)) * 40                 # 10 KB
LARGE = os.urandom(3 * 1024 * 1024 + 7)         # sendfile, several turns


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("www")
    (root / "small.txt").write_bytes(SMALL)
    (root / "medium.bin").write_bytes(MEDIUM)
    (root / "large.bin").write_bytes(LARGE)
    (root / "page.html").write_bytes(b"<p>page</p>" * 100)
    (root / "page.html.gz").write_bytes(gzip.compress(b"<p>page</p>" * 100))
    (root / "index.html").write_bytes(b"<h1>index</h1>")
    (root / "404.html").write_bytes(b"<p>custom 404</p>")
    (root / "sub").mkdir()
    (root / "sub" / "index.html").write_bytes(b"<h1>sub</h1>")
    outside = tmp_path_factory.mktemp("outside") / "secret.txt"
    outside.write_bytes(b"TOP SECRET")
    (root / "escape.txt").symlink_to(outside)
    (root / "inside.txt").symlink_to(root / "small.txt")
    os.mkfifo(root / "pipe")  # opening it for reading would block without O_NONBLOCK
    # The packer refuses a symlink that leaves the directory: pack a copy without it.
    packed = tmp_path_factory.mktemp("packed")
    for name in ("small.txt", "medium.bin", "large.bin", "page.html", "index.html", "404.html"):
        (packed / name).write_bytes((root / name).read_bytes())
    pack = tmp_path_factory.mktemp("pack") / "site.vpak"
    subprocess.run([sys.executable, str(ROOT / "tools" / "pack_assets.py"), str(packed), str(pack),
                    "--mtime", "1700000000"], check=True, capture_output=True, timeout=60)
    return root, pack


@pytest.fixture(scope="module")
def srv(module_server_factory, tree):
    root, pack = tree
    return module_server_factory("--max-connections", MAX_CONNECTIONS, "--static", f"/s={root}",
                                 "--static-html", f"/site={root}", "--pack", f"/p={pack}",
                                 "--file", f"/one.txt={root / 'small.txt'}")


def get(srv, path, headers=(), method="GET"):
    with srv.conn() as c:
        return c.request(method, path, list(headers))


@pytest.mark.parametrize("path, body", [("/s/small.txt", SMALL), ("/s/medium.bin", MEDIUM),
                                        ("/s/large.bin", LARGE), ("/one.txt", SMALL),
                                        ("/s/inside.txt", SMALL)])
def test_whole_files(srv, path, body):
    for _ in range(2):  # the second time from the cache where the file is small enough
        r = get(srv, path)
        assert r.status == 200
        assert r.body == body
        assert r.header("Content-Length") == str(len(body))
        assert r.header("Cache-Control") == "no-cache"


def test_pipelined_file_responses_stay_in_order(srv):
    with srv.conn() as c:
        c.send(build("GET", "/s/large.bin") + build("HEAD", "/s/medium.bin") +
               build("GET", "/s/small.txt") + build("GET", "/hello") +
               build("GET", "/s/medium.bin", [("Range", "bytes=0-0,-1")]))
        assert c.read_response().body == LARGE
        head = c.read_response(head=True)
        assert head.header("Content-Length") == str(len(MEDIUM)) and head.body == b""
        assert c.read_response().body == SMALL
        assert c.read_response().status == 200
        r = c.read_response()
        assert r.status == 206
        assert r.header("Content-Type").startswith("multipart/byteranges; boundary=")
        assert c.buf == b""


def test_ranges(srv):
    r = get(srv, "/s/large.bin", [("Range", "bytes=1000000-1000009")])
    assert r.status == 206 and r.body == LARGE[1000000:1000010]
    assert r.header("Content-Range") == f"bytes 1000000-1000009/{len(LARGE)}"
    r = get(srv, "/s/small.txt", [("Range", "bytes=-5")])
    assert r.body == SMALL[-5:]
    r = get(srv, "/s/small.txt", [("Range", "bytes=500-")])
    assert r.status == 416 and r.header("Content-Range") == f"bytes */{len(SMALL)}"


def test_multipart_byteranges_bytes(srv):
    r = get(srv, "/s/medium.bin", [("Range", "bytes=0-9, 100-109, -10")])
    assert r.status == 206
    boundary = r.header("Content-Type").split("boundary=")[1].encode()
    parts = r.body.split(b"--" + boundary)
    assert parts[0] == b"\r\n" and parts[-1] == b"--\r\n"
    assert int(r.header("Content-Length")) == len(r.body)
    want = [(0, 9), (100, 109), (len(MEDIUM) - 10, len(MEDIUM) - 1)]
    for part, (a, b) in zip(parts[1:-1], want):
        head, _, data = part.partition(b"\r\n\r\n")
        assert f"Content-Range: bytes {a}-{b}/{len(MEDIUM)}".encode() in head
        assert data == MEDIUM[a:b + 1] + b"\r\n"


def test_not_modified(srv):
    r = get(srv, "/s/small.txt")
    r2 = get(srv, "/s/small.txt", [("If-None-Match", r.header("ETag"))])
    assert r2.status == 304 and r2.body == b""
    r3 = get(srv, "/s/small.txt", [("If-Modified-Since", r.header("Last-Modified"))])
    assert r3.status == 304


def test_gzip_variant_and_html(srv):
    r = get(srv, "/s/page.html", [("Accept-Encoding", "gzip")])
    assert r.header("Content-Encoding") == "gzip" and r.header("Vary") == "Accept-Encoding"
    assert gzip.decompress(r.body) == b"<p>page</p>" * 100
    assert get(srv, "/site/").body == b"<h1>index</h1>"
    assert get(srv, "/site/sub/").body == b"<h1>sub</h1>"
    r = get(srv, "/site/sub")
    assert r.status == 307 and r.header("Location") == scheme_of("http://t/site/sub/")
    r = get(srv, "/site/nothing")
    assert r.status == 404 and r.body == b"<p>custom 404</p>"


def test_pack(srv):
    r = get(srv, "/p/medium.bin")
    assert r.status == 200 and r.body == MEDIUM
    r = get(srv, "/p/page.html", [("Accept-Encoding", "gzip")])
    assert r.header("Content-Encoding") == "gzip"
    assert gzip.decompress(r.body) == b"<p>page</p>" * 100
    assert r.header("ETag").endswith('-gz"')
    assert get(srv, "/p/").body == b"<h1>index</h1>"
    r = get(srv, "/p/large.bin", [("Range", "bytes=5-9,20-29")])
    assert r.status == 206 and LARGE[5:10] in r.body and LARGE[20:30] in r.body


@pytest.mark.parametrize("target", [
    "/s/../small.txt", "/s/%2e%2e/small.txt", "/s/..%2fsmall.txt", "/s/%2E%2E%2Fsmall.txt",
    "/s/sub/..%5csmall.txt", "/s/sub\\..\\small.txt", "/s/small.txt%00", "/s/./small.txt",
    "/s//small.txt", "/s/escape.txt", "/p/../small.txt", "/p/%2e%2e/x",
])
def test_traversal_refused(srv, target):
    with srv.conn() as c:
        c.send(f"GET {target} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
        r = c.read_response()
    assert r.status in (400, 404), (target, r)
    assert b"TOP SECRET" not in r.body


def test_only_get_and_head(srv):
    r = get(srv, "/s/small.txt", method="POST")
    assert r.status == 405 and r.header("Allow") == "GET, HEAD"


def test_concurrent_downloads_and_counters(srv):
    before = srv.stats()
    n = scaled(16, 6)

    def download(_):
        with srv.conn(timeout=60) as c:
            return hashlib.sha256(c.request("GET", "/s/large.bin").body).hexdigest()

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        digests = list(pool.map(download, range(n)))
    assert digests == [hashlib.sha256(LARGE).hexdigest()] * n
    after = srv.stats()
    assert after["static_requests"] - before["static_requests"] == n
    assert after["transfers_active"] == 0
    assert after["file_bytes"] - before["file_bytes"] >= n * len(LARGE)


def test_aborted_downloads_release_everything(srv):
    for _ in range(scaled(20, 8)):
        s = socket.create_connection((srv.host, srv.port), timeout=5)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.sendall(build("GET", "/s/large.bin"))
        s.recv(1000)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        s.close()  # RST mid-transfer
    import time

    deadline = time.monotonic() + 10
    while srv.stats()["transfers_active"] != 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    s = srv.stats()
    assert s["transfers_active"] == 0
    assert get(srv, "/s/small.txt").body == SMALL


@pytest.mark.parametrize("args, message", [
    (["--pack", "/p=/no/such.vpak"], "mount /p: source: cannot map the asset pack"),
    (["--static", "/s=/no/such/dir"], "mount /s: source: not a readable directory"),
    (["--pack", f"/p={__file__}"], "mount /p: not an asset pack"),
    (["--static", "s=/tmp"], "mount s: prefix"),
    (["--static", "/s=/tmp", "--static", "/s=/tmp"], "mount /s: route conflict"),
])
def test_bad_mounts_refused_at_start(args, message):
    from conftest import DEMO

    proc = subprocess.run([DEMO, "--port", "0", *args], capture_output=True, timeout=30)
    assert proc.returncode == 2
    assert message.encode() in proc.stderr


def test_without_sendfile(make_server, tree):
    # The device's path (lwIP has no sendfile): files read into the output buffer piece by
    # piece.  Whole files, ranges, pipelining and an aborted download.
    root, _ = tree
    srv = make_server("--no-sendfile", "--static-cache-bytes", "0", "--static", f"/s={root}")
    with srv.conn(timeout=60) as c:
        c.send(build("GET", "/s/large.bin") + build("GET", "/s/medium.bin",
                                                     [("Range", "bytes=0-9,-10")]) +
               build("GET", "/s/small.txt"))
        assert c.read_response().body == LARGE
        r = c.read_response()
        assert r.status == 206 and MEDIUM[:10] in r.body and MEDIUM[-10:] in r.body
        assert c.read_response().body == SMALL
    s = socket.create_connection((srv.host, srv.port), timeout=5)
    s.sendall(build("GET", "/s/large.bin"))
    s.recv(1000)
    s.close()
    assert get(srv, "/s/medium.bin").body == MEDIUM
    before = srv.stats()
    assert before["io_buffers_in_use"] <= 2


def test_fifo_neither_served_nor_blocking(srv):
    for path in ("/s/pipe", "/s/pipe", "/site/pipe"):
        r = get(srv, path)
        assert r.status == 404
    assert get(srv, "/s/small.txt").body == SMALL
