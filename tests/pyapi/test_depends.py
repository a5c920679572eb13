"""Depends (functions, async, classes, callable instances, generators), per-request caching,
route and app dependencies, 422 aggregation across dependencies, BackgroundTasks and the
response parameter (SPEC §3.3), against apps/depends_app.py."""

import json
import time

import pytest

from pyapi_support import MICROPYTHON, call, ok

TIMEOUT = 10


@pytest.fixture(scope="module")
def app(module_app_factory):
    return module_app_factory("depends_app.py", access_log=False)




def events(srv):
    return ok(srv, "/events")


def wait_events(srv, expected_last, timeout=5.0):
    """Events collected until `expected_last` has been recorded (background work that runs
    after the response)."""
    got = []
    deadline = time.monotonic() + timeout
    while expected_last not in got:
        got += events(srv)
        if time.monotonic() > deadline:
            pytest.fail("{!r} never recorded: {}".format(expected_last, got))
        time.sleep(0.02)
    return got


@pytest.fixture(autouse=True)
def clean_events(app):
    events(app)


def test_function_dependency_with_own_params(app):
    assert ok(app, "/d/items") == {"q": None, "skip": 0, "limit": 100}
    assert ok(app, "/d/items?q=x&skip=2&limit=100") == {"q": "x", "skip": 2, "limit": 100}
    assert ok(app, "/d/items-async?skip=3")["skip"] == 3
    r = call(app, "GET", "/d/items?limit=101")
    assert r.status_code == 422
    assert json.loads(r.content)["detail"][0]["loc"] == ["query", "limit"]


def test_cache_per_request(app):
    # counted runs once for a and b's sub-dependency; use_cache=False runs it again
    a, b, c = ok(app, "/d/cache")
    assert b == a * 100 and c == a + 1
    a2, b2, c2 = ok(app, "/d/cache")
    assert a2 == c + 1  # a new request gets a new cache


def test_class_dependency(app):
    assert ok(app, "/d/class") == {"page": 1, "size": 10, "type": "Pager"}
    assert ok(app, "/d/class?page=3&size=5") == {"page": 3, "size": 5, "type": "Pager"}
    r = call(app, "GET", "/d/class?page=0")
    assert r.status_code == 422
    assert json.loads(r.content)["detail"][0]["loc"] == ["query", "page"]


def test_callable_instance_dependency(app):
    assert ok(app, "/d/callable?q=foobar") == {"found": True}
    assert ok(app, "/d/callable?q=foo") == {"found": False}


def test_route_dependencies_and_http_exception(app):
    r = call(app, "GET", "/d/protected", headers={"X-Token": "secret", "X-Key": "key"})
    assert r.status_code == 200 and json.loads(r.content) == {"ok": True}
    assert events(app) == ["token ok"]
    r = call(app, "GET", "/d/protected", headers={"X-Token": "bad", "X-Key": "key"})
    assert r.status_code == 400
    assert json.loads(r.content) == {"detail": "X-Token header invalid"}
    r = call(app, "GET", "/d/protected")
    assert r.status_code == 422
    assert [e["loc"] for e in json.loads(r.content)["detail"]] == [["header", "x-token"],
                                                                   ["header", "x-key"]]


def test_app_dependency_runs_for_every_route(app):
    before = ok(app, "/counters")["app_dep"]
    ok(app, "/d/items")
    ok(app, "/p/query")
    assert ok(app, "/counters")["app_dep"] == before + 3  # /counters itself too
    r = call(app, "GET", "/d/items", headers={"X-App-Fail": "1"})
    assert r.status_code == 403
    assert r.headers["x-app"] == "refused"
    assert json.loads(r.content) == {"detail": "app dependency refused"}


def test_async_dependencies_in_sync_handler(app):
    got = ok(app, "/d/async-deps", headers={"X-A": "v"})
    assert got == {"a": "v", "b": "v+waited"}
    assert ok(app, "/d/async-now") == {"a": "none"}


def test_async_dependency_without_wait_stays_on_the_fast_path(app):
    before = app.stats()["python"]
    for _ in range(5):
        ok(app, "/d/async-now")
    after = app.stats()["python"]
    assert after["tasks_created"] == before["tasks_created"]
    assert after["fast_path"] >= before["fast_path"] + 5


def test_sync_route_with_dependencies_creates_no_coroutine(app):
    before = app.stats()["python"]
    for _ in range(3):
        ok(app, "/d/items")
    after = app.stats()["python"]
    assert after["sync"] >= before["sync"] + 3
    assert after["fast_path"] == before["fast_path"]
    assert after["tasks_created"] == before["tasks_created"]


def test_422_aggregated_across_handler_and_dependencies(app):
    r = call(app, "GET", "/d/aggregate?n=-1")
    assert r.status_code == 422
    got = json.loads(r.content)["detail"]
    assert [(e["type"], e["loc"]) for e in got] == [
        ("greater_than_equal", ["query", "n"]),
        ("missing", ["query", "m"]),
        ("missing", ["query", "limit"]),
        ("missing", ["header", "x-token"]),
    ]
    assert ok(app, "/d/aggregate?n=0&m=z&limit=1", headers={"X-Token": "t"}) == {
        "x": "z", "limit": 1}


def test_422_aggregated_in_async_resolution(app):
    r = call(app, "GET", "/d/aggregate-async?limit=0")
    assert r.status_code == 422
    got = json.loads(r.content)["detail"]
    assert [e["loc"] for e in got] == [["query", "n"], ["query", "m"], ["query", "limit"]]


