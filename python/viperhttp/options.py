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


# HTTPS (uvicorn's names): files read here into the engine's in-memory options, which a device
# may also give directly (bytes or str, PEM or DER).  file option -> data option.
SSL_FILES = (("ssl_certfile", "ssl_certdata"), ("ssl_keyfile", "ssl_keydata"),
             ("ssl_ca_certs", "ssl_cadata"))


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
    length is within [min, max]; "bytes": bytes, bytearray or str of such a length."""
    kind, _, low, high = spec[0], spec[1], spec[2], spec[3]
    if kind == "bytes":
        return isinstance(value, (bytes, bytearray, str)) and low <= len(value) <= high
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
    names = _read_ssl_files(options)
    if names:
        py["ssl_names"] = names
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
    _check_ssl(engine)
    if py["log_level"] not in LEVELS:
        raise ValueError("log_level")
    if not isinstance(py["access_log"], bool):
        raise ValueError("access_log")
    return engine, py


def _read_file(name, path):
    if not isinstance(path, str) or not path:
        raise ValueError(name)
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as exc:
        raise OSError("{}: cannot read {!r} ({})".format(name, path, exc))


def _read_ssl_files(options):
    """Replaces ``ssl_certfile``, ``ssl_keyfile``, ``ssl_ca_certs`` in ``options`` by the
    files' contents under the engine's names; returns {engine message prefix: the option the
    user gave}, so that the engine's errors ("ssl_certfile: ...") name what the user wrote."""
    names = {}
    for file_opt, data_opt in SSL_FILES:
        path = options.pop(file_opt, None)
        if path is None:
            if data_opt in options:
                names[file_opt] = data_opt
            continue
        if data_opt in options:
            raise ValueError("{}: give {} or {}, not both".format(file_opt, file_opt, data_opt))
        options[data_opt] = _read_file(file_opt, path)
    if options.get("ssl_keyfile_password") is None:
        options.pop("ssl_keyfile_password", None)
    return names


def _check_ssl(engine):
    if "ssl_certdata" in engine:
        if "ssl_keydata" not in engine:
            raise ValueError("ssl_keyfile: required with ssl_certfile")
        if engine.get("ssl_cert_reqs", 0) and "ssl_cadata" not in engine:
            raise ValueError("ssl_ca_certs: required when ssl_cert_reqs is not CERT_NONE")
    else:
        # ssl_cert_reqs=0 (uvicorn's default, ssl.CERT_NONE) asks for nothing: allowed alone.
        if engine.get("ssl_cert_reqs") == 0:
            del engine["ssl_cert_reqs"]
        for name in ("ssl_keydata", "ssl_keyfile_password", "ssl_cadata", "ssl_cert_reqs"):
            if name in engine:
                raise ValueError("{}: needs ssl_certfile (or ssl_certdata)".format(name))


def ssl_error(message, names):
    """The engine's TLS error ``message`` ("ssl_certfile: not a certificate ...") with the
    option named as the user gave it (``ssl_certdata`` when given from memory)."""
    head, sep, tail = message.partition(":")
    if sep and head in names:
        return names[head] + sep + tail
    return message
