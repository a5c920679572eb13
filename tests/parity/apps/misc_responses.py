"""Response details: several Set-Cookie headers appended, cookies with domain/secure and a
max_age, an HTML error page from an exception handler, a media_type override, an optional
int left empty, a Response built with headers and a status."""

from . import responses


def make_app(fw):
    app = fw.FastAPI()
    R = responses(fw)

    class PageError(Exception):
        pass

    @app.exception_handler(PageError)
    def page_error(request, exc):
        return R.HTMLResponse("<p>%s</p>" % exc, status_code=404)

    @app.get("/cookies")
    def cookies():
        r = R.PlainTextResponse("ok")
        r.set_cookie("a", "1", domain="example.com", secure=True, max_age=60)
        r.set_cookie("b", "2", httponly=True, samesite="none")
        r.headers.append("set-cookie", "c=3; Path=/")
        return r

    @app.get("/page")
    def page():
        raise PageError("no such page")

    @app.get("/xml")
    def xml():
        return R.Response("<a/>", media_type="application/xml", status_code=202,
                          headers={"X-Format": "xml"})

    @app.get("/maybe")
    def maybe(n: int = fw.Query(None)):
        return {"n": n}

    return app


REQUESTS = [
    {"id": "several-set-cookie", "method": "GET", "path": "/cookies"},
    {"id": "html-error-page", "method": "GET", "path": "/page", "raw": True},
    {"id": "media-type-status-headers", "method": "GET", "path": "/xml", "raw": True,
     "compare_headers": ["x-format"]},
    {"id": "optional-int-absent", "method": "GET", "path": "/maybe"},
    {"id": "optional-int-given", "method": "GET", "path": "/maybe?n=4"},
]
