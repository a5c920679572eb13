"""Templates end to end (apps/templates_app.py) over real sockets, on the interpreter under
test: TemplateResponse in its forms, pages equal to what Jinja2 makes of the same files,
escaping of XSS vectors in text and attributes, template names that try to leave the directory,
errors (500 with a short body, the details in the log, an excerpt in debug mode), limits at the
limit and one past, changes on disk, asset packs, warm-up, gzip, and pages rendered in pieces
with the interpreter free between them."""

import gzip
import os
import pathlib
import shutil
import subprocess
import sys
import threading

import jinja2
import pytest
import requests

from pyapi_support import ROOT

TIMEOUT = 20
TEMPLATES = pathlib.Path(__file__).resolve().parent / "apps" / "templates"
ITEMS = [
    {"name": "lamp <oak>", "price": 19.999},
    {"name": "desk", "price": 149.5},
    {"name": "chair & stool", "price": 49.0},
]


class _URL:
    def __init__(self, path):
        self.path = path


class _Request:
    def __init__(self, method, path):
        self.method = method
        self.url = _URL(path)


def jinja(template, directory=TEMPLATES, **ctx):
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(directory)), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    return env.get_template(template).render(ctx)


def page_reference(path, name="World", method="GET"):
    return jinja("page.html", request=_Request(method, path), name=name, items=ITEMS,
                 title="Shop")


@pytest.fixture(scope="module")
def app(module_app_factory):
    return module_app_factory("templates_app.py", access_log=False)


def get(app, path, **kw):
    kw.setdefault("timeout", TIMEOUT)
    kw.setdefault("headers", {"Accept-Encoding": "identity"})
    return requests.get(app.url(path), **kw)


# --- TemplateResponse -----------------------------------------------------------------------------

def test_page_is_what_jinja_makes(app):
    r = get(app, "/page?name=Ada")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.content.decode() == page_reference("/page", "Ada")
    assert int(r.headers["content-length"]) == len(r.content)


def test_new_style_call_and_options(app):
    r = get(app, "/page-new-style?name=Bo")
    assert r.content.decode() == page_reference("/page-new-style", "Bo")
    r = get(app, "/page-options")
    assert r.status_code == 201
    assert r.headers["x-extra"] == "1"
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.content.decode() == page_reference("/page-options", "x")


def test_context_processor(app):
    assert get(app, "/processor").text.strip() == "GET /processor from-processor"


def test_context_without_request_is_an_error(app):
    r = get(app, "/no-request")
    assert r.status_code == 500
    assert r.text == "Internal Server Error"
    app.wait_output('context must include a "request" key', stream="stderr")


def test_head_and_gzip(app):
    r = get(app, "/big?n=200", headers={"Accept-Encoding": "gzip"}, stream=True)
    body = r.raw.read(decode_content=False)
    assert r.headers["content-encoding"] == "gzip"
    plain = get(app, "/big?n=200").content
    assert gzip.decompress(body) == plain
    h = requests.head(app.url("/big?n=200"), headers={"Accept-Encoding": "identity"},
                      timeout=TIMEOUT)
    assert h.status_code == 200
    assert int(h.headers["content-length"]) == len(plain)
    assert h.content == b""


# --- escaping -------------------------------------------------------------------------------------

XSS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "' onmouseover='alert(1)",
    "javascript:alert(1)",
    "</script><script>alert(1)</script>",
    "&lt;already&gt; & &amp;",
    "{{ 7 * 7 }} {% raw %}",
    "\u2028\u2029 \u00e9\u00e8 \U0001F40D",
    "`${alert(1)}`",
]


@pytest.mark.parametrize("value", XSS)
def test_xss_vectors_are_escaped_in_text_and_attributes(app, value):
    r = get(app, "/xss", params={"v": value})
    assert r.status_code == 200
    body = r.content.decode()
    assert body == jinja("xss.html", v=value)
    for dangerous in ("<script>alert", "<img", "onmouseover='", '"><'):
        if dangerous in value:
            assert dangerous not in body.replace("<script>var data", "")
    # the value inside the script block is JSON with < > & ' escaped
    script = body.split("<script>var data = ")[1].split(";</script>")[0]
    assert "<" not in script and ">" not in script and "&" not in script and "'" not in script