def test_generator_dependencies_cleanup_order(app):
    assert ok(app, "/d/gen") == {"v": "outer/inner"}
    assert events(app) == ["enter outer", "enter inner t", "handler outer/inner outer",
                           "exit inner", "exit outer"]


def test_generator_dependencies_async_handler(app):
    assert ok(app, "/d/gen-async?tag=q") == {"v": "outer/inner"}
    got = wait_events(app, "exit outer")
    assert got == ["enter outer", "enter inner q", "handler outer/inner", "exit inner",
                   "exit outer"]


def test_generator_dependencies_see_http_exception(app):
    r = call(app, "GET", "/d/gen-http-error")
    assert r.status_code == 418
    assert json.loads(r.content) == {"detail": "teapot"}
    assert events(app) == ["enter outer", "enter inner t", "handler raises",
                           "inner saw HTTPException", "exit inner", "outer saw HTTPException",
                           "exit outer"]


def test_generator_dependencies_see_crash(app):
    r = call(app, "GET", "/d/gen-crash")
    assert r.status_code == 500
    assert events(app) == ["enter outer", "enter inner t", "handler crashes",
                           "inner saw ValueError", "exit inner", "outer saw ValueError",
                           "exit outer"]
    assert "ValueError: boom" in app.stderr_text()


def test_dependency_crash_answers_500_and_finishes_generators(app):
    r = call(app, "GET", "/d/dep-crash")
    assert r.status_code == 500
    assert r.content == b"Internal Server Error"
    assert events(app) == ["enter outer", "outer saw KeyError", "exit outer"]
    assert "dependency crashed" in app.stderr_text()


def test_sync_generator_route_path(app):
    before = app.stats()["python"]
    ok(app, "/d/gen")
    after = app.stats()["python"]
    if MICROPYTHON:
        # a generator function and an async def are the same kind of object there: the
        # route is resolved in its coroutine, which finishes inline
        assert after["fast_path"] == before["fast_path"] + 1
    else:
        assert after["fast_path"] == before["fast_path"]
        assert after["sync"] >= before["sync"] + 1
    assert after["tasks_created"] == before["tasks_created"]


def test_generator_dependency_when_validation_fails(app):
    r = call(app, "GET", "/d/gen-422?n=-1")
    assert r.status_code == 422
    # the dependency ran (its parameters were valid); the handler did not
    assert events(app) == ["enter outer", "outer saw RequestValidationError", "exit outer"]


def test_background_tasks_order_and_failure(app):
    assert ok(app, "/d/bg", "POST") == {"queued": 4}
    assert events(app) == ["handler", "bg from dep", "bg a", "bg failing", "bg b!"]
    assert "RuntimeError: task failed" in app.stderr_text()
    assert ok(app, "/d/items")  # the server is fine


def test_background_tasks_async(app):
    assert ok(app, "/d/bg-async", "POST") == {"queued": 3}
    got = wait_events(app, "bg b")
    assert got == ["enter outer", "handler", "exit outer", "abg a?", "bg failing", "bg b"]


def test_background_task_runs_after_the_response(app):
    # the response arrives while the first task still waits for /release
    assert ok(app, "/d/bg-wait", "POST") == {"queued": True}
    assert wait_events(app, "bg waiting") == ["bg waiting"]
    assert app.stats()["python"]["in_flight_tasks"] == 1  # the tasks' coroutine is tracked
    assert ok(app, "/release") == {"released": True}
    assert wait_events(app, "bg after wait") == ["bg released", "bg after wait"]
    assert app.wait_stats(lambda s: s["python"]["in_flight_tasks"] == 0,
                          what="no task left")


def test_background_tasks_not_run_on_error(app):
    r = call(app, "GET", "/d/bg-error")
    assert r.status_code == 409
    assert ok(app, "/d/tasks-type") == {"type": "BackgroundTasks", "same": True}
    assert events(app) == []


def test_response_parameter(app):
    r = call(app, "GET", "/d/response")
    assert r.status_code == 200
    assert r.headers["x-extra"] == "yes" and r.headers["x-multi"] == "1"
    assert json.loads(r.content) == {"ok": True}
    r = call(app, "GET", "/d/response?created=true")
    assert r.status_code == 201


def test_response_parameter_shared_with_dependencies(app):
    r = call(app, "GET", "/d/response-async")
    assert r.status_code == 200
    assert r.headers["x-from-dep"] == "dep" and r.headers["x-from-handler"] == "handler"


def test_response_parameter_ignored_when_a_response_is_returned(app):
    r = call(app, "GET", "/d/response-returned")
    assert r.status_code == 202
    assert "x-ignored" not in r.headers
    assert json.loads(r.content) == {"own": True}


@pytest.fixture(scope="module")
def cpython_app(module_app_factory):
    if MICROPYTHON:
        pytest.skip("async generators do not exist on MicroPython")
    return module_app_factory("annotated_app.py", access_log=False)


def test_async_generator_dependency(cpython_app):
    assert ok(cpython_app, "/a/agen?name=x") == {"a": "x", "s": "s"}
    got = wait_events(cpython_app, "exit x")
    assert got == ["enter x", "enter sync", "handler xs", "exit sync", "exit x"]
    r = call(cpython_app, "GET", "/a/agen?fail=true")
    assert r.status_code == 500
    got = wait_events(cpython_app, "exit a")
    assert got == ["enter a", "enter sync", "handler as", "saw ValueError", "exit a"]
