"""Fixtures for the end-to-end tests of the Python API (see pyapi_support.py): real apps
(tests/pyapi/apps/*.py) run as subprocesses on 127.0.0.1 and are driven through real sockets.

Environment:
  VIPER_INTERPRETER  interpreter that runs the apps (default /usr/bin/python3)
  VIPER_PYTHONPATH   its module path, entries relative to the repository root
                     (default build/debug/python:python)
"""

import os
import sys

import pytest

# The helper modules have names of their own (pyapi_*), so this suite can be collected
# together with tests/python, whose helpers are plain top-level modules too.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from pyapi_support import AppServer  # noqa: E402


class _Factory:
    def __init__(self):
        self.started = []

    def __call__(self, app, **options):
        srv = AppServer(app, **options)
        self.started.append(srv)
        return srv

    def finish(self):
        errors = []
        for srv in self.started:
            try:
                srv.stop()
            except BaseException as e:  # report every server, not only the first failure
                errors.append(e)
            finally:
                srv.kill()
                srv.close_files()
        if errors:
            raise errors[0]


@pytest.fixture
def start_app():
    """Factory: start_app("name.py", **run_options) starts an app for one test; it is stopped
    with SIGTERM at teardown and must exit 0."""
    f = _Factory()
    yield f
    f.finish()


@pytest.fixture(scope="module")
def module_app_factory():
    """Like start_app, but the apps live for the whole module."""
    f = _Factory()
    yield f
    f.finish()


@pytest.fixture(scope="module")
def main_app(module_app_factory):
    """apps/main_app.py, shared by the tests of one module."""
    return module_app_factory("main_app.py", max_connections=64)

