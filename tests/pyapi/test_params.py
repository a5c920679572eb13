"""Query/Path/Header/Cookie/Body/Form parameters: conversion, constraints at the limit and one
past, list parameters, aliases, header underscores, 422 bodies (SPEC §3.2), against
apps/depends_app.py."""

import json

import pytest

from pyapi_support import MICROPYTHON, call, ok

TIMEOUT = 10


@pytest.fixture(scope="module")
def app(module_app_factory):
    return module_app_factory("depends_app.py", access_log=False)




def detail(srv, path, method="GET", **kw):
    r = call(srv, method, path, **kw)
    assert r.status_code == 422, r.content
    assert r.headers["content-type"] == "application/json"
    return json.loads(r.content)["detail"]


def err(kind, loc, msg, value, ctx=None):
    e = {"type": kind, "loc": loc, "msg": msg, "input": value}
    if ctx is not None:
        e["ctx"] = ctx
    return e


# --- query ---------------------------------------------------------------------------------------


def test_query_defaults(app):
    assert ok(app, "/p/query") == {"limit": 10, "name": None, "code": None, "color": None,
                                   "ratio": 0.5, "on": False}


def test_query_values_at_the_limits(app):
    got = ok(app, "/p/query?limit=100&name=ab&code=abc&color=green&ratio=0.99&on=YES")
    assert got == {"limit": 100, "name": "ab", "code": "abc", "color": "green", "ratio": 0.99,
                   "on": True}
    got = ok(app, "/p/query?limit=0&name=abcd&ratio=0.01&on=off")
    assert got["limit"] == 0 and got["name"] == "abcd" and got["on"] is False


@pytest.mark.parametrize("query, error", [
    ("limit=-1", err("greater_than_equal", ["query", "limit"],
                     "Input should be greater than or equal to 0", "-1", {"ge": 0})),
    ("limit=101", err("less_than_equal", ["query", "limit"],
                      "Input should be less than or equal to 100", "101", {"le": 100})),
    ("limit=x", err("int_parsing", ["query", "limit"], "Input should be a valid integer, "
                    "unable to parse string as an integer", "x")),
    ("name=a", err("string_too_short", ["query", "name"],
                   "String should have at least 2 characters", "a", {"min_length": 2})),
    ("name=abcde", err("string_too_long", ["query", "name"],
                       "String should have at most 4 characters", "abcde", {"max_length": 4})),
    ("code=ab1", err("string_pattern_mismatch", ["query", "code"],
                     "String should match pattern '^[a-z]+$'", "ab1", {"pattern": "^[a-z]+$"})),
    ("color=blue", err("enum", ["query", "color"], "Input should be 'red' or 'green'", "blue",
                       {"expected": "'red' or 'green'"})),
    ("ratio=0", err("greater_than", ["query", "ratio"], "Input should be greater than 0", "0",
                    {"gt": 0})),
    ("ratio=1", err("less_than", ["query", "ratio"], "Input should be less than 1", "1",
                    {"lt": 1})),
    ("ratio=abc", err("float_parsing", ["query", "ratio"], "Input should be a valid number, "
                      "unable to parse string as a number", "abc")),
    ("on=maybe", err("bool_parsing", ["query", "on"], "Input should be a valid boolean, "
                     "unable to interpret input", "maybe")),
])
def test_query_one_past_the_limit(app, query, error):
    assert detail(app, "/p/query?" + query) == [error]


def test_query_errors_aggregated_in_parameter_order(app):
    got = detail(app, "/p/query?limit=-1&name=a&on=2")
    assert [e["loc"][1] for e in got] == ["limit", "name", "on"]


@pytest.mark.parametrize("raw, value", [("1", True), ("TRUE", True), ("On", True),
                                        ("yes", True), ("0", False), ("False", False),
                                        ("OFF", False), ("no", False)])
def test_query_bool_words(app, raw, value):
    assert ok(app, "/p/query?on=" + raw)["on"] is value


def test_required_and_alias(app):
    assert detail(app, "/p/required") == [err("missing", ["query", "n"], "Field required", None)]
    assert detail(app, "/p/required?n=0") == [err(
        "greater_than_equal", ["query", "n"], "Input should be greater than or equal to 1", "0",
        {"ge": 1})]
    assert ok(app, "/p/required?n=1&item-count=7") == {"n": 1, "count": 7, "plain": "x"}
    # the alias is the only name: the parameter's own name is not read
    assert ok(app, "/p/required?n=1&count=7")["count"] == 0
    assert detail(app, "/p/required?n=1&item-count=z")[0]["loc"] == ["query", "item-count"]


