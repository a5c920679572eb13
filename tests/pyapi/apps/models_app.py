# Portable models (viperhttp.Model, Field) behind test_models.py: request bodies (single,
# embedded, several), nested models, lists and dicts of a type, response_model filtering and
# 422 bodies.  No annotations: the same file runs on MicroPython.  Arguments are
# ``key=value`` options for app.run.
import sys

from app_options import parse_options
import viperhttp
from viperhttp import (Body, Depends, Field, JSONResponse, Model, Security, SecurityScopes,
                       ViperHTTP)

app = ViperHTTP(title="pyapi models app")


@app.get("/__stats")
def stats():
    return viperhttp.server_stats()


class Image(Model):
    url = Field(str, min_length=4)
    width = Field(int, ge=1, default=640)


class Item(Model):
    name = Field(str, max_length=10)
    price = Field(float, ge=0)
    tags = Field([str], default=[])
    image = Field(Image, default=None)
    stock = Field({str: int}, default={})
    secret = Field(str, default="s3cret")


class PublicItem(Model):
    name = Field(str)
    price = Field(float)
    tags = Field([str], default=[])
    image = Field(Image, default=None)


@app.post("/items")
def create(item=Body(Item)):
    return {"name": item.name, "price": item.price, "tags": item.tags,
            "image": item.image, "stock": item.stock}


@app.post("/embedded")
def embedded(item=Body(Item, embed=True)):
    return item


@app.post("/several")
def several(item=Body(Item), user=Body({}), importance=Body(0, gt=0)):
    return {"item": item.model_dump(exclude_unset=True), "user": user,
            "importance": importance}


@app.post("/public", response_model=PublicItem)
def public(item=Body(Item)):
    return item


@app.post("/public-unset", response_model=PublicItem, response_model_exclude_unset=True)
def public_unset(item=Body(Item)):
    return item


@app.post("/public-none", response_model=PublicItem, response_model_exclude_none=True)
def public_none(item=Body(Item)):
    return item


@app.get("/bad-response", response_model=PublicItem)
def bad_response():
    return {"name": "no price"}


@app.get("/schema")
def schema():
    return Item.model_json_schema()


# --- the rest of FastAPI's surface (issue 20, item 6) -------------------------------------------

events = []


def current_scopes(security_scopes=SecurityScopes()):
    return security_scopes.scope_str


@app.get("/scopes")
def scopes(a=Security(current_scopes, scopes=["items", "read"]), b=Depends(current_scopes)):
    return {"a": a, "b": b}


def per_function():
    events.append("enter")
    yield "v"
    events.append("exit")


@app.get("/function-scope")
def function_scope(v=Depends(per_function, scope="function")):
    events.append("handler")
    return {"v": v, "events": list(events)}


@app.get("/scope")
def scope(request):
    s = request.scope
    return {"type": s["type"], "method": s["method"], "path": s["path"],
            "query_string": s["query_string"].decode(), "root_path": s["root_path"],
            "has_host": [k for k, v in s["headers"] if k == b"host"] == [b"host"]}


sub = ViperHTTP(dependencies=[Depends(lambda: events.append("sub dependency"))])


@sub.get("/hello/{name}")
def sub_hello(name):
    return {"sub": name}


@sub.get("/fail")
def sub_fail():
    raise KeyError("sub")


@sub.exception_handler(KeyError)
def sub_key_error(request, exc):
    return JSONResponse({"handled_by": "sub", "root_path": request.scope["root_path"]},
                        status_code=409)


app.mount("/sub", sub)


@app.get("/events")
def get_events():
    out = list(events)
    del events[:]
    return out


if __name__ == "__main__":
    app.run(**parse_options(sys.argv[1:]))
