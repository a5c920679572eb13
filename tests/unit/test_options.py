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
    engine, _ = validate_options("127.0.0.1", 0, {"max_connections": 8})
    assert engine["max_connections"] == 8
