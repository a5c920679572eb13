"""The raw-socket HTTP/1.x client of the end-to-end tests, shared with the engine suite: this
module re-exports tests/python/rawhttp.py so both suites use one implementation."""

import pathlib
import sys

_ENGINE_SUITE = str(pathlib.Path(__file__).resolve().parents[1] / "python")
if _ENGINE_SUITE not in sys.path:
    sys.path.insert(0, _ENGINE_SUITE)

from rawhttp import *  # noqa: E402,F401,F403
