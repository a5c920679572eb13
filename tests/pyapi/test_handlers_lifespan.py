"""Exception handlers, lifespan (on_event and lifespan=) and cookies, against
apps/handlers_app.py over real sockets."""

import calendar
import email.utils
import signal
import subprocess
import time

import pytest
import requests

from pyapi_support import INTERPRETER, MICROPYTHON, ROOT, app_argv, app_env, assert_json

TIMEOUT = 10
ISE = b'Internal Server Error'


@pytest.fixture(scope="module")
def app(module_app_factory):
    return module_app_factory("handlers_app.py", access_log=False, lifespan_mode="events")


def get(app, path, **kw):
    return requests.get(app.url(path), timeout=TIMEOUT, **kw)


# --- exception handlers ---------------------------------------------------------------------------

ROUTES = ["/sync/", "/async/", "/depsync/", "/depasync/", "/depsync/dep-", "/depasync/dep-"]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("kind, cls", [("my", "MyError"), ("sub", "SubError")])
def test_handler_for_class_and_subclass(app, route, kind, cls):
    path = route + kind
    r = get(app, path)
    assert r.status_code == 418
    assert r.json() == {"handler": "my", "type": cls, "msg": {"my": "mine", "sub": "sub"}[kind],
                        "path": path}


@pytest.mark.parametrize("route", ROUTES)
def test_async_handler_that_suspends(app, route):
    r = get(app, route + "async")
    assert r.status_code == 409
    assert r.content == b"async boom"
    assert r.headers["content-type"] == "text/plain; charset=utf-8"


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("kind, cls", [("key", "KeyError"), ("index", "IndexError")])
def test_handler_for_builtin_base_class(app, route, kind, cls):
    r = get(app, route + kind)
    assert r.status_code == 404
    assert r.json() == {"handler": "lookup", "type": cls}


@pytest.mark.parametrize("route", ROUTES)
def test_http_exception_handler(app, route):
    r = get(app, route + "http")
    assert r.status_code == 403
    assert r.content == b"http forbidden"
    assert r.headers["x-handled"] == "http"
    assert "x-orig" not in r.headers
    # falls back to viperhttp.exception_handlers.http_exception_handler
    with app.conn() as c:
        raw = c.request("GET", route + "http401")
    assert raw.status == 401
    assert raw.body == b'{"detail":"who"}'
    assert raw.header("www-authenticate") == "Bearer"
    # a handler registered for a status code wins over the one for HTTPException
    r = get(app, route + "http418")
    assert r.status_code == 418
    assert r.content == b"teapot by status code"


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("kind", ["bad", "asyncbad", "wrong"])
def test_failing_handler_is_500_and_server_keeps_serving(app, route, kind):
    before = app.stats()["python"]["errors"]
    with app.conn() as c:
        r = c.request("GET", route + kind)
    assert r.status == 500
    assert r.body == ISE
    assert app.stats()["python"]["errors"] == before + 1
    app.wait_output("Exception in exception handler", stream="stderr")
    app.wait_output({"bad": "the handler itself fails", "asyncbad": "the async handler itself "
                     "fails", "wrong": "not a Response"}[kind], stream="stderr")
    assert get(app, route + "my").status_code == 418


def test_failing_handler_tracebacks_logged(app):
    get(app, "/sync/bad")
    get(app, "/async/asyncbad")
    get(app, "/sync/wrong")
    err = app.wait_output("the async handler itself fails", stream="stderr")
    assert "the handler itself fails" in err
    assert "exception handler returned dict, not a Response" in err


@pytest.mark.parametrize("route", ROUTES)
def test_unhandled_exception_keeps_default(app, route):
    with app.conn() as c:
        r = c.request("GET", route + "other")
    assert r.status == 500 and r.body == ISE
    app.wait_output("nobody handles this", stream="stderr")


def test_validation_error_handler(app):
    r = get(app, "/validate")
    assert r.status_code == 400
    assert r.json() == {"custom": True, "count": 1, "first": ["query", "limit"]}
    r = get(app, "/validate", params={"limit": "0", "page": "x"})
    assert r.status_code == 400
    assert r.json()["count"] == 2
    assert get(app, "/validate", params={"limit": "3"}).json() == {"limit": 3, "page": 1}
    # falls back to viperhttp.exception_handlers.request_validation_exception_handler
    with app.conn() as c:
        raw = c.request("GET", "/default422?limit=x")
    assert raw.status == 422
    assert_json(raw.body, {"detail": [{"type": "int_parsing", "loc": ["query", "limit"],
                                       "msg": "Input should be a valid integer, unable to "
                                              "parse string as an integer", "input": "x"}]})


def test_engine_404_is_not_python(app):
    # 404/405 are answered by the engine: the HTTPException handler never sees them
    r = get(app, "/nowhere")
    assert r.status_code == 404 and r.json() == {"detail": "Not Found"}


