"""Depends: functions, sub-dependencies, caching, yield dependencies, classes, callable
instances, dependencies=[...] on the app and on a route, dependencies raising HTTPException."""


def make_app(fw):
    def app_dep(request: fw.Request):
        request.state.app_dep = True

    app = fw.FastAPI(dependencies=[fw.Depends(app_dep)])
    calls = []

    def common(q: str = None, skip: int = 0, limit: int = fw.Query(100, le=100)):
        return {"q": q, "skip": skip, "limit": limit}

    def counted():
        calls.append(1)
        return len(calls)

    def uses_counted(n: int = fw.Depends(counted)):
        return n

    def db():
        state = {"open": True}
        try:
            yield state
        finally:
            state["open"] = False

    class Pager:
        def __init__(self, page: int = fw.Query(1, ge=1), size: int = 10):
            self.page, self.size = page, size

    class Multiplier:
        def __init__(self, factor):
            self.factor = factor

        def __call__(self, value: int = 1):
            return value * self.factor

    def verify_key(x_key: str = fw.Header(...)):
        if x_key != "k":
            raise fw.HTTPException(status_code=403, detail="bad key")
        return x_key

    @app.get("/common")
    def read_common(commons: dict = fw.Depends(common)):
        return commons

    @app.get("/cached")
    def cached(a: int = fw.Depends(counted), b: int = fw.Depends(uses_counted)):
        calls.clear()
        return {"same": a == b}

    @app.get("/uncached")
    def uncached(a: int = fw.Depends(counted),
                 b: int = fw.Depends(counted, use_cache=False)):
        calls.clear()
        return {"a": a, "b": b}

    @app.get("/db")
    def read_db(state: dict = fw.Depends(db)):
        return {"open": state["open"]}

    @app.get("/pager")
    def pager(p: Pager = fw.Depends(Pager)):
        return {"page": p.page, "size": p.size}

    @app.get("/triple")
    def triple(v: int = fw.Depends(Multiplier(3))):
        return {"v": v}

    @app.get("/secure", dependencies=[fw.Depends(verify_key)])
    def secure(request: fw.Request):
        return {"app_dep": request.state.app_dep}

    @app.get("/async-dep")
    async def async_dep(key: str = fw.Depends(verify_key), commons: dict = fw.Depends(common)):
        return {"key": key, "limit": commons["limit"]}

    return app


W = {"kind": "pydantic-wording",
     "reason": "422 type/msg/ctx: pydantic 1 in FastAPI 0.92, pydantic 2 (newer FastAPI) in ViperHTTP"}

REQUESTS = [
    {"id": "function-dep", "method": "GET", "path": "/common?q=a&skip=2&limit=5"},
    {"id": "dep-constraint-422", "method": "GET", "path": "/common?limit=500",
     "expect_difference": W},
    {"id": "cached-once", "method": "GET", "path": "/cached"},
    {"id": "use-cache-false", "method": "GET", "path": "/uncached"},
    {"id": "yield-dep", "method": "GET", "path": "/db"},
    {"id": "class-dep", "method": "GET", "path": "/pager?page=2&size=5"},
    {"id": "class-dep-422", "method": "GET", "path": "/pager?page=0", "expect_difference": W},
    {"id": "callable-instance", "method": "GET", "path": "/triple?value=4"},
    {"id": "route-dependencies-ok", "method": "GET", "path": "/secure",
     "headers": {"x-key": "k"}},
    {"id": "route-dependencies-403", "method": "GET", "path": "/secure",
     "headers": {"x-key": "no"}},
    {"id": "route-dependencies-422", "method": "GET", "path": "/secure",
     "expect_difference": W},
    {"id": "async-handler-deps-aggregated-422", "method": "GET",
     "path": "/async-dep?limit=x", "expect_difference": W},
]
