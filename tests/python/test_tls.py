"""HTTPS in the engine (issue 16): the handshake, ALPN, session resumption, files without
sendfile, plain HTTP to the TLS port, bad and stuck handshakes, client certificates — through
real clients: Python's ssl, openssl s_client and curl.  (The rest of the e2e suite runs once more
over TLS with VIPER_TLS=1: scripts/test.sh.)"""

import os
import shutil
import socket
import ssl
import subprocess
import time

import pytest

import rawhttp
from conftest import TLS, TLS_DIR

HELLO = b'{"message":"hello"}'
CERT = ["--tls-cert", str(TLS_DIR / "ec-cert.pem"), "--tls-key", str(TLS_DIR / "ec-key.pem")]

pytestmark = pytest.mark.skipif(TLS, reason="these tests start their own TLS servers")


def client_context(**kw):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(str(TLS_DIR / "ec-cert.pem"))  # verified: our own certificate
    for k, v in kw.items():
        setattr(ctx, k, v)
    return ctx


def tls_conn(srv, ctx=None, session=None, alpn=None):
    ctx = ctx or client_context()
    if alpn:
        ctx.set_alpn_protocols(alpn)
    raw = socket.create_connection((srv.host, srv.port), timeout=5)
    s = ctx.wrap_socket(raw, server_hostname="localhost", session=session)
    c = rawhttp.Conn.__new__(rawhttp.Conn)
    c.timeout, c.sock, c.buf = 5, s, b""
    return c


@pytest.fixture
def srv(make_server):
    return make_server(*CERT)


def test_https_request_keepalive_and_certificate(srv):
    c = tls_conn(srv)
    try:
        assert c.sock.version() == "TLSv1.2"  # mbedTLS 2.28 (Debian 12); 3.x adds TLS 1.3
        assert "GCM" in c.sock.cipher()[0] or "CHACHA20" in c.sock.cipher()[0]
        for i in range(3):
            r = c.request("GET", "/items/%d" % i)
            assert r.status == 200 and r.json()["item_id"] == i
        c.close_and_wait()
    finally:
        c.close()


def test_alpn(make_server):
    plain = make_server(*CERT)
    c = tls_conn(plain, alpn=["h2", "http/1.1"])
    assert c.sock.selected_alpn_protocol() == "http/1.1"  # h2 only when offered (--tls-h2)
    c.close()
    h2 = make_server(*CERT, "--tls-h2")
    c = tls_conn(h2, alpn=["h2", "http/1.1"])
    assert c.sock.selected_alpn_protocol() == "h2"
    c.close()


def test_session_resumption(srv):
    ctx = client_context(maximum_version=ssl.TLSVersion.TLSv1_2)
    first = tls_conn(srv, ctx)
    assert first.request("GET", "/hello").body == HELLO
    session = first.sock.session
    first.close_and_wait()
    again = tls_conn(srv, ctx, session=session)
    assert again.sock.session_reused
    assert again.request("GET", "/hello").body == HELLO
    again.close_and_wait()
    st = tls_stats(srv)
    assert st["tls_handshakes"] >= 2 and st["tls_resumed"] >= 1


def tls_stats(srv):
    c = tls_conn(srv)
    r = c.request("GET", "/stats", [("Connection", "close")])
    c.close()
    import json
    return json.loads(r.body)


