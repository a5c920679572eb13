"""FastAPI code as written (issue 20) through real sockets: portable models
(apps/models_app.py, both interpreters) and FastAPI's tutorial spellings with annotations,
``Annotated``, pydantic-style models, response models and the rest
(apps/fastapi_style_app.py, CPython only: MicroPython drops annotations)."""

import json

import pytest

from pyapi_support import MICROPYTHON, assert_json, call, ok


def detail(srv, path, method="GET", **kw):
    r = call(srv, method, path, **kw)
    assert r.status_code == 422, r.content
    assert r.headers["content-type"] == "application/json"
    return json.loads(r.content)["detail"]


def kinds(errors):
    return [(e["type"], e["loc"]) for e in errors]


# --- portable models ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def models(module_app_factory):
    return module_app_factory("models_app.py", access_log=False)


ITEM = {"name": "lamp", "price": 9.5, "tags": ["a"], "image": {"url": "http://i"},
        "stock": {"x": "2"}}


def test_model_body(models):
    r = call(models, "POST", "/items", json=ITEM)
    assert r.status_code == 200
    assert_json(r.content, {"name": "lamp", "price": 9.5, "tags": ["a"],
                            "image": {"url": "http://i", "width": 640}, "stock": {"x": 2}})
    assert ok(models, "/items", "POST", json={"name": "n", "price": 0}) == {
        "name": "n", "price": 0.0, "tags": [], "image": None, "stock": {}}


def test_model_body_errors(models):
    got = detail(models, "/items", "POST", json={"name": "x" * 11, "price": -1, "tags": [1],
                                                  "image": {"url": "u", "width": "w"},
                                                  "stock": []})
    assert kinds(got) == [
        ("string_too_long", ["body", "name"]), ("greater_than_equal", ["body", "price"]),
        ("string_type", ["body", "tags", 0]), ("string_too_short", ["body", "image", "url"]),
        ("int_parsing", ["body", "image", "width"]), ("dict_type", ["body", "stock"])]
    assert got[1] == {"type": "greater_than_equal", "loc": ["body", "price"],
                      "msg": "Input should be greater than or equal to 0", "input": -1,
                      "ctx": {"ge": 0}}
    got = detail(models, "/items", "POST", json={"tags": []})
    assert got == [{"type": "missing", "loc": ["body", "name"], "msg": "Field required",
                    "input": {"tags": []}},
                   {"type": "missing", "loc": ["body", "price"], "msg": "Field required",
                    "input": {"tags": []}}]
    assert kinds(detail(models, "/items", "POST", json=[1])) == [
        ("model_attributes_type", ["body"])]
    assert kinds(detail(models, "/items", "POST")) == [("missing", ["body"])]


def test_embedded_and_several_bodies(models):
    got = ok(models, "/embedded", "POST", json={"item": {"name": "e", "price": 1}})
    assert got["name"] == "e" and got["secret"] == "s3cret"
    assert kinds(detail(models, "/embedded", "POST", json={"name": "e", "price": 1})) == [
        ("missing", ["body", "item"])]
    got = ok(models, "/several", "POST",
             json={"item": {"name": "s", "price": 2}, "user": {"u": 1}, "importance": 3})
    assert got == {"item": {"name": "s", "price": 2.0}, "user": {"u": 1}, "importance": 3}
    assert kinds(detail(models, "/several", "POST",
                        json={"item": {"price": 2}, "importance": 0})) == [
        ("missing", ["body", "item", "name"]), ("greater_than", ["body", "importance"])]


def test_response_model_filters(models):
    assert ok(models, "/public", "POST", json=ITEM) == {
        "name": "lamp", "price": 9.5, "tags": ["a"], "image": {"url": "http://i", "width": 640}}
    assert ok(models, "/public-unset", "POST", json={"name": "n", "price": 1}) == {
        "name": "n", "price": 1.0}
    assert ok(models, "/public-none", "POST", json={"name": "n", "price": 1}) == {
        "name": "n", "price": 1.0, "tags": []}


