"""Order of things: 422 errors from every source and from dependencies in one list, yield
dependencies seeing the handler's HTTPException, background tasks skipped when the handler
raises, dependency side effects visible to later requests."""

from . import path


def make_app(fw):
    app = fw.FastAPI()
    log = []

    def dep(d: int = fw.Query(...), x_dep: int = fw.Header(...)):
        return d

    def tracked():
        log.append("enter")
        try:
            yield "t"
        except fw.HTTPException as exc:
            log.append("saw %d" % exc.status_code)
            raise
        finally:
            log.append("exit")

    @app.post(path(fw, "/all/{p:int}"))
    def all_sources(p: int = fw.Path(..., ge=5), q: int = fw.Query(...),
                    x_h: int = fw.Header(...), c: int = fw.Cookie(...),
                    b: int = fw.Body(..., embed=True), d: int = fw.Depends(dep)):
        return {"ok": True}

    @app.get("/tracked")
    def use_tracked(background_tasks: fw.BackgroundTasks, t: str = fw.Depends(tracked),
                    fail: bool = False):
        background_tasks.add_task(log.append, "background")
        if fail:
            raise fw.HTTPException(status_code=409, detail="conflict")
        return {"t": t}

    @app.get("/log")
    def read_log():
        entries = list(log)
        log.clear()
        return {"log": entries}

    return app


W = {"kind": "pydantic-wording",
     "reason": "422 type/msg/ctx: pydantic 1 in FastAPI 0.92, pydantic 2 (newer FastAPI) in ViperHTTP"}

REQUESTS = [
    {"id": "every-source-missing-422", "method": "POST", "path": "/all/1",
     "expect_difference": W},
    {"id": "every-source-wrong-422", "method": "POST", "path": "/all/1?q=x&d=y",
     "headers": {"x-h": "z", "x-dep": "w"}, "cookies": {"c": "v"}, "json": {"b": "u"},
     "expect_difference": W},
    {"id": "every-source-ok", "method": "POST", "path": "/all/6?q=1&d=2",
     "headers": {"x-h": "3", "x-dep": "4"}, "cookies": {"c": "5"}, "json": {"b": 6}},
    {"id": "yield-dep-ok", "method": "GET", "path": "/tracked"},
    {"id": "log-after-ok", "method": "GET", "path": "/log",
     "expect_difference": {
         "reason": "the code after a dependency's yield runs before the background tasks, as "
                   "in FastAPI >= 0.106 (FastAPI 0.92 ran it after them)",
         "fastapi": {"body": {"log": ["enter", "background", "exit"]}},
         "viperhttp": {"body": {"log": ["enter", "exit", "background"]}}}},
    {"id": "yield-dep-sees-http-exception", "method": "GET", "path": "/tracked?fail=true"},
    {"id": "log-after-raise", "method": "GET", "path": "/log"},
]
