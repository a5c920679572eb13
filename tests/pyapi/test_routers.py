"""Router / APIRouter: prefixes, nesting, tags, dependency order, errors (real sockets)."""

import subprocess

import pytest
import requests

from pyapi_support import INTERPRETER, ROOT, app_env


@pytest.fixture(scope="module")
def app(module_app_factory):
    return module_app_factory("routers_app.py", access_log=False)


def get(app, path, **kw):
    return requests.get(app.url(path), timeout=10, **kw)


def order(app):
    return get(app, "/order").json()


def test_nested_prefixes(app):
    order(app)
    r = get(app, "/v1/api/v2/items/7?q=x")
    assert r.status_code == 200 and r.json() == {"item_id": 7, "q": "x"}
    assert get(app, "/v1/api/users/bob").json() == {"name": "bob"}
    assert get(app, "/v1/api/me").json() == {"me": True}
    # the same router included a second time at its own prefix
    assert get(app, "/items/3").json() == {"item_id": 3, "q": None}
    assert get(app, "/items/").json() == {"items": [1, 2]}


def test_dependency_order(app):
    order(app)
    assert get(app, "/v1/api/v2/items/").status_code == 200
    # app, app.include_router, api router, api.include_router, items router, route
    assert order(app) == ["app", "include", "api", "api-include", "items", "route", "app"]
    assert get(app, "/v1/api/users/x").status_code == 200
    assert order(app) == ["app", "include", "api", "users", "app"]
    assert get(app, "/items/1").status_code == 200
    assert order(app) == ["app", "items", "app"]


def test_tags_combined(app):
    r = get(app, "/tags", params={"path": "/v1/api/v2/items/"}).json()
    assert r == {"tags": ["v1", "api", "items", "list"], "methods": ["GET"],
                 "name": "list_items"}
    r = get(app, "/tags", params={"path": "/items/{item_id:int}"}).json()
    assert r["tags"] == ["items"]
    assert r["methods"] == ["GET"]


def test_methods_and_status(app):
    r = requests.post(app.url("/v1/api/v2/items/multi"), timeout=10)
    assert r.json() == {"method": "POST"}
    r = requests.put(app.url("/items/multi"), timeout=10)
    assert r.json() == {"method": "PUT"}
    r = requests.delete(app.url("/items/5"), timeout=10)
    assert r.status_code == 204 and r.content == b""
    r = requests.patch(app.url("/items/multi"), timeout=10)
    assert r.status_code == 405
    assert r.json() == {"detail": "Method Not Allowed"}


def test_not_found_outside_prefixes(app):
    assert get(app, "/api/v2/items/1").status_code == 404  # the include prefix is required
    assert get(app, "/v1/api/v2/items/abc").status_code == 404  # converter does not match
    assert get(app, "/v1/items/1").status_code == 404


def test_include_dependency_error(app):
    r = get(app, "/secured/data")
    assert r.status_code == 403
    assert r.json() == {"detail": "bad token"}
    assert r.headers["x-guard"] == "router"
    r = get(app, "/secured/data", headers={"X-Token": "secret"})
    assert r.status_code == 200 and r.json() == {"data": "secret"}


def test_validation_in_router_route(app):
    r = get(app, "/v1/api/v2/items/1", params={"q": "ok"})
    assert r.status_code == 200


CHECK = r"""
import viperhttp
from viperhttp import Router, APIRouter, ViperHTTP
assert APIRouter is Router
results = []
for prefix in ("items", "/items/"):
    try:
        Router(prefix=prefix)
        results.append("ok")
    except ValueError:
        results.append("ValueError")
r = Router()
try:
    r.api_route("/x", methods=["BREW"])(lambda: None)
    results.append("ok")
except ValueError:
    results.append("ValueError")
try:
    r.get("x")(lambda: None)
    results.append("ok")
except ValueError:
    results.append("ValueError")
app = ViperHTTP()
try:
    app.include_router(Router(), prefix="v1")
    results.append("ok")
except ValueError:
    results.append("ValueError")
r = Router(prefix="/p")
r.get("")(lambda: 1)
app.include_router(r, prefix="/q")
results.append(app.routes[0].path)
print(" ".join(results))
"""


def test_bad_prefixes_and_paths():
    argv = [INTERPRETER, "-c", CHECK]
    out = subprocess.run(argv, env=app_env(), cwd=str(ROOT), capture_output=True,
                         timeout=30)
    assert out.returncode == 0, out.stderr.decode()
    assert out.stdout.decode().split() == ["ValueError"] * 5 + ["/q/p"]
