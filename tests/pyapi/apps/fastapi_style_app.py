# FastAPI code as FastAPI's tutorials write it (CPython only: annotations, typing.Annotated,
# enum, uuid, datetime, decimal), behind test_models.py.  Arguments are ``key=value`` options
# for app.run.
import datetime
import decimal
import enum
import sys
import uuid
from typing import Annotated, Optional

from app_options import parse_options
import viperhttp
from viperhttp import (BackgroundTasks, BaseModel, Body, Depends, FastAPI, Field, Header,
                       HTTPException, Query)
from viperhttp.responses import HTMLResponse, RedirectResponse

app = FastAPI(title="pyapi fastapi-style app", openapi_url="/openapi.json")


@app.get("/__stats")
def stats():
    return viperhttp.server_stats()


def common_parameters(q: str | None = None, skip: int = 0, limit: int = 100):
    return {"q": q, "skip": skip, "limit": limit}


CommonsDep = Annotated[dict, Depends(common_parameters)]


@app.get("/items/")
def read_items(commons: CommonsDep):
    return commons


@app.get("/items/{item_id}")
def read_item(item_id: int, q: Annotated[str | None, Query(max_length=5)] = None,
              user_agent: Annotated[str | None, Header()] = None):
    return {"item_id": item_id, "q": q, "user_agent": user_agent}


class ModelName(str, enum.Enum):
    alexnet = "alexnet"
    resnet = "resnet"


@app.get("/models/{model_name}")
def get_model(model_name: ModelName):
    return {"model_name": model_name, "is_alexnet": model_name is ModelName.alexnet}


@app.get("/list")
def read_list(q: list[str] | None = Query(None), n: Annotated[list[int], Query()] = [],
              x_token: Annotated[list[str] | None, Header()] = None,
              limit: Optional[int] = None):
    return {"q": q, "n": n, "x_token": x_token, "limit": limit}


@app.get("/types/{item_id}")
def types(item_id: uuid.UUID, start: datetime.datetime, day: datetime.date,
          at: datetime.time, span: datetime.timedelta, amount: decimal.Decimal,
          raw: bytes):
    return {"item_id": item_id, "start": start, "day": day, "at": at, "span": span,
            "amount": amount, "raw": raw, "next_day": day + datetime.timedelta(days=1)}


@app.post("/index-weights/")
def create_index_weights(weights: dict[int, float]):
    return weights


class Image(BaseModel):
    url: str
    name: str


class Item(BaseModel):
    name: str = Field(max_length=10)
    description: str | None = None
    price: float
    tax: float | None = None
    tags: list[str] = []
    images: list[Image] | None = None


@app.put("/items/{item_id}")
def update_item(item_id: int, item: Item, importance: Annotated[int, Body(gt=0)]):
    return {"item_id": item_id, "item": item, "importance": importance}


@app.post("/embed")
def embed(item: Annotated[Item, Body(embed=True)]):
    return item


class UserIn(BaseModel):
    username: str
    password: str
    email: str | None = None


class UserOut(BaseModel):
    username: str
    email: str | None = None


@app.post("/user/", response_model=UserOut)
def create_user(user: UserIn):
    return user


@app.post("/user-annotated/")
def create_user_annotated(user: UserIn) -> UserOut:
    return user


@app.get("/redirect", response_class=RedirectResponse)
def redirect():
    return "https://typer.tiangolo.com"


@app.get("/html", response_class=HTMLResponse)
def html():
    return "<h1>hi</h1>"


@app.get("/dup")
def dup_first():
    return {"route": "first"}


@app.get("/dup")
def dup_second():
    return {"route": "second"}


class OwnerError(Exception):
    pass


def get_username():
    try:
        yield "Rick"
    except OwnerError as e:
        raise HTTPException(status_code=400, detail="Owner error: {}".format(e))


@app.get("/owned/{item_id}")
def get_owned(item_id: str, username: Annotated[str, Depends(get_username)]):
    if item_id == "plumbus":
        raise OwnerError(username)
    return {"item_id": item_id, "owner": username}


@app.get("/crash")
def crash():
    raise RuntimeError("boom")


log = []


def write_log(message: str):
    log.append(message)


@app.post("/send/{email}")
def send(email: str, background_tasks: BackgroundTasks):
    background_tasks.add_task(write_log, email)
    return {"message": "sent"}


@app.get("/log")
def get_log():
    return log


def real_dependency():
    return "real"


@app.get("/overridable")
def overridable(value: Annotated[str, Depends(real_dependency)]):
    return {"value": value}


@app.post("/override/{on}")
def override(on: bool):
    if on:
        app.dependency_overrides[real_dependency] = lambda: "override"
    else:
        app.dependency_overrides.clear()
    return {"overrides": len(app.dependency_overrides)}


if __name__ == "__main__":
    app.run(**parse_options(sys.argv[1:]))