CHECK_REGISTRATION = r"""
from viperhttp import ViperHTTP
app = ViperHTTP()
out = []
for key in ("nope", object, 3.5):
    try:
        app.add_exception_handler(key, lambda r, e: None)
        out.append("ok")
    except TypeError:
        out.append("TypeError")
try:
    app.on_event("boot")
    out.append("ok")
except ValueError:
    out.append("ValueError")
print(" ".join(out))
"""


def run_script(script, timeout=60):
    return subprocess.run([INTERPRETER, "-c", script], env=app_env(), cwd=str(ROOT),
                          capture_output=True, timeout=timeout)


def test_bad_registrations():
    out = run_script(CHECK_REGISTRATION)
    assert out.returncode == 0, out.stderr.decode()
    assert out.stdout.decode().split() == ["TypeError"] * 3 + ["ValueError"]


# --- lifespan ------------------------------------------------------------------------------------

def test_startup_ran_before_serving(app):
    assert get(app, "/state").json() == {"resource": "ready",
                                          "events": ["startup-sync", "startup-async"]}
    err = app.stderr_text()
    assert err.index("Application startup complete.") < err.index("ViperHTTP running on")


def read_events(path):
    return path.read_text().splitlines() if path.exists() else []


@pytest.mark.parametrize("mode, expected", [
    ("events", ["startup-sync", "startup-async", "shutdown-async", "shutdown-sync"]),
    ("class", ["lifespan-enter", "lifespan-exit"]),
])
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_lifespan_order(start_app, tmp_path, mode, expected, sig):
    events = tmp_path / "events.txt"
    srv = start_app("handlers_app.py", access_log=False, lifespan_mode=mode,
                    events_file=str(events))
    assert read_events(events) == expected[:len(expected) // 2]
    assert get(srv, "/state").json()["resource"] == "ready"
    srv.stop(sig)
    assert read_events(events) == expected
    err = srv.stderr_text()
    assert (err.index("Shutting down") < err.index("Application shutdown complete.") <
            err.index("Finished server process"))


def test_shutdown_after_in_flight_requests(start_app, tmp_path):
    events = tmp_path / "events.txt"
    srv = start_app("handlers_app.py", lifespan_mode="events", events_file=str(events))
    before = srv.stats()["deferred"]
    with srv.conn() as c:
        c.send(b"GET /async/async HTTP/1.1\r\nHost: t\r\n\r\n")  # its handler sleeps 10 ms
        # Signal only once the engine has the request (a connection still in the accept
        # queue when the listener closes is refused, by design).
        srv.wait_stats(lambda s: s["deferred"] >= before + 2, what="request dispatched")
        srv.send_signal(signal.SIGTERM)
        r = c.read_response()
    assert r.status == 409
    srv.stop()
    assert read_events(events)[-2:] == ["shutdown-async", "shutdown-sync"]


def test_failing_shutdown_is_logged_and_the_rest_runs(start_app, tmp_path):
    events = tmp_path / "events.txt"
    srv = start_app("handlers_app.py", lifespan_mode="fail-shutdown", events_file=str(events))
    srv.stop()
    assert read_events(events)[-2:] == ["shutdown-async", "shutdown-sync"]
    err = srv.stderr_text()
    assert "shutdown failed on purpose" in err
    assert "Application shutdown failed." in err


def test_failing_startup_exits_nonzero(tmp_path):
    events = tmp_path / "events.txt"
    argv = app_argv("handlers_app.py", {"port": 0, "lifespan_mode": "fail-startup",
                                        "events_file": str(events)})
    out = subprocess.run(argv, env=app_env(), cwd=str(ROOT), capture_output=True, timeout=30,
                         stdin=subprocess.DEVNULL)
    err = out.stderr.decode()
    assert out.returncode != 0, err
    assert "startup failed on purpose" in err and "Traceback" in err
    assert "Application startup failed. Exiting." in err
    assert "ViperHTTP running on" not in err
    assert read_events(events) == ["startup-sync", "startup-async"]


CHECK_TESTCLIENT = r"""
import asyncio
from viperhttp import ViperHTTP
from viperhttp.testclient import TestClient
events = []

class Lifespan:
    def __init__(self, app):
        self.app = app
    async def __aenter__(self):
        await asyncio.sleep(0)
        events.append("enter")
    async def __aexit__(self, *exc):
        events.append("exit")

app = ViperHTTP(lifespan=Lifespan)

@app.on_event("startup")
def up():
    events.append("startup")

@app.on_event("shutdown")
async def down():
    events.append("shutdown")

@app.get("/")
def root():
    return list(events)

with TestClient(app) as c:
    print(c.get("/").json())
print(events)
"""


def test_testclient_runs_lifespan():
    out = run_script(CHECK_TESTCLIENT)
    assert out.returncode == 0, out.stderr.decode()
    lines = out.stdout.decode().splitlines()
    assert lines == ["['startup', 'enter']", "['startup', 'enter', 'exit', 'shutdown']"]


CHECK_CONTEXTMANAGER = r"""
from contextlib import asynccontextmanager
from viperhttp import ViperHTTP
from viperhttp.testclient import TestClient
events = []

@asynccontextmanager
async def lifespan(app):
    events.append("before")
    app.state.model = "loaded"
    yield
    events.append("after")

app = ViperHTTP(lifespan=lifespan)

@app.get("/")
def root():
    return {"model": app.state.model, "events": events}

with TestClient(app) as c:
    print(c.get("/").json())
print(events)
"""


@pytest.mark.skipif(MICROPYTHON, reason="MicroPython has no async generators")
def test_asynccontextmanager_lifespan_cpython():
    out = run_script(CHECK_CONTEXTMANAGER)
    assert out.returncode == 0, out.stderr.decode()
    assert out.stdout.decode().splitlines() == [
        "{'model': 'loaded', 'events': ['before']}", "['before', 'after']"]


# --- cookies -------------------------------------------------------------------------------------

def http_date_near(text, offset):
    """``text`` is an RFC 1123 GMT date within a few seconds of now + offset."""
    assert text.endswith(" GMT"), text
    t = calendar.timegm(email.utils.parsedate(text))
    assert abs(t - (time.time() + offset)) < 5, text
    # weekday and day have the fixed widths http.cookies gives them
    assert text == time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(t)), text