def test_response_that_fails_its_model_is_a_500(models):
    r = call(models, "GET", "/bad-response")
    assert r.status_code == 500 and r.content == b"Internal Server Error"
    assert "ResponseValidationError" in models.wait_output("ResponseValidationError", "stderr")


def test_json_schema(models):
    schema = ok(models, "/schema")
    assert schema["required"] == ["name", "price"]
    assert schema["properties"]["name"] == {"type": "string", "maxLength": 10, "title": "Name"}
    assert schema["$defs"]["Image"]["properties"]["width"] == {
        "type": "integer", "minimum": 1, "title": "Width", "default": 640}


# --- FastAPI's spellings (CPython) --------------------------------------------------------------


@pytest.fixture(scope="module")
def fa(module_app_factory):
    if MICROPYTHON:
        pytest.skip("MicroPython drops annotations: the portable spellings are tested above")
    return module_app_factory("fastapi_style_app.py", access_log=False)


def test_annotated_depends_and_params(fa):
    assert ok(fa, "/items/?q=x&limit=5") == {"q": "x", "skip": 0, "limit": 5}
    assert ok(fa, "/items/3?q=abc", headers={"User-Agent": "ua"}) == {
        "item_id": 3, "q": "abc", "user_agent": "ua"}
    got = detail(fa, "/items/foo?q=abcdef")
    assert got == [
        {"type": "int_parsing", "loc": ["path", "item_id"],
         "msg": "Input should be a valid integer, unable to parse string as an integer",
         "input": "foo"},
        {"type": "string_too_long", "loc": ["query", "q"],
         "msg": "String should have at most 5 characters", "input": "abcdef",
         "ctx": {"max_length": 5}}]


def test_enum_path(fa):
    assert ok(fa, "/models/alexnet") == {"model_name": "alexnet", "is_alexnet": True}
    assert detail(fa, "/models/vgg") == [{
        "type": "enum", "loc": ["path", "model_name"],
        "msg": "Input should be 'alexnet' or 'resnet'", "input": "vgg",
        "ctx": {"expected": "'alexnet' or 'resnet'"}}]


def test_lists_and_optional(fa):

    got = ok(fa, "/list?q=a&q=b&n=1&n=2&limit=3", headers={"X-Token": "t1"})
    assert got == {"q": ["a", "b"], "n": [1, 2], "x_token": ["t1"], "limit": 3}
    assert ok(fa, "/list") == {"q": None, "n": [], "x_token": None, "limit": None}
    assert kinds(detail(fa, "/list?n=1&n=x&limit=y")) == [
        ("int_parsing", ["query", "n", 1]), ("int_parsing", ["query", "limit"])]


def test_repeated_header_values(fa):
    with fa.conn() as c:
        r = c.request("GET", "/list", headers=[("X-Token", "t1"), ("X-Token", "t2")])
    assert r.status == 200
    assert json.loads(r.body)["x_token"] == ["t1", "t2"]


def test_standard_types(fa):
    got = ok(fa, "/types/12345678-1234-5678-1234-567812345678?start=2024-01-02T03:04:05Z"
                 "&day=2024-02-28&at=10:20&span=PT1H30M&amount=1.50&raw=abc")
    assert got == {"item_id": "12345678-1234-5678-1234-567812345678",
                   "start": "2024-01-02T03:04:05+00:00", "day": "2024-02-28",
                   "at": "10:20:00", "span": 5400.0, "amount": 1.5, "raw": "abc",
                   "next_day": "2024-02-29"}
    got = detail(fa, "/types/nope?start=x&day=2024-02-30&at=x&span=x&amount=x&raw=")
    assert kinds(got) == [
        ("uuid_parsing", ["path", "item_id"]), ("datetime_parsing", ["query", "start"]),
        ("date_parsing", ["query", "day"]), ("time_parsing", ["query", "at"]),
        ("time_delta_parsing", ["query", "span"]), ("decimal_parsing", ["query", "amount"])]


