# The app behind test_app_basics.py, test_request.py and test_errors.py.
#
# Written in the subset MicroPython shares with CPython: imports limited to viperhttp, asyncio,
# time, sys and json; no f-strings, no annotations relied upon.  Arguments are ``key=value``
# options for app.run (values parsed as JSON when they can be).
import asyncio
import json
import sys

import viperhttp
from app_options import parse_options
from viperhttp import (HTMLResponse, HTTPException, JSONResponse, PlainTextResponse,
                       RedirectResponse, Response, ViperHTTP)

app = ViperHTTP(title="pyapi main app")
app.state.started = "yes"


def kind(v):
    return type(v).__name__


@app.get("/__stats")
def stats():
    return viperhttp.server_stats()


# --- methods ---------------------------------------------------------------------------------

@app.get("/items")
def list_items():
    return {"op": "list"}


@app.post("/items")
def create_item():
    return {"op": "create"}


@app.put("/items/{item_id:int}")
def replace_item(item_id):
    return {"op": "replace", "id": item_id}


@app.patch("/items/{item_id:int}")
async def patch_item(item_id):
    return {"op": "patch", "id": item_id}


@app.delete("/items/{item_id:int}")
def delete_item(item_id):
    return {"op": "delete", "id": item_id}


@app.head("/only-head")
def only_head():
    return Response(b"", headers={"X-Head": "explicit"})


@app.options("/items")
def items_options():
    return Response(b"", headers={"Allow": "GET, POST, OPTIONS", "X-Options": "handler"})


@app.api_route("/multi", methods=["GET", "POST", "put"])
def multi(request):
    return {"method": request.method}


@app.get("/sync")
def sync_handler():
    return {"kind": "sync"}


@app.get("/async")
async def async_handler():
    return {"kind": "async"}


@app.get("/async-await")
async def async_await_handler():
    await asyncio.sleep(0)
    return {"kind": "async-await"}


# --- path converters ---------------------------------------------------------------------------

@app.get("/conv/int/{v:int}")
def conv_int(v):
    return {"value": v, "type": kind(v)}


@app.get("/conv/float/{v:float}")
def conv_float(v):
    return {"value": v, "type": kind(v)}


@app.get("/conv/str/{v:str}")
def conv_str(v):
    return {"value": v, "type": kind(v)}


@app.get("/conv/plain/{v}")
def conv_plain(v):
    return {"value": v, "type": kind(v)}


@app.get("/conv/path/{v:path}")
def conv_path(v):
    return {"value": v, "type": kind(v)}


@app.get("/conv/two/{a:int}/{b}")
def conv_two(b, a):  # argument order differs from the pattern's on purpose
    return {"a": a, "b": b, "types": [kind(a), kind(b)]}


# --- query parameters --------------------------------------------------------------------------

@app.get("/query/typed")
def query_typed(limit=10, ratio=0.5, active=False, name="anon", q=None):
    return {"limit": limit, "ratio": ratio, "active": active, "name": name, "q": q,
            "types": [kind(limit), kind(ratio), kind(active), kind(name), kind(q)]}


@app.get("/query/required")
async def query_required(count, limit=10, ratio=0.5, flag=True, tag=None):
    return {"count": count, "limit": limit, "ratio": ratio, "flag": flag, "tag": tag}


@app.get("/query/bool")
def query_bool(flag=False):
    return {"flag": flag}


# --- return values -----------------------------------------------------------------------------

RETURNS = {
    "dict": {"a": 1, "b": [True, None], "s": "x\u00e9"},
    "list": [1, "two", 3.5, False, None],
    "int": 42,
    "float": 2.5,
    "bool": True,
    "str": "hello \"world\"",
    "none": None,
    "bytes": b"\x00\x01raw\xff",
    "empty-dict": {},
    "tuple": (1, "a"),
    "nested": {"l": [{"x": [1, {"y": None}]}], "f": -0.5},
}


@app.get("/ret/{what}")
def ret(what):
    return RETURNS[what]


@app.post("/created", status_code=201)
def created():
    return {"created": True}


