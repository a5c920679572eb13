"""Runs the unit tests of this directory on MicroPython, which has no pytest:

    build/micropython/micropython tests/unit/run.py [test_module ...]

Every ``test_*`` function of every ``test_*.py`` module here (or of the modules named) is
called in turn; a test fails when it raises.  Prints one line per failure with its exception,
then the counts, and exits 1 if anything failed.  The package comes from python/ of this
checkout (before the frozen copy), so the tests check the source.  Runs on CPython too.
"""

import os
import sys

HERE = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."
ROOT = HERE + "/../.."
sys.path.insert(0, ROOT + "/python")
sys.path.insert(0, HERE)


def print_exception(exc):
    if hasattr(sys, "print_exception"):
        sys.print_exception(exc)
    else:
        import traceback

        traceback.print_exception(type(exc), exc, exc.__traceback__)


def main(names):
    if not names:
        names = sorted(f[:-3] for f in os.listdir(HERE)
                       if f.startswith("test_") and f.endswith(".py"))
    passed, failed = 0, []
    for name in names:
        module = __import__(name)
        tests = sorted(k for k in dir(module) if k.startswith("test_"))
        for test in tests:
            fn = getattr(module, test)
            if not callable(fn):
                continue
            try:
                fn()
            except Exception as exc:
                failed.append("{}.{}".format(name, test))
                print("FAIL {}.{}: {}: {}".format(name, test, type(exc).__name__, exc))
                print_exception(exc)
            else:
                passed += 1
    print("{} passed, {} failed ({} on {})".format(passed, len(failed), " ".join(names),
                                                   sys.implementation.name))
    return 1 if failed else 0


sys.exit(main(sys.argv[1:]))
