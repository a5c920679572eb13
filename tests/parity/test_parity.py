"""FastAPI parity: every request of every app in ``apps/`` is sent to the app built with
FastAPI (Debian's 0.92, in process over ASGI) and to the same app built with ViperHTTP (its
TestClient, the real engine); status, body and the relevant headers must be equal, except for
the differences an entry declares in ``expect_difference`` (listed in
docs/fastapi-differences.md), which are asserted exactly."""

import email.utils
import importlib
import json
import pkgutil
import re
import time
from urllib.parse import urlencode

import pytest

fastapi = pytest.importorskip("fastapi")
import viperhttp  # noqa: E402
from viperhttp.testclient import TestClient  # noqa: E402

from . import apps as apps_pkg  # noqa: E402
from .asgi_client import asgi_request  # noqa: E402

COMPARED_HEADERS = ["content-type", "location", "set-cookie", "allow", "www-authenticate"]

APP_MODULES = [importlib.import_module(apps_pkg.__name__ + "." + m.name)
               for m in pkgutil.iter_modules(apps_pkg.__path__)]

CASES = [pytest.param(mod, req, id="%s-%s" % (mod.__name__.rsplit(".", 1)[1], req["id"]),
                      marks=req.get("marks", ()))
         for mod in APP_MODULES for req in mod.REQUESTS]


# pydantic 1 (Debian's FastAPI 0.92) error types -> pydantic 2 (ViperHTTP, newer FastAPI)
PYDANTIC1_TO_2 = {
    "value_error.missing": "missing",
    "type_error.integer": "int_parsing",
    "type_error.float": "float_parsing",
    "type_error.bool": "bool_parsing",
    "value_error.number.not_ge": "greater_than_equal",
    "value_error.number.not_gt": "greater_than",
    "value_error.number.not_le": "less_than_equal",
    "value_error.number.not_lt": "less_than",
    "value_error.any_str.min_length": "string_too_short",
    "value_error.any_str.max_length": "string_too_long",
    "value_error.str.regex": "string_pattern_mismatch",
    "value_error.jsondecode": "json_invalid",
    "type_error.list": "list_type",
    "type_error.dict": "dict_type",
    "type_error.enum": "enum",
    "type_error.uuid": "uuid_parsing",
    "value_error.date": "date_parsing",
    "value_error.datetime": "datetime_parsing",
    "value_error.decimal": "decimal_parsing",
    "type_error.decimal": "decimal_parsing",
}
# pydantic 2's messages (what newer FastAPI sends), formatted with the error's ctx
PYDANTIC2_MSG = {
    "missing": "Field required",
    "int_parsing": "Input should be a valid integer, unable to parse string as an integer",
    "float_parsing": "Input should be a valid number, unable to parse string as a number",
    "bool_parsing": "Input should be a valid boolean, unable to interpret input",
    "greater_than_equal": "Input should be greater than or equal to {ge}",
    "greater_than": "Input should be greater than {gt}",
    "less_than_equal": "Input should be less than or equal to {le}",
    "less_than": "Input should be less than {lt}",
    "string_too_short": "String should have at least {min_length} character{s}",
    "string_too_long": "String should have at most {max_length} character{s}",
    "string_pattern_mismatch": "String should match pattern '{pattern}'",
    "json_invalid": "JSON decode error",
    "list_type": "Input should be a valid list",
    "dict_type": "Input should be a valid dictionary",
    "enum": "Input should be {expected}",
    "uuid_parsing": "Input should be a valid UUID, {error}",
    "date_parsing": "Input should be a valid date in the format YYYY-MM-DD, {error}",
    "datetime_parsing": "Input should be a valid datetime, {error}",
    "decimal_parsing": "Input should be a valid decimal",
}


def _expected_text(values):
    items = ["'%s'" % v if isinstance(v, str) else str(v) for v in values]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def pydantic2_msg(error):
    ctx = dict(error.get("ctx") or {})
    n = ctx.get("min_length", ctx.get("max_length"))
    ctx["s"] = "" if n == 1 else "s"
    return PYDANTIC2_MSG[error["type"]].format(**ctx)


def encode_request(req):
    headers = dict(req.get("headers", {}))
    body = b""
    if "json" in req:
        body = json.dumps(req["json"], separators=(",", ":")).encode()
        headers["content-type"] = "application/json"
    elif "data" in req:
        body = urlencode(req["data"], doseq=True).encode()
        headers["content-type"] = "application/x-www-form-urlencoded"
    elif "content" in req:
        body = req["content"] if isinstance(req["content"], bytes) else req["content"].encode()
    if req.get("cookies"):
        headers["cookie"] = "; ".join("%s=%s" % kv for kv in req["cookies"].items())
    return headers, body