def test_async_handler_params(app):
    assert ok(app, "/p/async-query?limit=3") == {"limit": 3}
    assert detail(app, "/p/async-query?limit=-3")[0]["type"] == "greater_than_equal"


def test_list_params(app):
    assert ok(app, "/p/list") == {"tags": [], "ids": [], "nums": []}
    got = ok(app, "/p/list?tags=a&ids=1&tags=b&ids=2&nums=xx&nums=yyy")
    assert got == {"tags": ["a", "b"], "ids": ["1", "2"], "nums": ["xx", "yyy"]}
    assert detail(app, "/p/list?nums=ab&nums=c") == [err(
        "string_too_short", ["query", "nums", 1], "String should have at least 2 characters",
        "c", {"min_length": 2})]


def test_list_default_not_shared_between_requests(app):
    assert ok(app, "/p/list")["tags"] == []
    assert ok(app, "/p/list?tags=z")["tags"] == ["z"]
    assert ok(app, "/p/list")["tags"] == []


# --- path ----------------------------------------------------------------------------------------


def test_path_constraints(app):
    assert ok(app, "/p/path/1") == {"n": 1}
    assert ok(app, "/p/path/10") == {"n": 10}
    assert detail(app, "/p/path/0") == [err(
        "greater_than_equal", ["path", "n"], "Input should be greater than or equal to 1", 0,
        {"ge": 1})]
    assert detail(app, "/p/path/11")[0]["type"] == "less_than_equal"
    assert ok(app, "/p/path-str/abc") == {"code": "abc"}
    assert detail(app, "/p/path-str/ab")[0]["loc"] == ["path", "code"]


# --- headers and cookies ---------------------------------------------------------------------------


def test_header_underscores(app):
    got = ok(app, "/p/headers", headers={"X-Token": "t1", "User-Agent": "ua/1", "X-Num": "2"})
    assert got == {"x_token": "t1", "user_agent": "ua/1", "x_num": 2, "x_tags": []}


def test_header_errors_use_hyphenated_names(app):
    got = detail(app, "/p/headers", headers={"X-Num": "0"})
    assert got == [err("greater_than_equal", ["header", "x-num"],
                       "Input should be greater than or equal to 1", "0", {"ge": 1})]
    got = detail(app, "/p/header-required")
    assert got == [err("missing", ["header", "x-token"], "Field required", None),
                   err("missing", ["header", "x_flag"], "Field required", None)]


def test_header_convert_underscores_false(app):
    # the header is named with the underscore; the hyphenated form is not it
    r = call(app, "GET", "/p/header-required", headers={"X-Token": "a", "X-Flag": "b"})
    assert r.status_code == 422
    assert json.loads(r.content)["detail"][0]["loc"] == ["header", "x_flag"]


def test_header_list(app):
    from pyapi_http import Conn

    with Conn(app.port) as c:
        r = c.request("GET", "/p/headers", [("X-Tags", "a"), ("X-Tags", "b")])
    assert r.status == 200
    assert json.loads(r.body)["x_tags"] == ["a", "b"]


def test_cookies(app):
    assert ok(app, "/p/cookies") == {"session": None, "n": 0}
    got = ok(app, "/p/cookies", headers={"Cookie": "session=abc; n=5; other=1"})
    assert got == {"session": "abc", "n": 5}
    assert detail(app, "/p/cookies", headers={"Cookie": "n=6"}) == [err(
        "less_than_equal", ["cookie", "n"], "Input should be less than or equal to 5", "6",
        {"le": 5})]
    assert detail(app, "/p/cookies", headers={"Cookie": "n=x"})[0]["type"] == "int_parsing"


def test_request_cookies(app):
    got = ok(app, "/p/request-cookies", headers={"Cookie": 'a=1; b="quoted"; c=x=y'})
    assert got == {"a": "1", "b": "quoted", "c": "x=y"}
    assert ok(app, "/p/request-cookies") == {}


# --- body and form -------------------------------------------------------------------------------


