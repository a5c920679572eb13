"""Helpers of the unit tests (tests/unit/README.md): the same files run under pytest on CPython
and under tests/unit/run.py on MicroPython, which has no pytest."""

import sys

MICROPYTHON = sys.implementation.name == "micropython"


class raises:
    """``with raises(ValueError) as e: ...``: fails unless the block raises that type; the
    exception is ``e.value`` (as pytest.raises)."""

    def __init__(self, kind):
        self.kind = kind
        self.value = None

    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        if kind is None:
            raise AssertionError("{} not raised".format(self.kind.__name__))
        if not issubclass(kind, self.kind):
            return False  # another exception: let it through
        self.value = value
        return True


def run_coroutine(coro):
    """Runs ``coro`` to the end on a fresh asyncio loop; returns its result."""
    try:
        import asyncio
    except ImportError:
        import uasyncio as asyncio
    return asyncio.run(coro)


# The engine's request tuple (docs/native-api.md), made by hand.
def make_item(route_id=0, method="GET", path="/", query="", headers=None, body=b"", params=(),
              token=1):
    block = b""
    for name, value in (headers or {}).items():
        block += name.lower().encode() + b"\0" + value.encode() + b"\0"
    return (token, route_id, method, path, query, block, body, tuple(params),
            ("127.0.0.1", 50000), "1.1")