# --- names ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", [
    "../secret.html", "/etc/passwd", "parts/../../secret.html", "./page.html", "parts//footer.html",
    "..", "parts/", "%2e%2e/secret.html", "..%2fsecret.html", "page.html\x00.txt",
    "C:\\secret.html", "parts\\..\\..\\secret.html",
])
def test_names_cannot_leave_the_directory(app, name):
    r = get(app, "/named", params={"name": name})
    assert r.status_code in (404, 500), r.text
    assert b"SECRET" not in r.content


def test_symlink_out_of_the_directory_is_not_followed(start_app, tmp_path):
    d = tmp_path / "templates"
    shutil.copytree(TEMPLATES, d)
    (tmp_path / "secret.html").write_text("TOP SECRET")
    os.symlink(str(tmp_path / "secret.html"), str(d / "link.html"))
    a = start_app("templates_app.py", access_log=False, dir=str(d))
    r = get(a, "/named", params={"name": "link.html"})
    assert r.status_code == 404
    assert b"SECRET" not in r.content
    assert get(a, "/named", params={"name": "parts/footer.html"}).status_code == 200


# --- errors ------------------------------------------------------------------------------------------

def test_render_error_is_a_500_with_the_details_logged(app):
    r = get(app, "/error/undefined")
    assert r.status_code == 500
    assert r.text == "Internal Server Error"
    log = app.wait_output("undefined.html:3", stream="stderr")
    assert "'missing_variable' is undefined" in log
    assert "UndefinedError" in log


def test_syntax_error_names_template_line_and_column(app):
    r = get(app, "/error/syntax")
    assert r.status_code == 500
    log = app.wait_output("syntax.html:2:", stream="stderr")
    assert "TemplateSyntaxError" in log


def test_outside_the_subset_is_a_compile_error(app):
    assert get(app, "/error/outside").status_code == 500
    app.wait_output("tag 'macro' is not supported", stream="stderr")


def test_debug_mode_shows_an_excerpt(start_app):
    a = start_app("templates_app.py", access_log=False, debug=True)
    r = get(a, "/error/undefined")
    assert r.status_code == 500
    body = r.json()
    assert body["type"] == "UndefinedError"
    assert "undefined.html:3" in body["message"]
    assert ">    3 | <p>{{ missing_variable }}</p>" in body["message"]
    assert "     2 | <p>still ok</p>" in body["message"]


# --- limits -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("which, at, past", [
    ("loop", 100, 101),     # max_loop_iterations=100
    ("output", 2000, 2001),  # max_output_bytes=2000 (the final newline is not rendered)
    ("deep", 4, 5),          # max_include_depth=4 (the page itself is not an include)
    ("expr", 4, 5),          # max_expression_depth=10: a parenthesis costs two levels
])
def test_limits_at_the_limit_and_one_past(app, which, at, past):
    r = get(app, "/limit/{}?n={}".format(which, at))
    assert r.status_code == 200, r.text
    if which == "loop":
        assert r.text == "." * at
    r = get(app, "/limit/{}?n={}".format(which, past))
    assert r.status_code == 500


# --- source changes, packs, warm-up -------------------------------------------------------------------

def test_changed_template_is_recompiled(start_app, tmp_path):
    d = tmp_path / "templates"
    shutil.copytree(TEMPLATES, d)
    a = start_app("templates_app.py", access_log=False, dir=str(d))
    first = get(a, "/page").content.decode()
    assert first == page_reference("/page")
    footer = d / "parts" / "footer.html"
    footer.write_text("<footer>changed {{ items|length }}</footer>\n")
    os.utime(str(footer), (1, 1))  # a different mtime even within the same clock tick
    second = get(a, "/page").content.decode()
    assert "<footer>changed 3</footer>" in second
    assert second == jinja("page.html", directory=d, request=_Request("GET", "/page"),
                           name="World", items=ITEMS, title="Shop")
    stats = get(a, "/template-stats").json()
    assert stats["reloads"] >= 1
    assert stats["compiles"] >= 2


