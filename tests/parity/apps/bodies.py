"""Body (whole, embed, several), Form, request.body/json, broken JSON, BackgroundTasks."""

def make_app(fw):
    app = fw.FastAPI()
    LOG = []

    @app.post("/note")
    def note(note: dict = fw.Body(...)):
        return {"note": note}

    @app.post("/embed")
    def embed(item: dict = fw.Body(..., embed=True)):
        return {"item": item}

    @app.post("/pair")
    def pair(name: str = fw.Body(...), count: int = fw.Body(1)):
        return {"name": name, "count": count}

    @app.post("/login")
    def login(username: str = fw.Form(...), password: str = fw.Form(...),
              remember: bool = fw.Form(False)):
        return {"user": username, "len": len(password), "remember": remember}

    @app.post("/raw")
    async def raw(request: fw.Request):
        body = await request.body()
        return {"len": len(body), "ctype": request.headers.get("content-type")}

    def write_log(message, prefix="> "):
        LOG.append(prefix + message)

    @app.post("/send/{email}", status_code=202)
    def send(email: str, background_tasks: fw.BackgroundTasks):
        before = len(LOG)
        background_tasks.add_task(write_log, "mail to " + email)
        return {"queued": True, "ran_before_response": len(LOG) != before}

    @app.get("/log")
    def log():
        last = LOG[-1:] if LOG else []
        return {"last": last}

    return app


W = {"kind": "pydantic-wording",
     "reason": "422 type/msg/ctx: pydantic 1 in FastAPI 0.92, pydantic 2 (newer FastAPI) in ViperHTTP"}

REQUESTS = [
    {"id": "whole-body", "method": "POST", "path": "/note", "json": {"text": "hi", "n": 1}},
    {"id": "body-missing-422", "method": "POST", "path": "/note", "expect_difference": W},
    {"id": "embed", "method": "POST", "path": "/embed", "json": {"item": {"a": 1}}},
    {"id": "embed-missing-key-422", "method": "POST", "path": "/embed", "json": {"other": 1},
     "expect_difference": W},
    {"id": "several-body-params", "method": "POST", "path": "/pair",
     "json": {"name": "lamp", "count": 3}},
    {"id": "several-body-default", "method": "POST", "path": "/pair", "json": {"name": "x"}},
    {"id": "several-body-int-422", "method": "POST", "path": "/pair",
     "json": {"name": "x", "count": "many"}, "expect_difference": W},
    {"id": "broken-json-422", "method": "POST", "path": "/note", "content": '{"text": ',
     "headers": {"content-type": "application/json"}, "expect_difference": W},
    {"id": "form", "method": "POST", "path": "/login",
     "data": {"username": "ann", "password": "secret", "remember": "on"}},
    {"id": "form-missing-422", "method": "POST", "path": "/login", "data": {"username": "ann"},
     "expect_difference": W},
    {"id": "raw-body", "method": "POST", "path": "/raw", "content": b"\x00\x01\x02abc",
     "headers": {"content-type": "application/octet-stream"}},
    {"id": "background-task-202", "method": "POST", "path": "/send/ann@example.com"},
    {"id": "background-task-ran", "method": "GET", "path": "/log"},
]