def test_plain_http_to_the_tls_port_gets_a_plain_400(srv):
    with socket.create_connection((srv.host, srv.port), timeout=5) as s:
        s.sendall(b"GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert b"Connection: close" in head
    assert body == b'{"detail":"This is an HTTPS port: use https://"}'
    assert tls_stats(srv)["tls_failed"]["not_tls"] == 1


def test_garbage_and_truncated_hellos_do_not_disturb_others(srv):
    c = tls_conn(srv)  # a client in the middle of its keep-alive connection
    assert c.request("GET", "/hello").body == HELLO
    bad = [
        bytes([0x16, 3, 1, 0, 40, 1, 0, 0, 36, 3, 3]) + b"\xee" * 34,  # nonsense ClientHello
        bytes([0x16, 3, 1, 0x40, 0]),                                 # truncated record
        os.urandom(300),                                               # noise
    ]
    for data in bad:
        with socket.create_connection((srv.host, srv.port), timeout=5) as s:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
            s.settimeout(5)
            try:
                while s.recv(4096):
                    pass
            except ConnectionResetError:
                pass
    assert c.request("GET", "/hello").body == HELLO
    st = tls_stats(srv)
    assert sum(st["tls_failed"].values()) == 3
    assert st["tls_sessions_in_use"] == 2  # c and the stats connection
    c.close()


def test_a_slowloris_of_handshakes_cannot_hold_slots(make_server):
    # Four slots, six clients each stuck after half a ClientHello: the handshake counts as the
    # head stage, so they are evicted for a real client (and time out anyway).
    srv = make_server(*CERT, "--max-connections", 4, "--evict-head-after-ms", 100,
                      "--header-timeout", 30)
    hello = tls_hello_prefix()
    stuck = []
    try:
        for _ in range(6):
            s = socket.create_connection((srv.host, srv.port), timeout=5)
            s.sendall(hello)
            stuck.append(s)
        c = tls_conn(srv)
        r = c.request("GET", "/hello", [("Connection", "close")])
        assert r.status == 200 and r.body == HELLO
        c.close()
        st = tls_stats(srv)
        assert st["evicted_head"] >= 3
    finally:
        for s in stuck:
            s.close()


def tls_hello_prefix():
    """The first half of a real ClientHello, as Python's ssl writes it."""
    outgoing = ssl.MemoryBIO()
    obj = client_context().wrap_bio(ssl.MemoryBIO(), outgoing, server_hostname="localhost")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    data = outgoing.read()
    assert data[0] == 0x16  # a handshake record
    return data[: len(data) // 2]


def test_static_file_over_tls_without_sendfile(make_server, tmp_path):
    big = os.urandom(300_000)
    (tmp_path / "big.bin").write_bytes(big)
    srv = make_server(*CERT, "--static", "/s=%s" % tmp_path)
    c = tls_conn(srv)
    r = c.request("GET", "/s/big.bin")
    assert r.status == 200 and r.body == big
    r = c.request("GET", "/s/big.bin", [("Range", "bytes=1000-1999")])
    assert r.status == 206 and r.body == big[1000:2000]
    c.close_and_wait()


def test_redirects_keep_the_https_scheme(srv):
    c = tls_conn(srv)
    r = c.request("GET", "/sensors")  # the slash redirect
    assert r.status == 307 and r.header("Location") == "https://t/sensors/"
    c.close()


def test_streamed_and_pipelined_over_tls(srv):
    c = tls_conn(srv)
    c.send(rawhttp.build("GET", "/hello") * 3)
    for _ in range(3):
        assert c.read_response().body == HELLO
    r = c.request("GET", "/stream?chunks=20")
    assert r.status == 200 and r.chunks is not None
    c.close()


def test_client_certificates(make_server):
    srv = make_server(*CERT, "--tls-ca", str(TLS_DIR / "ca-cert.pem"),
                      "--tls-client-auth", "required")
    with pytest.raises((ssl.SSLError, ConnectionResetError, OSError)):
        c = tls_conn(srv)
        c.request("GET", "/hello")
    ctx = client_context()
    ctx.load_cert_chain(str(TLS_DIR / "client-cert.pem"), str(TLS_DIR / "client-key.pem"))
    c = tls_conn(srv, ctx)
    assert c.request("GET", "/hello").body == HELLO
    c.close()


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")
def test_openssl_s_client_protocols(srv):
    def s_client(*args):
        p = subprocess.run(["openssl", "s_client", "-connect", "%s:%d" % (srv.host, srv.port),
                            *args], input=b"", capture_output=True, timeout=20)
        return p.stdout.decode(errors="replace") + p.stderr.decode(errors="replace")

    out = s_client("-alpn", "http/1.1")
    assert "ALPN protocol: http/1.1" in out
    # The key exchange: P-256, the server's preference, even when the client lists a larger
    # curve first (P-521 costs twice the CPU per handshake); P-521 is not offered at all.
    assert "Server Temp Key: ECDH, prime256v1" in out, out
    assert "Server Temp Key: ECDH, prime256v1" in s_client("-groups", "P-521:P-384:P-256")
    assert "Cipher is (NONE)" in s_client("-groups", "P-521")
    for old in ("-tls1", "-tls1_1"):
        out = s_client(old)
        assert "Cipher is (NONE)" in out or "no protocols available" in out or "alert" in out


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl not installed")
def test_curl(srv):
    # The certificate names localhost; --resolve sends that name to wherever the server listens
    # (a tap address in the lwIP run).
    p = subprocess.run(["curl", "-sS", "--cacert", str(TLS_DIR / "ec-cert.pem"),
                        "--resolve", "localhost:%d:%s" % (srv.port, srv.host),
                        "https://localhost:%d/hello" % srv.port, "https://localhost:%d/items/3"
                        % srv.port], capture_output=True, timeout=20)
    assert p.returncode == 0, p.stderr
    assert p.stdout == HELLO + b'{"item_id":3,"q":null}'


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")
def test_renegotiation_is_refused_and_others_keep_being_served(srv):
    # openssl s_client renegotiates when a line read from stdin is "R" (TLS 1.2: 1.3 has no
    # renegotiation).  The engine has renegotiation disabled: mbedTLS answers the new
    # ClientHello with a no_renegotiation alert, no second handshake is made, and a client
    # already connected is served before and after.
    c = tls_conn(srv)
    assert c.request("GET", "/hello").body == HELLO
    before = tls_stats(srv)["tls_handshakes"]
    for _ in range(2):
        p = subprocess.Popen(["openssl", "s_client", "-connect", "%s:%d" % (srv.host, srv.port),
                              "-tls1_2", "-servername", "localhost"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            p.stdin.write(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            p.stdin.flush()
            seen = b""
            deadline = time.monotonic() + 10
            while HELLO not in seen and time.monotonic() < deadline:
                seen += os.read(p.stdout.fileno(), 65536)
            assert HELLO in seen, seen  # answered before the attempt
            p.stdin.write(b"R\n")  # a read of its own: s_client looks at its first byte
            p.stdin.flush()
            time.sleep(0.5)
            p.stdin.close()
            out = p.stdout.read()  # s_client ends at the end of its input
            p.wait(10)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        out = (seen + out).decode(errors="replace")
        assert "RENEGOTIATING" in out, out
        assert "no renegotiation" in out, out  # the server's no_renegotiation alert
        assert "TLSv1.2" in out, out
    assert c.request("GET", "/hello").body == HELLO
    st = tls_stats(srv)
    # The two s_client handshakes and the stats connection's: none was made again.
    assert st["tls_handshakes"] == before + 3, st
    c.close()
