"""Python middleware (@app.middleware("http") and BaseHTTPMiddleware) against
apps/middleware_app.py over real sockets: FastAPI's order, short-circuit, changed responses,
exceptions in and around call_next, dependencies and background tasks behind middleware."""

import time

import pytest
import requests

TIMEOUT = 10
ISE = "Internal Server Error"
# The middleware added last runs first (FastAPI): outer, then the class, then inner.
ORDER = ["outer", "middle", "inner"]


@pytest.fixture(scope="module")
def app(module_app_factory):
    return module_app_factory("middleware_app.py", access_log=False)


def get(app, path, **kw):
    return requests.get(app.url(path), timeout=TIMEOUT, **kw)


def events(app):
    return get(app, "/events").json()["events"]


def clear(app):
    requests.post(app.url("/events/clear"), timeout=TIMEOUT)


def trace_header(r):
    return [v.strip() for v in r.headers.get("x-trace", "").split(",") if v.strip()]


@pytest.mark.parametrize("path", ["/trace", "/async-trace", "/slow-middleware"])
def test_order_is_fastapis(app, path):
    r = get(app, path)
    assert r.status_code == 200
    assert r.json() == {"trace": ORDER}  # request seen outermost first
    assert trace_header(r) == list(reversed(ORDER))  # response seen innermost first


def test_short_circuit_skips_route_and_inner_middleware(app):
    clear(app)
    r = get(app, "/short")
    assert r.status_code == 401
    assert r.json() == {"detail": "no key"}
    assert trace_header(r) == ["outer"]  # inner never ran, neither did the route
    assert events(app) == ["short-circuit"]


def test_short_circuit_lets_through_with_key(app):
    clear(app)
    r = get(app, "/short", headers={"x-key": "s3cret"})
    assert r.status_code == 200
    assert r.json() == {"ok": True}
    assert trace_header(r) == ["inner", "middle", "outer"]
    assert events(app) == ["short route ran"]


def test_middleware_replaces_body_and_status(app):
    r = get(app, "/rewrite")
    assert r.status_code == 201
    assert r.content == b"HELLO"
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.headers["x-rewritten"] == "1"
    assert r.headers["content-length"] == "5"
    assert trace_header(r) == ["outer"]  # the new response lacks inner's header


def test_middleware_changes_status(app):
    r = get(app, "/status")
    assert r.status_code == 202
    assert r.json() == {"ok": True}


def test_unhandled_route_exception_reaches_middleware(app):
    clear(app)
    r = get(app, "/route-raises")
    assert r.status_code == 502
    assert r.content == b"middleware caught: route failed"
    assert trace_header(r) == ["outer"]
    assert events(app) == ["caught route failed"]


def test_exception_no_middleware_catches_is_500(app):
    r = get(app, "/route-raises-other")
    assert r.status_code == 500
    assert r.text == ISE
    assert "x-trace" not in r.headers


def test_http_exception_arrives_as_response(app):
    r = get(app, "/route-http-exception")
    assert r.status_code == 418
    assert r.json() == {"detail": "teapot"}
    assert trace_header(r) == ["inner", "middle", "outer"]


def test_handled_exception_arrives_as_response(app):
    r = get(app, "/route-handled")
    assert r.status_code == 404
    assert r.json() == {"handled": "no such thing"}
    assert trace_header(r) == ["inner", "middle", "outer"]


def test_exception_in_middleware_is_500(app):
    r = get(app, "/middleware-raises")
    assert r.status_code == 500
    assert r.text == ISE


def test_http_exception_in_middleware(app):
    r = get(app, "/middleware-http-exception")
    assert r.status_code == 403
    assert r.json() == {"detail": "forbidden by middleware"}


def test_middleware_returning_no_response_is_500(app):
    r = get(app, "/middleware-returns-none")
    assert r.status_code == 500
    assert r.text == ISE


def wait_for(app, wanted):
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        got = events(app)
        if wanted in got:
            return got
        time.sleep(0.02)
    return events(app)


def test_generator_dependency_cleanup_after_response(app):
    clear(app)
    r = get(app, "/dependency")
    assert r.json() == {"res": "res"}
    assert wait_for(app, "resource closed") == ["resource open", "handler res", "resource closed"]


def test_background_tasks_run_behind_middleware(app):
    clear(app)
    assert get(app, "/background").json() == {"queued": True}
    assert wait_for(app, "background ran") == ["background ran"]


def test_response_background_runs_once(app):
    clear(app)
    assert get(app, "/response-background").json() == {"queued": True}
    got = wait_for(app, "response task ran")
    time.sleep(0.1)
    assert events(app) == ["response task ran"]
    assert got == ["response task ran"]


def test_engine_answers_do_not_pass_through_middleware(app):
    # Documented difference: the engine answers an unknown path itself.
    r = get(app, "/no-such-path")
    assert r.status_code == 404
    assert "x-trace" not in r.headers


def test_registration_errors(app):
    assert get(app, "/registration-errors").json() == {
        "<class 'object'>": "TypeError", "<class 'dict'>": "TypeError", "42": "TypeError",
        "websocket": "ValueError"}


def test_many_concurrent_requests_keep_their_own_state(app):
    import concurrent.futures

    paths = ["/trace", "/async-trace", "/slow-middleware"] * 30
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda p: get(app, p), paths))
    for r in results:
        assert r.status_code == 200
        assert r.json() == {"trace": ORDER}
