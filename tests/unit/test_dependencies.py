"""Plans and dependency solving (viperhttp.dependencies) without an engine: a route's plan,
then solve()/solve_async() on a request tuple made by hand."""

from unit_support import MICROPYTHON, make_item, raises, run_coroutine
from viperhttp import (BackgroundTasks, Body, Cookie, Depends, Form, Header, Path, Query,
                       Response, ViperHTTP)
from viperhttp.dependencies import Context, solve, solve_async
from viperhttp.exceptions import RequestValidationError
from viperhttp.requests import Request


def route_of(fn, path="/x", **options):
    app = ViperHTTP()
    app.add_api_route(path, fn, ["GET"], **options)
    return app, app.routes[0]


def solved(fn, path="/x", query="", params=(), headers=None, body=b"", method="GET"):
    """The endpoint's keyword arguments for one request (both solvers agree)."""
    app, route = route_of(fn, path)
    item = make_item(0, method, path, query, headers, body, params)
    ctx = Context() if route.plan.needs_context else None
    request = Request(item, app) if route.plan.needs_request else None
    if route.plan.sync:
        return solve(route.plan, item, request, ctx)
    return run_coroutine(solve_async(route.plan, item, request, ctx))


def errors_of(fn, **kw):
    with raises(RequestValidationError) as e:
        solved(fn, **kw)
    return [(x["type"], x["loc"]) for x in e.value.errors()]


def test_empty_plan():
    def hello():
        return 1

    _, route = route_of(hello)
    assert route.plan.empty and route.plan.sync and not route.plan.needs_context
    assert route.plain_json


def test_path_query_defaults_and_conversion():
    def ep(item_id, q=None, limit=10, ratio=0.5, on=False):
        pass

    got = solved(ep, "/items/{item_id:int}", "q=x&limit=3&ratio=2&on=yes", params=(42,))
    assert got == {"item_id": 42, "q": "x", "limit": 3, "ratio": 2.0, "on": True}
    assert solved(ep, "/items/{item_id:int}", "", params=(7,)) == {
        "item_id": 7, "q": None, "limit": 10, "ratio": 0.5, "on": False}


def test_last_query_value_wins_and_lists_repeat():
    def ep(q=None, tags=[]):
        pass

    assert solved(ep, query="q=a&q=b&tags=x&tags=y") == {"q": "b", "tags": ["x", "y"]}
    assert solved(ep, query="q=a%20b+c") == {"q": "a b c", "tags": []}


def test_errors_are_aggregated_in_fastapi_order():
    def ep(n=Query(..., ge=1), x_token=Header(...), c=Cookie(0, le=5), m=Path(..., ge=0)):
        pass

    got = errors_of(ep, path="/p/{m:int}", query="n=0", params=(-1,),
                    headers={"cookie": "c=9"})
    assert got == [("greater_than_equal", ["path", "m"]),
                   ("greater_than_equal", ["query", "n"]),
                   ("missing", ["header", "x-token"]),
                   ("less_than_equal", ["cookie", "c"])]


def test_header_names_alias_and_underscores():
    def ep(x_token=Header(None), raw_name=Header(None, convert_underscores=False),
           token=Header(None, alias="X-Api-Token")):
        pass

    got = solved(ep, headers={"X-Token": "a", "raw_name": "b", "x-api-token": "c"})
    assert got == {"x_token": "a", "raw_name": "b", "token": "c"}


def test_form_fields():
    def ep(name=Form(...), tags=Form([]), age=Form(0, ge=0)):
        pass

    got = solved(ep, body=b"name=ann&tags=a&tags=b&age=3", method="POST")
    assert got == {"name": "ann", "tags": ["a", "b"], "age": 3}


def test_body_whole_embedded_and_several():
    def whole(payload=Body(...)):
        pass

    def embedded(item=Body(..., embed=True)):
        pass

    def several(a=Body(...), b=Body(1, ge=1)):
        pass

    assert solved(whole, body=b'{"x": 1}', method="POST") == {"payload": {"x": 1}}
    assert solved(embedded, body=b'{"item": [1]}', method="POST") == {"item": [1]}
    assert solved(several, body=b'{"a": "z"}', method="POST") == {"a": "z", "b": 1}
    assert errors_of(several, body=b'{"b": 0}', method="POST") == [
        ("missing", ["body", "a"]), ("greater_than_equal", ["body", "b"])]
    assert errors_of(whole, body=b"{oops", method="POST")[0][0] == "json_invalid"
    assert errors_of(whole, body=b"", method="POST") == [("missing", ["body"])]


def test_chained_dependencies_and_cache():
    calls = []

    def get_db():
        calls.append("db")
        return "db"

    def get_user(db=Depends(get_db), uid=0):
        calls.append("user")
        return (db, uid)

    def ep(user=Depends(get_user), db=Depends(get_db), fresh=Depends(get_db, use_cache=False)):
        pass

    got = solved(ep, query="uid=5")
    assert got == {"user": ("db", 5), "db": "db", "fresh": "db"}
    assert calls == ["db", "user", "db"]  # cached once, then again for use_cache=False


def test_plan_flattens_in_call_order():
    def a():
        pass

    def b(x=Depends(a)):
        pass

    def ep(y=Depends(b), z=Depends(a)):
        pass

    _, route = route_of(ep)
    assert [step[0] for step in route.plan.steps] == [a, b]


