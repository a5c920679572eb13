"""Portable models (viperhttp.models) and validators (viperhttp._validation): fields declared
with Field(type, ...), validation in pydantic 2's error shape, dumps, JSON Schema, model
bodies and response_model through a route's plan.  Runs on both interpreters."""

import json

from unit_support import make_item, raises
from viperhttp import Body, Field, Model, ValidationError, ViperHTTP, jsonable_encoder
from viperhttp._validation import INVALID, Optional, compile_type
from viperhttp.dependencies import Context, solve
from viperhttp.exceptions import RequestValidationError, ResponseValidationError
from viperhttp.requests import Request


class Image(Model):
    url = Field(str, min_length=3)
    width = Field(int, ge=1, default=100)


class Item(Model):
    name = Field(str, max_length=10)
    price = Field(float, ge=0, default=0)
    tags = Field([str], default=[])
    image = Field(Image, default=None)
    images = Field([Image], default=[])
    counts = Field({str: int}, default={})
    code = Field(str, alias="item-code", default="x")


def errors_of(cls, data):
    with raises(ValidationError) as e:
        cls.model_validate(data)
    return [(x["type"], x["loc"]) for x in e.value.errors()]


def test_valid_and_defaults():
    item = Item.model_validate({"name": "lamp", "price": "2.5", "tags": ["a"],
                                "image": {"url": "http://x"}, "item-code": "c1"})
    assert item.name == "lamp" and item.price == 2.5 and item.tags == ["a"]
    assert isinstance(item.image, Image) and item.image.width == 100
    assert item.code == "c1" and item.images == [] and item.counts == {}
    assert item.model_fields_set == {"name", "price", "tags", "image", "code"}


def test_mutable_defaults_are_fresh():
    a = Item(name="a")
    a.tags.append("changed")
    assert Item(name="b").tags == []


def test_errors_pydantic2_shape():
    assert errors_of(Item, {"price": -1, "tags": "x", "image": {"url": "ab", "width": 0},
                            "images": [1], "counts": {"a": "z"}}) == [
        ("missing", ["name"]),
        ("greater_than_equal", ["price"]),
        ("list_type", ["tags"]),
        ("string_too_short", ["image", "url"]),
        ("greater_than_equal", ["image", "width"]),
        ("model_attributes_type", ["images", 0]),
        ("int_parsing", ["counts", "a"]),
    ]
    with raises(ValidationError) as e:
        Item.model_validate({"name": "x" * 11})
    err = e.value.errors()[0]
    assert err == {"type": "string_too_long", "loc": ["name"],
                   "msg": "String should have at most 10 characters", "input": "x" * 11,
                   "ctx": {"max_length": 10}}
    with raises(ValidationError) as e:
        Item.model_validate({})
    assert e.value.errors()[0]["input"] == {}  # pydantic 2: the object it is missing from
    assert errors_of(Item, [1]) == [("model_attributes_type", [])]


def test_lax_scalars():
    v = compile_type(int)
    assert v.validate("7", [], []) == 7 and v.validate(7.0, [], []) == 7
    errors = []
    assert v.validate(7.5, ["x"], errors) is INVALID
    assert errors[0]["type"] == "int_from_float"
    errors = []
    assert compile_type(str).validate(5, ["s"], errors) is INVALID
    assert errors[0]["type"] == "string_type"
    assert compile_type(bool).validate("yes", [], []) is True
    assert compile_type(Optional(int)).validate(None, [], []) is None
    assert compile_type({str: [int]}).validate({"a": ["1", 2]}, [], []) == {"a": [1, 2]}