def test_set_cookie_formatting(app):
    with app.conn() as c:
        r = c.request("GET", "/cookies/set")
    assert r.status == 200
    cookies = r.header_all("set-cookie")
    assert len(cookies) == 3
    assert cookies[0] == "session=abc123; Path=/; SameSite=lax"
    before, _, rest = cookies[1].partition("; expires=")
    expires, _, after = rest.partition("; HttpOnly")
    assert before == "prefs=dark; Domain=example.com"
    http_date_near(expires, 3600)
    assert after == "; Max-Age=3600; Path=/app; SameSite=strict; Secure"
    assert cookies[2] == "nosame=v; Path=/"


def test_delete_cookie_formatting(app):
    with app.conn() as c:
        r = c.request("GET", "/cookies/delete")
    assert r.body == b"bye"
    cookies = r.header_all("set-cookie")
    assert len(cookies) == 2
    before, _, rest = cookies[0].partition("; expires=")
    assert before == 'session=""'
    expires, _, after = rest.partition("; ")
    http_date_near(expires, 0)
    assert after == "Max-Age=0; Path=/; SameSite=lax"
    before, _, rest = cookies[1].partition("; expires=")
    assert before == 'prefs=""; Domain=example.com'
    expires, _, after = rest.partition("; ")
    http_date_near(expires, 0)
    assert after == "HttpOnly; Max-Age=0; Path=/app; SameSite=none; Secure"


def test_cookies_via_response_parameter(app):
    with app.conn() as c:
        r = c.request("GET", "/cookies/param")
    assert r.status == 200
    assert_json(r.body, {"param": True})
    assert r.header_all("set-cookie") == ["via=param; HttpOnly; Path=/; SameSite=lax",
                                          "second=2; Path=/; SameSite=lax"]


def test_cookie_round_trip_with_requests(app):
    s = requests.Session()
    s.get(app.url("/cookies/param"), timeout=TIMEOUT)
    assert s.get(app.url("/cookies/echo"), timeout=TIMEOUT).json() == {"via": "param",
                                                                       "second": "2"}


def test_bad_samesite_is_500(app):
    with app.conn() as c:
        r = c.request("GET", "/cookies/bad?which=samesite")
    assert r.status == 500 and r.body == ISE
    app.wait_output("samesite must be either", stream="stderr")


def test_crlf_in_cookie_value_is_escaped(app):
    with app.conn() as c:
        r = c.request("GET", "/cookies/bad?which=crlf")
    assert r.status == 200
    assert r.header_all("set-cookie") == ['x="bad\\015\\012Injected: 1"; Path=/; SameSite=lax']
    assert r.header("injected") is None


CHECK_COOKIE_NAMES = r"""
from viperhttp import Response
out = []
for key in ("ok", "", "a b", "a;b", "path", "Max-Age"):
    try:
        Response().set_cookie(key, "v")
        out.append("ok")
    except ValueError:
        out.append("ValueError")
print(" ".join(out))
"""


def test_illegal_cookie_names():
    out = run_script(CHECK_COOKIE_NAMES)
    assert out.returncode == 0, out.stderr.decode()
    assert out.stdout.decode().split() == ["ok"] + ["ValueError"] * 5
