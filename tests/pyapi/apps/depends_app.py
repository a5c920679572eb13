# The app behind test_params.py and test_depends.py: Query/Path/Header/Cookie/Body/Form,
# Depends (functions, async, classes, callable instances, generators, caching), route and app
# dependencies, BackgroundTasks and the response parameter.
#
# Written in the subset MicroPython shares with CPython (no f-strings, no annotations).
# Arguments are ``key=value`` options for app.run.
import asyncio
import sys

from app_options import parse_options
import viperhttp
from viperhttp import (BackgroundTasks, Body, Cookie, Depends, Form, Header, HTTPException,
                       JSONResponse, Path, Query, ViperHTTP)

events = []
counters = {"counted": 0, "app_dep": 0}
release = asyncio.Event()


def app_dep(x_app_fail=Header(None)):
    counters["app_dep"] += 1
    if x_app_fail is not None:
        raise HTTPException(403, "app dependency refused", headers={"X-App": "refused"})


app = ViperHTTP(title="pyapi depends app", dependencies=[Depends(app_dep)])


@app.get("/__stats")
def stats():
    return viperhttp.server_stats()


@app.get("/events")
def get_events():
    out = list(events)
    del events[:]
    return out


@app.get("/counters")
def get_counters():
    return counters


@app.get("/release")
def do_release():
    release.set()
    return {"released": True}


# --- parameters ------------------------------------------------------------------------------

@app.get("/p/query")
def p_query(limit=Query(10, ge=0, le=100), name=Query(None, min_length=2, max_length=4),
            code=Query(None, pattern="^[a-z]+$"), color=Query(None, choices=["red", "green"]),
            ratio=Query(0.5, gt=0, lt=1), on=Query(False)):
    return {"limit": limit, "name": name, "code": code, "color": color, "ratio": ratio,
            "on": on}


@app.get("/p/required")
def p_required(n=Query(..., ge=1), count=Query(0, alias="item-count"), plain=Query(default="x")):
    return {"n": n, "count": count, "plain": plain}


@app.get("/p/async-query")
async def p_async_query(limit=Query(10, ge=0)):
    return {"limit": limit}


@app.get("/p/list")
def p_list(tags=Query([]), ids=[], nums=Query([], min_length=2)):
    return {"tags": tags, "ids": ids, "nums": nums}


@app.get("/p/path/{n:int}")
def p_path(n=Path(..., ge=1, le=10)):
    return {"n": n}


@app.get("/p/path-str/{code}")
def p_path_str(code=Path(..., min_length=3)):
    return {"code": code}


@app.get("/p/headers")
def p_headers(x_token=Header(None), user_agent=Header(None), x_num=Header(0, ge=1),
              x_tags=Header([])):
    return {"x_token": x_token, "user_agent": user_agent, "x_num": x_num, "x_tags": x_tags}


@app.get("/p/header-required")
def p_header_required(x_token=Header(...), x_flag=Header(..., convert_underscores=False)):
    return {"x_token": x_token, "x_flag": x_flag}


@app.get("/p/cookies")
def p_cookies(session=Cookie(None), n=Cookie(0, le=5)):
    return {"session": session, "n": n}


@app.get("/p/request-cookies")
def p_request_cookies(request):
    return request.cookies


@app.post("/p/body")
def p_body(payload=Body(...)):
    return {"payload": payload}


@app.post("/p/body-embed")
async def p_body_embed(item=Body(..., embed=True)):
    return {"item": item}


@app.post("/p/body-multi")
def p_body_multi(a=Body(...), b=Body(1, ge=1)):
    return {"a": a, "b": b}


@app.post("/p/body-list")
def p_body_list(items=Body([])):  # list from the default: any other JSON type is a 422
    items.append("seen")  # the default is a fresh list per request
    return {"items": items}


@app.post("/p/body-typed-embed")
def p_body_typed_embed(items=Body([]), opts=Body({})):
    return {"items": items, "opts": opts}


@app.get("/p/header-alias")
def p_header_alias(token=Header(..., alias="X-Api-Token"), X_Count=Header(0)):
    return {"token": token, "count": X_Count}


@app.post("/p/form")
def p_form(username=Form(...), tags=Form([]), age=Form(0, ge=0)):
    return {"username": username, "tags": tags, "age": age}


@app.post("/p/request-form")
async def p_request_form(request):
    form = await request.form()
    return {"items": form.multi_items(), "a": form.get("a"), "all_a": form.getlist("a")}


# --- dependencies ------------------------------------------------------------------------------

def common(q=None, skip=0, limit=Query(100, le=100)):
    return {"q": q, "skip": skip, "limit": limit}


@app.get("/d/items")
def d_items(commons=Depends(common)):
    return commons


@app.get("/d/items-async")
async def d_items_async(commons=Depends(common)):
    return commons


def counted():
    counters["counted"] += 1
    return counters["counted"]


def uses_counted(v=Depends(counted)):
    return v * 100


@app.get("/d/cache")
def d_cache(a=Depends(counted), b=Depends(uses_counted), c=Depends(counted, use_cache=False)):
    return [a, b, c]


class Pager:
    def __init__(self, page=Query(1, ge=1), size=10):
        self.page = page
        self.size = size


@app.get("/d/class")
def d_class(p=Depends(Pager)):
    return {"page": p.page, "size": p.size, "type": type(p).__name__}


class Contains:
    def __init__(self, fixed):
        self.fixed = fixed

    def __call__(self, q=""):
        return self.fixed in q


