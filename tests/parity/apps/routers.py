"""APIRouter: prefixes, nested routers, router and include_router dependencies, a router
included twice, the empty path under a prefix."""

from . import path


def make_app(fw):
    order = []

    def mark(name):
        def dep(request: fw.Request):
            if not hasattr(request.state, "order"):
                request.state.order = []
            request.state.order.append(name)
        return dep

    def verify_token(x_token: str = fw.Header(None)):
        if x_token != "secret":
            raise fw.HTTPException(status_code=403, detail="bad token")

    items = fw.APIRouter(prefix="/items", tags=["items"], dependencies=[fw.Depends(mark("router"))])

    @items.get("")
    def list_items(request: fw.Request):
        return {"items": [1, 2], "order": request.state.order}

    @items.get(path(fw, "/{item_id:int}"), dependencies=[fw.Depends(mark("route"))])
    def read_item(item_id: int, request: fw.Request):
        return {"item_id": item_id, "order": request.state.order}

    @items.post("/", status_code=201)
    def create_item():
        return {"created": True}

    api = fw.APIRouter(prefix="/api", dependencies=[fw.Depends(verify_token)])
    api.include_router(items)

    app = fw.FastAPI(dependencies=[fw.Depends(mark("app"))])
    app.include_router(api, prefix="/v1", dependencies=[fw.Depends(mark("include"))])
    app.include_router(items, prefix="/public")

    plain = fw.APIRouter()

    @plain.get("/health")
    def health():
        return {"ok": True}

    app.include_router(plain)
    del order
    return app


T = {"x-token": "secret"}

REQUESTS = [
    {"id": "nested-prefix", "method": "GET", "path": "/v1/api/items/3", "headers": T},
    {"id": "empty-path-is-prefix", "method": "GET", "path": "/v1/api/items", "headers": T},
    {"id": "router-dependency-403", "method": "GET", "path": "/v1/api/items/3"},
    {"id": "included-twice", "method": "GET", "path": "/public/items/4"},
    {"id": "post-201", "method": "POST", "path": "/public/items/"},
    {"id": "plain-router", "method": "GET", "path": "/health"},
    {"id": "router-404", "method": "GET", "path": "/api/items/3", "headers": T},
    {"id": "router-405", "method": "DELETE", "path": "/public/items",
     "expect_difference": {
         "reason": "ViperHTTP answers HEAD for every GET route (SPEC, RFC 9110), so its Allow "
                   "lists HEAD; FastAPI's APIRoute has no HEAD",
         "fastapi": {"header:allow": ["GET"]},
         "viperhttp": {"header:allow": ["GET", "HEAD"]}}},
]
