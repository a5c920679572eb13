"""HTTPS through the Python API (issue 16): ``app.run(ssl_certfile=, ssl_keyfile=,
ssl_keyfile_password=, ssl_ca_certs=, ssl_cert_reqs=)`` with uvicorn's names, the in-memory
``ssl_certdata`` / ``ssl_keydata`` / ``ssl_cadata`` of a device, clear errors for bad files,
keys and passwords, ``request.url`` and the startup line saying https, and
HTTPSRedirectMiddleware.  Real clients: ``requests`` (urllib3 over Python's ssl) and
``ssl``-wrapped sockets."""

import json
import socket
import ssl

import pytest
import requests

from pyapi_support import ROOT
from test_run_options import run_cases

CREDS = ROOT / "tests" / "engine" / "tls"
EC_CERT, EC_KEY = str(CREDS / "ec-cert.pem"), str(CREDS / "ec-key.pem")
RSA_CERT, RSA_KEY = str(CREDS / "rsa-cert.pem"), str(CREDS / "rsa-key.pem")
CA_CERT = str(CREDS / "ca-cert.pem")
CLIENT = (str(CREDS / "client-cert.pem"), str(CREDS / "client-key.pem"))
TIMEOUT = 10


def get(srv, path, verify=EC_CERT, **kw):
    return requests.get("https://127.0.0.1:{}{}".format(srv.port, path), verify=verify,
                        timeout=TIMEOUT, **kw)


def stats(srv, verify=EC_CERT, **kw):
    return get(srv, "/__stats", verify, **kw).json()


def running_line(srv):
    return [line for line in srv.stderr_text().splitlines() if "running on" in line]


def test_certfile_and_keyfile_serve_https_keep_alive(start_app):
    srv = start_app("tls_app.py", ssl_certfile=EC_CERT, ssl_keyfile=EC_KEY)
    assert running_line(srv) == [
        "INFO:     ViperHTTP running on https://127.0.0.1:{} (Press CTRL+C to quit)".format(
            srv.port)]
    with requests.Session() as s:
        for _ in range(3):  # one connection, three requests
            r = s.get("https://127.0.0.1:{}/hello".format(srv.port), verify=EC_CERT,
                      timeout=TIMEOUT)
            assert r.status_code == 200
            assert r.json() == {"message": "Hello, World!"}
        r = s.get("https://127.0.0.1:{}/url?x=1".format(srv.port), verify=EC_CERT,
                  timeout=TIMEOUT)
        assert r.json() == {"url": "https://127.0.0.1:{}/url?x=1".format(srv.port),
                            "scheme": "https", "secure": True}
    st = stats(srv)
    assert st["tls_handshakes"] >= 2 and st["tls_failed"]["not_tls"] == 0


def test_plain_http_to_the_https_port_is_refused(start_app):
    srv = start_app("tls_app.py", ssl_certfile=EC_CERT, ssl_keyfile=EC_KEY)
    with socket.create_connection(("127.0.0.1", srv.port), timeout=TIMEOUT) as s:
        s.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    assert data.startswith(b"HTTP/1.1 400 "), data
    assert stats(srv)["tls_failed"]["not_tls"] == 1


def test_rsa_certificate(start_app):
    srv = start_app("tls_app.py", ssl_certfile=RSA_CERT, ssl_keyfile=RSA_KEY)
    assert get(srv, "/hello", verify=RSA_CERT).json() == {"message": "Hello, World!"}


@pytest.mark.parametrize("astext", [False, True], ids=["bytes", "str"])
def test_pem_from_memory(start_app, astext):
    srv = start_app("tls_app.py", certdata=EC_CERT, keydata=EC_KEY, astext=astext)
    assert get(srv, "/hello").json() == {"message": "Hello, World!"}


