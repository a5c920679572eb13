"""Issue 20 against FastAPI 0.92: models (pydantic's BaseModel for FastAPI, viperhttp's
Model/BaseModel for ViperHTTP, written the same way), response_model, Enum/UUID/date/Decimal
parameters, repeated typed query values, dict bodies, response classes, duplicate routes.
(``Annotated`` needs FastAPI 0.95: it is covered by tests/pyapi/test_fastapi_code.py.)"""

import datetime
import decimal
import enum
import uuid
from typing import Dict, List, Optional

from . import is_fastapi, responses


def make_app(fw):
    R = responses(fw)
    if is_fastapi(fw):
        from pydantic import BaseModel, Field
    else:
        from viperhttp import BaseModel, Field
    app = fw.FastAPI()
    html_app = app  # noqa: F841

    class Image(BaseModel):
        url: str
        name: str = "img"

    class Item(BaseModel):
        name: str = Field(..., max_length=10)
        description: Optional[str] = None
        price: float = Field(..., ge=0)
        tax: Optional[float] = None
        tags: List[str] = []
        image: Optional[Image] = None
        images: List[Image] = []

    class ItemOut(BaseModel):
        name: str
        price: float
        tags: List[str] = []

    @app.post("/items")
    def create(item: Item):
        return item

    @app.post("/items-dict")
    def create_dict(item: Item):
        return {"name": item.name, "total": item.price + (item.tax or 0)}

    @app.post("/embed")
    def embed(item: Item = fw.Body(..., embed=True)):
        return item

    @app.put("/items/{item_id}")
    def update(item_id: int, item: Item, image: Image, importance: int = fw.Body(..., gt=0)):
        return {"item_id": item_id, "item": item, "image": image, "importance": importance}

    @app.post("/images")
    def images(images: List[Image]):
        return images

    @app.post("/weights")
    def weights(weights: Dict[int, float]):
        return weights

    @app.post("/out", response_model=ItemOut)
    def out(item: Item):
        return item

    @app.post("/out-unset", response_model=Item, response_model_exclude_unset=True)
    def out_unset(item: Item):
        return item

    @app.post("/out-none", response_model=Item, response_model_exclude_none=True)
    def out_none(item: Item):
        return item

    @app.get("/out-list", response_model=List[ItemOut])
    def out_list():
        return [{"name": "a", "price": 1, "secret": 1}, {"name": "b", "price": 2.5}]

    class Model(str, enum.Enum):
        alexnet = "alexnet"
        resnet = "resnet"

    @app.get("/models/{model}")
    def model(model: Model):
        return {"model": model, "alex": model == Model.alexnet}

    @app.get("/typed/{uid}")
    def typed(uid: uuid.UUID, day: datetime.date, amount: decimal.Decimal,
              at: Optional[datetime.datetime] = None):
        return {"uid": uid, "day": day, "amount": amount, "at": at}

    @app.get("/list")
    def lists(n: List[int] = fw.Query([]), q: Optional[List[str]] = fw.Query(None),
              limit: Optional[int] = None):
        return {"n": n, "q": q, "limit": limit}

    @app.get("/redirect", response_class=R.RedirectResponse)
    def redirect():
        return "https://example.com/there"

    @app.get("/dup")
    def dup_first():
        return {"route": "first"}

    @app.get("/dup")
    def dup_second():
        return {"route": "second"}

    return app


W = {"kind": "pydantic-wording",
     "reason": "422 type/msg/ctx: pydantic 1 in FastAPI 0.92, pydantic 2 (newer FastAPI) in ViperHTTP"}

ITEM = {"name": "lamp", "price": 9.5, "tags": ["a", "b"], "image": {"url": "http://i"}}

REQUESTS = [
    {"id": "model-body", "method": "POST", "path": "/items", "json": ITEM},
    {"id": "model-body-minimal", "method": "POST", "path": "/items",
     "json": {"name": "x", "price": 0}},
    {"id": "model-body-coerced", "method": "POST", "path": "/items-dict",
     "json": {"name": "x", "price": "2.5", "tax": 1}},
    {"id": "model-missing-422", "method": "POST", "path": "/items", "json": {"tags": []},
     "expect_difference": W},
    {"id": "model-constraints-422", "method": "POST", "path": "/items",
     "json": {"name": "x" * 11, "price": -1}, "expect_difference": W},
    {"id": "model-nested-422", "method": "POST", "path": "/items",
     "json": {"name": "x", "price": 1, "image": {"name": "n"}, "images": [{"url": "u"}, {}]},
     "expect_difference": W},
    {"id": "model-not-object-422", "method": "POST", "path": "/items", "json": [1],
     "expect_difference": {"reason": "pydantic 1 type_error.dict (FastAPI 0.92), pydantic 2 "
                           "model_attributes_type (newer FastAPI): the same error",
                           "fastapi": {"body": {"detail": [{
                               "loc": ["body"], "msg": "value is not a valid dict",
                               "type": "type_error.dict"}]}},
                           "viperhttp": {"body": {"detail": [{
                               "type": "model_attributes_type", "loc": ["body"],
                               "msg": "Input should be a valid dictionary or object to "
                                      "extract fields from", "input": [1]}]}}}},
    {"id": "model-embed", "method": "POST", "path": "/embed", "json": {"item": ITEM}},
    {"id": "model-embed-missing-422", "method": "POST", "path": "/embed", "json": ITEM,
     "expect_difference": W},
    {"id": "model-several", "method": "PUT", "path": "/items/3",
     "json": {"item": ITEM, "image": {"url": "u2"}, "importance": 2}},
    {"id": "model-several-422", "method": "PUT", "path": "/items/3",
     "json": {"item": {"price": 1}, "importance": 0}, "expect_difference": W},
    {"id": "model-list-body", "method": "POST", "path": "/images",
     "json": [{"url": "a"}, {"url": "b", "name": "n"}]},
    {"id": "dict-int-float-body", "method": "POST", "path": "/weights",
     "json": {"1": 0.5, "2": "3"}},
    {"id": "dict-int-float-422", "method": "POST", "path": "/weights", "json": {"1": "x"},
     "expect_difference": W},
    {"id": "response-model", "method": "POST", "path": "/out", "json": ITEM},
    {"id": "response-model-exclude-unset", "method": "POST", "path": "/out-unset",
     "json": {"name": "x", "price": 1, "image": {"url": "u"}}},
    {"id": "response-model-exclude-none", "method": "POST", "path": "/out-none",
     "json": {"name": "x", "price": 1}},
    {"id": "response-model-list", "method": "GET", "path": "/out-list"},
    {"id": "enum-path", "method": "GET", "path": "/models/resnet"},
    {"id": "enum-path-422", "method": "GET", "path": "/models/vgg", "expect_difference": W},
    {"id": "uuid-date-decimal", "method": "GET",
     "path": "/typed/12345678-1234-5678-1234-567812345678?day=2024-02-28&amount=2.50"
             "&at=2024-01-02T03:04:05"},
    {"id": "uuid-date-decimal-422", "method": "GET",
     "path": "/typed/xyz?day=2024-02-30&amount=abc", "expect_difference": W},
    {"id": "typed-list-query", "method": "GET", "path": "/list?n=1&n=2&q=a&q=b&limit=4"},
    {"id": "typed-list-query-empty", "method": "GET", "path": "/list"},
    {"id": "typed-list-query-422", "method": "GET", "path": "/list?n=1&n=x&limit=y",
     "expect_difference": W},
    {"id": "redirect-response-class", "method": "GET", "path": "/redirect"},
    {"id": "duplicate-route-first-wins", "method": "GET", "path": "/dup"},
]