@app.delete("/nocontent/{x:int}", status_code=204)
def nocontent(x):
    return None


@app.get("/nocontent-value", status_code=204)
def nocontent_value():
    return {"ignored": True}


@app.get("/accepted-async", status_code=202)
async def accepted_async():
    await asyncio.sleep(0)
    return ["queued"]


@app.post("/created-response", status_code=201)
def created_response():
    # A Response returned as is keeps its own status (as in FastAPI).
    return JSONResponse({"explicit": True})


@app.get("/rc/html", response_class=HTMLResponse)
def rc_html():
    return "<p>hi</p>"


@app.post("/rc/plain", response_class=PlainTextResponse, status_code=201)
async def rc_plain():
    await asyncio.sleep(0)
    return "made"


# --- response classes ----------------------------------------------------------------------------

@app.get("/resp/response")
def resp_response():
    return Response(b"raw bytes", status_code=200, media_type="application/x-thing",
                    headers={"X-One": "1"})


@app.get("/resp/response-text")
def resp_response_text():
    return Response("text body", media_type="text/plain")


@app.get("/resp/response-none")
def resp_response_none():
    return Response(status_code=200)


@app.get("/resp/json")
def resp_json():
    return JSONResponse({"k": [1, 2], "u": "\u00fc"}, status_code=202, headers={"X-Json": "yes"})


@app.get("/resp/plain")
def resp_plain():
    return PlainTextResponse("plain \u00e9t\u00e9")


@app.get("/resp/html")
def resp_html():
    return HTMLResponse("<h1>Hello</h1>")


@app.get("/resp/redirect")
def resp_redirect():
    return RedirectResponse("/items")


@app.get("/resp/redirect-301")
def resp_redirect_301():
    return RedirectResponse("https://example.com/x?y=1", status_code=301)


@app.get("/resp/headers")
def resp_headers():
    r = JSONResponse({"ok": True})
    r.headers["X-Custom"] = "custom-value"
    r.headers.append("Set-Cookie", "a=1; Path=/")
    r.headers.append("Set-Cookie", "b=2; Path=/")
    r.headers["Cache-Control"] = "no-store"
    return r


@app.get("/resp/override-type")
def resp_override_type():
    return Response("{}", headers={"Content-Type": "application/vnd.test+json"},
                    media_type="text/plain")


@app.get("/resp/engine-headers")
def resp_engine_headers():
    # Headers the engine writes itself; the handler's values must not reach the wire.
    return Response(b"abc", media_type="text/plain",
                    headers={"Content-Length": "999", "Transfer-Encoding": "chunked",
                             "Connection": "close", "Date": "yesterday", "Server": "evil"})


@app.get("/resp/teapot")
def resp_teapot():
    return PlainTextResponse("short and stout", status_code=418)


# --- header injection ------------------------------------------------------------------------------

BAD_VALUES = {"cr": "a\rInjected: cr", "lf": "a\nInjected: lf", "crlf": "a\r\nInjected: crlf"}


@app.get("/crlf/{how}/{which}")
def crlf(how, which):
    bad = BAD_VALUES[which]
    if how == "ctor":
        return Response(b"x", headers={"X-Bad": bad})
    if how == "set":
        r = Response(b"x")
        r.headers["X-Bad"] = bad
        return r
    if how == "append":
        r = Response(b"x")
        r.headers.append("X-Bad", bad)
        return r
    if how == "name":
        return Response(b"x", headers={"X-Bad\r\nInjected: name": "v"})
    if how == "redirect":
        return RedirectResponse("/items" + bad)
    if how == "exception":
        raise HTTPException(400, "bad", headers={"X-Bad": bad})
    return {"unknown": how}


@app.get("/crlf-caught/{which}")
def crlf_caught(which):
    r = Response(b"x")
    try:
        r.headers["X-Bad"] = BAD_VALUES[which]
    except ValueError as e:
        return {"raised": kind(e), "headers": r.headers.keys()}
    return {"raised": None}


# --- the request object ----------------------------------------------------------------------------

