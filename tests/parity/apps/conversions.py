"""Value conversions at their edges: every spelling of a bool, signs and spaces in numbers,
'+' for space, quoted cookies, Body types, repeated form keys, wrong content types, a 404
exception handler, the default validation handler called from a custom one."""


from . import responses


def make_app(fw):
    app = fw.FastAPI()
    R = responses(fw)
    if fw.__name__ == "fastapi":
        from fastapi.exceptions import RequestValidationError
        from fastapi.exception_handlers import request_validation_exception_handler
    else:
        from viperhttp.exceptions import RequestValidationError
        from viperhttp.exception_handlers import request_validation_exception_handler

    @app.exception_handler(RequestValidationError)
    async def validation(request, exc):
        response = await request_validation_exception_handler(request, exc)
        response.headers["X-Validation"] = str(len(exc.errors()))
        return response

    @app.get("/bool")
    def as_bool(v: bool):
        return {"v": v}

    @app.get("/int")
    def as_int(v: int):
        return {"v": v}

    @app.get("/float")
    def as_float(v: float):
        return {"v": v}

    @app.get("/str")
    def as_str(v: str):
        return {"v": v}

    @app.get("/cookie")
    def cookie(session: str = fw.Cookie(None)):
        return {"session": session}

    @app.post("/list-body")
    def list_body(items: list = fw.Body(...)):
        return {"items": items}

    @app.post("/dict-body")
    def dict_body(item: dict = fw.Body(...)):
        return {"item": item}

    @app.post("/typed-embedded")
    def typed_embedded(items: list = fw.Body(...), opts: dict = fw.Body({})):
        return {"items": items, "opts": opts}

    @app.post("/optional-list-body")
    def optional_list_body(items: list = fw.Body(None)):
        return {"items": items}

    @app.post("/form-list")
    def form_list(tag: list = fw.Form([])):
        return {"tags": tag}

    @app.post("/shared")
    def shared(q: int = fw.Query(...), n: int = fw.Body(..., embed=True)):
        return {"q": q, "n": n}

    return app


W = {"kind": "pydantic-wording",
     "reason": "422 type/msg/ctx: pydantic 1 in FastAPI 0.92, pydantic 2 (newer FastAPI) in ViperHTTP"}

REQUESTS = [
    {"id": "bool-true", "method": "GET", "path": "/bool?v=True"},
    {"id": "bool-t", "method": "GET", "path": "/bool?v=t"},
    {"id": "bool-y", "method": "GET", "path": "/bool?v=y"},
    {"id": "bool-f", "method": "GET", "path": "/bool?v=f"},
    {"id": "bool-n", "method": "GET", "path": "/bool?v=N"},
    {"id": "bool-1", "method": "GET", "path": "/bool?v=1"},
    {"id": "bool-empty-422", "method": "GET", "path": "/bool?v=", "expect_difference": W,
     "compare_headers": ["x-validation"]},
    {"id": "int-plus", "method": "GET", "path": "/int?v=%2B5"},
    {"id": "int-negative", "method": "GET", "path": "/int?v=-12"},
    {"id": "int-spaces", "method": "GET", "path": "/int?v=%207%20"},
    {"id": "int-float-422", "method": "GET", "path": "/int?v=5.5", "expect_difference": W},
    {"id": "float-exponent", "method": "GET", "path": "/float?v=1e3"},
    {"id": "float-int", "method": "GET", "path": "/float?v=3"},
    {"id": "plus-is-space", "method": "GET", "path": "/str?v=a+b"},
    {"id": "utf8-query", "method": "GET", "path": "/str?v=%C3%BC%E2%98%83"},
    {"id": "quoted-cookie", "method": "GET", "path": "/cookie",
     "headers": {"cookie": 'session="abc"'}},
    {"id": "list-body", "method": "POST", "path": "/list-body", "json": [1, "a", None]},
    {"id": "list-body-wrong-type-422", "method": "POST", "path": "/list-body",
     "json": {"a": 1}, "expect_difference": W},
    {"id": "dict-body-wrong-type-422", "method": "POST", "path": "/dict-body",
     "json": [1, 2], "expect_difference": W},
    {"id": "list-body-string-422", "method": "POST", "path": "/list-body", "json": "abc",
     "expect_difference": W},
    {"id": "list-body-null-422", "method": "POST", "path": "/list-body", "json": None,
     "expect_difference": W},
    {"id": "dict-body-number-422", "method": "POST", "path": "/dict-body", "json": 3,
     "expect_difference": W},
    {"id": "dict-body", "method": "POST", "path": "/dict-body", "json": {"a": [1]}},
    {"id": "dict-body-list-of-pairs", "method": "POST", "path": "/dict-body",
     "json": [["a", 1]], "expect_difference": {
         "reason": "pydantic 1 (FastAPI 0.92) turns a list of pairs into a dict; pydantic 2 "
                   "(newer FastAPI) and ViperHTTP take only a JSON object for a dict",
         "fastapi": {"status": 200, "body": {"item": {"a": 1}}},
         "viperhttp": {"status": 422, "body": {"detail": [
             {"type": "dict_type", "loc": ["body"], "msg": "Input should be a valid dictionary",
              "input": [["a", 1]]}]}}}},
    {"id": "typed-embedded", "method": "POST", "path": "/typed-embedded",
     "json": {"items": [1], "opts": {"x": True}}},
    {"id": "typed-embedded-default", "method": "POST", "path": "/typed-embedded",
     "json": {"items": [], "opts": None}},
    {"id": "typed-embedded-wrong-types-422", "method": "POST", "path": "/typed-embedded",
     "json": {"items": {"a": 1}, "opts": [1]}, "expect_difference": W},
    {"id": "typed-embedded-null-422", "method": "POST", "path": "/typed-embedded",
     "json": {"items": None}, "expect_difference": W},
    {"id": "optional-list-body-null", "method": "POST", "path": "/optional-list-body",
     "json": None},
    {"id": "optional-list-body-empty", "method": "POST", "path": "/optional-list-body"},
    {"id": "optional-list-body-wrong-type-422", "method": "POST",
     "path": "/optional-list-body", "json": 1, "expect_difference": W},
    {"id": "form-repeated-keys", "method": "POST", "path": "/form-list",
     "data": {"tag": ["a", "b"]}},
    {"id": "query-and-body-errors-422", "method": "POST", "path": "/shared?q=x",
     "json": {"n": "y"}, "expect_difference": W},
    {"id": "query-and-body-ok", "method": "POST", "path": "/shared?q=1", "json": {"n": 2}},
]
