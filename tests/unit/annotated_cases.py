"""CPython-only unit tests of annotations (imported by test_annotations.py on CPython only:
MicroPython drops annotations, and has no typing, enum, uuid or decimal)."""

import datetime
import decimal
import enum
import json
import uuid
from typing import Annotated, List, Literal, Optional

from unit_support import make_item, raises
from viperhttp import (BackgroundTasks, BaseModel, Body, Cookie, Depends, Field, Header, Path,
                       Query, Request, ViperHTTP)
from viperhttp.dependencies import Context, solve
from viperhttp.exceptions import RequestValidationError


def solved(fn, path="/x", query="", params=(), headers=None, body=None, method="GET"):
    app = ViperHTTP()
    app.add_api_route(path, fn, [method])
    route = app.routes[0]
    raw = json.dumps(body).encode() if body is not None else b""
    item = make_item(0, method, path, query, headers, raw, params)
    ctx = Context() if route.plan.needs_context else None
    request = Request(item, app) if route.plan.needs_request else None
    return solve(route.plan, item, request, ctx)


def errors_of(fn, **kw):
    with raises(RequestValidationError) as e:
        solved(fn, **kw)
    return [(x["type"], x["loc"]) for x in e.value.errors()]


def common(q: str | None = None, skip: int = 0, limit: int = 100):
    return {"q": q, "skip": skip, "limit": limit}


def test_annotated_depends():
    def ep(commons: Annotated[dict, Depends(common)]):
        pass

    assert solved(ep, query="limit=3") == {"commons": {"q": None, "skip": 0, "limit": 3}}

    class Settings:
        def __init__(self, mode: str = "auto"):
            self.mode = mode

    def ep2(s: Annotated[Settings, Depends()]):
        pass

    assert solved(ep2, query="mode=x")["s"].mode == "x"


def test_annotated_params_and_defaults():
    Short = Annotated[str | None, Query(max_length=3)]

    def ep(item_id: Annotated[int, Path(ge=1)], q: Short = None, other: Short = "abc",
           ua: Annotated[str | None, Header()] = None, s: Annotated[str, Cookie()] = "none"):
        pass

    got = solved(ep, "/i/{item_id}", "q=ab", ("5",), {"ua": "curl", "cookie": "s=1"})
    assert got == {"item_id": 5, "q": "ab", "other": "abc", "ua": "curl", "s": "1"}
    assert errors_of(ep, path="/i/{item_id}", query="q=abcd&other=abcde", params=("0",)) == [
        ("greater_than_equal", ["path", "item_id"]), ("string_too_long", ["query", "q"]),
        ("string_too_long", ["query", "other"])]


def test_path_annotation_converts():
    def ep(item_id: int):
        pass

    assert solved(ep, "/i/{item_id}", params=("12",)) == {"item_id": 12}
    assert errors_of(ep, path="/i/{item_id}", params=("foo",)) == [
        ("int_parsing", ["path", "item_id"])]


def test_optional_and_union_none():
    def ep(a: int | None = None, b: Optional[float] = None, c: Optional[int] = None):
        pass

    assert solved(ep, query="a=1&b=2") == {"a": 1, "b": 2.0, "c": None}
    assert errors_of(ep, query="a=x&b=y") == [("int_parsing", ["query", "a"]),
                                              ("float_parsing", ["query", "b"])]


def test_list_query_and_headers():
    def ep(q: list[str] | None = Query(None), n: List[int] = Query([]),
           x_tag: Annotated[list[str] | None, Header()] = None):
        pass

    got = solved(ep, query="q=a&q=b&n=1&n=2", headers={"x-tag": "t1"})
    assert got == {"q": ["a", "b"], "n": [1, 2], "x_tag": ["t1"]}
    assert solved(ep) == {"q": None, "n": [], "x_tag": None}
    assert errors_of(ep, query="n=1&n=x") == [("int_parsing", ["query", "n", 1])]


class Color(str, enum.Enum):
    red = "red"
    blue = "blue"


class Level(enum.IntEnum):
    low = 1
    high = 2


def test_enum_and_literal():
    def ep(c: Color, lv: Level = Level.low, mode: Literal["a", "b"] = "a"):
        pass

    got = solved(ep, "/c/{c}", "lv=2&mode=b", ("blue",))
    assert got == {"c": Color.blue, "lv": Level.high, "mode": "b"}
    with raises(RequestValidationError) as e:
        solved(ep, "/c/{c}", "lv=3&mode=z", ("green",))
    assert e.value.errors()[0] == {
        "type": "enum", "loc": ["path", "c"], "msg": "Input should be 'red' or 'blue'",
        "input": "green", "ctx": {"expected": "'red' or 'blue'"}}
    assert [x["type"] for x in e.value.errors()] == ["enum", "enum", "literal_error"]