def text_or_none(data):
    try:
        return data.decode("utf-8")
    except UnicodeError:
        return None


@app.api_route("/req/echo/{name}/{n:int}", methods=["GET", "POST", "PUT", "DELETE"])
async def req_echo(request, name, n):
    body = await request.body()
    h = request.headers
    qp = request.query_params
    return {
        "method": request.method,
        "url": str(request.url),
        "path": request.url.path,
        "query": request.url.query,
        "scheme": request.url.scheme,
        "hostname": request.url.hostname,
        "url_port": request.url.port,
        "name": name,
        "n": n,
        "path_params": request.path_params if isinstance(request.path_params, dict)
        else list(request.path_params),
        "x_one": h.get("x-one"),
        "x_one_upper": h.get("X-ONE"),
        "x_one_item": h["X-One"] if "x-one" in h else None,
        "x_multi": h.getlist("X-Multi"),
        "x_multi_get": h.get("x-multi"),
        "missing": h.get("x-missing", "dflt"),
        "has_x_one": "X-One" in h,
        "has_missing": "x-missing" in h,
        "header_names": [k for k in h.keys()],
        "q_get": qp.get("a"),
        "q_item": qp["a"] if "a" in qp else None,
        "q_list": qp.getlist("a"),
        "q_space": qp.get("s"),
        "q_empty": qp.get("e"),
        "q_none": qp.get("zzz"),
        "q_keys": list(qp.keys()),
        "q_multi": [list(p) for p in qp.multi_items()],
        "client": [request.client.host, request.client.port],
        "body": text_or_none(body),
        "body_hex": body.hex() if body else "",  # MicroPython: b"".hex() is b""
        "body_type": kind(body),
        "body_len": len(body),
    }


@app.get("/req/params/{a}/{b:float}/{c:path}")
def req_params(request):
    return {"path_params": request.path_params}


@app.post("/req/json")
async def req_json(request):
    data = await request.json()
    again = await request.json()
    return {"got": data, "same": data == again, "type": kind(data)}


@app.post("/req/json-safe")
async def req_json_safe(request):
    try:
        data = await request.json()
    except ValueError as e:
        return JSONResponse({"error": "invalid json", "exc": kind(e)}, status_code=400)
    return {"got": data}


@app.get("/req/state")
async def req_state(request):
    request.state.user = "ada"
    request.state.count = 1
    await asyncio.sleep(0)
    request.state.count += 1
    return {"user": request.state.user, "count": request.state.count,
            "app_is_app": request.app is app, "title": request.app.title,
            "app_state": request.app.state.started}


@app.get("/req/state-fresh")
def req_state_fresh(request):
    # A new request must not see attributes set on an earlier request's state.
    return {"has_user": hasattr(request.state, "user")}


@app.get("/req/client")
def req_client(request):
    host, port = request.client
    return {"host": host, "port": port}


# --- errors --------------------------------------------------------------------------------------

@app.get("/err/http/{code:int}")
def err_http(code):
    raise HTTPException(code, detail="custom " + str(code), headers={"X-Error": "yes",
                                                                      "Retry-After": "7"})


@app.get("/err/default/{code:int}")
def err_default(code):
    raise HTTPException(code)


@app.get("/err/detail-dict")
async def err_detail_dict():
    raise HTTPException(400, detail={"field": "name", "problems": ["short", "ugly"]})


@app.get("/err/after-await-http")
async def err_after_await_http():
    await asyncio.sleep(0.01)
    raise HTTPException(409, detail="conflict after await")


@app.get("/err/crash")
def err_crash():
    raise RuntimeError("boom-sync-secret")


@app.get("/err/async-crash")
async def err_async_crash():
    raise KeyError("boom-async-inline")


@app.get("/err/async-crash-after-await")
async def err_async_crash_after_await():
    await asyncio.sleep(0.01)
    raise ZeroDivisionError("boom-after-await")


@app.get("/err/unserialisable")
def err_unserialisable():
    return {"value": object()}


if __name__ == "__main__":
    app.run(**parse_options(sys.argv[1:]))
