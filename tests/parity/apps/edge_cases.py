"""Corners: trailing-slash redirects with a query and on POST, status-code exception
handlers, headers without underscore conversion, repeated headers, empty query values,
HTTPException from a dependency (with headers) and from a yield dependency, URL-encoded path
values, quoted cookies."""

from . import path, responses


def make_app(fw):
    app = fw.FastAPI()
    R = responses(fw)

    @app.exception_handler(418)
    def teapot_handler(request, exc):
        return R.PlainTextResponse("short and stout", status_code=418)

    def auth(authorization: str = fw.Header(None)):
        if authorization != "Bearer t":
            raise fw.HTTPException(status_code=401, detail="Not authenticated",
                                   headers={"WWW-Authenticate": "Bearer"})
        return "user"

    def session():
        yield "s"

    @app.get("/items/")
    def items_slash(q: str = None):
        return {"slash": True, "q": q}

    @app.post("/submit")
    def submit():
        return {"ok": True}

    @app.get("/teapot")
    def teapot():
        raise fw.HTTPException(status_code=418, detail="ignored")

    @app.get("/raw-header-name")
    def raw_header_name(x_under: str = fw.Header(None, convert_underscores=False)):
        return {"x_under": x_under}

    @app.get("/me")
    def me(user: str = fw.Depends(auth), s: str = fw.Depends(session)):
        return {"user": user, "s": s}

    @app.get("/yield-raises")
    def yield_raises(s: str = fw.Depends(session), fail: bool = False):
        if fail:
            raise fw.HTTPException(status_code=400, detail="failed")
        return {"s": s}

    @app.get("/empty")
    def empty(limit: int = 5, name: str = "x"):
        return {"limit": limit, "name": name}

    @app.get(path(fw, "/files/{name:str}"))
    def files(name: str):
        return {"name": name}

    @app.get("/quoted-cookie")
    def quoted_cookie():
        r = R.JSONResponse({"ok": True})
        r.set_cookie("note", "a b;c", path="/x", domain="example.com", max_age=10)
        return r

    @app.get("/float-path" + ("/{v}" if fw.__name__ == "fastapi" else "/{v:float}"))
    def float_path(v: float):
        return {"v": v}

    return app


W = {"kind": "pydantic-wording",
     "reason": "422 type/msg/ctx: pydantic 1 in FastAPI 0.92, pydantic 2 (newer FastAPI) in ViperHTTP"}

REQUESTS = [
    {"id": "slash-redirect-keeps-query", "method": "GET", "path": "/items?q=1"},
    {"id": "slash-route", "method": "GET", "path": "/items/?q=2"},
    {"id": "slash-redirect-post", "method": "POST", "path": "/submit/"},
    {"id": "status-code-exception-handler", "method": "GET", "path": "/teapot"},
    {"id": "header-no-underscore-conversion", "method": "GET", "path": "/raw-header-name",
     "headers": {"x_under": "1"}},
    {"id": "header-hyphen-not-underscore", "method": "GET", "path": "/raw-header-name",
     "headers": {"x-under": "1"}},
    {"id": "dependency-401-www-authenticate", "method": "GET", "path": "/me"},
    {"id": "dependency-ok", "method": "GET", "path": "/me",
     "headers": {"authorization": "Bearer t"}},
    {"id": "yield-dependency-handler-raises", "method": "GET", "path": "/yield-raises?fail=1"},
    {"id": "yield-dependency-ok", "method": "GET", "path": "/yield-raises"},
    {"id": "empty-query-values", "method": "GET", "path": "/empty?limit=&name=",
     "expect_difference": W},
    {"id": "percent-encoded-path", "method": "GET", "path": "/files/a%20b%2Fc"},
    {"id": "quoted-cookie", "method": "GET", "path": "/quoted-cookie"},
    {"id": "float-path", "method": "GET", "path": "/float-path/2.5"},
]
