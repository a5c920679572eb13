"""A minimal in-process ASGI client for the FastAPI side of the parity suite.

Debian's FastAPI 0.92 ships Starlette 0.26, whose ``TestClient`` needs ``httpx`` — not
installed with Debian's python3-fastapi. This client does what that TestClient does for the
requests of the suite: it builds the ASGI ``http`` scope, feeds the body once, collects
``http.response.start`` / ``http.response.body`` and never follows redirects.
"""

import asyncio
from urllib.parse import unquote


class AsgiResponse:
    def __init__(self, status, raw_headers, body):
        self.status_code = status
        self.raw_headers = raw_headers            # [(name lower str, value str)]
        self.content = body

    def header_list(self, name):
        name = name.lower()
        return [v for k, v in self.raw_headers if k == name]


def asgi_request(app, method, target, headers, body=b""):
    path, _, query = target.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": unquote(path),
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"testserver")]
        + [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers],
        "client": ("testclient", 50000),
        "server": ("testserver", 80),
    }
    sent = {"status": None, "headers": [], "body": b""}

    async def run():
        delivered = False

        async def receive():
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.sleep(3600)   # the app only waits here for a disconnect

        async def send(message):
            if message["type"] == "http.response.start":
                sent["status"] = message["status"]
                sent["headers"] = [(k.decode("latin-1").lower(), v.decode("latin-1"))
                                   for k, v in message.get("headers", [])]
            elif message["type"] == "http.response.body":
                sent["body"] += message.get("body", b"")

        try:
            await app(scope, receive, send)
        except Exception:
            # Starlette's ServerErrorMiddleware sends the 500, then raises again for the
            # server to log (uvicorn logs it): the response is what the client got
            if sent["status"] is None:
                raise

    asyncio.run(run())
    return AsgiResponse(sent["status"], sent["headers"], sent["body"])