def test_failed_dependency_is_not_called_siblings_are():
    called = []

    def needs_n(n=Query(...)):
        called.append("needs_n")

    def outer(v=Depends(needs_n)):
        called.append("outer")

    def sibling():
        called.append("sibling")

    def ep(o=Depends(outer), s=Depends(sibling), limit=Query(..., ge=1)):
        called.append("ep")

    assert errors_of(ep, query="limit=0") == [("missing", ["query", "n"]),
                                              ("greater_than_equal", ["query", "limit"])]
    assert called == ["sibling"]


def test_a_failed_cached_dependency_reports_for_each_user():
    def needs_n(n=Query(...)):
        pass

    def one(v=Depends(needs_n)):
        pass

    def two(v=Depends(needs_n)):
        pass

    def ep(a=Depends(one), b=Depends(two)):
        pass

    # As FastAPI, which solves a dependency again when it has no cached value.
    assert errors_of(ep) == [("missing", ["query", "n"]), ("missing", ["query", "n"])]


def test_route_dependencies_run_for_side_effects():
    seen = []

    def check(x_key=Header(...)):
        seen.append(x_key)

    def ep():
        pass

    app, route = route_of(ep, dependencies=[Depends(check)])
    assert not route.plan.empty
    item = make_item(0, headers={"x-key": "k"})
    assert solve(route.plan, item, Request(item, app), None) == {}
    assert seen == ["k"]


def test_special_objects():
    def ep(request, background_tasks, response):
        pass

    app, route = route_of(ep)
    assert route.plan.needs_context and route.plan.uses_response and not route.plain_json
    ctx = Context()
    item = make_item(0)
    request = Request(item, app)
    got = solve(route.plan, item, request, ctx)
    assert got["request"] is request
    assert isinstance(got["background_tasks"], BackgroundTasks)
    assert got["background_tasks"] is ctx.background
    assert isinstance(got["response"], Response) and got["response"] is ctx.response


def test_response_parameter_is_merged():
    ctx = Context()
    sub = ctx.special("response")
    sub.headers["x-a"] = "1"
    sub.status_code = 201
    made = Response(b"{}", 200)
    assert ctx.finish_response(made, {"v": 1}) is made
    assert made.status_code == 201 and made.headers["x-a"] == "1"
    returned = Response(b"", 200)
    assert ctx.finish_response(returned, returned).status_code == 200  # returned as is


def test_generator_dependency_cleanup_order():
    events = []

    def outer():
        events.append("enter outer")
        try:
            yield "o"
        finally:
            events.append("exit outer")

    def inner(o=Depends(outer)):
        events.append("enter inner")
        yield o + "/i"
        events.append("exit inner")

    def ep(v=Depends(inner)):
        pass

    app, route = route_of(ep)
    assert route.plan.needs_context
    ctx = Context()
    item = make_item(0)
    if route.plan.sync:
        got = solve(route.plan, item, None, ctx)
    else:  # MicroPython: generators and coroutines look alike until they run
        got = run_coroutine(solve_async(route.plan, item, None, ctx))
    assert got == {"v": "o/i"}
    assert events == ["enter outer", "enter inner"]
    assert ctx.finish(None) is None
    assert events == ["enter outer", "enter inner", "exit inner", "exit outer"]


def test_generator_dependency_gets_the_error():
    seen = []

    def dep():
        try:
            yield 1
        except KeyError as exc:
            seen.append(exc)

    ctx = Context()
    gen = dep()
    next(gen)
    ctx.exits.append(gen)
    error = KeyError("boom")
    ctx.close(error)
    assert seen == [error]


def test_async_dependencies():
    async def adep(n=0):
        return n * 2

    def ep(v=Depends(adep)):
        pass

    _, route = route_of(ep)
    assert not route.plan.sync
    assert solved(ep, query="n=21") == {"v": 42}


def test_class_and_callable_instance_dependencies():
    class Pager:
        def __init__(self, page=Query(1, ge=1), size=10):
            self.page, self.size = page, size

    class Contains:
        def __init__(self, needle):
            self.needle = needle

        def __call__(self, q=""):
            return self.needle in q

    def ep(p=Depends(Pager), found=Depends(Contains("bar"))):
        pass

    got = solved(ep, query="page=2&q=foobar")
    assert (got["p"].page, got["p"].size, got["found"]) == (2, 10, True)
    assert errors_of(ep, query="page=0") == [("greater_than_equal", ["query", "page"])]


def test_path_parameter_must_exist():
    def ep(x=Path(...)):
        pass

    with raises(ValueError):
        route_of(ep, "/no-params")


def test_make_response_rules():
    from viperhttp.responses import HTMLResponse, JSONResponse

    def ep():
        pass

    _, route = route_of(ep)
    assert isinstance(route.make_response({"a": 1}), JSONResponse)
    assert route.make_response({"a": 1}).body == b'{"a":1}'
    raw = route.make_response(b"\x00")
    assert raw.headers["content-type"] == "application/octet-stream"
    _, no_body = route_of(ep, status_code=204)
    assert no_body.make_response({"ignored": 1}).body == b"" and not no_body.plain_json
    _, html = route_of(ep, response_class=HTMLResponse)
    assert html.make_response("<p>").headers["content-type"] == "text/html; charset=utf-8"


if not MICROPYTHON:

    def test_annotations_choose_types_on_cpython():
        def ep(n: int = Query(...), on: bool = Query(None)):  # noqa: E999 (CPython only)
            pass

        assert solved(ep, query="n=3&on=1") == {"n": 3, "on": True}