def test_standard_classes():
    def ep(u: uuid.UUID, d: datetime.datetime, day: datetime.date, t: datetime.time,
           td: datetime.timedelta, dec: decimal.Decimal, b: bytes):
        pass

    got = solved(ep, query="u=12345678-1234-5678-1234-567812345678&d=2024-01-02T03:04:05Z"
                 "&day=2024-01-02&t=10:20:30&td=P1DT2H&dec=1.50&b=raw")
    assert got["u"] == uuid.UUID("12345678-1234-5678-1234-567812345678")
    assert got["d"] == datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    assert got["day"] == datetime.date(2024, 1, 2) and got["t"] == datetime.time(10, 20, 30)
    assert got["td"] == datetime.timedelta(days=1, hours=2)
    assert got["dec"] == decimal.Decimal("1.50") and got["b"] == b"raw"
    assert solved(ep, query="u=12345678123456781234567812345678&d=1700000000&day=2024-01-02"
                  "&t=10:20&td=90&dec=3&b=")["td"] == datetime.timedelta(seconds=90)
    assert errors_of(ep, query="u=x&d=x&day=2024-02-30&t=25:00&td=x&dec=x&b=x") == [
        ("uuid_parsing", ["query", "u"]), ("datetime_parsing", ["query", "d"]),
        ("date_parsing", ["query", "day"]), ("time_parsing", ["query", "t"]),
        ("time_delta_parsing", ["query", "td"]), ("decimal_parsing", ["query", "dec"])]


def test_structured_annotations_are_bodies():
    def ep(weights: dict[int, float]):
        pass

    assert solved(ep, body={"1": 2, "3": "4.5"}, method="POST") == {
        "weights": {1: 2.0, 3: 4.5}}
    assert errors_of(ep, body={"a": 1}, method="POST") == [
        ("int_parsing", ["body", "a", "[key]"])]

    def ep2(items: list[int], n: Annotated[int, Body()]):
        pass

    assert solved(ep2, body={"items": ["1", 2], "n": "3"}, method="POST") == {
        "items": [1, 2], "n": 3}


class Image(BaseModel):
    url: str
    name: str | None = None


class Item(BaseModel):
    name: str = Field(max_length=5)
    price: float
    tags: list[str] = []
    image: Optional[Image] = None
    images: list[Image] = []


def test_annotated_model_fields():
    item = Item(name="a", price="2", image={"url": "u"})
    assert item.model_dump() == {"name": "a", "price": 2.0, "tags": [],
                                 "image": {"url": "u", "name": None}, "images": []}
    schema = Item.model_json_schema()
    assert schema["required"] == ["name", "price"]
    assert schema["properties"]["image"]["anyOf"][0] == {"$ref": "#/$defs/Image"}

    def ep(item: Item, importance: Annotated[int, Body(gt=0)]):
        pass

    got = solved(ep, body={"item": {"name": "a", "price": 1}, "importance": 2}, method="POST")
    assert got["item"].price == 1.0 and got["importance"] == 2
    assert errors_of(ep, body={"item": {"name": "abcdef"}, "importance": 0}, method="POST") == [
        ("string_too_long", ["body", "item", "name"]), ("missing", ["body", "item", "price"]),
        ("greater_than", ["body", "importance"])]

    def whole(item: Item):
        pass

    assert errors_of(whole, body={"price": 1}, method="POST") == [("missing", ["body", "name"])]


def test_return_annotation_is_response_model():
    class Out(BaseModel):
        name: str

    def ep() -> Out:
        return {"name": "a", "secret": 1}

    app = ViperHTTP()
    app.add_api_route("/x", ep, ["GET"])
    assert json.loads(app.routes[0].make_response(ep()).body) == {"name": "a"}


def test_specials_by_annotation():
    def ep(req: Request, tasks: BackgroundTasks):
        pass

    got = solved(ep)
    assert isinstance(got["req"], Request) and isinstance(got["tasks"], BackgroundTasks)


def test_pydantic_model_through_pydantic():
    try:
        import pydantic
    except ImportError:
        return

    class P(pydantic.BaseModel):
        name: str
        n: int = 0

    def ep(p: P):
        pass

    assert solved(ep, body={"name": "a", "n": "2"}, method="POST")["p"] == P(name="a", n=2)
    assert errors_of(ep, body={"n": "x"}, method="POST") == [
        ("missing", ["body", "name"]), ("int_parsing", ["body", "n"])]
