"""Response classes, redirects (not followed), status_code on the decorator, the response
parameter, custom headers and media types."""

from . import responses


def make_app(fw):
    app = fw.FastAPI()
    R = responses(fw)

    @app.get("/html")
    def html():
        return R.HTMLResponse("<h1>Hi</h1>")

    @app.get("/plain")
    def plain():
        return R.PlainTextResponse("hello", headers={"X-Kind": "plain"})

    @app.get("/json-202")
    def json_202():
        return R.JSONResponse({"accepted": True}, status_code=202, headers={"X-Job": "9"})

    @app.get("/raw")
    def raw():
        r = R.Response(content="a,b\n1,2\n", media_type="text/csv")
        r.headers["Cache-Control"] = "no-store"
        return r

    @app.get("/old")
    def old():
        return R.RedirectResponse("/html")

    @app.get("/moved")
    def moved():
        return R.RedirectResponse("/html", status_code=301)

    @app.get("/see-other")
    def see_other():
        return R.RedirectResponse(url="/html?x=1", status_code=303)

    @app.post("/accepted", status_code=202)
    def accepted():
        return {"queued": True}

    @app.put("/override")
    def override(response: fw.Response):
        response.status_code = 201
        response.headers["X-Created"] = "yes"
        return {"created": True}

    @app.get("/response-param-ignored")
    def ignored(response: fw.Response):
        response.headers["X-Ignored"] = "yes"
        return R.JSONResponse({"own": True})

    @app.get("/no-content", status_code=204)
    def no_content():
        return None

    @app.get("/html-class", response_class=R.HTMLResponse)
    def html_class():
        return "<p>class</p>"

    return app


REQUESTS = [
    {"id": "html", "method": "GET", "path": "/html"},
    {"id": "plain-with-headers", "method": "GET", "path": "/plain",
     "compare_headers": ["x-kind"]},
    {"id": "json-202-headers", "method": "GET", "path": "/json-202",
     "compare_headers": ["x-job"]},
    {"id": "raw-media-type", "method": "GET", "path": "/raw",
     "compare_headers": ["cache-control"]},
    {"id": "redirect-307", "method": "GET", "path": "/old"},
    {"id": "redirect-301", "method": "GET", "path": "/moved"},
    {"id": "redirect-303", "method": "GET", "path": "/see-other"},
    {"id": "decorator-202", "method": "POST", "path": "/accepted"},
    {"id": "response-param-status-header", "method": "PUT", "path": "/override",
     "compare_headers": ["x-created"]},
    {"id": "response-param-ignored-for-response", "method": "GET",
     "path": "/response-param-ignored", "compare_headers": ["x-ignored"]},
    {"id": "204-no-body", "method": "GET", "path": "/no-content",
     "expect_difference": {
         "reason": "a 204 has no content, so ViperHTTP sends no Content-Type (SPEC §3: 204/304 "
                   "no body); Starlette 0.26 still adds the route's JSON media type",
         "fastapi": {"header:content-type": "application/json"},
         "viperhttp": {"header:content-type": None}}},
    {"id": "response-class", "method": "GET", "path": "/html-class"},
]