def test_dict_body(fa):
    assert ok(fa, "/index-weights/", "POST", json={"1": 0.5, "2": "3"}) == {"1": 0.5, "2": 3.0}
    assert kinds(detail(fa, "/index-weights/", "POST", json={"a": 1})) == [
        ("int_parsing", ["body", "a", "[key]"])]


def test_models_by_annotation(fa):
    item = {"name": "Foo", "price": 35.4, "images": [{"url": "http://x", "name": "x"}]}
    got = ok(fa, "/items/5", "PUT", json={"item": item, "importance": 5})
    assert got == {"item_id": 5, "importance": 5, "item": {
        "name": "Foo", "description": None, "price": 35.4, "tax": None, "tags": [],
        "images": [{"url": "http://x", "name": "x"}]}}
    assert kinds(detail(fa, "/items/5", "PUT", json={"item": {"name": "x" * 11},
                                                        "importance": 0})) == [
        ("string_too_long", ["body", "item", "name"]), ("missing", ["body", "item", "price"]),
        ("greater_than", ["body", "importance"])]
    assert ok(fa, "/embed", "POST", json={"item": {"name": "e", "price": 1}})["name"] == "e"


def test_response_model_and_return_annotation(fa):
    user = {"username": "u", "password": "secret", "email": "u@x"}
    assert ok(fa, "/user/", "POST", json=user) == {"username": "u", "email": "u@x"}
    assert ok(fa, "/user-annotated/", "POST", json=user) == {"username": "u", "email": "u@x"}


def test_response_classes(fa):
    r = call(fa, "GET", "/redirect", allow_redirects=False)
    assert r.status_code == 307 and r.headers["location"] == "https://typer.tiangolo.com"
    r = call(fa, "GET", "/html")
    assert r.content == b"<h1>hi</h1>" and r.headers["content-type"].startswith("text/html")


def test_first_registered_route_wins(fa):
    assert ok(fa, "/dup") == {"route": "first"}
    assert "is shadowed by an earlier route" in fa.wait_output("shadowed", "stderr")


def test_yield_dependency_turns_the_error_into_400(fa):
    r = call(fa, "GET", "/owned/plumbus")
    assert r.status_code == 400 and json.loads(r.content) == {"detail": "Owner error: Rick"}
    assert ok(fa, "/owned/portal") == {"item_id": "portal", "owner": "Rick"}


def test_unhandled_error_is_plain_text(fa):
    r = call(fa, "GET", "/crash")
    assert r.status_code == 500 and r.content == b"Internal Server Error"
    assert r.headers["content-type"] == "text/plain; charset=utf-8"


def test_background_task_by_annotation(fa):
    assert ok(fa, "/send/a@b", "POST") == {"message": "sent"}
    assert ok(fa, "/log") == ["a@b"]


def test_dependency_overrides(fa):
    assert ok(fa, "/overridable") == {"value": "real"}
    assert ok(fa, "/override/true", "POST") == {"overrides": 1}
    assert ok(fa, "/overridable") == {"value": "override"}
    assert ok(fa, "/override/false", "POST") == {"overrides": 0}
    assert ok(fa, "/overridable") == {"value": "real"}


# --- the rest of FastAPI's surface (portable) ----------------------------------------------------


def test_security_scopes(models):
    assert ok(models, "/scopes") == {"a": "items read", "b": ""}


def test_depends_scope_function(models):
    ok(models, "/events")
    assert ok(models, "/function-scope") == {"v": "v", "events": ["enter", "handler"]}
    assert ok(models, "/events") == ["enter", "handler", "exit"]


def test_request_scope(models):
    assert ok(models, "/scope?a=1") == {"type": "http", "method": "GET", "path": "/scope",
                                        "query_string": "a=1", "root_path": "",
                                        "has_host": True}


def test_mounted_sub_application(models):
    ok(models, "/events")
    assert ok(models, "/sub/hello/ada") == {"sub": "ada"}
    assert ok(models, "/events") == ["sub dependency"]
    assert call(models, "GET", "/hello/ada").status_code == 404
    r = call(models, "GET", "/sub/fail")
    assert r.status_code == 409
    assert json.loads(r.content) == {"handled_by": "sub", "root_path": "/sub"}