def test_body_whole(app):
    assert ok(app, "/p/body", "POST", json={"a": [1, 2]}) == {"payload": {"a": [1, 2]}}
    assert ok(app, "/p/body", "POST", json=5) == {"payload": 5}
    assert detail(app, "/p/body", "POST") == [err("missing", ["body"], "Field required", None)]


def test_body_invalid_json(app):
    got = detail(app, "/p/body", "POST", data=b'{x}')
    assert len(got) == 1
    assert got[0]["type"] == "json_invalid" and got[0]["msg"] == "JSON decode error"
    assert got[0]["loc"][0] == "body" and isinstance(got[0]["loc"][1], int)
    if not MICROPYTHON:  # CPython's JSONDecodeError has the position
        assert got[0]["loc"] == ["body", 1]
        assert got[0]["ctx"] == {"error": "Expecting property name enclosed in double quotes"}


def test_body_invalid_json_is_the_only_error(app):
    # as FastAPI: a body that is not JSON is reported alone (b's ge=1 is not checked)
    got = detail(app, "/p/body-multi", "POST", data=b"nope")
    assert [e["type"] for e in got] == ["json_invalid"]


@pytest.mark.skipif(MICROPYTHON, reason="MicroPython's json.loads accepts some truncated "
                    "documents ('{\"a\":' gives {}), so they are not json_invalid there")
def test_body_truncated_json(app):
    got = detail(app, "/p/body", "POST", data=b'{"a":')
    assert got == [{"type": "json_invalid", "loc": ["body", 5], "msg": "JSON decode error",
                    "input": {}, "ctx": {"error": "Expecting value"}}]


def test_body_embed(app):
    assert ok(app, "/p/body-embed", "POST", json={"item": {"x": 1}}) == {"item": {"x": 1}}
    assert detail(app, "/p/body-embed", "POST", json={"x": 1}) == [
        err("missing", ["body", "item"], "Field required", None)]


def test_body_several_params_are_embedded(app):
    assert ok(app, "/p/body-multi", "POST", json={"a": "x"}) == {"a": "x", "b": 1}
    assert ok(app, "/p/body-multi", "POST", json={"a": "x", "b": 1}) == {"a": "x", "b": 1}
    got = detail(app, "/p/body-multi", "POST", json={"b": 0})
    assert got == [err("missing", ["body", "a"], "Field required", None),
                   err("greater_than_equal", ["body", "b"],
                       "Input should be greater than or equal to 1", 0, {"ge": 1})]


def test_body_json_null_is_missing(app):
    # as FastAPI: null is a missing value (required: 422, optional: the default)
    assert detail(app, "/p/body", "POST", data=b"null",
                  headers={"Content-Type": "application/json"}) == [
        err("missing", ["body"], "Field required", None)]
    assert ok(app, "/p/body-multi", "POST", json={"a": "x", "b": None}) == {"a": "x", "b": 1}
    assert detail(app, "/p/body-embed", "POST", json={"item": None}) == [
        err("missing", ["body", "item"], "Field required", None)]


def test_body_list_type_from_default(app):
    assert ok(app, "/p/body-list", "POST", json=[1, "a"]) == {"items": [1, "a", "seen"]}
    # no body, or null: the default, a fresh list each time
    assert ok(app, "/p/body-list", "POST") == {"items": ["seen"]}
    assert ok(app, "/p/body-list", "POST", data=b"null",
              headers={"Content-Type": "application/json"}) == {"items": ["seen"]}
    for value in ({"a": 1}, "abc", 3, True):
        assert detail(app, "/p/body-list", "POST", json=value) == [
            err("list_type", ["body"], "Input should be a valid list", value)]


def test_body_list_and_dict_embedded(app):
    got = ok(app, "/p/body-typed-embed", "POST", json={"items": [1], "opts": {"k": 2}})
    assert got == {"items": [1], "opts": {"k": 2}}
    assert ok(app, "/p/body-typed-embed", "POST", json={}) == {"items": [], "opts": {}}
    assert detail(app, "/p/body-typed-embed", "POST",
                  json={"items": {"a": 1}, "opts": [1, 2]}) == [
        err("list_type", ["body", "items"], "Input should be a valid list", {"a": 1}),
        err("dict_type", ["body", "opts"], "Input should be a valid dictionary", [1, 2])]
    assert detail(app, "/p/body-typed-embed", "POST", json={"opts": "x"}) == [
        err("dict_type", ["body", "opts"], "Input should be a valid dictionary", "x")]


