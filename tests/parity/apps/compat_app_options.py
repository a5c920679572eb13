"""Issue 20 against FastAPI 0.92: an app's default_response_class (and a route's own class
winning over it), an APIRouter's default_response_class and responses, response_class with no
status_code (RedirectResponse's own 307), an unhandled exception (plain-text 500, as
Starlette), Request/BackgroundTasks parameters found by their annotation whatever their
name."""

from . import responses


def make_app(fw):
    R = responses(fw)
    app = fw.FastAPI(default_response_class=R.PlainTextResponse)
    router = fw.APIRouter(prefix="/r", default_response_class=R.HTMLResponse,
                          responses={404: {"description": "Not found"}})
    LOG = []

    @app.get("/text")
    def text():
        return "plain"

    @app.get("/json", response_class=R.JSONResponse)
    def as_json():
        return {"a": 1}

    @router.get("/page")
    def page():
        return "<p>page</p>"

    @app.get("/moved", response_class=R.RedirectResponse)
    def moved():
        return "/text"

    @app.get("/moved-302", response_class=R.RedirectResponse, status_code=302)
    def moved_302():
        return "/text"

    @app.get("/crash", response_class=R.JSONResponse)
    def crash():
        raise RuntimeError("boom")

    @app.get("/crash-async", response_class=R.JSONResponse)
    async def crash_async():
        raise KeyError("boom")

    @app.post("/names", response_class=R.JSONResponse)
    def names(req: fw.Request, tasks: fw.BackgroundTasks):
        tasks.add_task(LOG.append, req.url.path)
        return {"method": req.method}

    @app.get("/log", response_class=R.JSONResponse)
    def log():
        return LOG[-1:]

    app.include_router(router)
    return app


REQUESTS = [
    {"id": "default-response-class", "method": "GET", "path": "/text", "raw": True},
    {"id": "route-class-wins", "method": "GET", "path": "/json", "raw": True},
    {"id": "router-default-response-class", "method": "GET", "path": "/r/page", "raw": True},
    {"id": "redirect-class-default-307", "method": "GET", "path": "/moved"},
    {"id": "redirect-class-302", "method": "GET", "path": "/moved-302"},
    {"id": "unhandled-error-plain-text", "method": "GET", "path": "/crash", "raw": True},
    {"id": "unhandled-error-async-plain-text", "method": "GET", "path": "/crash-async",
     "raw": True},
    {"id": "specials-by-annotation", "method": "POST", "path": "/names"},
    {"id": "background-task-ran", "method": "GET", "path": "/log"},
]
