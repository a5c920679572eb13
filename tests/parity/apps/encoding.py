"""What a return value becomes: JSON text byte for byte (compact, non-ASCII kept), bytes,
tuples, floats, unicode text responses; repeated query keys and headers; methods without a
route (OPTIONS, HEAD on POST)."""

from . import responses


def make_app(fw):
    app = fw.FastAPI()
    R = responses(fw)

    @app.get("/json")
    def json_value():
        return {"name": "Zürich ☃", "nested": {"list": [1, 2.5, None, False]}, "f": 1.0,
                "esc": "quote \" slash / tab \t"}

    @app.get("/tuple")
    def tuple_value():
        return (1, "a")

    @app.get("/text-unicode")
    def text_unicode():
        return R.PlainTextResponse("grüße ☃")

    @app.get("/json-response-unicode")
    def json_response_unicode():
        return R.JSONResponse({"snow": "☃"})

    @app.get("/last-value")
    def last_value(q: str = None):
        return {"q": q}

    @app.get("/repeated-headers")
    def repeated_headers(request: fw.Request):
        return {"tags": request.headers.getlist("x-tag")}

    @app.get("/ints")
    def ints(request: fw.Request):
        return {"ids": request.query_params.getlist("id"),
                "missing": request.query_params.get("nope", "dflt")}

    @app.post("/only-post")
    def only_post():
        return {"ok": True}

    @app.get("/bytes-response")
    def bytes_response():
        return R.Response(content=b"\x01\x02", headers={"X-Bin": "1"})

    return app


REQUESTS = [
    {"id": "json-bytes", "method": "GET", "path": "/json", "raw": True},
    {"id": "tuple", "method": "GET", "path": "/tuple", "raw": True},
    {"id": "text-unicode", "method": "GET", "path": "/text-unicode", "raw": True},
    {"id": "json-response-unicode", "method": "GET", "path": "/json-response-unicode",
     "raw": True},
    {"id": "repeated-query-last-wins", "method": "GET", "path": "/last-value?q=a&q=b"},
    {"id": "query-getlist", "method": "GET", "path": "/ints?id=1&id=2"},
    {"id": "options-405", "method": "OPTIONS", "path": "/json",
     "expect_difference": {
         "reason": "ViperHTTP answers HEAD for every GET route (SPEC, RFC 9110), so its Allow "
                   "lists HEAD; FastAPI's APIRoute has no HEAD",
         "fastapi": {"header:allow": ["GET"]},
         "viperhttp": {"header:allow": ["GET", "HEAD"]}}},
    {"id": "head-on-post-405", "method": "HEAD", "path": "/only-post"},
    {"id": "response-no-media-type", "method": "GET", "path": "/bytes-response", "raw": True,
     "compare_headers": ["x-bin"]},
]
