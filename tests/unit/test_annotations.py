"""Annotations (CPython only; on MicroPython this module has no tests): see
annotated_cases.py."""

from unit_support import MICROPYTHON

if not MICROPYTHON:
    from annotated_cases import *  # noqa: F401,F403
