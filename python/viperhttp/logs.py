"""The server's log lines (uvicorn's format) and the access log.

``Log`` writes ``INFO:     message`` lines to stderr at or above its level.  ``AccessLog``
writes one line per response to stdout, as uvicorn does; lines of one batch of requests are
written at once (on MicroPython every write to stdout is a system call).
"""

import sys

from . import _compat
from ._urlencoding import quote_path
from .requests import CLIENT, METHOD, PATH, QUERY, VERSION
from .status import phrase

LEVELS = ("critical", "error", "warning", "info", "debug", "trace")


class Log:
    def __init__(self, level="info"):
        self.rank = LEVELS.index(level)

    def __call__(self, level, message):
        if LEVELS.index(level) <= self.rank:
            _compat.write_line(sys.stderr, "{:<10}{}".format(level.upper() + ":", message))


class AccessLog:
    """``INFO:     127.0.0.1:51234 - "GET /items/3?q=x HTTP/1.1" 200 OK`` per response."""

    def __init__(self):
        self.lines = []
        self.batching = False  # between begin() and end(): lines wait for end()

    def begin(self):
        self.batching = True

    def end(self):
        self.batching = False
        if self.lines:
            self.flush()

    def line(self, item, status):
        """The line for the engine's request tuple ``item`` answered with ``status``."""
        query = item[QUERY]
        target = quote_path(item[PATH]) + ("?" + query if query else "")
        client = item[CLIENT]
        self.lines.append('INFO:     {}:{} - "{} {} HTTP/{}" {} {}'.format(
            client[0], client[1], item[METHOD], target, item[VERSION], status, phrase(status)))
        if not self.batching:
            self.flush()

    def flush(self):
        lines, self.lines = self.lines, []
        _compat.write_line(sys.stdout, "\n".join(lines))
