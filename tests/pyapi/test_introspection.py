"""Handler introspection on the interpreter under test: names and defaults of plain, async,
keyword-only, closure, lambda, bound-method and callable-instance handlers; on MicroPython also
@native functions (read from the bytecode prelude in C) and a clear refusal of viper functions.
"""

import json
import subprocess

from pyapi_support import INTERPRETER, MICROPYTHON, app_env

import pathlib

SCRIPT = pathlib.Path(__file__).resolve().parent / "scripts" / "introspect.py"


def run_script():
    p = subprocess.run([INTERPRETER, str(SCRIPT)], env=app_env(), capture_output=True,
                       timeout=30, stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p.stderr.decode()
    return json.loads(p.stdout.decode().strip().splitlines()[-1])


def by_name(params):
    return {name: default for name, default in params}


def test_introspection_of_every_handler_shape():
    r = run_script()
    assert r["plain"] == {"params": [["a", "EMPTY"], ["b", 2], ["c", "x"]], "async": False}
    # Keyword-only parameters: MicroPython does not keep source order, so compare by name.
    assert by_name(r["coro"]["params"]) == {"item_id": "EMPTY", "q": None, "limit": 10,
                                            "flag": "EMPTY"}
    assert r["coro"]["async"] is True
    assert by_name(r["kwonly_after_args"]["params"]) == {"x": "EMPTY", "zeta": 1,
                                                         "alpha": "EMPTY", "mid": 3}
    assert r["closure"]["params"] == [["p", "EMPTY"], ["q", 5]]
    assert r["lambda"]["params"] == [["u", "EMPTY"], ["v", 4]]
    assert r["bound_method"] == {"params": [["a", "EMPTY"], ["b", 1]], "async": False}
    assert r["bound_async_method"] == {"params": [["z", 0]], "async": True}
    assert r["callable_instance"]["params"] == [["request", "EMPTY"], ["token", "t"]]
    if MICROPYTHON:
        assert r["native"]["params"] == [["n", "EMPTY"], ["m", 7]]
        assert r["viper"].startswith("ValueError: viper functions keep no argument names")
