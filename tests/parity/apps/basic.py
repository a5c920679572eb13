"""Routes, path converters, default and decorator status codes, 404/405."""

from . import path, responses


def make_app(fw):
    app = fw.FastAPI()
    R = responses(fw)

    @app.get("/")
    def root():
        return {"hello": "world"}

    @app.get(path(fw, "/items/{item_id:int}"))
    def read_item(item_id: int, q: str = None):
        return {"item_id": item_id, "q": q}

    @app.get(path(fw, "/files/{name:str}"))
    async def read_file(name: str):
        return {"name": name}

    @app.post("/items", status_code=201)
    async def create_item(request: fw.Request):
        data = await request.json()
        return {"created": data}

    @app.post("/echo")
    def echo_default_status():
        return None

    @app.delete(path(fw, "/items/{item_id:int}"), status_code=204)
    def delete_item(item_id: int):
        return R.Response(status_code=204)

    @app.api_route("/lamp", methods=["PUT", "PATCH"])
    def lamp(request: fw.Request):
        return {"method": request.method}

    @app.get("/text")
    def text():
        return "plain string"

    @app.get("/number")
    def number():
        return 42

    @app.get("/list")
    def a_list():
        return [1, "two", None, True, 2.5]

    return app


ALLOW_HEAD = ("ViperHTTP answers HEAD for every GET route (SPEC, RFC 9110), so its Allow "
              "lists HEAD; FastAPI's APIRoute has no HEAD")
ALLOW_ALL = ("ViperHTTP's Allow lists every method of the path (RFC 9110 §10.2.1); Starlette "
             "lists only the methods of the first route whose path matches")

REQUESTS = [
    {"id": "root", "method": "GET", "path": "/"},
    {"id": "item", "method": "GET", "path": "/items/5"},
    {"id": "item-q", "method": "GET", "path": "/items/5?q=lamp"},
    {"id": "item-negative", "method": "GET", "path": "/items/-3"},
    {"id": "file-str", "method": "GET", "path": "/files/readme.txt"},
    {"id": "create-201", "method": "POST", "path": "/items", "json": {"name": "lamp"}},
    {"id": "post-default-200-null", "method": "POST", "path": "/echo"},
    {"id": "delete-204", "method": "DELETE", "path": "/items/5"},
    {"id": "api-route-put", "method": "PUT", "path": "/lamp"},
    {"id": "api-route-patch", "method": "PATCH", "path": "/lamp"},
    {"id": "string-is-json", "method": "GET", "path": "/text"},
    {"id": "number", "method": "GET", "path": "/number"},
    {"id": "list", "method": "GET", "path": "/list"},
    {"id": "404", "method": "GET", "path": "/nowhere"},
    {"id": "405-post-on-get", "method": "POST", "path": "/",
     "expect_difference": {"reason": ALLOW_HEAD, "fastapi": {"header:allow": ["GET"]},
                           "viperhttp": {"header:allow": ["GET", "HEAD"]}}},
    {"id": "405-get-on-put-patch", "method": "GET", "path": "/lamp"},
    {"id": "405-put-on-get-delete", "method": "PUT", "path": "/items/5",
     "expect_difference": {"reason": ALLOW_ALL + "; " + ALLOW_HEAD,
                           "fastapi": {"header:allow": ["GET"]},
                           "viperhttp": {"header:allow": ["DELETE", "GET", "HEAD"]}}},
    {"id": "item-not-int", "method": "GET", "path": "/items/abc",
     "expect_difference": {
         "reason": "ViperHTTP types path parameters with the engine's converter ({item_id:int}): "
                   "a value that does not convert means the route does not match (404); "
                   "FastAPI matches any segment and validates it (422)",
         "fastapi": {"status": 422, "body": {"detail": [
             {"loc": ["path", "item_id"], "msg": "value is not a valid integer",
              "type": "type_error.integer"}]}},
         "viperhttp": {"status": 404, "body": {"detail": "Not Found"}}}},
    {"id": "head-on-get", "method": "HEAD", "path": "/",
     "expect_difference": {
         "reason": "ViperHTTP answers HEAD for every GET route with the GET response's headers "
                   "and no body (SPEC, as Starlette's own routes); FastAPI's APIRoute answers 405",
         "fastapi": {"status": 405, "header:allow": ["GET"]},
         "viperhttp": {"status": 200, "header:allow": None}}},
    {"id": "trailing-slash-redirect", "method": "GET", "path": "/items/5/"},
]
