"""The options of ``app.run()`` (SPEC §5): checked here, before anything is allocated.

The engine's options, their kinds, ranges and defaults come from the native module's one
table (``_viperhttp.options()``, bindings/common/options.h), so the device's and the PC's
defaults (``max_connections``: 8 and up to 512) are the engine's, never written here; the few
options the Python side handles itself are listed below.  A bad value raises ``ValueError``
whose message is the option's name; an unknown option raises ``TypeError``.
"""

from .logs import LEVELS

# Options handled in Python: name -> default.
PYTHON_DEFAULTS = {
    "log_level": "info",
    "access_log": True,
}
# Engine options that are not app.run() keywords: the server sets them (GZipMiddleware gives
# gzip_level; the Python access_log option gives the engine's).
SERVER_SET = ("gzip_level", "access_log")


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v):
    return (_is_int(v) or isinstance(v, float))


def engine_table():
    """``{name: (kind, default, min, max, field)}`` of the native engine
    (``_viperhttp.options()``)."""
    import _viperhttp  # the native module: only when an app is about to run

    return {row[0]: tuple(row[1:]) for row in _viperhttp.options()}


def valid(spec, value):
    """Whether ``value`` fits an option of the engine's table: "int": an int (not a bool)
    within [min, max]; "seconds": a number (not a bool) in (min, max]; "str": a str whose
    length is within [min, max]."""
    kind, _, low, high = spec[0], spec[1], spec[2], spec[3]
    if kind == "int":
        return _is_int(value) and low <= value <= high
    if kind == "seconds":
        return _is_number(value) and low < value <= high
    return isinstance(value, str) and low <= len(value) <= high


def _is_ipv4(host):
    parts = host.split(".")
    if len(parts) != 4:
        return False
    for p in parts:
        if not p.isdigit() or len(p) > 3 or int(p) > 255:
            return False
    return True


def validate_options(host, port, options, table=None):
    """Checks ``app.run`` options; returns (engine options, Python options).

    ``table``: the engine's option table (default: ``engine_table()``).  Engine options not
    given are left to the engine's defaults; it checks again what depends on several options
    (``max_uri_bytes`` below ``max_header_bytes``, ...) when it is created.
    """
    if table is None:
        table = engine_table()
    options = dict(options)
    py = {}
    for name, default in PYTHON_DEFAULTS.items():
        py[name] = options.pop(name, default)
    engine = {"host": host, "port": port}
    for name, value in options.items():
        if name not in table or name in SERVER_SET:
            raise TypeError("run() got an unexpected option {!r}".format(name))
        engine[name] = value
    for name, value in engine.items():
        if not valid(table[name], value):
            raise ValueError(name)
    if engine["host"] == "localhost":
        engine["host"] = "127.0.0.1"
    if not _is_ipv4(engine["host"]):
        raise ValueError("host")
    if py["log_level"] not in LEVELS:
        raise ValueError("log_level")
    if not isinstance(py["access_log"], bool):
        raise ValueError("access_log")
    return engine, py