def test_der_from_memory(start_app):
    srv = start_app("tls_app.py", certdata=str(CREDS / "ec-cert.der"),
                    keydata=str(CREDS / "ec-key.der"))
    assert get(srv, "/hello").json() == {"message": "Hello, World!"}
    # The certificate served is the one given (DER of the leaf).
    ctx = ssl.create_default_context(cafile=EC_CERT)
    with socket.create_connection(("127.0.0.1", srv.port), timeout=TIMEOUT) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            assert s.getpeercert(binary_form=True) == (CREDS / "ec-cert.der").read_bytes()


def test_encrypted_key_with_password(start_app):
    srv = start_app("tls_app.py", ssl_certfile=EC_CERT,
                    ssl_keyfile=str(CREDS / "ec-key-encrypted.pem"), ssl_keyfile_password="secret")
    assert get(srv, "/hello").json() == {"message": "Hello, World!"}


def test_client_certificate_required(start_app):
    srv = start_app("tls_app.py", ssl_certfile=EC_CERT, ssl_keyfile=EC_KEY,
                    ssl_ca_certs=CA_CERT, ssl_cert_reqs=2)
    assert get(srv, "/hello", cert=CLIENT).json() == {"message": "Hello, World!"}
    with pytest.raises(requests.exceptions.RequestException):
        get(srv, "/hello")  # no client certificate: the handshake fails
    # A certificate not signed by ssl_ca_certs (the server's own, self-signed) is refused too.
    with pytest.raises(requests.exceptions.RequestException):
        get(srv, "/hello", cert=(EC_CERT, EC_KEY))
    st = stats(srv, cert=CLIENT)
    assert st["tls_failed"]["client_cert"] == 2, st["tls_failed"]


def test_client_certificate_optional_from_memory(start_app):
    srv = start_app("tls_app.py", ssl_certfile=EC_CERT, ssl_keyfile=EC_KEY, cadata=CA_CERT,
                    ssl_cert_reqs=1)
    assert get(srv, "/hello").json() == {"message": "Hello, World!"}
    assert get(srv, "/hello", cert=CLIENT).json() == {"message": "Hello, World!"}


def test_https_redirect_middleware_on_a_plain_server(start_app):
    srv = start_app("tls_app.py", redirect=True)
    r = requests.get("http://127.0.0.1:{}/url?a=1&b=2".format(srv.port), timeout=TIMEOUT,
                     allow_redirects=False)
    assert r.status_code == 307
    assert r.headers["location"] == "https://127.0.0.1:{}/url?a=1&b=2".format(srv.port)
    assert "running on http://" in running_line(srv)[0]


def test_https_redirect_middleware_on_an_https_server_passes(start_app):
    srv = start_app("tls_app.py", redirect=True, ssl_certfile=EC_CERT, ssl_keyfile=EC_KEY)
    r = get(srv, "/url", allow_redirects=False)
    assert r.status_code == 200
    assert r.json()["scheme"] == "https"


def test_static_file_over_https(start_app, tmp_path):
    body = bytes(range(256)) * 4  # 1 KB
    (tmp_path / "one.bin").write_bytes(body)
    srv = start_app("tls_app.py", ssl_certfile=EC_CERT, ssl_keyfile=EC_KEY, static=str(tmp_path))
    r = get(srv, "/static/one.bin")
    assert r.status_code == 200 and r.content == body


