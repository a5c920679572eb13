"""app.run() options checked against the engine's option table (viperhttp.options), with a
table made by hand (no engine) and, where the native module is importable, the real one."""

from unit_support import raises
from viperhttp.options import valid, validate_options

# The shape of _viperhttp.options(): name -> (kind, default, min, max, field).
TABLE = {
    "host": ("str", "127.0.0.1", 1, 63, "ServerOptions::host"),
    "port": ("int", 8000, 0, 65535, "ServerOptions::port"),
    "poller": ("str", "epoll", 5, 6, "ServerOptions::poller"),
    "max_connections": ("int", 512, 1, 4096, "ServerOptions::max_connections"),
    "keepalive_timeout_s": ("seconds", 30.0, 0.0, 3600.0, "ServerOptions::keepalive_timeout_ms"),
    "evict_idle_after_ms": ("int", 1000, 0, 3600000, "ServerOptions::evict_idle_after_ms"),
    "gzip_level": ("int", 0, 0, 9, "ServerOptions::gzip_level"),
    "access_log": ("int", 0, 0, 1, "ServerOptions::access_log"),
    "ssl_certdata": ("bytes", b"", 1, 1 << 20, "ServerOptions::tls.cert_chain"),
    "ssl_keydata": ("bytes", b"", 1, 1 << 20, "ServerOptions::tls.key"),
    "ssl_keyfile_password": ("str", "", 1, 127, "ServerOptions::tls.key_password"),
    "ssl_cadata": ("bytes", b"", 1, 1 << 20, "ServerOptions::tls.ca_certs"),
    "ssl_cert_reqs": ("int", 0, 0, 2, "ServerOptions::tls.client_auth"),
    "ws_max_message_bytes": ("int", 4096, 125, 64 << 20, "ServerOptions::ws_max_message_bytes"),
    "ws_ping_interval_s": ("seconds", 30.0, 0.0, 3600.0, "ServerOptions::ws_ping_interval_ms"),
}


def check(**options):
    return validate_options(options.pop("host", "127.0.0.1"), options.pop("port", 0), options,
                            TABLE)


def bad(name, **options):
    with raises(ValueError) as e:
        check(**options)
    assert str(e.value) == name, (name, str(e.value))


def test_defaults_stay_the_engines():
    engine, py = check()
    assert engine == {"host": "127.0.0.1", "port": 0}  # nothing hard-coded here
    assert py == {"log_level": "info", "access_log": True}


def test_ranges_at_the_limit_and_one_past():
    assert check(max_connections=1)[0]["max_connections"] == 1
    assert check(max_connections=4096)[0]["max_connections"] == 4096
    bad("max_connections", max_connections=0)  # 0 is the engine's "platform default" only
    bad("max_connections", max_connections=4097)
    assert check(evict_idle_after_ms=0)[0]["evict_idle_after_ms"] == 0
    assert check(evict_idle_after_ms=3600000)[0]["evict_idle_after_ms"] == 3600000
    bad("evict_idle_after_ms", evict_idle_after_ms=3600001)
    bad("evict_idle_after_ms", evict_idle_after_ms=-1)
    bad("port", port=65536)


def test_kinds():
    bad("max_connections", max_connections=8.0)
    bad("max_connections", max_connections=True)
    bad("max_connections", max_connections="8")
    assert check(keepalive_timeout_s=0.001)[0]["keepalive_timeout_s"] == 0.001
    assert check(keepalive_timeout_s=3600)[0]["keepalive_timeout_s"] == 3600
    bad("keepalive_timeout_s", keepalive_timeout_s=0)
    bad("keepalive_timeout_s", keepalive_timeout_s=3600.5)
    bad("keepalive_timeout_s", keepalive_timeout_s=False)
    bad("keepalive_timeout_s", keepalive_timeout_s=float("nan"))
    bad("poller", poller="")
    bad("host", host=127)


def test_host():
    assert check(host="localhost")[0]["host"] == "127.0.0.1"
    assert check(host="0.0.0.0")[0]["host"] == "0.0.0.0"
    bad("host", host="example.com")
    bad("host", host="1.2.3.256")


def test_python_options():
    assert check(access_log=False)[1]["access_log"] is False
    bad("access_log", access_log=1)
    bad("log_level", log_level="verbose")



def test_websocket_options_are_the_engines():
    assert check(ws_max_message_bytes=125)[0]["ws_max_message_bytes"] == 125
    assert check(ws_ping_interval_s=3600)[0]["ws_ping_interval_s"] == 3600
    bad("ws_max_message_bytes", ws_max_message_bytes=124)
    bad("ws_ping_interval_s", ws_ping_interval_s=0)
    bad("ws_ping_interval_s", ws_ping_interval_s=3601)


def test_unknown_and_server_set_options():
    for name in ("bogus", "gzip_level", "max_connection"):
        with raises(TypeError) as e:
            check(**{name: 1})
        assert name in str(e.value)


def test_valid():
    assert valid(("int", 0, 1, 3, ""), 1) and valid(("int", 0, 1, 3, ""), 3)
    assert not valid(("int", 0, 1, 3, ""), 4) and not valid(("int", 0, 1, 3, ""), 0)
    assert not valid(("seconds", 1.0, 0.0, 2.0, ""), 0.0)
    assert valid(("str", "", 1, 2, ""), "ab") and not valid(("str", "", 1, 2, ""), "abc")


