"""The FastAPI benchmark app (bench/run.sh python), served by uvicorn with one worker:

    cd bench/apps && /usr/bin/python3 -m uvicorn fastapi_app:app --host 127.0.0.1 --port PORT \
        --loop uvloop --http httptools --no-access-log --log-level warning

Its twin is viper_app.py: the same handlers, only the imports, the path converter and the
annotations differ.  Note that FastAPI runs a plain ``def`` handler in its thread pool and an
``async def`` handler on the event loop.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import get_db, get_item  # noqa: E402
from fastapi import Depends, FastAPI  # noqa: E402

app = FastAPI()


@app.get("/hello")
def hello():
    return {"message": "hello"}


@app.get("/hello-async")
async def hello_async():
    return {"message": "hello"}


# (b) a path parameter, an optional query parameter and two chained dependencies.
def item_dependency(item_id: int, db=Depends(get_db)):
    return get_item(db, item_id)


@app.get("/items/{item_id}")
def read_item(item_id: int, q: str | None = None, item=Depends(item_dependency)):
    return {"item_id": item_id, "q": q, "name": item["name"], "price": item["price"]}