def test_header_alias_kept_as_written_in_errors(app):
    # looked up in any case, but the 422 loc has the name as declared, as in FastAPI
    assert ok(app, "/p/header-alias", headers={"x-api-token": "t", "x-count": "4"}) == {
        "token": "t", "count": 4}
    assert ok(app, "/p/header-alias", headers={"X-API-TOKEN": "u"}) == {"token": "u", "count": 0}
    assert detail(app, "/p/header-alias", headers={"X-Count": "x"}) == [
        err("missing", ["header", "X-Api-Token"], "Field required", None),
        err("int_parsing", ["header", "X-Count"], "Input should be a valid integer, unable to "
            "parse string as an integer", "x")]


def test_form(app):
    got = ok(app, "/p/form", "POST", data={"username": "ann", "tags": ["x", "y"], "age": "0"})
    assert got == {"username": "ann", "tags": ["x", "y"], "age": 0}
    got = detail(app, "/p/form", "POST", data={"age": "-1"})
    assert got == [err("missing", ["body", "username"], "Field required", None),
                   err("greater_than_equal", ["body", "age"],
                       "Input should be greater than or equal to 0", "-1", {"ge": 0})]


def test_request_form(app):
    got = ok(app, "/p/request-form", "POST", data="a=1&b=two+words&a=%C3%A9",
             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert got == {"items": [["a", "1"], ["b", "two words"], ["a", "é"]], "a": "é",
                   "all_a": ["1", "é"]}


# --- annotations (CPython) -------------------------------------------------------------------


@pytest.fixture(scope="module")
def annotated(module_app_factory):
    if MICROPYTHON:
        pytest.skip("MicroPython drops annotations: types come from defaults and converters")
    return module_app_factory("annotated_app.py", access_log=False)


def test_annotations_choose_the_type(annotated):
    got = ok(annotated, "/a/query?n=3&ratio=2&on=yes&tags=a&tags=b",
             headers={"X-Count": "3"})
    assert got == {"n": 3, "ratio": 2.0, "on": True, "tags": ["a", "b"], "x_count": 3}
    got = detail(annotated, "/a/query?n=x&ratio=y&on=z", headers={"X-Count": "4"})
    assert [(e["type"], e["loc"]) for e in got] == [
        ("int_parsing", ["query", "n"]), ("float_parsing", ["query", "ratio"]),
        ("bool_parsing", ["query", "on"]), ("less_than_equal", ["header", "x-count"])]


def test_depends_without_argument_uses_the_annotated_class(annotated):
    assert ok(annotated, "/a/class?mode=eco&level=2") == {"mode": "eco", "level": 2}
    assert detail(annotated, "/a/class?level=x")[0]["loc"] == ["query", "level"]


def test_annotated_body_list_and_dict(annotated):
    assert ok(annotated, "/a/body-list", "POST", json=[1]) == {"items": [1]}
    assert ok(annotated, "/a/body-dict", "POST", json={"a": 1}) == {"item": {"a": 1}}
    assert detail(annotated, "/a/body-list", "POST", json={"a": 1}) == [
        err("list_type", ["body"], "Input should be a valid list", {"a": 1})]
    assert detail(annotated, "/a/body-dict", "POST", json=[1, 2]) == [
        err("dict_type", ["body"], "Input should be a valid dictionary", [1, 2])]
    assert detail(annotated, "/a/body-dict", "POST", data=b"null",
                  headers={"Content-Type": "application/json"}) == [
        err("missing", ["body"], "Field required", None)]


def test_annotation_portability_warnings(annotated):
    err_text = annotated.stderr_text()
    assert ("WARNING:  parameter 'n' of a_query: its int annotation sets the type, which "
            "MicroPython cannot see; for portable code use a default of that type, e.g. n=0"
            in err_text)
    assert "parameter 'tags' of a_query: its list annotation" in err_text
    assert ("parameter 'items' of a_body_list: its list annotation sets the type, which "
            "MicroPython cannot see; for portable code use a list default such as Body([])"
            in err_text)
    assert "parameter 'item' of a_body_dict: its dict annotation" in err_text
    assert "parameter 'x_count'" not in err_text  # Header(0): the default gives int already
    assert "parameter 'level'" not in err_text
