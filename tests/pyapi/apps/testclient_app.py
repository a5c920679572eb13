# TestClient inside the interpreter under test (test_testclient.py runs it with
# VIPER_INTERPRETER, so on MicroPython too): each check prints "ok <name>"; the last line is
# "ALL OK".  An assertion error ends the run with a traceback and a non-zero exit.
#
# Written in the subset MicroPython shares with CPython (imports: viperhttp, asyncio, socket,
# sys, json).  No server options are read: the TestClient starts its own servers.
import asyncio
import socket
import sys

import viperhttp
from viperhttp import HTTPException, JSONResponse, RedirectResponse, ViperHTTP
from viperhttp.testclient import TestClient

MICROPYTHON = sys.implementation.name == "micropython"
app = ViperHTTP(title="testclient app")


@app.api_route("/echo", methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
async def echo(request):
    body = await request.body()
    return {"method": request.method, "query": request.url.query,
            "host": request.headers.get("host"), "x_token": request.headers.get("x-token"),
            "content_type": request.headers.get("content-type"),
            "cookie": request.headers.get("cookie"), "body": body.decode()}


@app.get("/items/{item_id:int}")
def read_item(item_id, q=None, limit=10):
    return {"item_id": item_id, "q": q, "limit": limit}


@app.get("/slow")
async def slow():
    await asyncio.sleep(0.02)
    return {"slept": True}


@app.get("/old")
def old():
    return RedirectResponse("/items/1?q=moved")


@app.get("/set-cookie")
def set_cookie():
    r = JSONResponse({"ok": True})
    r.headers.append("set-cookie", "session=abc123; Path=/")
    return r


@app.get("/missing")
def missing():
    raise HTTPException(404, detail="Item not found")


@app.get("/boom")
def boom():
    raise RuntimeError("handler failed")


@app.get("/stats")
def stats():
    return viperhttp.server_stats()


def port_open(port):
    s = socket.socket()
    try:
        s.connect(socket.getaddrinfo("127.0.0.1", port)[0][-1])
        return True
    except OSError:
        return False
    finally:
        s.close()


def check(name, cond, detail=None):
    if not cond:
        raise AssertionError("{}: {!r}".format(name, detail))
    print("ok " + name)


def main():
    with TestClient(app) as c:
        port = c.port
        for m in ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]:
            r = getattr(c, m.lower())("/echo")
            check("method " + m, r.status_code == 200 and r.json()["method"] == m, r.content)
        r = c.head("/items/1")
        check("head", r.status_code == 200 and r.content == b"" and
              r.headers["content-length"] == c.get("/items/1").headers["content-length"],
              r.headers)
        r = c.get("/items/3", params={"q": "a b", "limit": 5})
        check("params", r.json() == {"item_id": 3, "q": "a b", "limit": 5}, r.content)
        r = c.get("/echo", headers={"X-Token": "t"})
        check("headers", r.json()["x_token"] == "t" and r.json()["host"] == "testserver",
              r.content)
        r = c.post("/echo", json={"a": [1, 2]})
        check("json", r.json()["body"] == '{"a":[1,2]}' and
              r.json()["content_type"] == "application/json", r.content)
        r = c.post("/echo", data={"a": "1"})
        check("form", r.json()["body"] == "a=1", r.content)
        check("404", c.get("/nowhere").status_code == 404)
        r = c.post("/items/1")
        check("405", r.status_code == 405 and r.headers["allow"] == "GET, HEAD", r.headers)
        check("http exception", c.get("/missing").json() == {"detail": "Item not found"})
        r = c.get("/old")
        check("redirect", r.status_code == 200 and r.history[0].status_code == 307 and
              r.json()["q"] == "moved", r.content)
        check("no redirect", c.get("/old", follow_redirects=False).status_code == 307)
        r = c.get("/set-cookie")
        check("cookies", r.cookies == {"session": "abc123"} and
              c.get("/echo").json()["cookie"] == "session=abc123", r.headers)
        check("async handler", c.get("/slow").json() == {"slept": True})
        try:
            c.get("/boom")
            raised = None
        except RuntimeError as exc:
            raised = exc
        check("raise_server_exceptions", raised is not None and
              "handler failed" in str(raised), raised)
        s = c.server_stats()
        check("keep-alive", s["connections_accepted"] == 1, s)
        check("listening", port_open(port), port)
        if MICROPYTHON:
            try:
                TestClient(app).get("/items/1")
                second = None
            except RuntimeError as exc:
                second = exc
            check("one server at a time", second is not None, second)
        else:
            with TestClient(app, raise_server_exceptions=False) as c2:
                port2 = c2.port
                check("two clients", port2 != port and
                      c2.get("/items/2").json()["item_id"] == 2)
            check("second stopped", not port_open(port2))
        check("first still serving", c.get("/items/4").json()["item_id"] == 4)
    check("stopped", not port_open(port))
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/boom")
        check("500", r.status_code == 500 and
              r.text == "Internal Server Error", r.content)
    c = TestClient(app, server_options={"keepalive_max_requests": 2})
    for i in range(5):
        check("reconnect " + str(i), c.get("/items/" + str(i)).json()["item_id"] == i)
    check("reconnects", c.server_stats()["connections_accepted"] == 3)
    c.close()
    print("ALL OK")


main()
sys.exit(0)
