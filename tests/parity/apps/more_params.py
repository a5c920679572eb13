"""More declarations: float gt/lt, Path le, aliases in error locations, Form types and a
form sent as JSON, response_class with a string, a returned JSONResponse beating the
decorator's status_code, async yield dependencies, request.url / path_params /
query_params, an exception handler keyed by 404."""


from . import path, responses


def make_app(fw):
    app = fw.FastAPI()
    R = responses(fw)

    @app.exception_handler(404)
    def not_found(request, exc):
        return R.JSONResponse({"missing": request.url.path}, status_code=404)

    @app.get("/ratio")
    def ratio(r: float = fw.Query(0.5, gt=0, lt=1)):
        return {"r": r}

    @app.get(path(fw, "/page/{n:int}"))
    def page(n: int = fw.Path(..., le=10)):
        return {"n": n}

    @app.get("/aliased")
    def aliased(item_id: int = fw.Query(..., alias="item-id"),
                token: str = fw.Header(..., alias="X-Api-Token"),
                X_Count: int = fw.Header(0)):
        return {"item_id": item_id, "token": token, "count": X_Count}

    @app.post("/form-int")
    def form_int(count: int = fw.Form(...), note: str = fw.Form("none")):
        return {"count": count, "note": note}

    @app.get("/plain-class", response_class=R.PlainTextResponse)
    def plain_class():
        return "just text"

    @app.post("/own-response", status_code=201)
    def own_response():
        return R.JSONResponse({"own": True})

    async def resource():
        yield {"ready": True}

    @app.get("/async-yield")
    async def async_yield(res: dict = fw.Depends(resource)):
        return res

    @app.get(path(fw, "/inspect/{kind:str}/{num:int}"))
    def inspect_request(kind: str, num: int, request: fw.Request):
        return {"path": request.url.path, "query": request.url.query,
                "path_params": dict(request.path_params),
                "query_params": dict(request.query_params), "method": request.method}

    @app.get("/raise-404")
    def raise_404():
        raise fw.HTTPException(status_code=404, detail="gone")

    @app.get("/absolute-redirect")
    def absolute_redirect():
        return R.RedirectResponse("https://example.com/a?b=c", status_code=308)

    return app


W = {"kind": "pydantic-wording",
     "reason": "422 type/msg/ctx: pydantic 1 in FastAPI 0.92, pydantic 2 (newer FastAPI) in ViperHTTP"}

REQUESTS = [
    {"id": "float-gt-lt-ok", "method": "GET", "path": "/ratio?r=0.25"},
    {"id": "float-gt-422", "method": "GET", "path": "/ratio?r=0", "expect_difference": W},
    {"id": "float-lt-422", "method": "GET", "path": "/ratio?r=1.5", "expect_difference": W},
    {"id": "path-le-ok", "method": "GET", "path": "/page/10"},
    {"id": "path-le-422", "method": "GET", "path": "/page/11", "expect_difference": W},
    {"id": "aliases-ok", "method": "GET", "path": "/aliased?item-id=4",
     "headers": {"x-api-token": "t"}},
    {"id": "aliases-in-error-loc-422", "method": "GET", "path": "/aliased?item-id=x",
     "expect_difference": W},
    {"id": "header-alias-bad-value-422", "method": "GET", "path": "/aliased?item-id=1",
     "headers": {"X-API-TOKEN": "t", "x-count": "x"}, "expect_difference": W},
    {"id": "header-alias-any-case", "method": "GET", "path": "/aliased?item-id=1",
     "headers": {"X-API-TOKEN": "t", "X-COUNT": "3"}},
    {"id": "form-int", "method": "POST", "path": "/form-int", "data": {"count": "3"}},
    {"id": "form-int-422", "method": "POST", "path": "/form-int", "data": {"count": "x"},
     "expect_difference": W},
    {"id": "form-sent-as-json-422", "method": "POST", "path": "/form-int",
     "json": {"count": 3}, "expect_difference": W},
    {"id": "response-class-plain", "method": "GET", "path": "/plain-class", "raw": True},
    {"id": "returned-response-keeps-its-status", "method": "POST", "path": "/own-response"},
    {"id": "async-yield-dependency", "method": "GET", "path": "/async-yield"},
    {"id": "request-attributes", "method": "GET", "path": "/inspect/lamp/7?a=1&b=two",
     "expect_difference": {
         "reason": "request.path_params holds the engine's converted values ({num:int} -> 7); "
                   "FastAPI's path has no converter ({num}), so Starlette keeps the string",
         "fastapi": {"body": {"path": "/inspect/lamp/7", "query": "a=1&b=two",
                              "path_params": {"kind": "lamp", "num": "7"},
                              "query_params": {"a": "1", "b": "two"}, "method": "GET"}},
         "viperhttp": {"body": {"path": "/inspect/lamp/7", "query": "a=1&b=two",
                                "path_params": {"kind": "lamp", "num": 7},
                                "query_params": {"a": "1", "b": "two"}, "method": "GET"}}}},
    {"id": "absolute-redirect-308", "method": "GET", "path": "/absolute-redirect"},
    {"id": "404-handler-for-routing-404", "method": "GET", "path": "/nowhere",
     "expect_difference": {
         "reason": "404 and 405 for unknown paths and methods are answered by the engine in C "
                   "and never reach Python handlers (docs/python-api.md); FastAPI passes "
                   "them to an exception handler keyed by 404",
         "fastapi": {"body": {"missing": "/nowhere"}},
         "viperhttp": {"body": {"detail": "Not Found"}}}},
    {"id": "404-handler-for-raised-404", "method": "GET", "path": "/raise-404"},
]