def test_templates_from_an_asset_pack(start_app, tmp_path):
    pack = tmp_path / "site.vpak"
    site = tmp_path / "site"
    shutil.copytree(TEMPLATES, site / "tpl")
    for bad in ("syntax.html", "outside.html"):  # warm-up compiles every file
        (site / "tpl" / bad).unlink()
    (site / "index.html").write_text("not a template")
    subprocess.run([sys.executable, str(ROOT / "tools" / "pack_assets.py"), str(site), str(pack)],
                   check=True, capture_output=True)
    a = start_app("templates_app.py", access_log=False, pack=str(pack), prefix="tpl", warmup=True)
    assert get(a, "/page?name=Pack").content.decode() == page_reference("/page", "Pack")
    stats = get(a, "/template-stats").json()
    assert "page.html" in stats["warmed"] and "parts/footer.html" in stats["warmed"]
    assert "index.html" not in stats["warmed"]


def test_warmup_compiles_every_template(start_app, tmp_path):
    d = tmp_path / "templates"
    shutil.copytree(TEMPLATES, d)
    for bad in ("syntax.html", "outside.html"):
        (d / bad).unlink()
    a = start_app("templates_app.py", access_log=False, dir=str(d), warmup=True)
    stats = get(a, "/template-stats").json()
    assert stats["warmed"] == sorted(str(p.relative_to(d)) for p in d.rglob("*.html"))
    assert stats["compile_errors"] == 0


# --- pieces -----------------------------------------------------------------------------------------

def test_pieces_make_the_same_page(app):
    whole = get(app, "/big?n=500").content
    r = get(app, "/pieces?n=500&chunk=1000")
    assert r.content == whole
    assert int(r.headers["x-pieces"]) > len(whole) // 1000
    assert int(r.headers["x-largest"]) <= 1000
    r = get(app, "/big-async?n=500&chunk=512")
    assert r.content == whole


def test_interpreter_serves_others_between_pieces(start_app):
    # /interleave renders a long page and, after its first piece, waits for /fast: it can only
    # finish if the interpreter runs /fast while the page is half rendered.
    app = start_app("templates_app.py", access_log=False)
    result = {}

    def slow():
        result["r"] = get(app, "/interleave?n=800")

    t = threading.Thread(target=slow)
    t.start()
    app.wait_stats(lambda s: s["python"]["in_flight_tasks"] >= 1, what="interleave started")
    assert get(app, "/fast").text == "fast"
    t.join(TIMEOUT)
    r = result["r"]
    assert r.status_code == 200, r.text + app.stderr_text()
    assert int(r.headers["x-pieces"]) > 10
    assert r.content == get(app, "/big?n=800").content
    events = get(app, "/events").json()
    i = events.index("interleave:start")
    assert events[i:i + 4] == ["interleave:start", "fast", "interleave:resumed",
                               "interleave:end"]


def test_bad_options_name_the_option(tmp_path):
    # Checked in Python before the native store is made, the same on both interpreters.
    script = tmp_path / "opts.py"
    script.write_text(
        "from viperhttp.templating import Jinja2Templates\n"
        "for kw in ({'render_slots': 0}, {'cache_bytes': -1}, {'context_bytes': 10},\n"
        "           {'max_loop_iterations': True}, {'max_expression_depth': 0},\n"
        "           {'scratch_bytes': 1.5}):\n"
        "    try:\n"
        "        Jinja2Templates(directory='.', **kw)\n"
        "        print('accepted', kw)\n"
        "    except ValueError as e:\n"
        "        print('ValueError', e)\n"
        "try:\n"
        "    Jinja2Templates()\n"
        "except ValueError as e:\n"
        "    print('ValueError', e)\n")
    from pyapi_support import INTERPRETER, MICROPYTHON, app_env
    argv = [INTERPRETER, str(script)]
    if MICROPYTHON:
        argv[1:1] = ["-X", "heapsize=16M"]
    out = subprocess.run(argv, env=app_env(), cwd=str(ROOT), capture_output=True, timeout=30)
    assert out.stdout.decode().split("\n")[:7] == [
        "ValueError render_slots", "ValueError cache_bytes", "ValueError context_bytes",
        "ValueError max_loop_iterations", "ValueError max_expression_depth",
        "ValueError scratch_bytes", "ValueError give exactly one of directory= and pack="], \
        out.stderr.decode()
