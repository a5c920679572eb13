"""The differential test of the template engine: every case of templates_corpus.py is rendered
by Debian's Jinja2 (3.1, autoescape on as Starlette's Jinja2Templates, StrictUndefined unless
the case says lenient) and by ViperHTTP on the interpreter under test (VIPER_INTERPRETER:
CPython or the MicroPython unix port, through tests/pyapi/scripts/render_corpus.py).

Inside the subset the output must be identical byte for byte; where Jinja raises, ViperHTTP
must raise too; outside the subset ViperHTTP must refuse with a clear error (a compile error,
or a render error where only the values show it), never render something else.
"""

import binascii
import json
import os
import pathlib
import subprocess

import jinja2
import pytest

import templates_corpus as C
from pyapi_support import INTERPRETER, MICROPYTHON, ROOT, app_env

HERE = pathlib.Path(__file__).resolve().parent


def write_case(root, case_id, templates):
    files = templates if isinstance(templates, dict) else {"page.html": templates}
    for name, src in files.items():
        path = root / case_id / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(src.encode("utf-8"))
    (root / case_id).mkdir(parents=True, exist_ok=True)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    for case_id, templates, _, _ in C.CASES:
        write_case(root, case_id, templates)
    env = app_env()
    for var in ("PYTHONPATH", "MICROPYPATH"):
        env[var] = str(HERE) + os.pathsep + env[var]
    argv = [INTERPRETER, str(HERE / "scripts" / "render_corpus.py"), str(root)]
    if MICROPYTHON:
        argv[1:1] = ["-X", "heapsize=64M"]
    proc = subprocess.run(argv, cwd=str(ROOT), env=env, capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode()
    ours = {}
    for line in proc.stdout.decode().splitlines():
        rec = json.loads(line)
        text = binascii.unhexlify(rec["hex"]).decode("utf-8")
        ours[rec["id"]] = (rec.get("error"), text)
    return root, ours


def jinja_render(root, case_id, ctx, flags):
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(root / case_id)), autoescape=True,
        undefined=jinja2.Undefined if "lenient" in flags else jinja2.StrictUndefined)
    try:
        return None, env.get_template("page.html").render(C.CONTEXT if ctx is None else ctx)
    except Exception as exc:  # any Jinja error: the case expects one
        return type(exc).__name__, str(exc)


RENDER_ERRORS = ("TemplateRenderError", "UndefinedError", "TemplateLimitError")
ANY_ERROR = RENDER_ERRORS + ("TemplateSyntaxError", "TemplateNotFound", "TemplateContextError")


@pytest.mark.parametrize("case", C.CASES, ids=[c[0] for c in C.CASES])
def test_case(corpus, case):
    root, ours = corpus
    case_id, _, ctx, flags = case
    flags = flags.split()
    our_error, our_text = ours[case_id]
    jinja_error, jinja_text = jinja_render(root, case_id, ctx, flags)
    if "outside" in flags:
        assert our_error == "TemplateSyntaxError", (our_error, our_text)
        assert "page.html:" in our_text  # names the template and the line
    elif "outside-runtime" in flags:
        assert jinja_error is None, "Jinja should render this case: " + jinja_text
        assert our_error in RENDER_ERRORS, (our_error, our_text)
    elif "error" in flags:
        assert jinja_error is not None, "Jinja rendered: " + repr(jinja_text)
        assert our_error in ANY_ERROR, (our_error, our_text)
    else:
        assert jinja_error is None, "Jinja failed: {}: {}".format(jinja_error, jinja_text)
        assert our_error is None, our_text
        assert our_text == jinja_text


def test_corpus_size_and_coverage():
    # At least 150 cases written for this test, and every construct of the subset in them.
    assert len(C.CASES) >= 150
    assert len(set(c[0] for c in C.CASES)) == len(C.CASES)
    text = " ".join(src if isinstance(src, str) else " ".join(src.values())
                    for _, src, _, _ in C.CASES)
    for construct in ("{% if", "{% elif", "{% else", "{% for", "{% set", "{% include",
                      "{% extends", "{% block", "{% raw", "{#", "{{-", "-}}", "{%-", "-%}",
                      "super()", "loop.index", "loop.index0", "loop.first", "loop.last",
                      "loop.length", "loop.revindex", ".items()", ".keys()", ".values()",
                      "is defined", "is none", " ~ ", " and ", " or ", "not ", " in ",
                      "ignore missing", "without context", "|escape", "|safe", "|default",
                      "|upper", "|lower", "|length", "|join", "|trim", "|replace",
                      "|capitalize", "|title", "|round", "|int", "|float", "|tojson",
                      "|items"):
        assert construct in text, construct