def observe(status, content, header_list, names, method, raw=False):
    obs = {"status": status}
    if raw:
        obs["raw"] = content
    ctype = (header_list("content-type") or [None])[0]
    if method == "HEAD":
        # no body goes out for HEAD (uvicorn drops what a FastAPI app hands over, the engine
        # never sends one): what the ASGI app produced is not what a client receives
        obs["body"] = ""
    elif not content:
        obs["body"] = ""
    elif ctype and ctype.startswith("application/json"):
        obs["body"] = json.loads(content)
    else:
        obs["body"] = content.decode("utf-8")
    for name in names:
        values = header_list(name)
        obs["header:" + name] = values if name == "set-cookie" else (values[0] if values else None)
    if "header:set-cookie" in obs:
        # delete_cookie's "expires" is the current time: the two runs may straddle a second
        obs["header:set-cookie"] = [EXPIRES.sub(lambda m: "expires=<now>" if _is_now(m) else
                                                m.group(0), v)
                                    for v in obs["header:set-cookie"]]
    if obs["header:allow"] is not None:
        # Starlette joins a Python set of methods (its order follows the hash seed); the
        # methods are compared, not their order
        obs["header:allow"] = sorted(m.strip() for m in obs["header:allow"].split(","))
    return obs


EXPIRES = re.compile(r"expires=([^;]+)", re.I)


def _is_now(match):
    when = email.utils.parsedate_to_datetime(match.group(1))
    return abs(time.time() - when.timestamp()) < 5


_fastapi_apps = {}
_viper_clients = {}


def run_fastapi(mod, req, names):
    app = _fastapi_apps.get(mod)
    if app is None:
        app = _fastapi_apps[mod] = mod.make_app(fastapi)
    headers, body = encode_request(req)
    r = asgi_request(app, req["method"], req["path"], list(headers.items()), body)
    return observe(r.status_code, r.content, r.header_list, names, req["method"],
                   req.get("raw", False))


def run_viperhttp(mod, req, names):
    client = _viper_clients.get(mod)
    if client is None:
        # an app's unhandled errors are answered (500) and compared, not raised in the test
        client = _viper_clients[mod] = TestClient(mod.make_app(viperhttp),
                                                  raise_server_exceptions=False)
    client.cookies.clear()                  # every request carries exactly its own cookies
    headers, body = encode_request(req)
    r = client.request(req["method"], req["path"], headers=headers, content=body or None,
                       follow_redirects=False)
    return observe(r.status_code, r.content, r.headers.get_list, names, req["method"],
                   req.get("raw", False))


@pytest.fixture(scope="module", autouse=True)
def _close_clients():
    yield
    for client in _viper_clients.values():
        client.close()
    _viper_clients.clear()


def assert_pydantic_wording(fa, vi):
    """The one difference of a 422: pydantic 1's ``type``/``msg``/``ctx`` (FastAPI 0.92)
    against pydantic 2's (ViperHTTP, as newer FastAPI): same status, same headers, same
    errors in the same order at the same ``loc``, types mapped one to one, ctx values equal,
    pydantic 2's messages and its ``input``."""
    assert fa["status"] == vi["status"] == 422
    assert {k: v for k, v in fa.items() if k.startswith("header:")} == \
        {k: v for k, v in vi.items() if k.startswith("header:")}
    fa_errors, vi_errors = fa["body"]["detail"], vi["body"]["detail"]
    assert [e["loc"] for e in fa_errors] == [e["loc"] for e in vi_errors]
    for e1, e2 in zip(fa_errors, vi_errors):
        assert PYDANTIC1_TO_2[e1["type"]] == e2["type"], (e1, e2)
        assert set(e2) - {"ctx"} == {"type", "loc", "msg", "input"}
        assert e2["msg"] == pydantic2_msg(e2), e2
        if e2["type"] == "json_invalid":     # pydantic 1 adds doc/pos/lineno/colno
            assert e1["ctx"]["msg"] == e2["ctx"]["error"], (e1, e2)
            continue
        if e2["type"] == "enum":             # pydantic 1: the values; pydantic 2: their text
            assert e2["ctx"]["expected"] == _expected_text(e1["ctx"]["enum_values"]), (e1, e2)
            continue
        if "error" in (e2.get("ctx") or {}):  # pydantic 2's explanation of a parsing error
            assert not e1.get("ctx"), (e1, e2)
            continue
        assert sorted((e1.get("ctx") or {}).values(), key=repr) == \
            sorted((e2.get("ctx") or {}).values(), key=repr), (e1, e2)


@pytest.mark.parametrize("mod,req", CASES)
def test_parity(mod, req):
    names = COMPARED_HEADERS + [h.lower() for h in req.get("compare_headers", [])]
    fa = run_fastapi(mod, req, names)
    vi = run_viperhttp(mod, req, names)
    diff = req.get("expect_difference")
    if diff is None:
        assert vi == fa
    elif diff.get("kind") == "pydantic-wording":
        assert_pydantic_wording(fa, vi)
    else:
        keys = set(diff["fastapi"]) | set(diff["viperhttp"])
        for key in keys:
            assert fa[key] == diff["fastapi"].get(key, vi[key]), key
            assert vi[key] == diff["viperhttp"].get(key, fa[key]), key
            assert fa[key] != vi[key], "declared difference %r is gone" % key
        assert {k: v for k, v in vi.items() if k not in keys} == \
            {k: v for k, v in fa.items() if k not in keys}
