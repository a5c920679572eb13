"""HTTPException, unhandled exceptions and debug mode (SPEC §3.4), against apps/main_app.py
and apps/debug_app.py."""

import pytest
import requests

from pyapi_support import MICROPYTHON, assert_json

TIMEOUT = 10
ISE = b'Internal Server Error'


def test_http_exception_body_and_headers(main_app):
    with main_app.conn() as c:
        r = c.request("GET", "/err/http/418")
    assert r.status == 418
    assert r.body == b'{"detail":"custom 418"}'
    assert r.header_all("content-type") == ["application/json"]
    assert r.header("x-error") == "yes"
    assert r.header("retry-after") == "7"


@pytest.mark.parametrize("code", [400, 401, 403, 409, 422, 429, 500, 503])
def test_http_exception_other_codes(main_app, code):
    r = requests.get(main_app.url("/err/http/%d" % code), timeout=TIMEOUT)
    assert r.status_code == code
    assert r.content == b'{"detail":"custom %d"}' % code
    assert r.headers["x-error"] == "yes"


@pytest.mark.parametrize(
    "code, phrase",
    [(400, "Bad Request"), (401, "Unauthorized"), (403, "Forbidden"), (404, "Not Found"),
     (405, "Method Not Allowed"), (409, "Conflict"), (418, "I'm a Teapot"),
     (429, "Too Many Requests"), (500, "Internal Server Error"), (503, "Service Unavailable")],
)
def test_http_exception_default_detail_is_phrase(main_app, code, phrase):
    r = requests.get(main_app.url("/err/default/%d" % code), timeout=TIMEOUT)
    assert r.status_code == code
    assert r.json() == {"detail": phrase}
    assert r.headers["content-type"] == "application/json"


def test_http_exception_detail_any_json(main_app):
    r = requests.get(main_app.url("/err/detail-dict"), timeout=TIMEOUT)
    assert r.status_code == 400
    assert_json(r.content, {"detail": {"field": "name", "problems": ["short", "ugly"]}})


def test_http_exception_after_await(main_app):
    before = main_app.stats()["python"]
    r = requests.get(main_app.url("/err/after-await-http"), timeout=TIMEOUT)
    assert r.status_code == 409
    assert r.content == b'{"detail":"conflict after await"}'
    after = main_app.stats()["python"]
    assert after["tasks_created"] == before["tasks_created"] + 1
    # HTTPException is an answer, not an error.
    assert after["errors"] == before["errors"]


@pytest.mark.parametrize(
    "path, exc_line",
    [
        ("/err/crash", "RuntimeError: boom-sync-secret"),
        # MicroPython prints KeyError's argument without quotes.
        ("/err/async-crash", "KeyError: " + ("boom-async-inline" if MICROPYTHON else
                                              "'boom-async-inline'")),
        ("/err/async-crash-after-await", "ZeroDivisionError: boom-after-await"),
    ],
)
def test_unhandled_exception_is_500_and_logged(main_app, path, exc_line):
    before = main_app.stats()["python"]
    with main_app.conn() as c:
        r = c.request("GET", path)
        assert r.status == 500
        assert r.body == ISE
        assert r.header_all("content-type") == ["text/plain; charset=utf-8"]
        # Nothing of the exception leaks into the response.
        assert b"boom" not in r.body
        # The same connection keeps working, and so does the server.
        r = c.request("GET", "/items")
        assert r.status == 200 and r.body == b'{"op":"list"}'
    r = requests.get(main_app.url("/async-await"), timeout=TIMEOUT)
    assert r.status_code == 200 and r.json() == {"kind": "async-await"}
    err = main_app.wait_output(exc_line, "stderr")
    assert "Traceback (most recent call last)" in err
    assert "ERROR:    Exception in handler for GET " + path in err
    after = main_app.stats()["python"]
    assert after["errors"] == before["errors"] + 1
    assert after["in_flight_tasks"] == 0


def test_unserialisable_return_value_is_500(main_app):
    r = requests.get(main_app.url("/err/unserialisable"), timeout=TIMEOUT)
    assert r.status_code == 500
    assert r.content == ISE
    assert "TypeError" in main_app.wait_output("TypeError", "stderr")


def test_many_errors_do_not_take_the_server_down(main_app):
    with main_app.conn() as c:
        for i in range(30):
            path = ("/err/crash", "/err/async-crash", "/err/http/400")[i % 3]
            r = c.request("GET", path)
            assert r.status in (500, 400)
        r = c.request("GET", "/items")
        assert r.status == 200


# --- debug=True ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def debug_app(module_app_factory):
    return module_app_factory("debug_app.py")


@pytest.mark.parametrize(
    "path, type_name, message",
    [("/crash", "ValueError", "kaboom-debug"), ("/crash-async", "LookupError", "async-kaboom")],
)
def test_debug_body_has_type_and_message(debug_app, path, type_name, message):
    r = requests.get(debug_app.url(path), timeout=TIMEOUT)
    assert r.status_code == 500
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["detail"] == "Internal Server Error"
    values = [str(v) for k, v in body.items() if k != "detail"]
    assert any(type_name in v for v in values), body
    assert any(message in v for v in values), body
    assert message in debug_app.wait_output(message, "stderr")
    r = requests.get(debug_app.url("/ok"), timeout=TIMEOUT)
    assert r.status_code == 200 and r.json() == {"ok": True}


def test_debug_does_not_change_http_exceptions(debug_app):
    r = requests.get(debug_app.url("/http"), timeout=TIMEOUT)
    assert r.status_code == 403
    assert r.content == b'{"detail":"nope"}'