@app.get("/d/callable")
def d_callable(found=Depends(Contains("bar"))):
    return {"found": found}


def verify_token(x_token=Header(...)):
    if x_token != "secret":
        raise HTTPException(400, "X-Token header invalid")
    events.append("token ok")


def verify_key(x_key=Header(...)):
    if x_key != "key":
        raise HTTPException(400, "X-Key header invalid")
    return x_key


@app.get("/d/protected", dependencies=[Depends(verify_token), Depends(verify_key)])
def d_protected():
    return {"ok": True}


async def adep_now(request):
    return request.headers.get("x-a", "none")


async def adep_wait(v=Depends(adep_now)):
    await asyncio.sleep(0.01)
    return v + "+waited"


@app.get("/d/async-deps")
def d_async_deps(a=Depends(adep_now), b=Depends(adep_wait)):
    return {"a": a, "b": b}


@app.get("/d/async-now")
async def d_async_now(a=Depends(adep_now)):
    return {"a": a}


def int_dep(n=Query(..., ge=0)):
    return n


def nested_dep(m=Query(...), inner=Depends(int_dep)):
    return m


@app.get("/d/aggregate")
def d_aggregate(x=Depends(nested_dep), limit=Query(..., ge=1), x_token=Header(...)):
    return {"x": x, "limit": limit}


@app.get("/d/aggregate-async")
async def d_aggregate_async(x=Depends(nested_dep), a=Depends(adep_wait), limit=Query(..., ge=1)):
    return {"x": x, "limit": limit, "a": a}


# generator dependencies

def gen_outer():
    events.append("enter outer")
    try:
        yield "outer"
    except Exception as exc:
        events.append("outer saw " + type(exc).__name__)
        raise
    finally:
        events.append("exit outer")


def gen_inner(o=Depends(gen_outer), tag="t"):
    events.append("enter inner " + tag)
    try:
        yield o + "/inner"
    except Exception as exc:
        events.append("inner saw " + type(exc).__name__)
        raise
    finally:
        events.append("exit inner")


@app.get("/d/gen")
def d_gen(v=Depends(gen_inner), o=Depends(gen_outer)):
    events.append("handler " + v + " " + o)
    return {"v": v}


@app.get("/d/gen-async")
async def d_gen_async(v=Depends(gen_inner)):
    await asyncio.sleep(0.01)
    events.append("handler " + v)
    return {"v": v}


@app.get("/d/gen-http-error")
def d_gen_http_error(v=Depends(gen_inner)):
    events.append("handler raises")
    raise HTTPException(418, "teapot")


@app.get("/d/gen-crash")
async def d_gen_crash(v=Depends(gen_inner)):
    events.append("handler crashes")
    raise ValueError("boom")


@app.get("/d/gen-422")
def d_gen_422(v=Depends(gen_outer), n=Query(..., ge=0)):
    events.append("handler")
    return {"n": n}


def crashing_dep(o=Depends(gen_outer)):
    raise KeyError("dependency crashed")


@app.get("/d/dep-crash")
def d_dep_crash(c=Depends(crashing_dep)):
    events.append("handler must not run")


# background tasks and the response parameter

def record(what, suffix=""):
    events.append("bg " + what + suffix)


async def arecord(what, suffix=""):
    await asyncio.sleep(0)
    events.append("abg " + what + suffix)


def failing_task():
    events.append("bg failing")
    raise RuntimeError("task failed")


def dep_adds_task(background_tasks):
    background_tasks.add_task(record, "from dep")
    return "dep"


@app.post("/d/bg")
def d_bg(background_tasks, d=Depends(dep_adds_task)):
    background_tasks.add_task(record, "a")
    background_tasks.add_task(failing_task)
    background_tasks.add_task(record, "b", suffix="!")
    events.append("handler")
    return {"queued": len(background_tasks.tasks)}


@app.post("/d/bg-async")
async def d_bg_async(background_tasks, gen=Depends(gen_outer)):
    background_tasks.add_task(arecord, "a", suffix="?")
    background_tasks.add_task(failing_task)
    background_tasks.add_task(record, "b")
    events.append("handler")
    return {"queued": len(background_tasks.tasks)}


async def wait_release():
    events.append("bg waiting")
    await release.wait()
    events.append("bg released")


@app.post("/d/bg-wait")
def d_bg_wait(background_tasks):
    release.clear()
    background_tasks.add_task(wait_release)
    background_tasks.add_task(record, "after wait")
    return {"queued": True}


@app.get("/d/bg-error")
def d_bg_error(background_tasks):
    background_tasks.add_task(record, "never")
    raise HTTPException(409, "conflict")


@app.get("/d/response")
def d_response(response, created=Query(False)):
    response.headers["X-Extra"] = "yes"
    response.headers.append("X-Multi", "1")
    if created:
        response.status_code = 201
    return {"ok": True}


def dep_sets_header(response):
    response.headers["X-From-Dep"] = "dep"


@app.get("/d/response-async", dependencies=[Depends(dep_sets_header)])
async def d_response_async(response):
    response.headers["X-From-Handler"] = "handler"
    return {"ok": True}


@app.get("/d/response-returned")
def d_response_returned(response):
    response.headers["X-Ignored"] = "1"
    return JSONResponse({"own": True}, status_code=202)


@app.get("/d/tasks-type")
def d_tasks_type(background_tasks):
    return {"type": type(background_tasks).__name__,
            "same": isinstance(background_tasks, BackgroundTasks)}


if __name__ == "__main__":
    app.run(**parse_options(sys.argv[1:]))
