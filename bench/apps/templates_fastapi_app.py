"""FastAPI + Starlette's Jinja2Templates serving the template benchmark page (bench/run.sh
templates), under uvicorn with one worker; the twin of templates_viper_app.py."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fastapi import FastAPI, Request  # noqa: E402
from fastapi.templating import Jinja2Templates  # noqa: E402

from templates_common import status_context  # noqa: E402

app = FastAPI()
templates = Jinja2Templates(directory=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                   "templates"))
CONTEXT = status_context()


@app.get("/status")
def status(request: Request):
    ctx = dict(CONTEXT)
    ctx["request"] = request
    return templates.TemplateResponse("status.html", ctx)


@app.get("/hello")
def hello():
    return {"message": "hello"}
