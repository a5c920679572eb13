# The app behind test_routers.py: Router/APIRouter prefixes, nesting, tags and the order of
# app-, include-, router- and route-level dependencies.
#
# Written in the subset MicroPython shares with CPython (no f-strings, no annotations).
# Arguments are ``key=value`` options for app.run.
import sys

from app_options import parse_options
import viperhttp
from viperhttp import APIRouter, Depends, Header, HTTPException, Router, ViperHTTP

order = []


def mark(name):
    def dep(request):
        order.append(name)
    return dep


def guard(x_token=Header(None)):
    if x_token != "secret":
        raise HTTPException(403, "bad token", headers={"X-Guard": "router"})


app = ViperHTTP(title="pyapi routers app", dependencies=[Depends(mark("app"))])


@app.get("/__stats")
def stats():
    return viperhttp.server_stats()


@app.get("/order")
def get_order():
    out = list(order)
    del order[:]
    return out


@app.get("/tags")
def get_tags(path):
    for r in app.routes:
        if r.path == path:
            return {"tags": r.tags, "methods": r.methods, "name": r.name}
    raise HTTPException(404, "no such route")


items = Router(prefix="/items", tags=["items"], dependencies=[Depends(mark("items"))])


@items.get("/", dependencies=[Depends(mark("route"))], tags=["list"])
def list_items():
    return {"items": [1, 2]}


@items.get("/{item_id:int}")
async def read_item(item_id, q=None):
    return {"item_id": item_id, "q": q}


@items.api_route("/multi", methods=["POST", "PUT"])
def multi(request):
    return {"method": request.method}


@items.delete("/{item_id:int}", status_code=204)
def delete_item(item_id):
    return None


users = APIRouter(dependencies=[Depends(mark("users"))])


@users.get("/users/{name}")
def read_user(name):
    return {"name": name}


def plain_me():
    return {"me": True}


users.add_api_route("/me", plain_me, methods=["GET"])

api = Router(prefix="/api", tags=["api"], dependencies=[Depends(mark("api"))])
api.include_router(items, prefix="/v2", dependencies=[Depends(mark("api-include"))])
api.include_router(users)

secured = Router(prefix="/secured")


@secured.get("/data")
def secured_data():
    return {"data": "secret"}


app.include_router(api, prefix="/v1", tags=["v1"], dependencies=[Depends(mark("include"))])
app.include_router(items)  # the same router a second time, at its own prefix
app.include_router(secured, dependencies=[Depends(guard)])


if __name__ == "__main__":
    app.run(**parse_options(sys.argv[1:]))