def test_init_and_dumps():
    item = Item(name="lamp", image=Image(url="http://x"), images=[{"url": "abc"}])
    assert item.model_dump() == {"name": "lamp", "price": 0, "tags": [], "image": {
        "url": "http://x", "width": 100}, "images": [{"url": "abc", "width": 100}],
        "counts": {}, "code": "x"}
    assert item.model_dump(exclude_unset=True) == {
        "name": "lamp", "image": {"url": "http://x"}, "images": [{"url": "abc"}]}
    assert Item(name="a").model_dump(exclude_none=True, include={"name", "image"}) == {
        "name": "a"}
    assert Item(name="a").model_dump(by_alias=True)["item-code"] == "x"
    assert item.dict() == item.model_dump()
    assert json.loads(item.model_dump_json()) == item.model_dump()
    assert item.json() == item.model_dump_json()
    assert item == Item.model_validate(item.model_dump(by_alias=True))
    assert Item(name="a").model_copy(update={"price": 3}).price == 3
    with raises(ValidationError):
        Item(price=1)


def test_json_schema():
    schema = Item.model_json_schema()
    assert schema["title"] == "Item" and schema["type"] == "object"
    assert schema["required"] == ["name"]
    props = schema["properties"]
    assert props["name"] == {"type": "string", "maxLength": 10, "title": "Name"}
    assert props["price"] == {"type": "number", "minimum": 0, "title": "Price", "default": 0}
    assert props["tags"] == {"type": "array", "items": {"type": "string"}, "title": "Tags",
                             "default": []}
    assert props["image"] == {"anyOf": [{"$ref": "#/$defs/Image"}, {"type": "null"}],
                              "title": "Image", "default": None}
    assert props["counts"]["additionalProperties"] == {"type": "integer"}
    assert "item-code" in props
    assert schema["$defs"]["Image"]["required"] == ["url"]


def test_subclass_inherits_fields():
    class Special(Item):
        extra = Field(bool, default=False)

    s = Special(name="a", extra="true")
    assert s.extra is True and s.name == "a"
    assert list(s.model_dump())[-1] == "extra"


def run_route(fn, body, method="POST", **options):
    app = ViperHTTP()
    app.add_api_route("/x", fn, [method], **options)
    route = app.routes[0]
    item = make_item(0, method, "/x", "", {"content-type": "application/json"},
                     json.dumps(body).encode())
    ctx = Context() if route.plan.needs_context else None
    kwargs = solve(route.plan, item, Request(item, app), ctx)
    return route, route.endpoint(**kwargs)


def test_model_body_portable_spelling():
    def create(item=Body(Item)):
        return item

    route, got = run_route(create, {"name": "lamp", "price": 3})
    assert isinstance(got, Item) and got.price == 3.0

    def embedded(item=Body(Item, embed=True), n=Body(0)):
        return item, n

    route, (got, n) = run_route(embedded, {"item": {"name": "x"}, "n": 2})
    assert got.name == "x" and n == 2
    with raises(RequestValidationError) as e:
        run_route(create, {"price": "x"})
    assert [(x["type"], x["loc"]) for x in e.value.errors()] == [
        ("missing", ["body", "name"]), ("float_parsing", ["body", "price"])]
    with raises(RequestValidationError) as e:
        run_route(embedded, {"item": {"name": 1}})
    assert [x["loc"] for x in e.value.errors()] == [["body", "item", "name"]]


def test_response_model_filters():
    class Public(Model):
        name = Field(str)
        price = Field(float, default=0)

    def ep():
        return {"name": "lamp", "secret": "s"}

    app = ViperHTTP()
    app.add_api_route("/a", ep, ["GET"], response_model=Public)
    app.add_api_route("/b", ep, ["GET"], response_model=Public,
                      response_model_exclude_unset=True)
    app.add_api_route("/c", lambda: {"price": 1}, ["GET"], response_model=Public)
    a, b, c = app.routes
    assert not a.plain_json
    assert json.loads(a.make_response(ep()).body) == {"name": "lamp", "price": 0}
    assert json.loads(b.make_response(ep()).body) == {"name": "lamp"}
    assert json.loads(a.make_response(Item(name="lamp", price=2)).body) == {
        "name": "lamp", "price": 2.0}
    with raises(ResponseValidationError):
        c.make_response(c.endpoint())


