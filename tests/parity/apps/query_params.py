"""Query parameters: types from annotations and defaults, bools, required ones, Query
constraints, lists, aliases; every error of a request in one 422."""

from . import path


def make_app(fw):
    app = fw.FastAPI()

    @app.get("/search")
    def search(q: str, limit: int = 10, ratio: float = 0.5, active: bool = False):
        return {"q": q, "limit": limit, "ratio": ratio, "active": active}

    @app.get("/bounded")
    def bounded(limit: int = fw.Query(10, ge=0, le=100),
                name: str = fw.Query(None, min_length=2, max_length=5),
                code: str = fw.Query(None, regex="^[a-z]+$")):
        return {"limit": limit, "name": name, "code": code}

    @app.get("/tags")
    def tags(tag: list = fw.Query([])):
        return {"tags": tag}

    @app.get("/alias")
    def alias(item_query: str = fw.Query(None, alias="item-query")):
        return {"item_query": item_query}

    @app.get(path(fw, "/users/{user_id:int}"))
    def user(user_id: int = fw.Path(..., ge=1), verbose: bool = True):
        return {"user_id": user_id, "verbose": verbose}

    return app


W = {"kind": "pydantic-wording",
     "reason": "422 type/msg/ctx: pydantic 1 in FastAPI 0.92, pydantic 2 (newer FastAPI) in ViperHTTP"}

REQUESTS = [
    {"id": "all-given", "method": "GET",
     "path": "/search?q=lamp&limit=3&ratio=0.25&active=true"},
    {"id": "defaults", "method": "GET", "path": "/search?q=x"},
    {"id": "bool-yes", "method": "GET", "path": "/search?q=x&active=yes"},
    {"id": "bool-ON-any-case", "method": "GET", "path": "/search?q=x&active=ON"},
    {"id": "bool-0", "method": "GET", "path": "/search?q=x&active=0"},
    {"id": "bool-off", "method": "GET", "path": "/search?q=x&active=off"},
    {"id": "missing-422", "method": "GET", "path": "/search", "expect_difference": W},
    {"id": "int-parsing-422", "method": "GET", "path": "/search?q=x&limit=abc",
     "expect_difference": W},
    {"id": "float-parsing-422", "method": "GET", "path": "/search?q=x&ratio=half",
     "expect_difference": W},
    {"id": "bool-parsing-422", "method": "GET", "path": "/search?q=x&active=maybe",
     "expect_difference": W},
    {"id": "errors-aggregated-422", "method": "GET", "path": "/search?limit=x&active=2",
     "expect_difference": W},
    {"id": "bounded-ok", "method": "GET", "path": "/bounded?limit=100&name=abc&code=xyz"},
    {"id": "ge-422", "method": "GET", "path": "/bounded?limit=-1", "expect_difference": W},
    {"id": "le-422", "method": "GET", "path": "/bounded?limit=101", "expect_difference": W},
    {"id": "min-length-422", "method": "GET", "path": "/bounded?name=a",
     "expect_difference": W},
    {"id": "max-length-422", "method": "GET", "path": "/bounded?name=abcdef",
     "expect_difference": W},
    {"id": "pattern-422", "method": "GET", "path": "/bounded?code=ABC",
     "expect_difference": W},
    {"id": "list-repeated", "method": "GET", "path": "/tags?tag=a&tag=b&tag=c"},
    {"id": "list-empty", "method": "GET", "path": "/tags"},
    {"id": "alias", "method": "GET", "path": "/alias?item-query=abc"},
    {"id": "percent-encoded", "method": "GET", "path": "/search?q=a%20b%26c"},
    {"id": "path-ge-ok", "method": "GET", "path": "/users/3?verbose=false"},
    {"id": "path-ge-422", "method": "GET", "path": "/users/0", "expect_difference": W},
]
