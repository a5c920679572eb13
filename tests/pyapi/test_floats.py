"""Floats in the interpreter's own precision: double on CPython and the unix port, single on
the ESP32 port (MICROPY_FLOAT_IMPL_FLOAT), which scripts/test.sh runs as the armhf build under
qemu-arm.  What a user sees there (docs/firmware.md "Single-precision floats"):

* ``{x:float}`` gives exactly ``float(segment)``: MicroPython's single-precision parser can
  round a long number one step away from the engine's double narrowed to a float, and before
  the fix a path value differed from the same text as a query parameter or a literal;
* a float beyond the interpreter's range is ``inf``, as ``float()`` makes it, and JSON cannot
  hold ``inf`` or ``nan``: a 500, as FastAPI answers on CPython (MicroPython's json wrote
  ``inf``, which is not JSON);
* about 7 significant digits survive, in JSON responses too."""

import json
import math

import pytest

from pyapi_support import TIMEOUT, call

# Numbers a device sees (sensor readings, set points) and the long ones whose single-precision
# rounding differed between MicroPython's parser and the engine's double (found by comparing
# 15,000 values): each must be float(text) of the interpreter, whatever the precision.
VALUES = ["0.1", "19.99", "-273.15", "3", "23.456", "51093.443", "29984.605", "77015.996",
          "92193.868", "16777217", "0.000001", "123456789.123"]
BIG = "1" + "0" * 39  # 1e39: finite in a double, beyond single precision's 3.4e38


@pytest.fixture(scope="module")
def app(module_app_factory):
    return module_app_factory("floats_app.py")


@pytest.fixture(scope="module")
def single(app):
    return call(app, "GET", "/info").json()["single_precision"]


def close_enough(got, text, single):
    want = float(text)
    if not single:
        return got == want
    # A float holds 7 significant digits and MicroPython prints 7: one in 10**6 at most.
    return abs(got - want) <= abs(want) * 1e-6


@pytest.mark.parametrize("text", VALUES)
def test_path_float_is_float_of_the_segment(app, single, text):
    r = call(app, "GET", "/path/" + text)
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["same_as_float"] is True, body
    assert body["type"] == "float"
    assert close_enough(body["value"], text, single), (body, single)


@pytest.mark.parametrize("text", VALUES)
def test_query_float_is_float_of_the_value(app, single, text):
    r = call(app, "GET", "/query", params={"x": text})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["same_as_float"] is True, body
    assert close_enough(body["value"], text, single), (body, single)


def test_path_and_query_agree(app):
    for text in VALUES:
        p = call(app, "GET", "/path/" + text).content
        q = call(app, "GET", "/query", params={"x": text}).content
        assert json.loads(p)["value"] == json.loads(q)["value"], (text, p, q)


@pytest.mark.parametrize("where", ["path", "query", "body"])
def test_beyond_the_float_range_is_inf_and_not_json(app, single, where):
    if where == "path":
        r = call(app, "GET", "/path/" + BIG)
    elif where == "query":
        r = call(app, "GET", "/query", params={"x": BIG})
    else:
        r = call(app, "POST", "/echo", data='{"x": 1e39}',
                 headers={"content-type": "application/json"})
    if single:
        assert r.status_code == 500, r.content
        assert r.content == b'Internal Server Error'
    else:
        assert r.status_code == 200, r.content
        assert r.json()["x" if where == "body" else "value"] == 1e39


@pytest.mark.parametrize("text", ["inf", "-inf", "nan"])
def test_non_finite_floats_are_not_sent_as_json(app, text):
    # On every interpreter: a 500 (the handler's value cannot be JSON), never the body `inf`.
    r = call(app, "GET", "/float-of/" + text)
    assert r.status_code == 500, r.content
    assert r.content == b'Internal Server Error'


def test_json_body_floats_round_trip_to_the_interpreters_precision(app, single):
    sent = {"t": 23.456, "p": 1013.25, "small": 0.000123, "big": 123456.789, "neg": -0.5,
            "n": 16777217, "list": [0.1, 0.2, 0.3]}
    r = call(app, "POST", "/echo", json=sent)
    assert r.status_code == 200, r.content
    got = r.json()
    assert got["n"] == 16777217 and type(got["n"]) is int  # ints stay exact ints
    for key in ("t", "p", "small", "big", "neg"):
        assert close_enough(got[key], repr(sent[key]), single), (key, got, single)
    for a, b in zip(got["list"], sent["list"]):
        assert close_enough(a, repr(b), single)
    if single:
        # What the device prints: 7 significant digits.
        assert b'"big":123456.8' in r.content, r.content
    else:
        assert b'"big":123456.789' in r.content, r.content


def test_bounds_compare_in_the_interpreters_precision(app, single):
    assert call(app, "GET", "/bounded", params={"x": "0.3"}).status_code == 200
    r = call(app, "GET", "/bounded", params={"x": "0.30000001"})
    # 0.30000001 is 0.3 in single precision (the step there is about 3e-8): within le=0.3.
    assert r.status_code == (200 if single else 422), r.content
    assert call(app, "GET", "/bounded", params={"x": "0.31"}).status_code == 422