def test_jsonable_encoder():
    assert jsonable_encoder({"i": Item(name="a"), "t": (1, 2), "b": b"x"})["i"]["name"] == "a"
    assert jsonable_encoder({"t": (1, 2), "b": b"x", "n": None}, exclude_none=True) == {
        "t": [1, 2], "b": "x"}

    class Plain:
        def __init__(self):
            self.a = 1
            self._hidden = 2

    assert jsonable_encoder(Plain()) == {"a": 1}


def test_security_scopes_reach_the_dependency():
    from viperhttp import Depends, Security, SecurityScopes

    def current_user(security_scopes=SecurityScopes()):
        return security_scopes.scopes

    def ep(user=Security(current_user, scopes=["items"]),
           admin=Security(current_user, scopes=["admin"]), plain=Depends(current_user)):
        return user, admin, plain

    app = ViperHTTP()
    app.add_api_route("/x", ep, ["GET"])
    route = app.routes[0]
    item = make_item(0, "GET", "/x")
    kwargs = solve(route.plan, item, Request(item, app), Context())
    assert route.endpoint(**kwargs) == (["items"], ["admin"], [])


def test_mount_sub_application_and_scope():
    from viperhttp import Depends

    calls = []

    sub = ViperHTTP(dependencies=[Depends(lambda: calls.append("sub"))])

    def hello(request):
        return request.scope

    sub.add_api_route("/hello", hello, ["GET"])
    app = ViperHTTP(dependencies=[Depends(lambda: calls.append("main"))])
    app.mount("/sub", sub)
    route = app.routes[0]
    assert route.path == "/sub/hello" and len(route.dependencies) == 1
    item = make_item(0, "GET", "/sub/hello", "a=1", {"host": "h", "x-a": "b"})
    request = Request(item, app)
    scope = route.endpoint(**solve(route.plan, item, request, None))
    assert calls == ["sub"]
    assert scope["type"] == "http" and scope["method"] == "GET" and scope["path"] == "/sub/hello"
    assert scope["query_string"] == b"a=1" and (b"x-a", b"b") in scope["headers"]
    assert scope["client"] == ("127.0.0.1", 50000) and scope["scheme"] == "http"
    with raises(TypeError):
        app.mount("/x", object())
    assert route.owner is sub and route.root_path == "/sub"


def test_mounted_application_answers_its_errors():
    from viperhttp import HTTPException, PlainTextResponse
    from viperhttp.pipeline import Pipeline

    sub = ViperHTTP()

    @sub.exception_handler(KeyError)
    def key_error(request, exc):
        return PlainTextResponse("sub handled", status_code=409)

    def boom():
        raise KeyError("x")

    sub.add_api_route("/boom", boom, ["GET"])
    app = ViperHTTP()
    app.add_api_route("/boom", boom, ["GET"])
    app.mount("/sub", sub)
    p = Pipeline(app, None, [0] * 8, {}, lambda *a: None)  # no response is sent here
    assert p.owner(make_item(1)) is sub and p.owner(make_item(0)) is app
    assert p.error_response(make_item(1), None, KeyError("x")).status_code == 409
    assert p.error_response(make_item(0), None, KeyError("x")).status_code == 500


def test_depends_scope_function_cleans_up_before_the_response():
    from viperhttp import Depends
    from viperhttp.pipeline import Pipeline

    events = []

    def per_function():
        events.append("enter f")
        yield "f"
        events.append("exit f")

    def per_request():
        events.append("enter r")
        yield "r"
        events.append("exit r")

    def ep(f=Depends(per_function, scope="function"), r=Depends(per_request)):
        events.append("handler")
        return {"f": f, "r": r}

    with raises(ValueError):
        Depends(per_function, scope="session")

    class Outbox:
        def respond(self, item, status, headers, body):
            events.append("sent")

    app = ViperHTTP()
    app.add_api_route("/x", ep, ["GET"])
    p = Pipeline(app, Outbox(), [0] * 8, {}, lambda *a: None)
    p.run(make_item(0, "GET", "/x"))
    assert events == ["enter f", "enter r", "handler", "exit f", "sent", "exit r"]
