"""Header and Cookie parameters, request.headers/cookies, set_cookie and delete_cookie."""

from . import responses


def make_app(fw):
    app = fw.FastAPI()
    R = responses(fw)

    @app.get("/headers")
    def headers(user_agent: str = fw.Header(None), x_token: str = fw.Header(...),
                x_count: int = fw.Header(0)):
        return {"x_token": x_token, "x_count": x_count}

    @app.get("/raw-header")
    def raw_header(request: fw.Request):
        return {"x_custom": request.headers.get("X-Custom"),
                "missing": request.headers.get("x-missing")}

    @app.get("/cookie")
    def cookie(session: str = fw.Cookie(None), visits: int = fw.Cookie(0)):
        return {"session": session, "visits": visits}

    @app.get("/need-cookie")
    def need_cookie(session: str = fw.Cookie(...)):
        return {"session": session}

    @app.get("/request-cookies")
    def request_cookies(request: fw.Request):
        return {"cookies": dict(request.cookies)}

    @app.get("/login")
    def login():
        r = R.JSONResponse({"ok": True})
        r.set_cookie("session", "abc123", max_age=3600, httponly=True)
        r.set_cookie("theme", "dark", samesite=None)
        return r

    @app.get("/logout")
    def logout():
        r = R.PlainTextResponse("bye")
        r.delete_cookie("session")
        return r

    @app.get("/prefs")
    def prefs(response: fw.Response):
        response.set_cookie("seen", "1", path="/prefs", secure=True, samesite="strict")
        response.headers["X-Prefs"] = "saved"
        return {"prefs": "saved"}

    return app


W = {"kind": "pydantic-wording",
     "reason": "422 type/msg/ctx: pydantic 1 in FastAPI 0.92, pydantic 2 (newer FastAPI) in ViperHTTP"}

REQUESTS = [
    {"id": "header-params", "method": "GET", "path": "/headers",
     "headers": {"X-Token": "secret", "X-Count": "7"}},
    {"id": "header-missing-422", "method": "GET", "path": "/headers", "expect_difference": W},
    {"id": "header-int-422", "method": "GET", "path": "/headers",
     "headers": {"x-token": "s", "x-count": "many"}, "expect_difference": W},
    {"id": "request-headers-case-insensitive", "method": "GET", "path": "/raw-header",
     "headers": {"x-custom": "Value 1"}},
    {"id": "cookie-params", "method": "GET", "path": "/cookie",
     "cookies": {"session": "s1", "visits": "4"}},
    {"id": "cookie-defaults", "method": "GET", "path": "/cookie"},
    {"id": "cookie-int-422", "method": "GET", "path": "/cookie", "cookies": {"visits": "x"},
     "expect_difference": W},
    {"id": "cookie-missing-422", "method": "GET", "path": "/need-cookie",
     "expect_difference": W},
    {"id": "request-cookies", "method": "GET", "path": "/request-cookies",
     "cookies": {"a": "1", "b": "two"}},
    {"id": "set-cookie", "method": "GET", "path": "/login"},
    {"id": "delete-cookie", "method": "GET", "path": "/logout", "compare_headers": []},
    {"id": "response-param-cookie-and-header", "method": "GET", "path": "/prefs",
     "compare_headers": ["x-prefs"]},
]