NOT_CERT = str(ROOT / "README.md")
# (options, exception type, message): app.run raises before serving.
BAD = [
    ({"ssl_certfile": "/nonexistent/cert.pem", "ssl_keyfile": EC_KEY}, "OSError",
     "ssl_certfile: cannot read '/nonexistent/cert.pem'"),
    ({"ssl_certfile": EC_CERT, "ssl_keyfile": "/nonexistent/key.pem"}, "OSError",
     "ssl_keyfile: cannot read '/nonexistent/key.pem'"),
    ({"ssl_certfile": NOT_CERT, "ssl_keyfile": EC_KEY}, "ValueError",
     "ssl_certfile: not a certificate (PEM or DER)"),
    ({"ssl_certfile": EC_CERT, "ssl_keyfile": EC_CERT}, "ValueError",
     "ssl_keyfile: not a private key (PEM or DER)"),
    ({"ssl_certfile": EC_CERT, "ssl_keyfile": RSA_KEY}, "ValueError",
     "ssl_keyfile: does not match the certificate"),
    ({"ssl_certfile": EC_CERT, "ssl_keyfile": str(CREDS / "ec-key-encrypted.pem")},
     "ValueError", "ssl_keyfile_password: missing or wrong"),
    ({"ssl_certfile": EC_CERT, "ssl_keyfile": str(CREDS / "ec-key-encrypted.pem"),
      "ssl_keyfile_password": "wrong"}, "ValueError", "ssl_keyfile_password: missing or wrong"),
    ({"ssl_certfile": EC_CERT}, "ValueError", "ssl_keyfile: required with ssl_certfile"),
    ({"ssl_keyfile": EC_KEY}, "ValueError", "ssl_keydata: needs ssl_certfile (or ssl_certdata)"),
    ({"ssl_certfile": EC_CERT, "ssl_keyfile": EC_KEY, "ssl_cert_reqs": 2}, "ValueError",
     "ssl_ca_certs: required when ssl_cert_reqs is not CERT_NONE"),
    ({"ssl_certfile": EC_CERT, "ssl_keyfile": EC_KEY, "ssl_cert_reqs": 3}, "ValueError",
     "ssl_cert_reqs"),
    ({"ssl_certfile": EC_CERT, "ssl_keyfile": EC_KEY, "ssl_cert_reqs": "2"}, "ValueError",
     "ssl_cert_reqs"),
    ({"ssl_certfile": EC_CERT, "ssl_keyfile": EC_KEY, "ssl_ca_certs": NOT_CERT,
      "ssl_cert_reqs": 2}, "ValueError", "ssl_ca_certs: not a certificate (PEM or DER)"),
    ({"ssl_certfile": EC_CERT, "ssl_keyfile": EC_KEY, "ssl_keyfile_password": ""},
     "ValueError", "ssl_keyfile_password"),
    ({"ssl_certfile": 5, "ssl_keyfile": EC_KEY}, "ValueError", "ssl_certfile"),
    ({"ssl_certfile": EC_CERT, "ssl_certdata": {"__bytes__": "x"}, "ssl_keyfile": EC_KEY},
     "ValueError", "ssl_certfile: give ssl_certfile or ssl_certdata, not both"),
    ({"ssl_certdata": {"__bytes__": "garbage"}, "ssl_keyfile": EC_KEY}, "ValueError",
     "ssl_certdata: not a certificate (PEM or DER)"),
    ({"ssl_certdata": {"__bytes__": ""}, "ssl_keyfile": EC_KEY}, "ValueError", "ssl_certdata"),
    ({"ssl_certdata": 12, "ssl_keyfile": EC_KEY}, "ValueError", "ssl_certdata"),
    ({"ssl_certfile": EC_CERT, "ssl_keydata": {"__bytes__": "-----BEGIN EC PRIVATE KEY-----"}},
     "ValueError", "ssl_keydata: not a private key (PEM or DER)"),
]


@pytest.fixture(scope="module")
def bad_results():
    return run_cases([case for case, _, _ in BAD])


@pytest.mark.parametrize("index", range(len(BAD)), ids=[c[2] for c in BAD])
def test_bad_tls_option_raises_naming_the_option(bad_results, index):
    _, exc, message = BAD[index]
    res = bad_results[index]
    assert res is not None and res["served"] is None, res
    assert res["result"].startswith("raised " + exc + " "), res
    args = json.loads(res["result"].split(" ", 2)[2])
    if exc == "OSError":
        assert args[0].startswith(message), args
    else:
        assert args == [message], args
