"""The largest response a Python handler can send: at the engine's limit and one byte past it
(the engine copies a large body into one body buffer; docs/python-api.md, Responses)."""

import sys

import pytest

from pyapi_support import MICROPYTHON, PYTHONPATH

for _p in reversed(PYTHONPATH.split(":")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from viperhttp import Response, ViperHTTP  # noqa: E402
from viperhttp.testclient import TestClient  # noqa: E402

pytestmark = pytest.mark.skipif(MICROPYTHON, reason="in-process TestClient tests run on CPython")


def make_app():
    app = ViperHTTP()

    @app.get("/bytes/{n:int}")
    def raw(n):
        return Response(b"x" * n, media_type="application/octet-stream")

    return app


@pytest.mark.parametrize("max_body_bytes", [65536, 4096])
def test_response_at_the_limit_and_one_past(max_body_bytes):
    with TestClient(make_app(), server_options={"max_body_bytes": max_body_bytes}) as client:
        limit = client.server.engine.max_response_bytes()
        assert limit >= max_body_bytes  # a body buffer holds at least a whole request body
        r = client.get("/bytes/%d" % limit)
        assert r.status_code == 200
        assert len(r.content) == limit and r.content == b"x" * limit
        r = client.get("/bytes/%d" % (limit + 1))
        assert r.status_code == 500
        assert r.json() == {"detail": "Response too large"}
        # The server keeps serving.
        assert client.get("/bytes/10").content == b"x" * 10


def make_body_app():
    app = ViperHTTP()

    @app.post("/echo-length")
    async def echo_length(request):
        body = await request.body()
        return {"length": len(body), "last": body[-1:].decode()}

    return app


# A request body at max_body_bytes reaches Python whatever the limit: the request ring grows to
# twice the largest request the limits let through (before, a body over half the 256 KB
# default ring was answered 503 "queue full" forever).  One byte past the limit: 413.
@pytest.mark.parametrize("max_body_bytes", [16384, 300000])
def test_request_body_at_the_limit_and_one_past(max_body_bytes):
    with TestClient(make_body_app(), server_options={"max_body_bytes": max_body_bytes}) as client:
        body = b"a" * (max_body_bytes - 1) + b"z"
        r = client.post("/echo-length", content=body)
        assert r.status_code == 200
        assert r.json() == {"length": max_body_bytes, "last": "z"}
        r = client.post("/echo-length", content=body + b"!")
        assert r.status_code == 413
        assert client.post("/echo-length", content=b"ok").json() == {"length": 2, "last": "k"}