def test_ssl_options():
    # In-memory certificates: bytes, bytearray or str, at least one byte.
    engine, py = check(ssl_certdata=b"C", ssl_keydata="K")
    assert engine["ssl_certdata"] == b"C" and engine["ssl_keydata"] == "K"
    assert "ssl_names" in py and py["ssl_names"] == {"ssl_certfile": "ssl_certdata",
                                                     "ssl_keyfile": "ssl_keydata"}
    assert check(ssl_certdata=bytearray(b"C"), ssl_keydata=b"K")[0]["ssl_certdata"] == b"C"
    bad("ssl_certdata", ssl_certdata=b"", ssl_keydata=b"K")
    bad("ssl_certdata", ssl_certdata=5, ssl_keydata=b"K")
    bad("ssl_cert_reqs", ssl_certdata=b"C", ssl_keydata=b"K", ssl_cadata=b"A", ssl_cert_reqs=3)
    bad("ssl_cert_reqs", ssl_certdata=b"C", ssl_keydata=b"K", ssl_cadata=b"A",
        ssl_cert_reqs=True)
    assert check(ssl_certdata=b"C", ssl_keydata=b"K", ssl_cadata=b"A",
                 ssl_cert_reqs=2)[0]["ssl_cert_reqs"] == 2
    # uvicorn's default password None means "none"; an empty one is refused.
    assert "ssl_keyfile_password" not in check(ssl_certdata=b"C", ssl_keydata=b"K",
                                               ssl_keyfile_password=None)[0]
    bad("ssl_keyfile_password", ssl_certdata=b"C", ssl_keydata=b"K", ssl_keyfile_password="")
    bad("ssl_keyfile: required with ssl_certfile", ssl_certdata=b"C")
    bad("ssl_keydata: needs ssl_certfile (or ssl_certdata)", ssl_keydata=b"K")
    bad("ssl_ca_certs: required when ssl_cert_reqs is not CERT_NONE", ssl_certdata=b"C",
        ssl_keydata=b"K", ssl_cert_reqs=1)
    bad("ssl_certfile: give ssl_certfile or ssl_certdata, not both", ssl_certfile="x",
        ssl_certdata=b"C", ssl_keydata=b"K")
    bad("ssl_certfile", ssl_certfile="", ssl_keydata=b"K")
    with raises(OSError) as e:
        check(ssl_certfile="/nonexistent/c.pem", ssl_keydata=b"K")
    assert str(e.value).startswith("ssl_certfile: cannot read '/nonexistent/c.pem'"), str(e.value)


def test_ssl_cert_reqs_constants_and_defaults():
    # uvicorn's defaults (no certificate, ssl_cert_reqs=CERT_NONE, no CA, no password) serve
    # plain HTTP; the ssl module's constants are the numbers where the module has them.
    engine, _ = check(ssl_cert_reqs=0, ssl_ca_certs=None, ssl_keyfile_password=None)
    assert "ssl_cert_reqs" not in engine and "ssl_cadata" not in engine
    bad("ssl_cert_reqs: needs ssl_certfile (or ssl_certdata)", ssl_cert_reqs=2)
    try:
        import ssl
    except ImportError:
        return
    required = getattr(ssl, "CERT_REQUIRED", None)
    if required is None:
        return
    assert (ssl.CERT_NONE, ssl.CERT_OPTIONAL, required) == (0, 1, 2)
    engine, _ = check(ssl_certdata=b"C", ssl_keydata=b"K", ssl_cadata=b"A", ssl_cert_reqs=required)
    assert engine["ssl_cert_reqs"] == 2


def test_ssl_error_names_the_option_given():
    from viperhttp.options import ssl_error

    names = {"ssl_certfile": "ssl_certdata"}
    assert ssl_error("ssl_certfile: not a certificate", names) == "ssl_certdata: not a certificate"
    assert ssl_error("ssl_keyfile: bad", names) == "ssl_keyfile: bad"
    assert ssl_error("max_connections", names) == "max_connections"


def test_the_engines_table_when_present():
    try:
        import _viperhttp
    except ImportError:
        return  # CPython without the extension built: the hand-made table is enough
    table = {row[0]: row[1:] for row in _viperhttp.options()}
    for name in ("max_connections", "evict_idle_after_ms", "evict_head_after_ms", "slot_turn_ms",
                 "admission_timeout_ms", "keepalive_timeout_s", "max_header_bytes"):
        assert name in table, name
    kind, default, low, high, field = table["max_connections"]
    assert kind == "int" and low == 1 and default >= 1  # the platform's default, not 0
    for name in ("evict_idle_after_ms", "evict_head_after_ms", "slot_turn_ms",
                 "admission_timeout_ms"):
        assert table[name][0] == "int" and table[name][2:4] == (0, 3600000), name
    assert table["keepalive_timeout_s"][:2] == ("seconds", 30.0)
    for name in ("ssl_certdata", "ssl_keydata", "ssl_cadata"):
        assert table[name][:4] == ("bytes", b"", 1, 1 << 20), (name, table[name])
    assert table["ssl_cert_reqs"][:4] == ("int", 0, 0, 2)
    assert table["ssl_keyfile_password"][:4] == ("str", "", 1, 127)
    engine, _ = validate_options("127.0.0.1", 0, {"max_connections": 8})
    assert engine["max_connections"] == 8
